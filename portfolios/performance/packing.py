"""How the computed state travels in the cache: ledger checkpoints as plain tuples
(`ledger_pack`, `ledger_unpack`) and the recent closes of several assets in two arrays (`Tail`)."""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from operator import attrgetter

import numpy as np

from portfolios.engine.ledger import LedgerState, Lot, NegativeCash, Position
from portfolios.engine.market import (
    Closes,
)


def _layout(cls: type, skip: Sequence[str] = ()) -> tuple[attrgetter, tuple[int, ...], tuple]:
    """How `ledger_pack` flattens a dataclass: a getter of its fields (in order, less `skip`),
    the positions of the Decimal ones and the field names."""
    names = tuple(f.name for f in fields(cls) if f.name not in skip)
    decimals = tuple(i for i, f in enumerate(fields(cls)) if "Decimal" in str(f.type))
    decimals = tuple(
        names.index(fields(cls)[i].name) for i in decimals if fields(cls)[i].name in names
    )
    return attrgetter(*names), decimals, names


_STATE_GET, _STATE_DECIMALS, _STATE_NAMES = _layout(
    LedgerState, ("positions", "cash", "negative_cash", "sales", "flows")
)
_POSITION_GET, _POSITION_DECIMALS, _POSITION_NAMES = _layout(Position, ("lots",))
_, _LOT_DECIMALS, _LOT_NAMES = _layout(Lot)
# Lots are most of a state: their plain fields and their Decimals travel as two tuples, the
# Decimals turned into strings by one `map` (every Decimal field of a lot is set).
_LOT_PLAIN_NAMES = tuple(n for i, n in enumerate(_LOT_NAMES) if i not in _LOT_DECIMALS)
_LOT_DECIMAL_NAMES = tuple(n for i, n in enumerate(_LOT_NAMES) if i in _LOT_DECIMALS)
_LOT_PLAIN = attrgetter(*_LOT_PLAIN_NAMES)
_LOT_DECIMAL = attrgetter(*_LOT_DECIMAL_NAMES)


def _flat(values: tuple, decimals: tuple[int, ...]) -> tuple:
    out = list(values)
    for index in decimals:
        if out[index] is not None:
            out[index] = str(out[index])
    return tuple(out)


def _typed(values: Sequence, decimals: tuple[int, ...]) -> list:
    out = list(values)
    for index in decimals:
        if out[index] is not None:
            out[index] = Decimal(out[index])
    return out


def _position_pack(position: Position) -> tuple:
    return (
        _flat(_POSITION_GET(position), _POSITION_DECIMALS),
        tuple((_LOT_PLAIN(lot), tuple(map(str, _LOT_DECIMAL(lot)))) for lot in position.lots),
    )


def ledger_pack(state: LedgerState, memo: dict[int, tuple] | None = None) -> tuple:
    """A ledger state as nested tuples of plain values, Decimals as strings (pickling a Decimal
    costs fifteen times its string), without the `sales` and `flows` histories.

    `memo` (id of a position → its packed tuple) packs a position shared by several states
    (`LedgerState.copy(share_from=...)` shares the unchanged ones between checkpoints) once,
    and as one object, which pickle then also writes once when the states travel together.
    The states must stay alive while the memo is in use (ids are only unique among live
    objects)."""
    if memo is None:
        memo = {}
    positions = []
    for position in state.positions.values():
        packed = memo.get(id(position))
        if packed is None:
            packed = memo[id(position)] = _position_pack(position)
        positions.append(packed)
    return (
        _flat(_STATE_GET(state), _STATE_DECIMALS),
        tuple((currency, str(balance)) for currency, balance in state.cash.items()),
        tuple(positions),
        tuple(
            (found.currency, found.first_date, str(found.amount))
            for found in state.negative_cash.values()
        ),
    )


def _lot(plain: tuple, decimals: tuple) -> Lot:
    values = dict(zip(_LOT_PLAIN_NAMES, plain, strict=True))
    values.update(zip(_LOT_DECIMAL_NAMES, map(Decimal, decimals), strict=True))
    return Lot(**values)


def ledger_unpack(packed: tuple, memo: dict[int, tuple] | None = None) -> LedgerState:
    """The ledger state of `ledger_pack` (with empty `sales` and `flows`). With `memo`, each
    position's packed tuple is recorded there (by the position's id), so that states sharing
    positions with this one pack them without redoing the work."""
    scalars, cash, positions, negative = packed
    state = LedgerState(**dict(zip(_STATE_NAMES, _typed(scalars, _STATE_DECIMALS), strict=True)))
    state.cash = {currency: Decimal(balance) for currency, balance in cash}
    state.negative_cash = {
        currency: NegativeCash(currency, first_date, Decimal(amount))
        for currency, first_date, amount in negative
    }
    for position_values, lots in positions:
        values = _typed(position_values, _POSITION_DECIMALS)
        position = Position(**dict(zip(_POSITION_NAMES, values, strict=True)))
        position.lots = deque(_lot(plain, decimals) for plain, decimals in lots)
        state.positions[position.asset_id] = position
        if memo is not None:
            memo[id(position)] = (position_values, lots)
    return state


@dataclass(frozen=True)
class Tail:
    """Recent closes of several assets, packed for the cache: all days and values in two arrays
    (pickled as two buffers rather than hundreds of small arrays) and each asset's slice of them
    (None: it has no close)."""

    days: np.ndarray
    values: np.ndarray
    bounds: dict[int, tuple[int, int] | None]

    def __contains__(self, asset_id: int) -> bool:
        return asset_id in self.bounds

    def series(self, asset_id: int) -> tuple[np.ndarray, np.ndarray] | None:
        bounds = self.bounds[asset_id]
        if bounds is None:
            return None
        return self.days[bounds[0] : bounds[1]], self.values[bounds[0] : bounds[1]]


def closes_tail(closes: dict[int, Closes], ids: Iterable[int], since: datetime.date) -> Tail:
    """Each asset's closes from `since` on, with its last close before it."""
    start = np.datetime64(since, "D")
    days, values = [], []
    bounds: dict[int, tuple[int, int] | None] = {}
    offset = 0
    for asset_id in ids:
        series = closes.get(asset_id)
        if series is None or not series.days.size:
            bounds[asset_id] = None
            continue
        first = max(int(np.searchsorted(series.days, start)) - 1, 0)
        days.append(series.days[first:])
        values.append(series.values[first:])
        bounds[asset_id] = (offset, offset + days[-1].size)
        offset += days[-1].size
    return Tail(
        np.concatenate(days) if days else np.array([], dtype="datetime64[D]"),
        np.concatenate(values) if values else np.array([], dtype=np.float64),
        bounds,
    )


def closes_from_tail(
    tail: Tail, ids: Iterable[int], since: datetime.date, before: datetime.date
) -> dict[int, Closes]:
    """What `loading.closes_with_previous` reads for `ids` from `since` (each asset's closes from
    `since` on, else from its last close before `before`), taken from a cached tail."""
    since64, before64 = np.datetime64(since, "D"), np.datetime64(before, "D")
    out: dict[int, Closes] = {}
    for asset_id in ids:
        item = tail.series(asset_id)
        if item is None:
            continue
        days, values = item
        first = int(np.searchsorted(days, since64))
        if first == days.size or days[first] >= before64:
            prior = int(np.searchsorted(days, before64)) - 1
            if prior >= 0:
                first = prior
        if first < days.size:
            out[asset_id] = Closes(days[first:], values[first:])
    return out
