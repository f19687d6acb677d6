"""Lots and positions: what the ledger holds of each asset, and how a sale takes its lots.

A buy adds a `Lot`. A sell takes lots oldest first: at their own costs under FIFO
(`consume_fifo`), or for their dates and quantities only under the moving average
(`consume_lots`, then `spread_cost` shares the sale's average cost over them); a split
multiplies every lot's quantity (`split_lots`). A `Sale` keeps the parts it took
(`ConsumedLot`) for the realized-gains report. The rules are the ledger's (see
`portfolios.engine.ledger`); these are its data and its lot arithmetic, in exact Decimal.
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from operator import attrgetter

from .types import CostBasisMethod

__all__ = [
    "QUANTITY_EPSILON",
    "ConsumedLot",
    "Lot",
    "Position",
    "Sale",
    "consume_fifo",
    "consume_lots",
    "split_lots",
    "spread_cost",
]

ZERO = Decimal(0)
# Quantities closer than this to what is held count as "all of it".
QUANTITY_EPSILON = Decimal("1e-12")


@dataclass(frozen=True, slots=True)
class Lot:
    """An open lot: what remains of one buy. Costs are totals for the remaining quantity.

    `cost_*` = price * quantity + fee (its share after partial sales); `purchase_value_*` =
    price * quantity alone (what Ghostfolio calls the investment).
    """

    buy_txn_id: int
    date: datetime.date
    quantity: Decimal
    cost_local: Decimal
    cost_base: Decimal
    purchase_value_local: Decimal
    purchase_value_base: Decimal

    @property
    def unit_cost_local(self) -> Decimal:
        return self.cost_local / self.quantity

    @property
    def unit_cost_base(self) -> Decimal:
        return self.cost_base / self.quantity


@dataclass(frozen=True, slots=True)
class ConsumedLot:
    """The part of a lot a sale used: its buy, quantity, cost and how long it was held."""

    buy_txn_id: int
    buy_date: datetime.date
    quantity: Decimal
    cost_local: Decimal
    cost_base: Decimal
    holding_days: int


@dataclass(frozen=True, slots=True)
class Sale:
    """One sell, for the realized-gains report. `proceeds_*` = price * quantity (before the fee)."""

    txn_id: int
    date: datetime.date
    asset_id: int
    currency: str
    quantity: Decimal
    price: Decimal
    proceeds_local: Decimal
    fee_local: Decimal
    cost_local: Decimal
    realized_gain_local: Decimal
    proceeds_base: Decimal
    fee_base: Decimal
    cost_base: Decimal
    realized_gain_base: Decimal
    lots: tuple[ConsumedLot, ...]

    @property
    def tax_year(self) -> int:
        return self.date.year


@dataclass(slots=True)
class Position:
    """Everything the ledger knows about one asset. Local amounts are in `currency` (the
    asset's trade currency, None until its first trade); income, fees and taxes only in base."""

    asset_id: int
    method: CostBasisMethod
    currency: str | None = None
    quantity: Decimal = ZERO
    cost_local: Decimal = ZERO
    cost_base: Decimal = ZERO
    purchase_value_local: Decimal = ZERO
    purchase_value_base: Decimal = ZERO
    realized_gain_local: Decimal = ZERO
    realized_gain_base: Decimal = ZERO
    dividends_base: Decimal = ZERO
    interest_base: Decimal = ZERO
    fees_base: Decimal = ZERO
    taxes_base: Decimal = ZERO
    last_price: Decimal | None = None  # last buy/sell price, split-adjusted, local
    last_price_date: datetime.date | None = None
    first_date: datetime.date | None = None
    txn_count: int = 0
    lots: deque[Lot] = field(default_factory=deque)

    @property
    def is_open(self) -> bool:
        return self.quantity != 0

    @property
    def income_base(self) -> Decimal:
        return self.dividends_base + self.interest_base

    @property
    def average_cost_local(self) -> Decimal | None:
        """Cost basis per unit (fees included); None when nothing is held."""
        return self.cost_local / self.quantity if self.quantity else None

    @property
    def average_cost_base(self) -> Decimal | None:
        return self.cost_base / self.quantity if self.quantity else None

    @property
    def average_price_local(self) -> Decimal | None:
        """Purchase value per unit (fees excluded), Ghostfolio's "averagePrice"."""
        return self.purchase_value_local / self.quantity if self.quantity else None

    def open_lots(self) -> tuple[Lot, ...]:
        """Open lots, oldest first. Under "average" every unit carries the average cost."""
        if self.method == "fifo" or not self.lots:
            return tuple(self.lots)
        return tuple(
            Lot(
                lot.buy_txn_id,
                lot.date,
                lot.quantity,
                self.cost_local * lot.quantity / self.quantity,
                self.cost_base * lot.quantity / self.quantity,
                self.purchase_value_local * lot.quantity / self.quantity,
                self.purchase_value_base * lot.quantity / self.quantity,
            )
            for lot in self.lots
        )

    def copy(self) -> Position:
        clone = Position(*_POSITION_VALUES(self))
        clone.lots = deque(self.lots)  # lots are frozen, so a shallow copy is independent
        return clone


# Every field of a Position, in order (one call copies them all).
_POSITION_VALUES = attrgetter(*(f.name for f in fields(Position)))


def consume_fifo(
    position: Position, quantity: Decimal, day: datetime.date
) -> tuple[list[ConsumedLot], Decimal, Decimal, Decimal, Decimal]:
    """Take `quantity` from the oldest lots, at their own costs (quantity < held)."""
    consumed: list[ConsumedLot] = []
    cost_local = cost_base = value_local = value_base = ZERO
    remaining = quantity
    lots = position.lots
    while remaining > 0 and lots:
        lot = lots[0]
        if lot.quantity <= remaining:
            lots.popleft()
            taken = lot
        else:
            share = remaining / lot.quantity
            taken = Lot(
                lot.buy_txn_id,
                lot.date,
                remaining,
                lot.cost_local * share,
                lot.cost_base * share,
                lot.purchase_value_local * share,
                lot.purchase_value_base * share,
            )
            lots[0] = Lot(
                lot.buy_txn_id,
                lot.date,
                lot.quantity - remaining,
                lot.cost_local - taken.cost_local,
                lot.cost_base - taken.cost_base,
                lot.purchase_value_local - taken.purchase_value_local,
                lot.purchase_value_base - taken.purchase_value_base,
            )
        remaining -= taken.quantity
        cost_local += taken.cost_local
        cost_base += taken.cost_base
        value_local += taken.purchase_value_local
        value_base += taken.purchase_value_base
        consumed.append(
            ConsumedLot(
                taken.buy_txn_id,
                taken.date,
                taken.quantity,
                taken.cost_local,
                taken.cost_base,
                (day - taken.date).days,
            )
        )
    return consumed, cost_local, cost_base, value_local, value_base


def consume_lots(position: Position, quantity: Decimal, day: datetime.date) -> list[ConsumedLot]:
    """Take `quantity` (at most what is held) from the oldest lots for their dates and
    quantities only; `spread_cost` fills in the costs."""
    consumed: list[ConsumedLot] = []
    lots = position.lots
    remaining = quantity
    while remaining > 0 and lots:
        lot = lots[0]
        taken_quantity = min(lot.quantity, remaining)
        if taken_quantity == lot.quantity:
            lots.popleft()
        else:
            # Under "average" a lot's own costs are not used; keep them proportional anyway.
            keep = (lot.quantity - taken_quantity) / lot.quantity
            lots[0] = Lot(
                lot.buy_txn_id,
                lot.date,
                lot.quantity - taken_quantity,
                lot.cost_local * keep,
                lot.cost_base * keep,
                lot.purchase_value_local * keep,
                lot.purchase_value_base * keep,
            )
        remaining -= taken_quantity
        consumed.append(
            ConsumedLot(lot.buy_txn_id, lot.date, taken_quantity, ZERO, ZERO, (day - lot.date).days)
        )
    return consumed


def spread_cost(
    consumed: list[ConsumedLot], cost_local: Decimal, cost_base: Decimal
) -> list[ConsumedLot]:
    """Share a sale's cost over its consumed lots by quantity; the last takes the remainder so
    the parts add up exactly."""
    total = sum((part.quantity for part in consumed), ZERO)
    spread: list[ConsumedLot] = []
    left_local, left_base = cost_local, cost_base
    for index, part in enumerate(consumed):
        if index == len(consumed) - 1:
            part_local, part_base = left_local, left_base
        else:
            part_local = cost_local * part.quantity / total
            part_base = cost_base * part.quantity / total
        left_local -= part_local
        left_base -= part_base
        spread.append(
            ConsumedLot(
                part.buy_txn_id,
                part.buy_date,
                part.quantity,
                part_local,
                part_base,
                part.holding_days,
            )
        )
    return spread


def split_lots(lots: Iterable[Lot], ratio: Decimal) -> deque[Lot]:
    """The lots after a split of `ratio`: each quantity times the ratio, costs unchanged."""
    return deque(
        Lot(
            lot.buy_txn_id,
            lot.date,
            lot.quantity * ratio,
            lot.cost_local,
            lot.cost_base,
            lot.purchase_value_local,
            lot.purchase_value_base,
        )
        for lot in lots
    )
