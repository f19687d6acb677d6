"""holdings() and portfolio_list_with_summary(): hand-checked figures, past dates, FX, cash,
allocation, and a query count that does not grow with the number of holdings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolios import selectors
from portfolios.tests.factories import (
    AssetFactory,
    FxAssetFactory,
    PortfolioFactory,
    TransactionFactory,
    portfolio_with_holdings,
    prices,
)

pytestmark = pytest.mark.django_db

D = Decimal


def day(month: int, date: int) -> dt.date:
    return dt.date(2024, month, date)


def approx(value, expected: str, places: int = 6) -> None:
    assert round(Decimal(value), places) == round(Decimal(expected), places), value


@pytest.fixture
def aapl():
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.", currency="USD")
    prices(asset, {day(1, 2): 100.0, day(3, 1): 130.0, day(3, 15): 140.0})
    return asset


def trade_history(portfolio, asset):
    TransactionFactory(
        portfolio=portfolio, asset=asset, date=day(1, 2), quantity=10, price=100, fee=5
    )
    TransactionFactory(
        portfolio=portfolio, asset=asset, date=day(2, 1), quantity=10, price=120, fee=5
    )
    TransactionFactory(
        portfolio=portfolio, asset=asset, kind="sell", date=day(3, 1), quantity=15, price=130, fee=3
    )


def test_fifo_holdings_match_the_hand_computed_figures(aapl):
    portfolio = PortfolioFactory(cost_basis_method="fifo")
    trade_history(portfolio, aapl)
    snapshot = selectors.holdings(portfolio=portfolio, date=day(3, 15))
    [row] = snapshot.rows
    # Lots 1005 (10) and 1205 (10); the sale takes lot 1 and 5 of lot 2 (602.50): 1607.50.
    assert row.quantity == 5
    approx(row.cost_basis, "602.5")
    approx(row.average_cost, "120.5")
    assert (row.price, row.price_date, row.price_is_market) == (140, day(3, 15), True)
    approx(row.market_value, "700")
    approx(row.unrealized_gain, "97.5")
    approx(row.unrealized_gain_pct, "0.161825726")
    approx(row.realized_gain, "339.5")  # 1950 - 3 - 1607.5
    approx(snapshot.realized_gain, "339.5")
    approx(snapshot.fees, "13")
    assert row.weight == 1
    # Securities only: inflows 2210 (buys with fees), outflow 1947 (the sale net of its fee).
    approx(snapshot.net_invested, "263")
    approx(snapshot.total_gain, "437")


def test_average_cost_holdings_match_the_hand_computed_figures(aapl):
    portfolio = PortfolioFactory(cost_basis_method="average")
    trade_history(portfolio, aapl)
    [row] = selectors.holdings(portfolio=portfolio, date=day(3, 15)).rows
    # 2210 for 20 units: 110.50 each; the sale of 15 costs 1657.50.
    approx(row.average_cost, "110.5")
    approx(row.cost_basis, "552.5")
    approx(row.realized_gain, "289.5")
    approx(row.unrealized_gain, "147.5")


def test_a_split_between_two_buys_multiplies_units_and_keeps_the_cost(aapl):
    portfolio = PortfolioFactory()
    TransactionFactory(portfolio=portfolio, asset=aapl, date=day(1, 2), quantity=10, price=100)
    TransactionFactory(
        portfolio=portfolio,
        asset=aapl,
        kind="split",
        date=day(1, 10),
        quantity=None,
        price=None,
        ratio=D(2),
    )
    TransactionFactory(portfolio=portfolio, asset=aapl, date=day(2, 1), quantity=10, price=60)
    prices(aapl, {day(2, 2): 55.0})
    [row] = selectors.holdings(portfolio=portfolio, date=day(2, 2)).rows
    assert row.quantity == 30
    approx(row.cost_basis, "1600")
    approx(row.average_cost, "53.333333")
    approx(row.market_value, "1650")


def test_a_past_date_shows_the_portfolio_as_it_stood_then(aapl):
    portfolio = PortfolioFactory()
    trade_history(portfolio, aapl)
    snapshot = selectors.holdings(portfolio=portfolio, date=day(1, 20))
    [row] = snapshot.rows
    assert row.quantity == 10
    assert (row.price, row.price_date) == (100, day(1, 2))
    assert row.is_stale  # 18 days old
    assert snapshot.realized_gain == 0
    assert snapshot.transaction_count == 1


def test_before_the_first_transaction_nothing_is_held(aapl):
    portfolio = PortfolioFactory()
    trade_history(portfolio, aapl)
    snapshot = selectors.holdings(portfolio=portfolio, date=dt.date(2023, 12, 31))
    assert snapshot.rows == []
    assert snapshot.total_value == 0


def test_an_asset_without_prices_is_valued_at_its_last_transaction_price():
    portfolio = PortfolioFactory()
    fresh = AssetFactory(symbol="NEW")
    TransactionFactory(portfolio=portfolio, asset=fresh, date=day(1, 2), quantity=4, price=25)
    [row] = selectors.holdings(portfolio=portfolio, date=day(1, 5)).rows
    assert (row.price, row.price_date, row.price_is_market) == (25, day(1, 2), False)
    approx(row.market_value, "100")


def test_a_foreign_asset_converts_cost_at_the_buys_fx_and_value_at_todays():
    portfolio = PortfolioFactory(base_currency="USD")
    sap = AssetFactory(symbol="SAP.DE", currency="EUR", asset_class="stock")
    prices(sap, {day(1, 2): 100.0, day(1, 10): 110.0})
    prices(FxAssetFactory(symbol="EURUSD=X"), {day(1, 2): 1.10, day(1, 4): 1.15, day(1, 10): 1.20})
    TransactionFactory(
        portfolio=portfolio, asset=sap, currency="EUR", date=day(1, 2), quantity=10, price=100
    )
    # A dividend converts at its own day's close (1.15, forward-filled to the 5th) ...
    TransactionFactory(
        portfolio=portfolio,
        asset=sap,
        kind="dividend",
        currency="EUR",
        date=day(1, 5),
        quantity=None,
        price=None,
        amount=D(20),
    )
    # ... and a buy with its own rate at that rate.
    TransactionFactory(
        portfolio=portfolio,
        asset=sap,
        currency="EUR",
        date=day(1, 8),
        quantity=5,
        price=100,
        fx_rate=D("1.25"),
    )
    snapshot = selectors.holdings(portfolio=portfolio, date=day(1, 10))
    [row] = snapshot.rows
    approx(row.cost_basis, "1725")  # 1000 * 1.10 + 500 * 1.25
    approx(row.average_cost, "100")  # in EUR
    approx(row.market_value_local, "1650")  # 15 * 110 EUR
    approx(row.market_value, "1980")  # 1650 EUR * 1.20
    approx(row.unrealized_gain, "255")  # price and currency effect together
    approx(row.income, "23")
    approx(snapshot.income, "23")
    assert row.currency == "EUR" and snapshot.currency == "USD"
    assert [s.key for s in snapshot.allocation("currency")] == ["EUR"]


def test_without_the_fx_rates_the_values_are_pending_not_wrong():
    portfolio = PortfolioFactory(base_currency="USD")
    sap = AssetFactory(symbol="SAP.DE", currency="EUR")
    TransactionFactory(portfolio=portfolio, asset=sap, currency="EUR", date=day(1, 2))
    snapshot = selectors.holdings(portfolio=portfolio, date=day(1, 10))
    assert snapshot.pending and "EUR" in snapshot.pending
    assert snapshot.rows == []


def test_a_portfolio_with_deposits_counts_its_cash_in_value_and_allocation(aapl):
    portfolio = PortfolioFactory(records_cash=True)
    TransactionFactory(
        portfolio=portfolio,
        kind="deposit",
        asset=None,
        date=day(1, 2),
        quantity=None,
        price=None,
        amount=D(5000),
    )
    TransactionFactory(
        portfolio=portfolio, asset=aapl, date=day(3, 1), quantity=10, price=130, fee=5
    )
    snapshot = selectors.holdings(portfolio=portfolio, date=day(3, 15))
    assert snapshot.records_cash
    approx(snapshot.cash, "3695")  # 5000 - 1300 - 5
    approx(snapshot.securities_value, "1400")
    approx(snapshot.total_value, "5095")
    approx(snapshot.total_gain, "95")  # value - deposits
    approx(snapshot.rows[0].weight, str(D(1400) / D(5095)))
    by_asset = {s.key: s for s in snapshot.allocation("asset")}
    approx(by_asset["cash"].value, "3695")
    assert by_asset["cash"].label == "Cash"
    assert [s.key for s in snapshot.allocation("asset_class")] == ["cash", "stock"]
    [usd] = snapshot.allocation("currency")
    approx(usd.value, "5095")
    assert usd.weight == 1


def test_allocation_groups_by_asset_class_largest_first(aapl):
    portfolio = PortfolioFactory()
    bond = AssetFactory(symbol="AGG", asset_class="bond")
    prices(bond, {day(3, 1): 50.0})
    TransactionFactory(portfolio=portfolio, asset=aapl, date=day(3, 1), quantity=1, price=130)
    TransactionFactory(portfolio=portfolio, asset=bond, date=day(3, 1), quantity=10, price=50)
    slices = selectors.holdings(portfolio=portfolio, date=day(3, 15)).allocation("asset_class")
    assert [(s.key, s.label) for s in slices] == [("bond", "Bond"), ("stock", "Stock")]
    approx(slices[0].weight, str(D(500) / D(640)))
    with pytest.raises(ValueError):
        selectors.holdings(portfolio=portfolio, date=day(3, 15)).allocation("sector")


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_holdings_run_the_same_few_queries_for_5_or_100_holdings():
    small, large = portfolio_with_holdings(5), portfolio_with_holdings(100)
    few = _queries(lambda: selectors.holdings(portfolio=small, date=day(3, 15)))
    many = _queries(lambda: selectors.holdings(portfolio=large, date=day(3, 15)))
    assert len(selectors.holdings(portfolio=large, date=day(3, 15)).rows) == 100
    assert few == many
    assert many <= 5


def test_the_dashboard_summary_has_day_change_net_of_the_days_deposits(aapl):
    portfolio = PortfolioFactory(name="Cash", records_cash=True)
    prices(aapl, {day(4, 1): 100.0, day(4, 2): 105.0})
    TransactionFactory(
        portfolio=portfolio,
        kind="deposit",
        asset=None,
        date=day(4, 1),
        quantity=None,
        price=None,
        amount=D(1000),
    )
    TransactionFactory(portfolio=portfolio, asset=aapl, date=day(4, 1), quantity=10, price=100)
    TransactionFactory(
        portfolio=portfolio,
        kind="deposit",
        asset=None,
        date=day(4, 2),
        quantity=None,
        price=None,
        amount=D(500),
    )
    [summary] = selectors.portfolio_list_with_summary(portfolio.owner, date=day(4, 2))
    approx(summary.value, "1550")
    approx(summary.day_change, "50")  # 1550 - 1000 - 500 deposited today
    approx(summary.day_change_pct, str(D(50) / D(1500)))
    approx(summary.total_gain, "50")
    assert summary.holding_count == 1


def test_the_dashboard_summary_queries_do_not_grow_with_portfolios(user, aapl):
    def make(count):
        for index in range(count):
            portfolio = PortfolioFactory(owner=user, name=f"P{index}-{count}")
            TransactionFactory(portfolio=portfolio, asset=aapl, date=day(1, 2), quantity=1, price=1)

    make(2)
    few = _queries(lambda: selectors.portfolio_list_with_summary(user, date=day(3, 15)))
    make(6)
    many = _queries(lambda: selectors.portfolio_list_with_summary(user, date=day(3, 15)))
    assert len(selectors.portfolio_list_with_summary(user, date=day(3, 15))) == 8
    assert few == many


def test_the_summary_lists_only_the_users_portfolios(user, other_user):
    PortfolioFactory(owner=user, name="Mine")
    PortfolioFactory(owner=other_user, name="Theirs")
    assert [s.portfolio.name for s in selectors.portfolio_list_with_summary(user)] == ["Mine"]


def test_fx_pair_symbols_include_yahoos_short_name_of_usd_pairs():
    from portfolios.engine.market import fx_pair_symbols

    # JPY=X is Yahoo's name for USDJPY=X (JPY per USD), whichever way the conversion goes.
    assert fx_pair_symbols("JPY", "USD") == ["JPYUSD=X", "USDJPY=X", "JPY=X"]
    assert fx_pair_symbols("USD", "JPY") == ["USDJPY=X", "JPYUSD=X", "JPY=X"]
    assert fx_pair_symbols("EUR", "CHF") == ["EURCHF=X", "CHFEUR=X"]


def test_the_dashboard_summary_is_cached_until_a_transaction_or_a_price_changes(user, aapl):
    from market.providers.base import Bar
    from market.services import price_upsert
    from portfolios import services

    portfolio = PortfolioFactory(owner=user)
    buy = TransactionFactory(portfolio=portfolio, asset=aapl, date=day(1, 2), quantity=1, price=1)

    def summary():
        [only] = selectors.portfolio_list_with_summary(user, date=day(3, 15))
        return only

    first = summary()
    assert _queries(summary) == 2  # the portfolios (with their ledger versions), the asset marks
    services.transaction_update(transaction=buy, data={"quantity": D(3)})
    assert summary().value == first.value * 3
    # A correction of the latest close, written by price_upsert, shows at once.
    latest = aapl.prices.filter(date__lte=day(3, 15)).order_by("-date").first()
    price_upsert(
        asset=aapl,
        bars=[Bar(latest.date, None, None, None, latest.close * 2, None)],
    )
    assert summary().value == first.value * 6


@pytest.mark.parametrize("manual_priced", [True, False])
def test_holdings_and_performance_convert_with_the_same_fx_pair(manual_priced):
    """One FX rule (market.selectors.fx_pair_ranked): the owner's own priced pair before the
    catalogue's, an unpriced one never; both pages then value the holding alike."""
    from market.tests.factories import ManualAssetFactory
    from portfolios.performance import portfolio_performance

    portfolio = PortfolioFactory(base_currency="USD")
    sap = AssetFactory(symbol="SAP.DE", currency="EUR", asset_class="stock")
    prices(sap, {day(1, 2): 100.0})
    prices(FxAssetFactory(symbol="EURUSD=X"), {day(1, 2): 1.10})
    own = ManualAssetFactory(symbol="EURUSD=X", asset_class="fx", owner=portfolio.owner)
    if manual_priced:
        prices(own, {day(1, 2): 2.00})
    TransactionFactory(
        portfolio=portfolio, asset=sap, currency="EUR", date=day(1, 2), quantity=10, price=100
    )

    value = selectors.holdings(portfolio=portfolio, date=day(1, 2)).total_value
    report = portfolio_performance(portfolio=portfolio, start=day(1, 2), end=day(1, 2))

    approx(value, "2000" if manual_priced else "1100")
    assert report.end_value == pytest.approx(float(value))
