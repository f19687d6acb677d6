"""Currency effect of foreign holdings, worked out by hand. No database, no Django."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from portfolios.engine import FxTable, Kind, PriceTable, Txn, daily_series, day_range
from portfolios.engine.attribution import currency_effect, foreign_levels

D = Decimal
START, END = date(2024, 3, 11), date(2024, 3, 13)
FX = FxTable.from_mapping(
    "USD",
    {"EURUSD=X": {date(2024, 3, 11): "1.10", date(2024, 3, 12): "1.20", date(2024, 3, 13): "1.15"}},
)


def effect_of(txns: list[Txn], closes: dict) -> np.ndarray:
    prices = PriceTable.from_mapping({1: closes})
    series = daily_series(
        txns, method="fifo", base_currency="USD", prices=prices, fx=FX, start=START, end=END
    )
    return currency_effect(
        txns,
        base="USD",
        fx=FX,
        grid=day_range(date(2024, 3, 10), END),
        records_cash=series.records_cash,
        levels=foreign_levels(series, base="USD", offset=0),
    )


def test_a_held_foreign_asset_gains_what_its_currency_moved() -> None:
    txns = [Txn(1, Kind.BUY, START, 1, quantity=D(10), price=D(50), currency="EUR")]
    closes = {START: "50", date(2024, 3, 12): "55", END: "55"}
    # Held 500 EUR at the close of the 11th: +0.10 on the 12th = 50. Then 550 EUR: -0.05 = -27.5.
    np.testing.assert_allclose(effect_of(txns, closes), [0, 50, -27.5])


def test_a_buy_at_its_own_rate_adds_the_gap_to_that_days_close() -> None:
    txns = [
        Txn(1, Kind.BUY, START, 1, quantity=D(10), price=D(50), currency="EUR", fx_rate=D("1.0"))
    ]
    closes = {START: "50", END: "50"}
    # 500 EUR bought at 1.00 while the close was 1.10: +50 on the day; then 500 EUR * moves.
    np.testing.assert_allclose(effect_of(txns, closes), [50, 50, -25])


def test_recorded_foreign_cash_counts_too() -> None:
    txns = [Txn(1, Kind.DEPOSIT, START, None, amount=D(100), currency="EUR")]
    # 100 EUR held from the 11th: +10 on the 12th, -5 on the 13th.
    np.testing.assert_allclose(effect_of(txns, {START: "1"}), [0, 10, -5])
