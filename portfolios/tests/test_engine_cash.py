"""Cash in the engine, worked out by hand: the portfolio's choices (records cash, cash per
currency), how a foreign trade settles, and negative cash named. No database, no Django."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from portfolios.engine import (
    FxTable,
    Kind,
    NegativeCash,
    PriceTable,
    Txn,
    daily_series,
    replay,
    value_holdings,
)

D = Decimal
DAY1, DAY2, DAY3 = date(2024, 3, 11), date(2024, 3, 12), date(2024, 3, 13)
# Base EUR; EURUSD=X is USD per EUR, so one USD is 1 / 1.25 = 0.80 EUR on every day.
FX_EUR = FxTable.from_mapping("EUR", {"EURUSD=X": {DAY1: "1.25"}})
EUR_STOCK, USD_STOCK = 1, 2
PRICES = PriceTable.from_mapping({EUR_STOCK: {DAY1: "200"}, USD_STOCK: {DAY1: "50"}})


def deposit(txn_id: int, day: date, amount: str, currency: str = "EUR") -> Txn:
    return Txn(txn_id, Kind.DEPOSIT, day, None, amount=D(amount), currency=currency)


def buy(txn_id: int, day: date, asset: int, quantity: str, price: str, currency: str) -> Txn:
    return Txn(
        txn_id, Kind.BUY, day, asset, quantity=D(quantity), price=D(price), currency=currency
    )


# The issue's case: deposit 1,000 EUR, buy 200 EUR of an EUR stock and 4 x 50 USD of a USD one.
ISSUE_CASE = [
    deposit(1, DAY1, "1000"),
    buy(2, DAY1, EUR_STOCK, "1", "200", "EUR"),
    buy(3, DAY1, USD_STOCK, "4", "50", "USD"),
]


def test_a_foreign_buy_settles_in_the_base_cash_at_its_days_fx_by_default() -> None:
    state = replay(ISSUE_CASE, method="fifo", base_currency="EUR", fx=FX_EUR, records_cash=True)
    # 1000 - 200 - 200 USD * 0.80 = 640 EUR; no USD cash at all.
    assert state.cash == {"EUR": D("640.00")}
    assert state.negative_cash_list() == []
    valuation = value_holdings(state, prices=PRICES, fx=FX_EUR, day=DAY1)
    by_currency = {holding.currency: holding.value_base for holding in valuation.holdings}
    # EUR: the stock 200 + cash 640 = 840; USD: the stock 200 USD = 160 EUR. Total 1000.
    assert by_currency == {"EUR": 200.0, "USD": 160.0}
    assert valuation.cash_value == 640.0
    assert valuation.value == 1000.0


def test_cash_kept_per_currency_books_a_foreign_buy_as_a_named_loan() -> None:
    state = replay(
        ISSUE_CASE,
        method="fifo",
        base_currency="EUR",
        fx=FX_EUR,
        records_cash=True,
        cash_per_currency=True,
    )
    assert state.cash == {"EUR": D("800"), "USD": D("-200")}
    assert state.negative_cash_list() == [NegativeCash("USD", DAY1, D("-200"))]
    valuation = value_holdings(state, prices=PRICES, fx=FX_EUR, day=DAY1)
    assert valuation.cash_value == 800.0 - 160.0  # the USD loan is worth -160 EUR
    assert valuation.value == 1000.0


def test_a_trade_at_its_own_fx_rate_settles_at_that_rate() -> None:
    txns = [
        deposit(1, DAY1, "1000"),
        Txn(
            2,
            Kind.BUY,
            DAY2,
            USD_STOCK,
            quantity=D(4),
            price=D(50),
            fee=D(2),
            currency="USD",
            fx_rate=D("0.9"),
        ),
    ]
    state = replay(txns, method="fifo", base_currency="EUR", fx=FX_EUR, records_cash=True)
    assert state.cash == {"EUR": D("1000") - D("202") * D("0.9")}  # 818.2


def test_negative_cash_names_the_first_day_it_closed_below_zero_and_that_balance() -> None:
    txns = [
        deposit(1, DAY1, "100"),
        buy(2, DAY2, EUR_STOCK, "1", "150", "EUR"),  # -50 at the close of the 12th
        buy(3, DAY3, EUR_STOCK, "1", "100", "EUR"),  # -150, but the 12th came first
    ]
    state = replay(txns, method="fifo", base_currency="EUR", fx=FX_EUR, records_cash=True)
    assert state.negative_cash_list() == [NegativeCash("EUR", DAY2, D("-50"))]


def test_a_buy_paid_by_a_deposit_later_that_day_is_not_negative_cash() -> None:
    txns = [buy(1, DAY1, EUR_STOCK, "1", "150", "EUR"), deposit(2, DAY1, "150")]
    state = replay(txns, method="fifo", base_currency="EUR", fx=FX_EUR, records_cash=True)
    assert state.cash == {"EUR": D(0)}
    assert state.negative_cash_list() == []


def test_negative_cash_is_named_only_when_the_portfolio_records_cash() -> None:
    txns = [buy(1, DAY1, EUR_STOCK, "1", "150", "EUR")]
    state = replay(txns, method="fifo", base_currency="EUR", fx=FX_EUR)
    assert not state.records_cash
    assert state.negative_cash_list() == []


def test_without_cash_records_a_deposit_moves_nothing() -> None:
    txns = [deposit(1, DAY1, "1000"), buy(2, DAY1, EUR_STOCK, "1", "200", "EUR")]
    state = replay(txns, method="fifo", base_currency="EUR", fx=FX_EUR, records_cash=False)
    # Securities only: the buy is the inflow; the deposit is not one.
    assert [(flow.txn_id, flow.amount) for flow in state.flows] == [(2, D("200"))]
    assert state.net_invested_base == D("200")


def test_the_cash_choice_is_the_callers_not_inferred_from_a_deposit() -> None:
    txns = [deposit(1, DAY1, "1000"), buy(2, DAY1, EUR_STOCK, "1", "200", "EUR")]
    kept = daily_series(
        txns,
        method="fifo",
        base_currency="EUR",
        prices=PRICES,
        fx=FX_EUR,
        start=DAY1,
        end=DAY2,
        records_cash=True,
    )
    ignored = daily_series(
        txns,
        method="fifo",
        base_currency="EUR",
        prices=PRICES,
        fx=FX_EUR,
        start=DAY1,
        end=DAY2,
    )
    np.testing.assert_allclose(kept.value, [1000, 1000])  # 200 stock + 800 cash
    np.testing.assert_allclose(ignored.value, [200, 200])  # the stock alone
    assert (kept.records_cash, ignored.records_cash) == (True, False)


def test_the_daily_cash_of_a_foreign_buy_is_the_base_balance_by_default() -> None:
    series = daily_series(
        ISSUE_CASE,
        method="fifo",
        base_currency="EUR",
        prices=PRICES,
        fx=FX_EUR,
        start=DAY1,
        end=DAY2,
        records_cash=True,
    )
    assert set(series.cash_balances) == {"EUR"}
    np.testing.assert_allclose(series.cash_balances["EUR"], [640, 640])
    np.testing.assert_allclose(series.value, [1000, 1000])
    np.testing.assert_allclose(series.local_values["USD"], [200, 200])


def test_negative_cash_is_the_same_after_an_incremental_recompute() -> None:
    start, end = date(2024, 1, 1), date(2024, 4, 30)
    options = {
        "method": "fifo",
        "base_currency": "EUR",
        "prices": PRICES,
        "fx": FX_EUR,
        "start": start,
        "end": end,
        "records_cash": True,
    }
    txns = [
        deposit(1, date(2024, 1, 2), "100"),
        buy(2, date(2024, 2, 5), EUR_STOCK, "1", "150", "EUR"),  # -50 from 5 Feb
    ]
    old = daily_series(txns, checkpoint_every="month", **options)  # type: ignore[arg-type]
    changed = [*txns, buy(3, date(2024, 4, 2), USD_STOCK, "1", "50", "USD")]
    resumed = daily_series(
        changed,
        previous=old,
        changed_since=date(2024, 4, 2),
        **options,  # type: ignore[arg-type]
    )
    full = daily_series(changed, **options)  # type: ignore[arg-type]
    assert resumed.ledger.negative_cash_list() == full.ledger.negative_cash_list()
    assert full.ledger.negative_cash_list() == [NegativeCash("EUR", date(2024, 2, 5), D("-50"))]
    np.testing.assert_allclose(resumed.value, full.value)
