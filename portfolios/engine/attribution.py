"""Gain attribution: the currency effect of a portfolio's foreign holdings, per day.

For every currency c other than the base, the currency effect over a day t is
Σ (L_{c,t-1} + C_{c,t-1}) (x_{c,t} - x_{c,t-1}): what the securities traded in c (L_c, their local
value, `DailySeries.local_values`) and the cash held in c (C_c, only when the portfolio records
cash per currency, `DailySeries.cash_balances`; by default every foreign amount settles in the
base cash, so there is none) gained from the move of c's FX close x_c. A transaction booked at
its own fx_rate r instead of that day's close adds (x_{c,t} - r) times the local amount it moved
in (price x quantity for buys and sells, and its cash effect when cash is kept in c). Income,
fees and taxes need no attribution of their own: the ledger books them (`DailySeries.income`,
`fees`, `taxes`). `period.gain_split` derives the price gain as the rest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .cash import cash_effect
from .market import MINOR_UNITS, FxTable
from .types import Kind, Txn
from .valuation import DailySeries

__all__ = ["currency_effect", "foreign_levels"]

_TRADE_KINDS = frozenset({Kind.BUY, Kind.SELL})


def _major(currency: str) -> str:
    return MINOR_UNITS.get(currency, (currency, 1))[0]


def foreign_levels(series: DailySeries, *, base: str, offset: int) -> dict[str, np.ndarray]:
    """What is held in each foreign currency over the grid of `currency_effect`, in that
    currency: the securities traded in it (in its major unit, keyed by the major currency) and,
    when cash is recorded, each foreign cash balance (keyed "cash:" + its currency). The grid
    starts `offset` days after the day before the series' first day (nothing is held then)."""
    out: dict[str, np.ndarray] = {}
    for currency, values in series.local_values.items():
        major, divisor = MINOR_UNITS.get(currency, (currency, 1))
        if major == base:
            continue
        level = np.concatenate([[0.0], values])[offset:] / divisor
        out[major] = level if major not in out else out[major] + level
    if series.records_cash:
        for currency, balance in series.cash_balances.items():
            if _major(currency) != base:
                out[f"cash:{currency}"] = np.concatenate([[0.0], balance])[offset:]
    return out


def currency_effect(
    txns: Sequence[Txn],
    *,
    base: str,
    fx: FxTable,
    grid: np.ndarray,
    records_cash: bool,
    levels: dict[str, np.ndarray],
    cash_per_currency: bool = False,
) -> np.ndarray:
    """The daily currency effect over grid[1:] (the module docstring defines it): what each
    foreign holding (`levels`, over the grid) gained from its rate's move over each day, plus,
    for a transaction booked at its own fx_rate, the difference between that day's close and
    its rate on what it moved (any other is booked at the close itself: nothing to add).
    `records_cash` and `cash_per_currency` are the portfolio's choices."""
    n = int(grid.size) - 1
    effect = np.zeros(n)
    rate_cache: dict[str, np.ndarray] = {}

    def rates(currency: str) -> np.ndarray:
        found = rate_cache.get(currency)
        if found is None:
            found = rate_cache[currency] = fx.rates(currency, grid)
        return found

    first_ordinal = grid[0].astype(object).toordinal() + 1  # grid[1] is index 0
    for txn in txns:
        if txn.fx_rate is None or txn.kind == Kind.SPLIT or _major(txn.currency) == base:
            continue
        index = txn.date.toordinal() - first_ordinal
        if index < 0 or index >= n:
            continue
        rate = float(txn.fx_rate)
        day_rate = float(rates(txn.currency)[index + 1])
        if math.isnan(day_rate):
            continue  # no close yet: it is valued at its own rate
        if txn.kind in _TRADE_KINDS:
            traded = float(txn.price) * float(txn.quantity)
            effect[index] += (traded if txn.kind == Kind.BUY else -traded) * (day_rate - rate)
        if records_cash and cash_per_currency:
            effect[index] += float(cash_effect(txn)) * (day_rate - rate)

    for name, level in levels.items():
        currency = name.split(":", 1)[1] if name.startswith("cash:") else name
        held = level[:-1]  # at the close of the day before each grid day
        moves = np.diff(rates(currency))
        effect += np.where(held != 0, held * np.nan_to_num(moves), 0.0)
    return effect
