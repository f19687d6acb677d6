"""The holdings read model (`selectors.holdings`): a second read comes from the cache in two
queries, and after any change (a transaction, a close, an FX close, an asset's name) the answer
equals a fresh full replay, resuming from a saved lot state only when that state is still valid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from market.providers.base import Bar
from market.services import price_upsert
from portfolios import selectors, services
from portfolios.selectors import holdings_model, positions
from portfolios.tests.factories import (
    AssetFactory,
    FxAssetFactory,
    PortfolioFactory,
    TransactionFactory,
    prices,
)

pytestmark = pytest.mark.django_db

D = Decimal


def day(month: int, date: int) -> dt.date:
    return dt.date(2024, month, date)


def fresh(portfolio, on: dt.date) -> selectors.Holdings:
    """The holdings from a full replay with lots, bypassing the read model."""
    txns, assets, market = positions.holdings_inputs(portfolio, on)
    return positions.holdings_build(
        portfolio=portfolio, txns=txns, assets=assets, market=market, day=on
    )[0]


def close(asset, on: dt.date, value: float) -> None:
    price_upsert(asset=asset, bars=[Bar(on, value, value, value, value, 0)])


def queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


@pytest.fixture
def aapl():
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.", currency="USD")
    prices(asset, {day(1, 2): 100.0, day(2, 1): 120.0, day(3, 1): 130.0, day(3, 15): 140.0})
    return asset


@pytest.fixture
def portfolio(aapl):
    portfolio = PortfolioFactory(cost_basis_method="fifo")
    TransactionFactory(
        portfolio=portfolio, asset=aapl, date=day(1, 2), quantity=10, price=100, fee=5
    )
    TransactionFactory(
        portfolio=portfolio, asset=aapl, date=day(2, 1), quantity=10, price=120, fee=5
    )
    return portfolio


def test_a_second_read_is_answered_from_the_cache_in_two_queries(portfolio):
    first = selectors.holdings(portfolio=portfolio, date=day(3, 15))
    # The ledger version with its summary, and the assets with their price marks.
    assert queries(lambda: selectors.holdings(portfolio=portfolio, date=day(3, 15))) == 2
    again = selectors.holdings(portfolio=portfolio, date=day(3, 15))
    assert again == first == fresh(portfolio, day(3, 15))
    # 20 held at 140: 2800; cost 1005 + 1205 = 2210.
    assert again.total_value == D(2800) and again.cost_basis == D(2210)
    assert again.rows[0].asset.symbol == "AAPL" and again.portfolio is portfolio
    for by in selectors.ALLOCATION_KINDS:  # kept with the cached answer
        assert again.allocation(by) == fresh(portfolio, day(3, 15)).allocation(by)
    assert [(item.key, item.value) for item in again.allocation("asset_class")] == [
        ("stock", D(2800))
    ]


def test_a_warm_read_answers_the_same_queries_for_1_or_40_holdings():
    def portfolio_of(count: int):
        portfolio = PortfolioFactory()
        for _ in range(count):
            asset = AssetFactory()
            prices(asset, {day(1, 2): 10.0})
            TransactionFactory(portfolio=portfolio, asset=asset, date=day(1, 2), quantity=1)
        selectors.holdings(portfolio=portfolio, date=day(3, 15))
        return portfolio

    small, large = portfolio_of(1), portfolio_of(40)
    assert queries(lambda: selectors.holdings(portfolio=small, date=day(3, 15))) == 2
    assert queries(lambda: selectors.holdings(portfolio=large, date=day(3, 15))) == 2


def test_a_transaction_added_this_month_resumes_from_the_month_end_and_equals_a_full_replay(
    portfolio, aapl
):
    selectors.holdings(portfolio=portfolio, date=day(3, 15))
    services.transaction_create(
        portfolio=portfolio,
        kind="sell",
        date=day(3, 10),
        asset=aapl,
        quantity=D(15),
        price=D(130),
        fee=D(3),
        currency="USD",
    )
    saved = cache.get(holdings_model.states_key(portfolio))
    reads = holdings_model.reads_load(portfolio)
    # The sale is dated 10 Mar: the state of 29 Feb (the month end before 15 Mar) still holds.
    assert holdings_model.resume_day(saved, portfolio, day(3, 15), reads) == (
        day(2, 29),
        day(3, 10),
    )

    after = selectors.holdings(portfolio=portfolio, date=day(3, 15))

    assert after == fresh(portfolio, day(3, 15))
    # FIFO: the sale takes lot 1 (1005) and 5 of lot 2 (602.50); 5 left at 140 = 700.
    [row] = after.rows
    assert row.quantity == 5 and row.cost_basis == D("602.5") and row.market_value == D(700)
    # Realized: 15 x 130 - 3 = 1947 proceeds, less 1607.50 of cost.
    assert after.realized_gain == D("339.5")


def test_an_edit_dated_before_every_saved_state_replays_everything(portfolio):
    selectors.holdings(portfolio=portfolio, date=day(3, 15))
    first = portfolio.transactions.order_by("date").first()
    services.transaction_update(transaction=first, data={"quantity": D(30)})
    saved = cache.get(holdings_model.states_key(portfolio))
    reads = holdings_model.reads_load(portfolio)
    # The edit touches 2 Jan: no saved day (29 Feb, 15 Mar) is before it.
    assert holdings_model.resume_day(saved, portfolio, day(3, 15), reads) == (None, day(1, 2))

    after = selectors.holdings(portfolio=portfolio, date=day(3, 15))

    assert after == fresh(portfolio, day(3, 15))
    assert after.rows[0].quantity == 40 and after.total_value == D(5600)  # 40 x 140


def test_a_new_close_revalues_the_saved_state_of_the_day(portfolio, aapl):
    selectors.holdings(portfolio=portfolio, date=day(3, 15))
    close(aapl, day(3, 14), 150.0)
    close(aapl, day(3, 15), 150.5)
    saved = cache.get(holdings_model.states_key(portfolio))
    reads = holdings_model.reads_load(portfolio)
    # A held asset's prices never change the ledger: the state of 15 Mar itself serves.
    assert holdings_model.resume_day(saved, portfolio, day(3, 15), reads) == (day(3, 15), None)

    after = selectors.holdings(portfolio=portfolio, date=day(3, 15))

    assert after == fresh(portfolio, day(3, 15))
    assert after.total_value == D("3010")  # 20 x 150.5
    assert after.rows[0].price_date == day(3, 15)


@pytest.fixture
def sap_in_usd():
    """A USD portfolio holding 10 SAP.DE bought at 100 EUR on 2 Jan, with EURUSD=X closes."""
    sap = AssetFactory(symbol="SAP.DE", currency="EUR", asset_class="stock")
    prices(sap, {day(1, 2): 100.0, day(3, 15): 110.0})
    eurusd = FxAssetFactory(symbol="EURUSD=X")
    prices(eurusd, {day(1, 2): 1.10, day(3, 1): 1.20})
    portfolio = PortfolioFactory(base_currency="USD")
    TransactionFactory(portfolio=portfolio, asset=sap, date=day(1, 2), quantity=10, price=100)
    TransactionFactory(portfolio=portfolio, asset=sap, date=day(3, 5), quantity=10, price=105)
    return portfolio, sap, eurusd


def test_an_fx_close_rewritten_recomputes_from_a_state_before_it(sap_in_usd):
    portfolio, _sap, eurusd = sap_in_usd
    before = selectors.holdings(portfolio=portfolio, date=day(3, 15))
    # Cost: 1000 EUR x 1.10 + 1050 EUR x 1.20 (the 5 Mar buy at the 1 Mar close) = 2360 USD.
    assert before.cost_basis == D("2360.00")
    close(eurusd, day(3, 1), 1.25)  # a correction of the close the 5 Mar buy was booked at
    saved = cache.get(holdings_model.states_key(portfolio))
    reads = holdings_model.reads_load(portfolio)
    # The rewrite touched 1 Mar: the month end before it (29 Feb) is still valid.
    assert holdings_model.resume_day(saved, portfolio, day(3, 15), reads) == (
        day(2, 29),
        day(3, 1),
    )

    after = selectors.holdings(portfolio=portfolio, date=day(3, 15))

    assert after == fresh(portfolio, day(3, 15))
    # 1000 x 1.10 + 1050 x 1.25 = 2412.50 of cost; 20 x 110 EUR x 1.25 = 2750 of value.
    assert after.cost_basis == D("2412.50")
    assert after.total_value == D("2750.00")


def test_a_new_fx_pair_that_may_serve_replays_everything(sap_in_usd):
    portfolio, _sap, _eurusd = sap_in_usd
    selectors.holdings(portfolio=portfolio, date=day(3, 15))
    from market.tests.factories import ManualAssetFactory

    own = ManualAssetFactory(symbol="EURUSD=X", asset_class="fx", owner=portfolio.owner)
    prices(own, {day(1, 2): 1.0})
    saved = cache.get(holdings_model.states_key(portfolio))
    reads = holdings_model.reads_load(portfolio)
    assert holdings_model.resume_day(saved, portfolio, day(3, 15), reads) == (None, dt.date.min)

    after = selectors.holdings(portfolio=portfolio, date=day(3, 15))

    # The owner's own priced pair now converts (1.0 on every day): 20 x 110 = 2200 USD.
    assert after == fresh(portfolio, day(3, 15))
    assert after.total_value == D("2200.0")


def test_reads_of_a_past_date_are_cached_apart_and_equal_a_full_replay(portfolio, aapl):
    today_view = selectors.holdings(portfolio=portfolio, date=day(3, 15))
    past = selectors.holdings(portfolio=portfolio, date=day(1, 15))
    assert past.total_value == D(1000)  # 10 held at the 2 Jan close of 100
    assert queries(lambda: selectors.holdings(portfolio=portfolio, date=day(1, 15))) == 2
    services.transaction_create(
        portfolio=portfolio,
        kind="buy",
        date=day(3, 12),
        asset=aapl,
        quantity=D(1),
        price=D(135),
        fee=D(0),
        currency="USD",
    )

    past_after = selectors.holdings(portfolio=portfolio, date=day(1, 15))
    today_after = selectors.holdings(portfolio=portfolio, date=day(3, 15))

    assert past_after == past == fresh(portfolio, day(1, 15))
    assert today_after == fresh(portfolio, day(3, 15))
    assert today_after.total_value == today_view.total_value + D(140)  # one more at 140


def test_an_asset_renamed_shows_at_once(portfolio, aapl):
    selectors.holdings(portfolio=portfolio, date=day(3, 15))
    aapl.name = "Apple"
    aapl.save(update_fields=["name"])
    assert selectors.holdings(portfolio=portfolio, date=day(3, 15)).rows[0].asset.name == "Apple"


def test_a_cost_basis_method_change_never_resumes_from_states_of_the_other(portfolio, aapl):
    TransactionFactory(
        portfolio=portfolio, asset=aapl, kind="sell", date=day(3, 10), quantity=15, price=130
    )
    fifo = selectors.holdings(portfolio=portfolio, date=day(3, 15))
    services.portfolio_update(portfolio=portfolio, data={"cost_basis_method": "average"})
    portfolio.refresh_from_db()

    average = selectors.holdings(portfolio=portfolio, date=day(3, 15))

    assert average == fresh(portfolio, day(3, 15))
    # Average: (1005 + 1205) / 20 = 110.50 a unit; 5 left cost 552.50 (FIFO: 602.50).
    assert fifo.cost_basis == D("602.5")
    assert average.cost_basis == D("552.5")


def test_the_holdings_api_answers_a_second_read_warm_and_equal(auth_client, user, aapl):
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=day(1, 2), quantity=10, price=100)
    url = f"/api/v1/portfolios/{portfolio.public_id}/holdings/"
    cold = auth_client.get(url, {"date": "2024-03-15"})
    with CaptureQueriesContext(connection) as warm_queries:
        warm = auth_client.get(url, {"date": "2024-03-15"})
    with CaptureQueriesContext(connection) as cold_queries:
        cache.clear()
        auth_client.get(url, {"date": "2024-03-15"})
    assert cold.status_code == warm.status_code == 200
    assert warm.json() == cold.json()
    # Warm: the transactions, closes and FX lookups are not read again.
    assert len(warm_queries) < len(cold_queries)


def test_the_pages_cached_rows_follow_a_new_transaction_and_a_rename(client, user, aapl):
    from django.urls import reverse

    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=day(1, 2), quantity=10, price=100)
    client.force_login(user)
    pages = [
        reverse("portfolio-overview", args=[portfolio.public_id]) + "?date=2024-03-15",
        reverse("portfolio-transactions", args=[portfolio.public_id]),
    ]

    def holdings_html(url: str) -> str:
        html = client.get(url).content.decode()
        return html[html.index('id="holdings"') :]

    before = [holdings_html(url) for url in pages]
    assert "1,400.00" in before[0]  # 10 x 140 on 15 Mar
    assert [holdings_html(url) for url in pages] == before  # warm: the same page
    services.transaction_create(
        portfolio=portfolio,
        kind="buy",
        date=day(3, 12),
        asset=aapl,
        quantity=D(5),
        price=D(135),
        fee=D(0),
        currency="USD",
    )
    aapl.name = "Apple Computer"
    aapl.save(update_fields=["name"])

    after = [holdings_html(url) for url in pages]

    assert "2,100.00" in after[0]  # 15 x 140
    assert "2,100.00" not in before[0]
    assert all("Apple Computer" in html for html in after)
    # The transactions list shows the new buy (its rows are cached under the same key).
    assert after[1].count("kind-buy") == before[1].count("kind-buy") + 1
