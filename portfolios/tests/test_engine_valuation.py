"""Daily valuation: forward-filled prices and FX, splits, cash, external flows, checkpoints.

Expected numbers are worked out by hand in the comments; one test checks the vectorised series
against a deliberately naive day-by-day valuation written here, independent of the engine.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from portfolios.engine import (
    FxTable,
    Kind,
    MissingFxRate,
    PriceTable,
    Txn,
    daily_series,
    day_range,
    external_flows,
    replay,
    value_holdings,
)

D = Decimal
USD_ONLY = FxTable("USD")
NO_PRICES = PriceTable()


def buy(
    txn_id: int,
    day: date,
    quantity: str,
    price: str,
    fee: str = "0",
    asset_id: int = 1,
    **extra: object,
) -> Txn:
    return Txn(
        txn_id, Kind.BUY, day, asset_id, quantity=D(quantity), price=D(price), fee=D(fee), **extra
    )  # type: ignore[arg-type]


def sell(
    txn_id: int,
    day: date,
    quantity: str,
    price: str,
    fee: str = "0",
    asset_id: int = 1,
    **extra: object,
) -> Txn:
    return Txn(
        txn_id, Kind.SELL, day, asset_id, quantity=D(quantity), price=D(price), fee=D(fee), **extra
    )  # type: ignore[arg-type]


def cash_txn(
    txn_id: int,
    kind: Kind,
    day: date,
    amount: str,
    fee: str = "0",
    asset_id: int | None = None,
    **extra: object,
) -> Txn:
    return Txn(txn_id, kind, day, asset_id, amount=D(amount), fee=D(fee), **extra)  # type: ignore[arg-type]


def series_usd(txns: list[Txn], prices: PriceTable, start: date, end: date, **options: object):  # type: ignore[no-untyped-def]
    return daily_series(
        txns,
        method="fifo",
        base_currency="USD",
        prices=prices,
        fx=options.pop("fx", USD_ONLY),  # type: ignore[arg-type]
        start=start,
        end=end,
        **options,  # type: ignore[arg-type]
    )


def test_price_table_forward_fills_over_weekends() -> None:
    prices = PriceTable.from_mapping(
        {1: {date(2024, 3, 15): 10.0, date(2024, 3, 18): 11.0}}
    )  # Fri, Mon
    assert prices.close_on(1, date(2024, 3, 17)) == (10.0, date(2024, 3, 15))  # Sunday
    assert prices.close_on(1, date(2024, 3, 18)) == (11.0, date(2024, 3, 18))
    assert prices.close_on(1, date(2024, 3, 14)) == (None, None)  # before the first bar
    assert prices.close_on(2, date(2024, 3, 18)) == (None, None)  # unknown asset
    matrix = prices.matrix([1, 2], day_range(date(2024, 3, 14), date(2024, 3, 19)))
    assert matrix.shape == (6, 2)
    np.testing.assert_array_equal(matrix[:, 0], [np.nan, 10, 10, 10, 11, 11])
    assert np.isnan(matrix[:, 1]).all()


def test_price_table_from_rows_sorts_and_keeps_the_last_duplicate() -> None:
    prices = PriceTable.from_rows(
        [
            (1, date(2024, 1, 3), 3.0),
            (1, date(2024, 1, 2), 2.0),
            (2, date(2024, 1, 2), 7.0),
            (1, date(2024, 1, 3), 4.0),
        ]
    )
    assert prices.close_on(1, date(2024, 1, 5)) == (4.0, date(2024, 1, 3))
    assert prices.close_on(2, date(2024, 1, 5)) == (7.0, date(2024, 1, 2))


def test_asset_is_valued_at_its_last_transaction_price_before_its_first_bar() -> None:
    txns = [buy(1, date(2024, 1, 2), "10", "100")]
    prices = PriceTable.from_mapping({1: {date(2024, 1, 5): 101.0}})
    series = series_usd(txns, prices, date(2024, 1, 2), date(2024, 1, 6))
    # 10 * 100 (transaction price) until the first bar on 01-05, then 10 * 101.
    np.testing.assert_allclose(series.value, [1000, 1000, 1000, 1010, 1010])
    assert series.value_before_start == 0.0
    np.testing.assert_allclose(series.inflow, [1000, 0, 0, 0, 0])


def test_value_does_not_jump_across_a_split() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "100"),
        Txn(2, Kind.SPLIT, date(2024, 1, 4), 1, ratio=D(4)),
        buy(3, date(2024, 1, 5), "10", "26"),
    ]
    traded = PriceTable.from_mapping(
        {
            1: {
                date(2024, 1, 2): 100.0,
                date(2024, 1, 3): 100.0,
                date(2024, 1, 4): 25.0,
                date(2024, 1, 5): 25.5,
            }
        }
    )
    series = series_usd(txns, traded, date(2024, 1, 2), date(2024, 1, 6))
    # 10 * 100, 10 * 100, 40 * 25, 50 * 25.5, 50 * 25.5
    np.testing.assert_allclose(series.value, [1000, 1000, 1000, 1275, 1275])

    # The same history with closes already divided by the later split (as Yahoo stores them).
    adjusted = PriceTable.from_mapping(
        {
            1: {
                date(2024, 1, 2): 25.0,
                date(2024, 1, 3): 25.0,
                date(2024, 1, 4): 25.0,
                date(2024, 1, 5): 25.5,
            }
        }
    )
    series = series_usd(
        txns, adjusted, date(2024, 1, 2), date(2024, 1, 6), split_adjusted_prices=True
    )
    np.testing.assert_allclose(series.value, [1000, 1000, 1000, 1275, 1275])


def test_a_split_before_the_first_bar_divides_the_last_transaction_price() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "100"),
        Txn(2, Kind.SPLIT, date(2024, 1, 3), 1, ratio=D(2)),
    ]
    series = series_usd(txns, NO_PRICES, date(2024, 1, 2), date(2024, 1, 4))
    # 10 * 100, then 20 * 50, 20 * 50
    np.testing.assert_allclose(series.value, [1000, 1000, 1000])


def test_foreign_holdings_convert_at_each_valuation_days_fx() -> None:
    fx = FxTable.from_mapping(
        "USD", {"EURUSD=X": {date(2024, 3, 11): "1.10", date(2024, 3, 12): "1.20"}}
    )
    txns = [buy(1, date(2024, 3, 11), "10", "20", currency="EUR")]
    prices = PriceTable.from_mapping({1: {date(2024, 3, 11): 20.0}})
    series = series_usd(txns, prices, date(2024, 3, 11), date(2024, 3, 13), fx=fx)
    # 200 EUR * 1.10, then * 1.20 (forward-filled to 03-13).
    np.testing.assert_allclose(series.value, [220, 240, 240])
    np.testing.assert_allclose(series.inflow, [220, 0, 0])  # the buy, at its own day's FX

    state = replay(txns, method="fifo", base_currency="USD", fx=fx)
    valued = value_holdings(state, prices=prices, fx=fx, day=date(2024, 3, 13))
    (holding,) = valued.holdings
    assert holding.value_base == pytest.approx(240)
    assert holding.cost_base == D("220")
    assert holding.unrealized_gain_base == pytest.approx(20)  # all of it currency effect
    assert (holding.price, holding.price_date, holding.price_is_market) == (
        20.0,
        date(2024, 3, 11),
        True,
    )


def test_holding_without_a_bar_reports_its_transaction_price_and_date() -> None:
    txns = [buy(1, date(2024, 1, 2), "2", "50")]
    state = replay(txns, method="fifo", base_currency="USD")
    valued = value_holdings(state, prices=NO_PRICES, fx=USD_ONLY, day=date(2024, 2, 1))
    (holding,) = valued.holdings
    assert (holding.price, holding.price_date, holding.price_is_market) == (
        50.0,
        date(2024, 1, 2),
        False,
    )
    assert valued.value == pytest.approx(100)


SECURITIES_ONLY = [
    buy(1, date(2024, 1, 2), "10", "100", fee="5"),  # inflow 1005
    cash_txn(2, Kind.DIVIDEND, date(2024, 1, 3), "20", asset_id=1),  # outflow 20
    sell(3, date(2024, 1, 4), "4", "110", fee="2"),  # outflow 4 * 110 - 2 = 438
    cash_txn(4, Kind.FEE, date(2024, 1, 5), "3"),  # inflow 3
]
FLAT_100 = PriceTable.from_mapping({1: {date(2024, 1, 2): 100.0}})


def test_flows_without_cash_records_are_trades_income_and_standalone_fees() -> None:
    series = series_usd(SECURITIES_ONLY, FLAT_100, date(2024, 1, 2), date(2024, 1, 5))
    assert not series.records_cash
    np.testing.assert_allclose(series.inflow, [1005, 0, 0, 3])
    np.testing.assert_allclose(series.outflow, [0, 20, 438, 0])
    # 1005, 1005 - 20, 985 - 438, 547 + 3
    np.testing.assert_allclose(series.net_invested, [1005, 985, 547, 550])
    # 10 * 100, 10 * 100, 6 * 100 (the bar, not the sale price), 6 * 100; no cash.
    np.testing.assert_allclose(series.value, [1000, 1000, 600, 600])
    np.testing.assert_allclose(series.cash, [0, 0, 0, 0])


def test_value_before_start_is_the_close_of_the_day_before() -> None:
    series = series_usd(SECURITIES_ONLY, FLAT_100, date(2024, 1, 4), date(2024, 1, 5))
    assert series.value_before_start == pytest.approx(1000)  # 10 * 100 on 01-03
    assert series.net_invested_before_start == pytest.approx(985)  # 1005 - 20
    assert series.start == date(2024, 1, 4)
    np.testing.assert_allclose(series.inflow, [0, 3])  # flows before start are not in the period
    np.testing.assert_allclose(series.outflow, [438, 0])
    np.testing.assert_allclose(series.net_invested, [547, 550])


def test_flows_with_cash_records_are_only_deposits_and_withdrawals() -> None:
    txns = [
        cash_txn(1, Kind.DEPOSIT, date(2024, 1, 2), "1000"),
        buy(2, date(2024, 1, 3), "5", "100", fee="1"),
        cash_txn(3, Kind.DIVIDEND, date(2024, 1, 4), "10", asset_id=1),
        cash_txn(4, Kind.WITHDRAWAL, date(2024, 1, 5), "200"),
    ]
    prices = PriceTable.from_mapping({1: {date(2024, 1, 3): 100.0, date(2024, 1, 4): 102.0}})
    series = series_usd(txns, prices, date(2024, 1, 2), date(2024, 1, 5), records_cash=True)
    assert series.records_cash
    # cash: 1000; 1000 - 501 = 499; 499 + 10 = 509; 509 - 200 = 309
    np.testing.assert_allclose(series.cash, [1000, 499, 509, 309])
    # value: 1000; 499 + 5 * 100 = 999; 509 + 5 * 102 = 1019; 309 + 510 = 819
    np.testing.assert_allclose(series.value, [1000, 999, 1019, 819])
    np.testing.assert_allclose(series.inflow, [1000, 0, 0, 0])
    np.testing.assert_allclose(series.outflow, [0, 0, 0, 200])
    np.testing.assert_allclose(series.net_invested, [1000, 1000, 1000, 800])


def test_foreign_cash_kept_per_currency_is_valued_at_each_days_fx() -> None:
    fx = FxTable.from_mapping(
        "USD", {"EURUSD=X": {date(2024, 3, 11): "1.10", date(2024, 3, 12): "1.20"}}
    )
    txns = [cash_txn(1, Kind.DEPOSIT, date(2024, 3, 11), "100", currency="EUR")]
    series = series_usd(
        txns,
        NO_PRICES,
        date(2024, 3, 11),
        date(2024, 3, 12),
        fx=fx,
        records_cash=True,
        cash_per_currency=True,
    )
    np.testing.assert_allclose(series.value, [110, 120])  # 100 EUR * 1.10, * 1.20
    np.testing.assert_allclose(series.inflow, [110, 0])


def test_foreign_cash_settles_in_the_base_cash_at_its_own_days_fx_by_default() -> None:
    fx = FxTable.from_mapping(
        "USD", {"EURUSD=X": {date(2024, 3, 11): "1.10", date(2024, 3, 12): "1.20"}}
    )
    txns = [cash_txn(1, Kind.DEPOSIT, date(2024, 3, 11), "100", currency="EUR")]
    series = series_usd(
        txns, NO_PRICES, date(2024, 3, 11), date(2024, 3, 12), fx=fx, records_cash=True
    )
    # 100 EUR arrive as 110 USD on the 11th and stay 110 USD: no currency moves them.
    np.testing.assert_allclose(series.value, [110, 110])
    assert set(series.cash_balances) == {"USD"}


def test_income_fees_and_taxes_are_booked_on_their_days_at_the_ledgers_rates() -> None:
    fx = FxTable.from_mapping(
        "USD", {"EURUSD=X": {date(2024, 3, 11): "1.10", date(2024, 3, 13): "1.20"}}
    )
    txns = [
        cash_txn(1, Kind.DEPOSIT, date(2024, 3, 11), "5000", fee="2"),
        buy(2, date(2024, 3, 11), "10", "100", fee="5"),
        cash_txn(3, Kind.DIVIDEND, date(2024, 3, 12), "30", fee="3", asset_id=1),
        cash_txn(4, Kind.FEE, date(2024, 3, 13), "7", currency="EUR"),
        cash_txn(5, Kind.TAX, date(2024, 3, 13), "40", fee="1", currency="EUR", fx_rate=D("1.5")),
        cash_txn(6, Kind.INTEREST, date(2024, 3, 13), "10", currency="EUR"),
    ]
    prices = PriceTable.from_mapping({1: {date(2024, 3, 11): "100"}})
    series = series_usd(
        txns,
        prices,
        date(2024, 3, 11),
        date(2024, 3, 13),
        fx=fx,
        records_cash=True,
        cash_per_currency=True,
    )
    # 11th: deposit fee 2 + buy fee 5. 12th: the dividend's fee 3. 13th: the EUR fee, 7 * 1.20
    # (that day's close).
    np.testing.assert_allclose(series.fees, [7, 3, 8.4])
    np.testing.assert_allclose(series.income, [0, 30, 12])  # 10 EUR of interest * 1.20
    np.testing.assert_allclose(series.taxes, [0, 0, 61.5])  # (40 + 1) EUR at its own 1.5
    # Cash: 5000 - 2 - 1005 = 3993 USD, + 27 on the 12th; EUR -7 - 41 + 10 = -38 on the 13th.
    np.testing.assert_allclose(series.cash_balances["USD"], [3993, 4020, 4020])
    np.testing.assert_allclose(series.cash_balances["EUR"], [0, 0, -38])


def test_a_held_asset_without_an_fx_rate_raises() -> None:
    # The ledger is satisfied by the transaction's own fx_rate, but valuing needs a close.
    txns = [buy(1, date(2024, 3, 11), "1", "10", currency="EUR", fx_rate=D("1.1"))]
    with pytest.raises(MissingFxRate) as caught:
        series_usd(txns, NO_PRICES, date(2024, 3, 11), date(2024, 3, 12))
    assert (caught.value.currency, caught.value.day) == ("EUR", date(2024, 3, 11))


def test_no_transactions_give_a_flat_zero_series() -> None:
    series = series_usd([], NO_PRICES, date(2024, 1, 1), date(2024, 1, 3))
    assert series.days.size == 3
    np.testing.assert_array_equal(series.value, [0, 0, 0])
    np.testing.assert_array_equal(series.net_invested, [0, 0, 0])


def test_external_flows_list_the_dated_flows_for_the_derivation_export() -> None:
    flows = external_flows(
        SECURITIES_ONLY, base_currency="USD", start=date(2024, 1, 3), end=date(2024, 1, 4)
    )
    assert [(flow.date, flow.kind, flow.direction, flow.amount, flow.txn_id) for flow in flows] == [
        (date(2024, 1, 3), Kind.DIVIDEND, "out", D("20"), 2),
        (date(2024, 1, 4), Kind.SELL, "out", D("438"), 3),
    ]


ClosesByAsset = dict[int, dict[date, float]]


def _history(seed: int) -> tuple[list[Txn], ClosesByAsset, dict[date, float]]:
    """A random two-currency history over ~5 months with gaps in prices and FX: transactions,
    closes per asset and EURUSD closes, as plain dicts."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    txns: list[Txn] = []
    held = dict.fromkeys(range(1, 5), D(0))
    day = start
    for txn_id in range(1, 120):
        day += timedelta(days=rng.choice([0, 0, 1, 1, 2, 3]))
        asset_id = rng.randint(1, 4)
        currency = "EUR" if asset_id % 2 == 0 else "USD"
        roll = rng.random()
        if held[asset_id] >= 2 and roll < 0.3:
            quantity = D(rng.randint(1, int(held[asset_id])))
            held[asset_id] -= quantity
            txns.append(
                sell(
                    txn_id,
                    day,
                    str(quantity),
                    str(rng.randint(50, 150)),
                    "1",
                    asset_id,
                    currency=currency,
                )
            )
        elif held[asset_id] > 0 and roll < 0.35:
            held[asset_id] *= 2
            txns.append(Txn(txn_id, Kind.SPLIT, day, asset_id, ratio=D(2)))
        elif roll < 0.45:
            txns.append(
                cash_txn(txn_id, Kind.DIVIDEND, day, "5", asset_id=asset_id, currency=currency)
            )
        else:
            quantity = D(rng.randint(1, 10))
            held[asset_id] += quantity
            txns.append(
                buy(
                    txn_id,
                    day,
                    str(quantity),
                    str(rng.randint(50, 150)),
                    "2",
                    asset_id,
                    currency=currency,
                )
            )
    closes: dict[int, dict[date, float]] = {}
    for asset_id in range(1, 5):
        first_bar = start + timedelta(days=rng.randint(0, 40))  # some trades precede the first bar
        closes[asset_id] = {
            first_bar + timedelta(days=offset): float(rng.randint(50, 150))
            for offset in range(0, 200)
            if rng.random() < 0.6
        }
    eurusd = {
        start + timedelta(days=offset): 1.0 + rng.random() / 5
        for offset in range(0, 200)
        if rng.random() < 0.7
    }
    eurusd[start] = 1.1
    return txns, closes, eurusd


def _tables(closes: ClosesByAsset, eurusd: dict[date, float]) -> tuple[PriceTable, FxTable]:
    return PriceTable.from_mapping(closes), FxTable.from_mapping("USD", {"EURUSD=X": eurusd})


def _naive_values(
    txns: list[Txn], closes: ClosesByAsset, eurusd: dict[date, float], days: list[date]
) -> list[float]:
    """Day by day, the slow obvious way: replay quantities, look prices up, multiply."""
    values = []
    for day in days:
        quantity: dict[int, float] = {}
        last_price: dict[int, float] = {}
        currency: dict[int, str] = {}
        for txn in sorted(txns, key=lambda txn: txn.date):
            if txn.date > day or txn.asset_id is None:
                continue
            if txn.kind == Kind.BUY:
                quantity[txn.asset_id] = quantity.get(txn.asset_id, 0.0) + float(txn.quantity or 0)
            elif txn.kind == Kind.SELL:
                quantity[txn.asset_id] = quantity.get(txn.asset_id, 0.0) - float(txn.quantity or 0)
            elif txn.kind == Kind.SPLIT:
                quantity[txn.asset_id] *= float(txn.ratio or 1)
                last_price[txn.asset_id] /= float(txn.ratio or 1)
            if txn.kind in (Kind.BUY, Kind.SELL):
                last_price[txn.asset_id] = float(txn.price or 0)
                currency[txn.asset_id] = txn.currency
        total = 0.0
        for asset_id, held in quantity.items():
            if held == 0:
                continue
            bars = closes.get(asset_id, {})
            earlier = [bar_day for bar_day in bars if bar_day <= day]
            price = bars[max(earlier)] if earlier else last_price[asset_id]
            rate = 1.0
            if currency[asset_id] == "EUR":
                rate = eurusd[max(fx_day for fx_day in eurusd if fx_day <= day)]
            total += held * price * rate
        values.append(total)
    return values


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_series_matches_a_naive_day_by_day_valuation(seed: int) -> None:
    txns, closes, eurusd = _history(seed)
    prices, fx = _tables(closes, eurusd)
    start, end = date(2024, 1, 10), date(2024, 6, 30)
    series = daily_series(
        txns, method="fifo", base_currency="USD", prices=prices, fx=fx, start=start, end=end
    )
    days = [
        start - timedelta(days=1) + timedelta(days=offset)
        for offset in range((end - start).days + 2)
    ]
    expected = _naive_values(txns, closes, eurusd, days)
    assert series.value_before_start == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(series.value, expected[1:], rtol=1e-12)


def test_incremental_recompute_matches_a_full_recompute() -> None:
    txns, closes, eurusd = _history(7)
    prices, fx = _tables(closes, eurusd)
    start, end = date(2024, 1, 10), date(2024, 6, 30)
    options = {
        "method": "fifo",
        "base_currency": "USD",
        "prices": prices,
        "fx": fx,
        "start": start,
        "end": end,
    }
    old = daily_series(txns, checkpoint_every="month", **options)  # type: ignore[arg-type]
    assert date(2024, 3, 31) in old.checkpoints

    changed = [*txns, buy(999, date(2024, 4, 10), "3", "100", asset_id=3)]
    full = daily_series(changed, **options)  # type: ignore[arg-type]
    resumed = daily_series(
        changed, previous=old, changed_since=date(2024, 4, 10), checkpoint_every="month", **options
    )  # type: ignore[arg-type]
    np.testing.assert_array_equal(resumed.days, full.days)
    np.testing.assert_allclose(resumed.value, full.value, rtol=1e-12)
    np.testing.assert_allclose(resumed.net_invested, full.net_invested, rtol=1e-12)
    np.testing.assert_allclose(resumed.inflow, full.inflow, rtol=1e-12)
    for name in ("income", "fees", "taxes"):
        np.testing.assert_allclose(getattr(resumed, name), getattr(full, name), atol=1e-9)
    assert resumed.local_values.keys() == full.local_values.keys()
    for currency, values in full.local_values.items():
        np.testing.assert_allclose(resumed.local_values[currency], values, rtol=1e-12)
    assert resumed.ledger.positions[3].quantity == full.ledger.positions[3].quantity

    # The days up to the last checkpoint before the change (03-31) are reused, not recomputed:
    marked = replace(old, value=np.full_like(old.value, -1.0))
    reused = daily_series(changed, previous=marked, changed_since=date(2024, 4, 10), **options)  # type: ignore[arg-type]
    march_31 = (date(2024, 3, 31) - start).days
    assert (reused.value[: march_31 + 1] == -1.0).all()
    np.testing.assert_allclose(reused.value[march_31 + 1 :], full.value[march_31 + 1 :], rtol=1e-12)


def test_a_series_kept_without_ledgers_resumes_from_a_snapshot_like_the_original() -> None:
    txns, closes, eurusd = _history(7)
    prices, fx = _tables(closes, eurusd)
    start, end = date(2024, 1, 10), date(2024, 6, 30)
    options = {
        "method": "fifo",
        "base_currency": "USD",
        "prices": prices,
        "fx": fx,
        "start": start,
        "end": end,
        "track_lots": False,
    }
    old = daily_series(txns, checkpoint_every="month", **options)  # type: ignore[arg-type]
    kept = old.without_ledgers()
    assert kept.ledger is None and kept.checkpoints == {}
    assert kept.value is old.value  # the arrays are shared, not copied

    changed = [*txns, buy(999, date(2024, 4, 10), "3", "100", asset_id=3)]
    full = daily_series(changed, **options)  # type: ignore[arg-type]
    march_31 = date(2024, 3, 31)
    previous = kept.resumable(march_31, old.checkpoints[march_31])
    # Through 03-31 inclusive: (31 - 10 + 1) January days + 29 + 31 = 82 days.
    assert previous.days.size == 82 and previous.end == march_31
    assert previous.checkpoints == {march_31: old.checkpoints[march_31]}
    resumed = daily_series(changed, previous=previous, changed_since=date(2024, 4, 10), **options)  # type: ignore[arg-type]
    assert resumed.checkpoints.get(march_31) is old.checkpoints[march_31]  # it did resume
    np.testing.assert_array_equal(resumed.days, full.days)
    for name in ("value", "securities", "inflow", "outflow", "net_invested"):
        np.testing.assert_allclose(getattr(resumed, name), getattr(full, name), rtol=1e-12)
    for name in ("income", "fees", "taxes"):
        np.testing.assert_allclose(getattr(resumed, name), getattr(full, name), atol=1e-9)

    # Without a ledger to resume from, the engine computes everything (and still agrees).
    again = daily_series(changed, previous=kept, changed_since=date(2024, 4, 10), **options)  # type: ignore[arg-type]
    assert march_31 not in again.checkpoints
    np.testing.assert_allclose(again.value, full.value, rtol=1e-12)
    with pytest.raises(KeyError):
        kept.resumable(date(2024, 7, 1), old.checkpoints[march_31])


def test_incremental_recompute_falls_back_when_the_cash_choice_changes() -> None:
    txns = [buy(1, date(2024, 1, 2), "10", "100")]
    start, end = date(2024, 1, 2), date(2024, 3, 31)
    options = {
        "method": "fifo",
        "base_currency": "USD",
        "prices": NO_PRICES,
        "fx": USD_ONLY,
        "start": start,
        "end": end,
    }
    old = daily_series(txns, checkpoint_every="month", **options)  # type: ignore[arg-type]
    changed = [*txns, cash_txn(2, Kind.DEPOSIT, date(2024, 3, 1), "50")]
    resumed = daily_series(
        changed,
        previous=old,
        changed_since=date(2024, 3, 1),
        records_cash=True,
        **options,  # type: ignore[arg-type]
    )
    # Now cash is recorded from the start: the buy's -1000 sits in cash, so January is 0, not 1000.
    assert resumed.value[0] == pytest.approx(0)  # 10 * 100 held + (-1000) cash
    assert resumed.value[-1] == pytest.approx(50)  # + 50 deposited


def test_extending_a_series_to_a_new_day_recomputes_only_that_day() -> None:
    txns = [buy(1, date(2024, 1, 2), "10", "100")]
    prices = PriceTable.from_mapping({1: {date(2024, 1, 2): 100.0, date(2024, 1, 6): 110.0}})
    old = series_usd(txns, prices, date(2024, 1, 2), date(2024, 1, 5))
    marked = replace(old, value=np.full_like(old.value, -1.0))
    extended = series_usd(
        txns,
        prices,
        date(2024, 1, 2),
        date(2024, 1, 6),
        previous=marked,
        changed_since=date(2024, 1, 6),
    )
    # 01-02..01-05 come from `marked`; 01-06 is new: 10 * 110.
    np.testing.assert_array_equal(extended.value, [-1, -1, -1, -1, 1100])
    assert extended.days.size == 5
