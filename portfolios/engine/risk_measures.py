"""More risk measures: Calmar, value at risk, expected shortfall, Omega, tail ratio, up and down
capture against a benchmark, and rolling one-year volatility and Sharpe.

Pure maths on numpy arrays, beside `risk` (whose helpers and business-day sampling it reuses).
Two layers, as in `risk`:

- Return-level functions follow empyrical's definitions (``empyrical/stats.py``, commit
  40f61b4) and reproduce its published test values: `annual_return`, `calmar_ratio`,
  `omega_ratio`, `tail_ratio`, `value_at_risk`, `conditional_value_at_risk`, `capture`,
  `up_capture`, `down_capture`, `rolling_volatility` and `rolling_sharpe`.
- Portfolio-level functions take the daily calendar series (days and wealth index W, W = 1 the
  day before start) and measure on business-day returns (`risk.business_day_returns`):
  `tail_risk`, `capture_ratios` and `rolling_risk`. They decide when a period is too short for
  a figure and then give ``None`` with a note saying why.

Undefined figures are ``None`` (the API shows null), never NaN or infinity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from portfolios.engine.risk import (
    _RELATIVE_NOISE,
    TRADING_DAYS_PER_YEAR,
    _finite,
    _returns,
    benchmark_paired_returns,
    business_day_returns,
    daily_risk_free,
    max_drawdown_of_returns,
)

__all__ = [
    "CALMAR_MIN_DAYS",
    "ROLLING_WINDOW",
    "TAIL_CUTOFF",
    "TAIL_MIN_OBSERVATIONS",
    "CaptureRatios",
    "RollingRisk",
    "TailRisk",
    "annual_return",
    "calmar_ratio",
    "capture",
    "capture_ratios",
    "conditional_value_at_risk",
    "down_capture",
    "omega_ratio",
    "rolling_risk",
    "rolling_sharpe",
    "rolling_volatility",
    "tail_ratio",
    "tail_risk",
    "up_capture",
    "value_at_risk",
]

FloatArray = NDArray[np.float64]

TAIL_CUTOFF = 0.05
"""Value at risk and expected shortfall at 95 %: the worst 5 % of business days."""
TAIL_MIN_OBSERVATIONS = 20
"""Fewer business-day returns than this leave no day in the 5 % tail: no VaR, ES or tail ratio."""
CALMAR_MIN_DAYS = 365
"""Calmar divides an annualised return: shown for periods of a year or more (as the TWR's
annualised figure is), never extrapolated from a few weeks."""
ROLLING_WINDOW = TRADING_DAYS_PER_YEAR
"""The rolling figures' window: one year of business-day returns."""
# Rolling windows are computed this many at a time, so a long history's window matrix stays a
# few megabytes.
_ROLLING_CHUNK = 2048


# ── Return-level statistics (empyrical's definitions) ────────────────────────


def annual_return(
    returns: ArrayLike, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> float | None:
    """The compound annual growth rate: (prod(1 + r))^(periods_per_year / n) - 1.

    n counts every observation (a NaN return counts as 0, as empyrical's ``nanprod`` does).
    ``None`` for no observation, or a growth too large for a float.
    """
    r = _returns(returns)
    if r.size == 0:
        return None
    ending = float(np.nanprod(1.0 + r))
    with np.errstate(all="ignore"):
        growth = np.power(np.float64(ending), periods_per_year / r.size) - 1.0
    return _finite(float(growth))


def calmar_ratio(
    returns: ArrayLike, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> float | None:
    """annual_return / |max drawdown| of the returns (the drawdown of W = cumprod(1 + r)).

    ``None`` without a drawdown (max drawdown 0: empyrical gives NaN) or when either part is
    undefined.
    """
    drawdown = max_drawdown_of_returns(returns)
    if drawdown is None or not drawdown < 0:
        return None
    growth = annual_return(returns, periods_per_year)
    return None if growth is None else _finite(growth / abs(drawdown))


def omega_ratio(
    returns: ArrayLike,
    risk_free: float | ArrayLike = 0.0,
    required_return: float = 0.0,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float | None:
    """sum(max(x, 0)) / sum(max(-x, 0)) of x = r - risk_free - threshold, NaNs skipped.

    ``threshold`` is the annual ``required_return`` as a per-period rate,
    (1 + required_return)^(1 / periods_per_year) - 1 (``periods_per_year`` 1: used as given).
    ``None`` with fewer than two observations, a required return <= -100 %, or no return
    below the threshold (the sum of losses is 0).
    """
    r = _returns(returns)
    if r.size < 2:
        return None
    if periods_per_year == 1:
        threshold = required_return
    elif required_return <= -1:
        return None
    else:
        threshold = (1.0 + required_return) ** (1.0 / periods_per_year) - 1.0
    excess = r - np.asarray(risk_free, dtype=np.float64) - threshold
    gains = float(np.sum(excess[excess > 0.0]))
    losses = -float(np.sum(excess[excess < 0.0]))
    return _finite(gains / losses) if losses > 0.0 else None


def tail_ratio(returns: ArrayLike) -> float | None:
    """|95th percentile| / |5th percentile| of the non-NaN returns (linear interpolation).

    0.25 means the bad days are four times as bad as the good days are good. ``None`` for no
    observation or a 5th percentile of 0.
    """
    r = _returns(returns)
    r = r[~np.isnan(r)]
    if r.size == 0:
        return None
    left = abs(float(np.percentile(r, 5)))
    return _finite(abs(float(np.percentile(r, 95))) / left) if left > 0 else None


def value_at_risk(returns: ArrayLike, cutoff: float = TAIL_CUTOFF) -> float | None:
    """The ``cutoff`` percentile of the non-NaN returns (numpy's linear interpolation).

    At 0.05 on daily returns: one day in twenty is expected to lose at least this much (a
    return, so a loss is negative). ``None`` for no observation.
    """
    r = _returns(returns)
    r = r[~np.isnan(r)]
    if r.size == 0:
        return None
    return float(np.percentile(r, 100.0 * cutoff))


def conditional_value_at_risk(returns: ArrayLike, cutoff: float = TAIL_CUTOFF) -> float | None:
    """Expected shortfall: the mean of the k + 1 lowest non-NaN returns, k = floor((n - 1) x
    cutoff), the days at or below the value at risk's position. ``None`` for no observation."""
    r = _returns(returns)
    r = r[~np.isnan(r)]
    if r.size == 0:
        return None
    k = int((r.size - 1) * cutoff)
    return float(np.mean(np.partition(r, k)[: k + 1]))


def capture(
    returns: ArrayLike,
    benchmark_returns: ArrayLike,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float | None:
    """annual_return(returns) / annual_return(benchmark): how much of the benchmark's growth
    the returns captured. ``None`` when either is undefined or the benchmark's is 0."""
    mine = annual_return(returns, periods_per_year)
    theirs = annual_return(benchmark_returns, periods_per_year)
    if mine is None or theirs is None or theirs == 0:
        return None
    return _finite(mine / theirs)


def _aligned(returns: ArrayLike, benchmark: ArrayLike) -> tuple[FloatArray, FloatArray]:
    r, b = _returns(returns), _returns(benchmark)
    if r.shape != b.shape:
        raise ValueError("returns and benchmark returns must be aligned (same length)")
    return r, b


def up_capture(
    returns: ArrayLike,
    benchmark_returns: ArrayLike,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float | None:
    """`capture` over the periods where the benchmark rose (b > 0)."""
    r, b = _aligned(returns, benchmark_returns)
    up = b > 0
    return capture(r[up], b[up], periods_per_year)


def down_capture(
    returns: ArrayLike,
    benchmark_returns: ArrayLike,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float | None:
    """`capture` over the periods where the benchmark fell (b < 0)."""
    r, b = _aligned(returns, benchmark_returns)
    down = b < 0
    return capture(r[down], b[down], periods_per_year)


def _rolling_moments(
    values: FloatArray, window: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per run of ``window`` consecutive values (n - window + 1 runs, none when n < window):
    observations, mean, sample sd (ddof = 1; NaN under two observations) and mean |value|,
    NaNs skipped. Computed a chunk of windows at a time (never by running sums, whose
    rounding would make a constant series look like it varies)."""
    if window < 1:
        raise ValueError("the window must hold at least one observation")
    if values.size < window:
        empty = np.empty(0)
        return empty, empty, empty, empty
    view = sliding_window_view(values, window)
    has_nan = bool(np.isnan(values).any())
    parts = []
    for offset in range(0, view.shape[0], _ROLLING_CHUNK):
        rows = view[offset : offset + _ROLLING_CHUNK]
        with np.errstate(all="ignore"):
            if not has_nan:  # the usual case: plain moments, half the work
                count = np.full(rows.shape[0], window)
                mean = rows.mean(axis=1)
                spread = rows.std(axis=1, ddof=1) if window > 1 else np.full(count.size, np.nan)
                scale = np.abs(rows).mean(axis=1)
            else:
                known = ~np.isnan(rows)
                count = known.sum(axis=1)
                filled = np.where(known, rows, 0.0)
                mean = filled.sum(axis=1) / count
                deviation = np.where(known, rows - mean[:, None], 0.0)
                spread = np.sqrt((deviation * deviation).sum(axis=1) / (count - 1))
                scale = np.abs(filled).sum(axis=1) / count
        parts.append((count, mean, spread, scale))
    count, mean, spread, scale = (np.concatenate(column) for column in zip(*parts, strict=True))
    return count, mean, spread, scale


def _volatility_of(count: FloatArray, spread: FloatArray, periods_per_year: float) -> FloatArray:
    return np.where(count >= 2, spread * math.sqrt(periods_per_year), np.nan)


def _sharpe_of(
    count: FloatArray, mean: FloatArray, spread: FloatArray, scale: FloatArray, periods: float
) -> FloatArray:
    defined = (count >= 2) & (spread > _RELATIVE_NOISE * scale)
    with np.errstate(all="ignore"):
        ratio = mean / spread * math.sqrt(periods)
    return np.where(defined, ratio, np.nan)


def rolling_volatility(
    returns: ArrayLike,
    window: int = ROLLING_WINDOW,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> FloatArray:
    """`risk.annual_volatility` of each run of ``window`` consecutive returns.

    One value per full window (n - window + 1 of them, none when n < window), the k-th over
    returns k .. k + window - 1; NaN where a window has fewer than two observations.
    """
    count, _, spread, _ = _rolling_moments(_returns(returns), window)
    return _volatility_of(count, spread, periods_per_year)


def rolling_sharpe(
    returns: ArrayLike,
    window: int = ROLLING_WINDOW,
    risk_free: float = 0.0,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> FloatArray:
    """`risk.sharpe_ratio` of each run of ``window`` consecutive returns (empyrical's
    ``roll_sharpe_ratio``): NaN where a window has fewer than two observations or no spread."""
    moments = _rolling_moments(_returns(returns) - float(risk_free), window)
    return _sharpe_of(*moments, periods_per_year)


# ── The portfolio's figures over a period ────────────────────────────────────


@dataclass(frozen=True)
class TailRisk:
    """A period's Calmar, value at risk and expected shortfall (95 %, one business day), Omega
    and tail ratio, from its ``observations`` business-day returns. ``notes`` says, per figure
    that is None, why (key: the figure's name)."""

    observations: int
    calmar: float | None
    value_at_risk: float | None
    expected_shortfall: float | None
    omega: float | None
    tail_ratio: float | None
    notes: dict[str, str] = field(default_factory=dict)


def _calendar_days(days: NDArray[np.datetime64]) -> int:
    return int((days[-1] - days[0]).astype(np.int64)) + 1 if days.size else 0


def tail_risk(days: ArrayLike, wealth: ArrayLike, risk_free_rate: float = 0.0) -> TailRisk:
    """Calmar (periods of CALMAR_MIN_DAYS or more), VaR, expected shortfall and tail ratio
    (TAIL_MIN_OBSERVATIONS business days or more) and Omega (threshold: the daily risk-free
    rate) of the business-day returns of the wealth index ``wealth`` on ``days``."""
    d = np.asarray(days, dtype="datetime64[D]").reshape(-1)
    _, r = business_day_returns(d, wealth)
    notes: dict[str, str] = {}
    if r.size == 0:
        why = "No business day in the period."
        notes = dict.fromkeys(
            ("calmar", "value_at_risk", "expected_shortfall", "omega", "tail_ratio"), why
        )
        return TailRisk(0, None, None, None, None, None, notes)

    calmar = None
    if _calendar_days(d) < CALMAR_MIN_DAYS:
        notes["calmar"] = "Calmar annualises the return: shown for periods of a year or more."
    else:
        calmar = calmar_ratio(r)
        if calmar is None:
            notes["calmar"] = "No drawdown in the period: Calmar is undefined."

    var = shortfall = ratio = None
    if r.size < TAIL_MIN_OBSERVATIONS:
        why = (
            f"Needs at least {TAIL_MIN_OBSERVATIONS} business days of returns "
            f"(the period has {r.size})."
        )
        notes.update(dict.fromkeys(("value_at_risk", "expected_shortfall", "tail_ratio"), why))
    else:
        var = value_at_risk(r)
        shortfall = conditional_value_at_risk(r)
        ratio = tail_ratio(r)
        if ratio is None:
            notes["tail_ratio"] = "The 5th percentile of the returns is 0: the ratio is undefined."

    omega = omega_ratio(r, daily_risk_free(risk_free_rate))
    if omega is None:
        notes["omega"] = (
            "Needs at least 2 business days of returns."
            if r.size < 2
            else "No business day returned less than the risk-free rate: Omega is undefined."
        )
    return TailRisk(int(r.size), calmar, var, shortfall, omega, ratio, notes)


@dataclass(frozen=True)
class CaptureRatios:
    """Up and down capture against a benchmark over the same business days; ``notes`` says
    why one is None (key ``up_capture`` or ``down_capture``)."""

    up_capture: float | None
    down_capture: float | None
    notes: dict[str, str] = field(default_factory=dict)


def capture_ratios(
    days: ArrayLike,
    wealth: ArrayLike,
    benchmark_close: ArrayLike,
    benchmark_close_before_start: float,
) -> CaptureRatios | None:
    """Up and down capture of the portfolio's business-day returns against the benchmark's,
    measured like `risk.benchmark_comparison` (its close forward-filled, from its close the day
    before start). ``None`` when the period is empty or the benchmark has no base close."""
    paired = benchmark_paired_returns(days, wealth, benchmark_close, benchmark_close_before_start)
    if paired is None:
        return None
    r, bench = paired
    up, down = up_capture(r, bench), down_capture(r, bench)
    notes: dict[str, str] = {}
    if up is None:
        notes["up_capture"] = (
            "The benchmark rose on no business day of the period."
            if not np.any(bench > 0)
            else "Undefined for this period (the benchmark's growth on its up days is 0)."
        )
    if down is None:
        notes["down_capture"] = (
            "The benchmark fell on no business day of the period."
            if not np.any(bench < 0)
            else "Undefined for this period (the benchmark's fall on its down days is 0)."
        )
    return CaptureRatios(up, down, notes)


@dataclass(frozen=True)
class RollingRisk:
    """Volatility and Sharpe over the ``window`` business-day returns ending on each of
    ``days`` (business days; NaN where a window's figure is undefined)."""

    days: NDArray[np.datetime64]
    volatility: FloatArray
    sharpe: FloatArray
    window: int = ROLLING_WINDOW

    def __len__(self) -> int:
        return int(self.days.size)


def rolling_risk(
    days: ArrayLike,
    wealth: ArrayLike,
    risk_free_rate: float = 0.0,
    window: int = ROLLING_WINDOW,
    since: np.datetime64 | None = None,
) -> RollingRisk:
    """Rolling volatility and Sharpe (rf: the daily equivalent of ``risk_free_rate``) of the
    business-day returns of ``wealth`` on ``days``, dated by each window's last business day;
    only the windows ending on or after ``since`` when it is given. Empty when the series has
    fewer than ``window`` business-day returns."""
    d, r = business_day_returns(days, wealth)
    ends = d[window - 1 :] if r.size >= window else d[:0]
    count, mean, spread, scale = _rolling_moments(r, window)
    volatility = _volatility_of(count, spread, TRADING_DAYS_PER_YEAR)
    rf = daily_risk_free(risk_free_rate)
    if rf:  # the excess returns' own moments (their spread differs from r's only by rounding)
        count, mean, spread, scale = _rolling_moments(r - rf, window)
    sharpe = _sharpe_of(count, mean, spread, scale, TRADING_DAYS_PER_YEAR)
    if since is not None:
        keep = ends >= np.datetime64(since, "D")
        ends, volatility, sharpe = ends[keep], volatility[keep], sharpe[keep]
    return RollingRisk(ends, volatility, sharpe, window)
