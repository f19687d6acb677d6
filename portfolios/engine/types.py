"""Plain value types the engine works on: transaction kinds, transactions and ledger errors.

Nothing here knows about Django. The services layer turns `portfolios.Transaction` rows into
`Txn` values (in entry order) and hands them to the ledger and the valuation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

__all__ = ["CostBasisMethod", "Kind", "LedgerError", "Txn", "format_date", "format_decimal"]

CostBasisMethod = Literal["fifo", "average"]


class Kind(StrEnum):
    """What a transaction does; the values match `portfolios.Transaction.kind`."""

    BUY = "buy"
    SELL = "sell"
    DIVIDEND = "dividend"
    INTEREST = "interest"
    FEE = "fee"
    TAX = "tax"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    SPLIT = "split"


TRADE_KINDS = frozenset({Kind.BUY, Kind.SELL})
INCOME_KINDS = frozenset({Kind.DIVIDEND, Kind.INTEREST})
CHARGE_KINDS = frozenset({Kind.FEE, Kind.TAX})
CASH_RECORD_KINDS = frozenset({Kind.DEPOSIT, Kind.WITHDRAWAL})


@dataclass(frozen=True, slots=True)
class Txn:
    """One recorded transaction.

    - buy/sell: `asset_id`, `quantity` (> 0), `price` per unit in `currency`, optional `fee`.
    - dividend/interest: `amount` (gross cash, >= 0); `fee` (e.g. a withholding or handling
      charge) is paid out of it. Dividends name their asset; interest may or may not.
    - fee/tax: the charge is `amount` + `fee` (either may be left empty/zero, so an importer
      that puts a standalone fee in `fee` works too).
    - deposit/withdrawal: `amount` (> 0), no asset; `fee` is charged on top.
    - split: `asset_id`, `ratio` = new units per old unit (4 for a 4-for-1 split).

    `fx_rate` is base-currency units per unit of `currency`; without it the ledger uses that
    day's forward-filled FX close. A list of `Txn` is in entry order; the ledger replays it by
    (date, entry order).
    """

    id: int
    kind: Kind
    date: datetime.date
    asset_id: int | None
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal | None = None
    ratio: Decimal | None = None
    fee: Decimal = Decimal(0)
    currency: str = "USD"
    fx_rate: Decimal | None = None


class LedgerError(ValueError):
    """An impossible history, naming the transaction that makes it impossible.

    `txn_id` is the offending `Txn.id`; `message` is written for the investor, e.g.
    "Sell of 10 on 2024-03-01 exceeds the 5 held".
    """

    def __init__(self, txn_id: int, message: str) -> None:
        super().__init__(message)
        self.txn_id = txn_id
        self.message = message


MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def format_date(day: datetime.date) -> str:
    """A date in a message as the pages' tables print it ("1 Mar 2024", the templates'
    `date:"j M Y"`), whatever the locale: the one date format of every message."""
    return f"{day.day} {MONTH_ABBREVIATIONS[day.month - 1]} {day.year:04d}"


def format_decimal(value: Decimal) -> str:
    """Render a Decimal for a message without trailing zeros or exponent ("10", "0.5")."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")
