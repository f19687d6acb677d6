"""The holding page and its API twin: one asset in one portfolio. Expected figures are worked
out by hand from the transactions below (FIFO)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolios.selectors.holding_detail import holding_detail
from portfolios.tests.factories import (
    AssetFactory,
    PortfolioFactory,
    TransactionFactory,
    prices,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def aapl():
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.")
    prices(
        asset,
        {dt.date(2024, 1, 2): 100.0, dt.date(2024, 3, 1): 130.0, dt.date(2024, 3, 15): 140.0},
    )
    return asset


@pytest.fixture
def portfolio(user, aapl):
    portfolio = PortfolioFactory(owner=user, cost_basis_method="fifo")
    buy = {"portfolio": portfolio, "asset": aapl, "kind": "buy"}
    TransactionFactory(**buy, date=dt.date(2024, 1, 2), quantity=10, price=100, fee=5)  # 1005
    TransactionFactory(**buy, date=dt.date(2024, 2, 1), quantity=10, price=120, fee=5)  # 1205
    TransactionFactory(
        portfolio=portfolio,
        asset=aapl,
        kind="sell",
        date=dt.date(2024, 3, 1),
        quantity=15,
        price=130,
        fee=3,
    )
    TransactionFactory(
        portfolio=portfolio,
        asset=aapl,
        kind="dividend",
        date=dt.date(2024, 3, 10),
        quantity=None,
        price=None,
        amount=Decimal("2.5"),
    )
    other = AssetFactory(symbol="AGG")
    TransactionFactory(
        portfolio=portfolio, asset=other, date=dt.date(2024, 1, 2), quantity=1, price=50
    )
    return portfolio


def page_url(portfolio, asset) -> str:
    return reverse("holding-detail", args=[portfolio.public_id, asset.public_id])


def api_url(portfolio, asset) -> str:
    return f"/api/v1/portfolios/{portfolio.public_id}/holdings/{asset.public_id}/"


def test_fifo_partial_sale_leaves_the_rest_of_the_second_lot_open(portfolio, aapl):
    detail = holding_detail(portfolio=portfolio, asset_public_id=aapl.public_id)
    # Selling 15 takes lot 1 (10) whole and 5 of lot 2's 10: 5 remain at (10 x 120 + 5) / 10.
    assert [(lot.date, lot.quantity, lot.cost) for lot in detail.lots] == [
        (dt.date(2024, 2, 1), Decimal(5), Decimal("602.5")),  # 1205 x 5/10
    ]
    assert detail.lots[0].unit_cost_local == Decimal("120.5")
    assert detail.quantity == 5


def test_realized_gain_is_proceeds_less_fee_less_the_fifo_cost(portfolio, aapl):
    detail = holding_detail(portfolio=portfolio, asset_public_id=aapl.public_id)
    # 15 x 130 = 1950 proceeds; cost 1005 + 602.5 = 1607.5; gain 1950 - 3 - 1607.5 = 339.5.
    assert detail.realized_gain == Decimal("339.5")
    [sale] = detail.sales
    assert (sale.proceeds, sale.cost, sale.gain) == (
        Decimal(1950),
        Decimal("1607.5"),
        Decimal("339.5"),
    )
    assert [(lot.quantity, lot.cost) for lot in sale.lots] == [
        (Decimal(10), Decimal(1005)),
        (Decimal(5), Decimal("602.5")),
    ]


def test_income_and_unrealized_gain_of_the_holding(portfolio, aapl):
    detail = holding_detail(portfolio=portfolio, asset_public_id=aapl.public_id)
    assert detail.income == Decimal("2.5")
    assert [row.amount_base for row in detail.income_rows] == [Decimal("2.5")]
    # 5 held at the last close 140 = 700, less the open lot's cost 602.5.
    assert detail.row.market_value == Decimal(700)
    assert detail.unrealized_gain == Decimal("97.5")
    # 97.5 unrealized + 339.5 realized + 2.5 income.
    assert detail.total_gain == Decimal("439.5")
    assert len(detail.transactions) == 4  # AGG's buy is not AAPL's


def test_page_shows_lots_gains_and_the_chart_with_trades_marked(client, user, portfolio, aapl):
    client.force_login(user)
    response = client.get(page_url(portfolio, aapl))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-figure="realized"' in content and "339.50" in content
    assert "97.50" in content and "602.50" in content
    chart = response.context["chart_data"]
    assert chart["labels"] == ["2024-01-02", "2024-03-01", "2024-03-15"]
    # The buy of 2 Jan on its close; the buy of 1 Feb on the last close before it (2 Jan),
    # which it replaces; the sell on 1 Mar.
    assert chart["buys"] == [120.0, None, None]
    assert chart["sells"] == [None, 130.0, None]
    assert 'id="holding-price-data"' in content and "<script>" not in content


def test_overview_links_each_holding_to_its_page(client, user, portfolio, aapl):
    client.force_login(user)
    content = client.get(reverse("portfolio-overview", args=[portfolio.public_id])).content
    assert f'href="{page_url(portfolio, aapl)}"'.encode() in content


def test_another_users_portfolio_or_an_asset_it_never_traded_is_404(
    client, auth_client, user, other_user, portfolio, aapl
):
    stranger = PortfolioFactory(owner=other_user)
    TransactionFactory(portfolio=stranger, asset=aapl, quantity=1, price=100)
    unheld = AssetFactory(symbol="MSFT")
    client.force_login(user)
    assert client.get(page_url(stranger, aapl)).status_code == 404
    assert client.get(page_url(portfolio, unheld)).status_code == 404
    assert auth_client.get(api_url(stranger, aapl)).status_code == 404
    assert auth_client.get(api_url(portfolio, unheld)).status_code == 404


def test_api_twin_answers_the_same_figures_as_decimal_strings(auth_client, portfolio, aapl):
    response = auth_client.get(api_url(portfolio, aapl))
    assert response.status_code == 200
    body = response.json()
    assert body["symbol"] == "AAPL"
    assert body["quantity"] == "5"
    assert body["realized_gain"] == "339.50"
    assert body["unrealized_gain"] == "97.50"
    assert body["income"] == "2.50"
    assert body["lots"] == [
        {
            "buy_transaction": body["lots"][0]["buy_transaction"],
            "date": "2024-02-01",
            "quantity": "5",
            "cost_local": "602.50",
            "cost": "602.50",
            "unit_cost_local": "120.500000",
        }
    ]
    assert body["holding"]["market_value"] == "700.00"
    assert [sale["gain"] for sale in body["sales"]] == ["339.50"]
    assert len(body["transactions"]) == 4


def test_api_rejects_unknown_query_parameters(auth_client, portfolio, aapl):
    assert auth_client.get(api_url(portfolio, aapl), {"x": "\x00"}).status_code == 400


def test_query_count_is_pinned_whatever_the_number_of_trades(auth_client, portfolio, aapl):
    auth_client.get(api_url(portfolio, aapl))  # warm the holdings read model
    with CaptureQueriesContext(connection) as few:
        assert auth_client.get(api_url(portfolio, aapl)).status_code == 200
    for day in range(3, 23):
        TransactionFactory(
            portfolio=portfolio, asset=aapl, date=dt.date(2024, 4, day), quantity=1, price=141
        )
    auth_client.get(api_url(portfolio, aapl))
    with CaptureQueriesContext(connection) as many:
        assert auth_client.get(api_url(portfolio, aapl)).status_code == 200
    assert len(many) == len(few) == QUERIES, "\n".join(q["sql"][:90] for q in many.captured_queries)


# Warm, one currency: the portfolio; the ledger's transactions and their assets (no FX pairs to
# load); the asset asked for; its transactions; the cached holdings' two; the chart's closes.
QUERIES = 8


def test_a_holding_sold_in_full_keeps_its_realized_gain_and_no_lots(client, user, aapl):
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=aapl, quantity=2, price=100, fee=1)  # 201
    TransactionFactory(
        portfolio=portfolio,
        asset=aapl,
        kind="sell",
        date=dt.date(2024, 3, 1),
        quantity=2,
        price=130,
        fee=1,
    )
    detail = holding_detail(portfolio=portfolio, asset_public_id=aapl.public_id)
    # 2 x 130 - 1 fee - 201 cost = 58.
    assert (detail.row, detail.lots, detail.realized_gain) == (None, [], Decimal(58))
    client.force_login(user)
    response = client.get(page_url(portfolio, aapl))
    assert response.status_code == 200 and b"all sold" in response.content
    assert b"None open." in response.content
