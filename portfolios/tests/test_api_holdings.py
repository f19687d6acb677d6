"""/api/v1/portfolios/{id}/holdings/ and /allocation/."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from portfolios.tests.factories import (
    AssetFactory,
    PortfolioFactory,
    TransactionFactory,
    portfolio_with_holdings,
    prices,
)

pytestmark = pytest.mark.django_db


def url(portfolio, what="holdings") -> str:
    return f"/api/v1/portfolios/{portfolio.public_id}/{what}/"


@pytest.fixture
def portfolio(user):
    portfolio = PortfolioFactory(owner=user)
    aapl = AssetFactory(symbol="AAPL", name="Apple Inc.")
    bond = AssetFactory(symbol="AGG", asset_class="bond")
    prices(
        aapl, {dt.date(2024, 1, 2): 100.0, dt.date(2024, 3, 1): 130.0, dt.date(2024, 3, 15): 140.0}
    )
    prices(bond, {dt.date(2024, 1, 2): 50.0})
    TransactionFactory(
        portfolio=portfolio, asset=aapl, date=dt.date(2024, 1, 2), quantity=10, price=100, fee=5
    )
    TransactionFactory(
        portfolio=portfolio, asset=aapl, date=dt.date(2024, 2, 1), quantity=10, price=120, fee=5
    )
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
        portfolio=portfolio, asset=bond, date=dt.date(2024, 1, 2), quantity=6, price=50
    )
    return portfolio


def test_holdings_answer_the_documented_shape_with_decimal_strings(auth_client, portfolio):
    response = auth_client.get(url(portfolio), {"date": "2024-03-15"})
    assert response.status_code == 200
    body = response.json()
    assert {
        "date",
        "currency",
        "total_value",
        "cash",
        "cost_basis",
        "unrealized_gain",
        "realized_gain",
        "income",
        "fees",
        "results",
    } <= set(body)
    assert (body["date"], body["currency"]) == ("2024-03-15", "USD")
    assert body["total_value"] == "1000.00"  # 5 * 140 + 6 * 50
    assert body["cost_basis"] == "902.50"
    assert body["realized_gain"] == "339.50"
    assert body["fees"] == "13.00"
    assert body["cash"] == "0.00"
    aapl = body["results"][0]
    assert {
        "asset",
        "symbol",
        "quantity",
        "average_cost",
        "cost_basis",
        "price",
        "market_value",
        "unrealized_gain",
        "realized_gain",
        "income",
        "weight",
    } <= set(aapl)
    assert (aapl["symbol"], aapl["quantity"], aapl["average_cost"]) == ("AAPL", "5", "120.500000")
    assert (aapl["price"], aapl["price_date"], aapl["market_value"]) == (
        "140.000000",
        "2024-03-15",
        "700.00",
    )
    assert (aapl["unrealized_gain"], aapl["weight"]) == ("97.50", "0.700000")


def test_an_invalid_date_is_a_field_error(auth_client, portfolio):
    response = auth_client.get(url(portfolio), {"date": "15/03/2024"})
    assert response.status_code == 400
    assert "date" in response.json()["error"]["fields"]


def test_missing_fx_rates_answer_503_not_wrong_values(auth_client, user):
    portfolio = PortfolioFactory(owner=user)
    sap = AssetFactory(symbol="SAP.DE", currency="EUR")
    TransactionFactory(portfolio=portfolio, asset=sap, currency="EUR")
    response = auth_client.get(url(portfolio))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "market_data_pending"


def test_allocation_by_asset_class(auth_client, portfolio):
    body = auth_client.get(
        url(portfolio, "allocation"), {"by": "asset_class", "date": "2024-03-15"}
    ).json()
    assert body["by"] == "asset_class"
    assert [(item["key"], item["value"], item["weight"]) for item in body["results"]] == [
        ("stock", "700.00", "0.700000"),
        ("bond", "300.00", "0.300000"),
    ]


def test_allocation_refuses_an_unknown_grouping(auth_client, portfolio):
    response = auth_client.get(url(portfolio, "allocation"), {"by": "sector"})
    assert response.status_code == 400


def test_holdings_queries_stay_flat_from_5_to_100_holdings():
    counts = {}
    for size in (5, 100):
        portfolio = portfolio_with_holdings(size)
        client = APIClient()
        client.force_authenticate(portfolio.owner)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(portfolio), {"date": "2024-03-15"})
        assert len(response.json()["results"]) == size
        counts[size] = len(captured)
    assert counts[5] == counts[100], counts
    assert counts[100] <= 6
