"""Rebalance plans from the database (`selectors.rebalancing.rebalance_plan`): today's prices and
FX through the holdings selector, stale and missing prices named, and hand-computed trades."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from portfolios import services
from portfolios.selectors.rebalancing import (
    NO_FX_RATE,
    NO_PRICE,
    STALE_PRICE,
    rebalance_plan,
    targets_report,
)
from portfolios.services import TargetInput
from portfolios.tests.factories import (
    AssetFactory,
    FxAssetFactory,
    PortfolioFactory,
    TransactionFactory,
    prices,
)

pytestmark = pytest.mark.django_db
BOUGHT = dt.date(2024, 1, 2)


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def held(
    portfolio,
    symbol,
    quantity,
    price,
    *,
    close=None,
    currency="USD",
    asset_class="stock",
    close_date=None,
):
    """An asset bought on BOUGHT and closing at `close` (default: `price`) yesterday."""
    asset = AssetFactory(symbol=symbol, currency=currency, asset_class=asset_class)
    closes = {BOUGHT: float(price)}
    if close is not False:
        closes[close_date or yesterday()] = float(price if close is None else close)
    prices(asset, closes)
    TransactionFactory(
        portfolio=portfolio, asset=asset, date=BOUGHT, quantity=quantity, price=D(price)
    )
    return asset


@pytest.fixture
def portfolio():
    return PortfolioFactory(name="Core")


@pytest.fixture
def two(portfolio):
    """A: 10 @ 60 = 600, B: 10 @ 40 = 400 (USD), targets 50 / 50 with a 5-point band."""
    a = held(portfolio, "AAA", 10, 60)
    b = held(portfolio, "BBB", 10, 40, asset_class="bond")
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(weight=D(50), asset=a, band=D(5)),
            TargetInput(weight=D(50), asset=b),
        ],
    )
    return a, b


def trades(plan):
    return {(t.asset.symbol, t.side): (t.quantity, t.amount) for t in plan.trades}


def test_targets_report_shows_drift_and_flags_it_outside_the_band(portfolio, two):
    report = targets_report(portfolio=portfolio)
    rows = {row.label: row for row in report.rows}
    # A: 600 / 1000 = 60 % against 50: drift +10 beyond its band of 5; B has no band.
    assert (rows["AAA"].current, rows["AAA"].drift, rows["AAA"].outside_band) == (60, 10, True)
    assert (rows["BBB"].current, rows["BBB"].drift, rows["BBB"].outside_band) == (40, -10, False)


def test_full_plan_at_the_latest_prices(portfolio, two):
    plan = rebalance_plan(portfolio)
    # Sell A 100 / 60 -> 1.66666667 (= 100.0000002), buy B 100 / 40 = 2.5.
    assert trades(plan) == {
        ("AAA", "sell"): (D("1.66666667"), D("100.00000020")),
        ("BBB", "buy"): (D("2.5"), D("100.0")),
    }
    assert [t.price_date for t in plan.trades] == [yesterday(), yesterday()]
    assert plan.weights_before == {str(two[0].public_id): 60, str(two[1].public_id): 40}
    assert plan.cash_left == D("0.0000002")


def test_buy_only_with_new_cash(portfolio, two):
    # T = 1100, goals 550: B lacks 150, the budget is the new cash 100 -> B 2.5 units.
    plan = rebalance_plan(portfolio, cash=D(100), mode="buy_only")
    assert trades(plan) == {("BBB", "buy"): (D("2.5"), D("100.0"))}
    assert plan.cash_left == 0


def test_whole_units(portfolio, two):
    # New cash 105: T = 1105, goals 552.5. Sell A 47.5 / 60 -> 1 (60); budget 165, B lacks
    # 152.5 -> 3 units (120) + 1 more (lacks 32.5 > 20) = 4 (160); cash left 5.
    plan = rebalance_plan(portfolio, cash=D(105), whole_units=True)
    assert trades(plan) == {("AAA", "sell"): (D(1), D(60)), ("BBB", "buy"): (D(4), D(160))}
    assert plan.cash_left == D(5)


def test_min_trade_drops_small_trades(portfolio, two):
    # Both trades are 100: with min_trade 150 both are dropped and both assets kept.
    plan = rebalance_plan(portfolio, min_trade=D(150))
    assert plan.trades == []
    assert {asset.symbol for asset in plan.kept} == {"AAA", "BBB"}


def test_asset_class_targets(portfolio):
    held(portfolio, "S1", 30, 10)  # stock 300
    held(portfolio, "S2", 10, 10)  # stock 100
    held(portfolio, "B1", 60, 10, asset_class="bond")  # bond 600
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(weight=D(60), asset_class="stock"),
            TargetInput(weight=D(40), asset_class="bond"),
        ],
    )
    # T = 1000: stock 600 split 3:1 -> S1 450 (+15 units), S2 150 (+5); bond 400 (-20 units).
    plan = rebalance_plan(portfolio)
    assert trades(plan) == {
        ("S1", "buy"): (D(15), D(150)),
        ("S2", "buy"): (D(5), D(50)),
        ("B1", "sell"): (D(20), D(200)),
    }
    assert plan.weights_after == {"stock": 60, "bond": 40}


def test_a_foreign_currency_asset_converts_at_the_apps_fx(portfolio):
    fx = FxAssetFactory()
    prices(fx, {BOUGHT: 1.1, yesterday(): 1.1})
    held(portfolio, "AAA", 10, 60)  # 600 USD
    euro = held(portfolio, "EEE", 2, 50, currency="EUR")  # 2 * 50 EUR * 1.1 = 110 USD
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(weight=D(50), asset=AssetFactory._meta.model.objects.get(symbol="AAA")),
            TargetInput(weight=D(50), asset=euro),
        ],
    )
    # T = 710, goals 355. Whole units: sell A 245 / 60 = 4.08 -> 4 (240); budget 240;
    # EEE costs 50 * 1.1 = 55 USD: 240 / 55 = 4.36 -> 4 (220); 55 more does not fit in 20.
    plan = rebalance_plan(portfolio, whole_units=True)
    assert trades(plan) == {("AAA", "sell"): (D(4), D(240)), ("EEE", "buy"): (D(4), D("220.0"))}
    euro_trade = next(t for t in plan.trades if t.asset == euro)
    assert (euro_trade.price, euro_trade.currency, euro_trade.fx_rate) == (50, "EUR", D("1.1"))
    assert plan.cash_left == D(20)


def test_a_stale_price_is_named_and_not_traded(portfolio):
    a = held(portfolio, "AAA", 10, 60)
    old = timezone.localdate() - dt.timedelta(days=10)
    stale = held(portfolio, "OLD", 10, 40, close_date=old)
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(weight=D(50), asset=a),
            TargetInput(weight=D(50), asset=stale),
        ],
    )
    plan = rebalance_plan(portfolio)
    # OLD keeps its 400; T = 1000, A (600) is sold down to its goal 500: 100 / 60 ->
    # 1.66666667 units; OLD cannot be bought, so the proceeds stay cash.
    assert trades(plan) == {("AAA", "sell"): (D("1.66666667"), D("100.00000020"))}
    assert plan.cash_left == D("100.0000002")
    assert [(u.asset.symbol, u.reason, u.price_date) for u in plan.untradable] == [
        ("OLD", STALE_PRICE, old)
    ]
    assert "OLD" in plan.untradable[0].message


def test_a_targeted_asset_without_a_price_is_named_and_its_money_stays(portfolio):
    a = held(portfolio, "AAA", 10, 60)  # 600
    unpriced = AssetFactory(symbol="NEW")
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(weight=D(50), asset=a),
            TargetInput(weight=D(50), asset=unpriced),
        ],
    )
    # T = 600: A's goal 300 -> sell 5 units (300); NEW cannot be bought: 300 stays cash.
    plan = rebalance_plan(portfolio)
    assert trades(plan) == {("AAA", "sell"): (D(5), D(300))}
    assert [(u.asset.symbol, u.reason) for u in plan.untradable] == [("NEW", NO_PRICE)]
    assert plan.cash_left == D(300)


def test_an_unheld_target_asset_is_bought_at_its_latest_close(portfolio):
    a = held(portfolio, "AAA", 10, 60)  # 600
    new = AssetFactory(symbol="NEW")
    prices(new, {yesterday(): 20.0})
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(weight=D(50), asset=a),
            TargetInput(weight=D(50), asset=new),
        ],
    )
    # New cash 400: T = 1000, goals 500. Sell A 100 / 60 -> 1.66666667; buy NEW with
    # 400 + 100.0000002 = 500.0000002 -> 500 lacking -> 25 units.
    plan = rebalance_plan(portfolio, cash=D(400))
    assert trades(plan)[("NEW", "buy")] == (D(25), D(500))


def test_without_targets_the_plan_trades_nothing(portfolio):
    held(portfolio, "AAA", 10, 60)
    plan = rebalance_plan(portfolio, cash=D(100))
    # No target is not "sell everything": no trades, the new cash stays.
    assert plan.trades == [] and plan.cash_left == 100


def test_a_foreign_target_without_an_exchange_rate_is_named(portfolio):
    a = held(portfolio, "AAA", 10, 60)  # 600 USD
    euro = AssetFactory(symbol="EUX", currency="EUR")
    prices(euro, {yesterday(): 50.0})  # priced, but no EURUSD=X (nor USDEUR=X) is stored
    services.targets_set(
        portfolio=portfolio,
        targets=[TargetInput(weight=D(50), asset=a), TargetInput(weight=D(50), asset=euro)],
    )
    plan = rebalance_plan(portfolio)
    # T = 600: A's goal 300 -> sell 5 (300); EUX is not bought at a guessed rate.
    assert [(u.asset.symbol, u.reason) for u in plan.untradable] == [("EUX", NO_FX_RATE)]
    assert trades(plan) == {("AAA", "sell"): (D(5), D(300))}


def test_a_class_target_with_nothing_held_in_it_is_named(portfolio):
    held(portfolio, "S1", 10, 10)  # stock 100
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(weight=D(50), asset_class="stock"),
            TargetInput(weight=D(50), asset_class="bond"),
        ],
    )
    # New cash 100: T = 200, stock's goal 100 (on target); bond cannot be bought: cash stays.
    plan = rebalance_plan(portfolio, cash=D(100))
    assert plan.unplaced == ["bond"]
    assert plan.trades == [] and plan.cash_left == 100
    assert {row.key: row.target for row in plan.weights} == {"stock": 50, "bond": 50}
