"""The figures of one period from its daily arrays (DESIGN.md §4): plain numbers and numpy in,
plain results out.

- `period_returns`: the daily returns r_t of the period, a float-rounding "return" zeroed.
- `gain_split`: gain = V_end - V_{start-1} - ΣI + ΣO, the simple return gain / (V_{start-1} + ΣI),
  and the gain's parts, the price gain being what the income, fees, taxes and currency effect
  (each measured on its own) leave of it, so that the parts add up to the gain.
- `benchmark_base` and `benchmark_curve`: the benchmark comparison's inputs, its base close (the
  close of the day before start, else its first close in the period) and its cumulative return
  per day for the chart.

The money-weighted flows of a period are `returns.mwr_cash_flows`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .returns import daily_returns

# A daily "return" below this is the float rounding of equal values (a price that did not move,
# valued once from floats and once from Decimals), not a move: without zeroing it, a flat
# holding would have a Sharpe ratio made of noise.
ROUNDING_NOISE = 1e-12


def period_returns(
    value: Sequence[float] | np.ndarray,
    inflow: Sequence[float] | np.ndarray,
    outflow: Sequence[float] | np.ndarray,
    start_value: float,
) -> np.ndarray:
    """r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1 per day (`returns.daily_returns`), with every
    |r_t| < ROUNDING_NOISE set to 0."""
    r = daily_returns(value, inflow, outflow, start_value)
    r[np.abs(r) < ROUNDING_NOISE] = 0.0
    return r


@dataclass(frozen=True)
class GainSplit:
    """A period's gain and its parts (gain = price_gain + income + fees + taxes +
    currency_effect), in the base currency; `simple_return` None when nothing was invested."""

    gain: float
    simple_return: float | None
    price_gain: float
    income: float
    fees: float
    taxes: float
    currency_effect: float


def gain_split(
    *,
    start_value: float,
    end_value: float,
    inflows: float,
    outflows: float,
    income: float,
    fees: float,
    taxes: float,
    currency_effect: float,
) -> GainSplit:
    """The gain V_end - V_{start-1} - ΣI + ΣO of a period, its simple return and its split: income
    (> 0), fees and taxes (<= 0) and the currency effect as measured, the price gain the rest."""
    gain = end_value - start_value - inflows + outflows
    capital = start_value + inflows
    return GainSplit(
        gain=gain,
        simple_return=gain / capital if capital != 0 else None,
        price_gain=gain - income - fees - taxes - currency_effect,
        income=income,
        fees=fees,
        taxes=taxes,
        currency_effect=currency_effect,
    )


def benchmark_base(values: np.ndarray) -> tuple[np.ndarray, float] | None:
    """From the benchmark's closes (in the base currency, NaN on days before its first close) on
    the day before start and every day of the period: its closes in the period and the base they
    are measured from, the close of the day before start; where that is missing (a start on a
    Monday or after a holiday, a history that starts later), its first close in the period.
    None when it has no close in the period, or the base is not a positive finite number."""
    before = float(values[0])
    in_period = values[1:]
    if math.isnan(before):
        known = np.flatnonzero(~np.isnan(in_period))
        if not known.size:
            return None
        before = float(in_period[known[0]])
    if not before > 0 or not math.isfinite(before):
        return None
    return in_period, before


def benchmark_curve(closes: np.ndarray, before: float) -> np.ndarray:
    """The benchmark's cumulative return per day of the period, close_t / base - 1, its close
    forward-filled over days without one (the base itself before its first close in the
    period)."""
    filled = closes.copy()
    mask = np.isnan(filled)
    if mask.any():
        index = np.where(~mask, np.arange(filled.size), -1)
        np.maximum.accumulate(index, out=index)
        filled = np.where(index >= 0, filled[np.maximum(index, 0)], before)
    return filled / before - 1.0
