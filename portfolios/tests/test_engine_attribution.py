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


def effect_of(txns: list[Txn], closes: dict, **cash: bool) -> np.ndarray:
    prices = PriceTable.from_mapping({1: closes})
    series = daily_series(
        txns,
        method="fifo",
        base_currency="USD",
        prices=prices,
        fx=FX,
        start=START,
        end=END,
        **cash,
    )
    return currency_effect(
        txns,
        base="USD",
        fx=FX,
        grid=day_range(date(2024, 3, 10), END),
        records_cash=series.records_cash,
        cash_per_currency=series.cash_per_currency,
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


def test_foreign_cash_kept_per_currency_counts_too() -> None:
    txns = [Txn(1, Kind.DEPOSIT, START, None, amount=D(100), currency="EUR")]
    # 100 EUR held from the 11th: +10 on the 12th, -5 on the 13th.
    effect = effect_of(txns, {START: "1"}, records_cash=True, cash_per_currency=True)
    np.testing.assert_allclose(effect, [0, 10, -5])


def test_foreign_amounts_settled_in_the_base_cash_have_no_currency_effect() -> None:
    txns = [
        Txn(1, Kind.DEPOSIT, START, None, amount=D(100), currency="EUR"),
        Txn(2, Kind.DIVIDEND, START, 1, amount=D(10), currency="EUR", fx_rate=D("1.0")),
    ]
    # Both became USD on the 11th (110 and 10): nothing is held in EUR afterwards.
    np.testing.assert_allclose(effect_of(txns, {START: "1"}, records_cash=True), [0, 0, 0])


def test_a_foreign_buy_settled_in_the_base_cash_moves_with_its_currency_alone() -> None:
    txns = [
        Txn(1, Kind.DEPOSIT, START, None, amount=D(1000), currency="USD"),
        Txn(2, Kind.BUY, START, 1, quantity=D(10), price=D(50), currency="EUR", fx_rate=D("1.0")),
    ]
    # The 500 EUR of stock were paid 500 USD (its own rate 1.0, the close 1.10): +50 on the
    # 11th, then 500 EUR * +0.10 and * -0.05. No EUR cash offsets it.
    effect = effect_of(txns, {START: "50", END: "50"}, records_cash=True)
    np.testing.assert_allclose(effect, [50, 50, -25])
