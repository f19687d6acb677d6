"""Cash in the ledger: how a transaction moves cash (`cash_effect`), where an amount settles
and how the state books it (`add_cash`), and the record of a balance that went below zero
(`NegativeCash`). The rules are the ledger's module docstring's ("Cash", "Settlement",
"Negative cash").
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .types import Kind, Txn

if TYPE_CHECKING:
    from .ledger import LedgerState

__all__ = ["NegativeCash", "add_cash", "cash_effect"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class NegativeCash:
    """A cash balance that went below zero: the first day it closed negative and its balance
    at that close (< 0), in its currency."""

    currency: str
    first_date: datetime.date
    amount: Decimal


def cash_effect(txn: Txn) -> Decimal:
    """How a (valid) transaction moves cash in its currency, as `apply_txn` books it when cash
    is recorded (the module docstring's cash rules; without `cash_per_currency` a foreign
    amount settles in the base cash, times its rate): buys pay price x quantity + fee, sells receive price x
    quantity - fee, income brings amount - fee, fees and taxes cost amount + fee, deposits
    bring amount - fee, withdrawals take amount + fee, splits move none."""
    fee = txn.fee or ZERO
    kind = txn.kind
    if kind == Kind.BUY:
        return -(txn.price * txn.quantity + fee)  # type: ignore[operator]
    if kind == Kind.SELL:
        return txn.price * txn.quantity - fee  # type: ignore[operator]
    if kind in (Kind.DIVIDEND, Kind.INTEREST, Kind.DEPOSIT):
        return txn.amount - fee  # type: ignore[operator]
    if kind in (Kind.FEE, Kind.TAX):
        return -((txn.amount or ZERO) + fee)
    if kind == Kind.WITHDRAWAL:
        return -(txn.amount + fee)  # type: ignore[operator]
    return ZERO


def add_cash(state: LedgerState, txn: Txn, delta: Decimal, rate: Decimal) -> None:
    """Move `delta` (in the transaction's currency, `rate` base units each) into the cash it
    settles in, and keep `negative_cash` (a balance closing below zero on its first such day;
    a later transaction of that same day may still bring it back)."""
    if not delta:
        return
    currency = txn.currency
    if not state.cash_per_currency and currency != state.base_currency:
        currency, delta = state.base_currency, delta * rate
    balance = state.cash.get(currency, ZERO) + delta
    state.cash[currency] = balance
    found = state.negative_cash.get(currency)
    if found is None:
        if balance < 0:
            state.negative_cash[currency] = NegativeCash(currency, txn.date, balance)
    elif found.first_date == txn.date:
        if balance < 0:
            state.negative_cash[currency] = NegativeCash(currency, txn.date, balance)
        else:
            del state.negative_cash[currency]
