"""Ledger-state snapshots: a `LedgerState` as nested tuples of plain values and back
(`ledger_pack`, `ledger_unpack`), so that checkpoints travel through a cache cheaply (pickling
a Decimal costs fifteen times its string) and a position shared by several checkpoints is
packed, and pickled, once. The layout follows the dataclasses' fields, so a field added to the
state, a position or a lot travels without a change here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from operator import attrgetter

from .cash import NegativeCash
from .ledger import LedgerState
from .lots import Lot, Position

__all__ = ["ledger_pack", "ledger_unpack"]


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
