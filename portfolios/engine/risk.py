"""Risk: volatility, Sharpe, Sortino, drawdown, beta and correlation against a benchmark.

Pure maths on numpy arrays, per DESIGN.md §4 "Risk" (binding), which takes empyrical's
definitions. Two layers:

- Return-level functions (`annual_volatility`, `sharpe_ratio`, `downside_risk`,
  `sortino_ratio`, `max_drawdown_of_returns`, `beta`, `alpha_beta`, `correlation`) take a plain
  array of periodic returns, skip NaNs exactly as empyrical does, and reproduce its published
  test values.
- Portfolio-level functions take the daily calendar series: `business_day_returns` samples the
  wealth index W (W = 1 the day before start) Monday to Friday, so weekend moves (crypto) fold
  into Monday; `risk_metrics` and `benchmark_comparison` annualise with 252 business days;
  `max_drawdown` works on every calendar day and dates the peak, trough and recovery.

Undefined figures are ``None`` (the API shows null), never NaN or infinity: no observations,
fewer than two for a standard deviation, a zero spread where a ratio divides by it, or a
figure that extreme returns (a day of -90 % or x100) make overflow a float.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "TRADING_DAYS_PER_YEAR",
    "BenchmarkComparison",
    "Drawdown",
    "RiskMetrics",
    "alpha_beta",
    "annual_volatility",
    "benchmark_comparison",
    "beta",
    "business_day_returns",
    "correlation",
    "daily_risk_free",
    "downside_risk",
    "drawdown_series",
    "max_drawdown",
    "max_drawdown_of_returns",
    "price_business_day_returns",
    "risk_metrics",
    "sharpe",
    "sharpe_ratio",
    "sortino",
    "sortino_ratio",
    "volatility",
]

TRADING_DAYS_PER_YEAR = 252
"""Business days in a year: the annualisation of daily risk figures."""

FloatArray = NDArray[np.float64]

# A spread this small next to the values' size is rounding noise, not variation (a constant
# 1 % return has a computed standard deviation of ~1e-18): ratios over it are undefined.
_RELATIVE_NOISE = 1e-12
# empyrical's floor for a benchmark variance (beta is NaN below it).
_MIN_VARIANCE = 1e-30


def _returns(returns: ArrayLike) -> FloatArray:
    return np.asarray(returns, dtype=np.float64).reshape(-1)


def _finite(value: float | None) -> float | None:
    """``value``, or None for NaN and infinities (what extreme returns can make of a ratio)."""
    return value if value is not None and math.isfinite(value) else None


def _is_flat(spread: float, values: FloatArray) -> bool:
    """True when a standard deviation is zero up to rounding of the values it comes from."""
    scale = float(np.nanmean(np.abs(values))) if values.size else 0.0
    return not spread > _RELATIVE_NOISE * scale


# ── Return-level statistics (empyrical's definitions, NaNs skipped) ──────────


def daily_risk_free(annual_rate: float, periods_per_year: float = TRADING_DAYS_PER_YEAR) -> float:
    """The per-period rate compounding to ``annual_rate`` over a year: (1 + R)^(1/252) - 1.

    Compounding (not R / 252) keeps the geometric meaning of an annual rate; for a 4 % rate
    the two differ by ~3e-7 a day.
    """
    return (1.0 + float(annual_rate)) ** (1.0 / periods_per_year) - 1.0


def annual_volatility(
    returns: ArrayLike, periods_per_year: float = TRADING_DAYS_PER_YEAR
) -> float | None:
    """Sample standard deviation (ddof = 1) of the non-NaN returns x sqrt(periods_per_year).

    ``None`` with fewer than two observations. A constant series has volatility 0.0.
    """
    r = _returns(returns)
    r = r[~np.isnan(r)]
    if r.size < 2:
        return None
    return float(np.std(r, ddof=1)) * math.sqrt(periods_per_year)


def sharpe_ratio(
    returns: ArrayLike,
    risk_free: float | ArrayLike = 0.0,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float | None:
    """mean(r - rf) / sd(r - rf, ddof = 1) x sqrt(periods_per_year), NaNs skipped.

    ``risk_free`` is per period, a scalar or an array aligned with ``returns``. ``None`` with
    fewer than two observations or a zero standard deviation (empyrical gives NaN or +-inf).
    """
    excess = _returns(returns) - np.asarray(risk_free, dtype=np.float64)
    excess = excess[~np.isnan(excess)]
    if excess.size < 2:
        return None
    spread = float(np.std(excess, ddof=1))
    if _is_flat(spread, excess):
        return None
    return float(np.mean(excess)) / spread * math.sqrt(periods_per_year)


def downside_risk(
    returns: ArrayLike,
    required_return: float | ArrayLike = 0.0,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float | None:
    """sqrt(mean(min(0, r - required)^2)) x sqrt(periods_per_year), NaNs skipped.

    The mean runs over ALL observations (days above the requirement count as zeros), as in
    empyrical and Sortino's target downside deviation. ``None`` for no observation.
    """
    shortfall = np.minimum(_returns(returns) - np.asarray(required_return, np.float64), 0.0)
    shortfall = shortfall[~np.isnan(shortfall)]
    if shortfall.size == 0:
        return None
    return math.sqrt(float(np.mean(np.square(shortfall)))) * math.sqrt(periods_per_year)


def sortino_ratio(
    returns: ArrayLike,
    required_return: float | ArrayLike = 0.0,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> float | None:
    """mean(r - required) x periods_per_year / downside_risk, NaNs skipped.

    ``None`` with fewer than two observations or no downside (downside risk 0: empyrical
    gives NaN or +inf there).
    """
    excess = _returns(returns) - np.asarray(required_return, dtype=np.float64)
    excess = excess[~np.isnan(excess)]
    if excess.size < 2:
        return None
    risk = downside_risk(excess, 0.0, periods_per_year)
    if risk is None or _is_flat(risk / math.sqrt(periods_per_year), excess):
        return None
    return float(np.mean(excess)) * periods_per_year / risk


def max_drawdown_of_returns(returns: ArrayLike) -> float | None:
    """min_t (W_t / max_{s<=t} W_s - 1) of W = cumprod(1 + r) after W_0 = 1 (a number <= 0).

    NaN returns count as 0 (empyrical's cum_returns); ``None`` for an empty array.
    """
    r = np.nan_to_num(_returns(returns), nan=0.0)
    if r.size == 0:
        return None
    return float(np.min(drawdown_series(np.cumprod(1.0 + r))))


def _pairs(returns: ArrayLike, benchmark: ArrayLike) -> tuple[FloatArray, FloatArray]:
    r, b = _returns(returns), _returns(benchmark)
    if r.shape != b.shape:
        raise ValueError("returns and benchmark returns must be aligned (same length)")
    both = ~(np.isnan(r) | np.isnan(b))
    return r[both], b[both]


def beta(returns: ArrayLike, benchmark_returns: ArrayLike) -> float | None:
    """cov(r, b) / var(b) with population moments over the days where both are known.

    ``None`` without observations or when the benchmark does not move (variance below
    empyrical's 1e-30, or zero up to rounding).
    """
    r, b = _pairs(returns, benchmark_returns)
    if r.size == 0:
        return None
    b_dev = b - b.mean()
    variance = float(np.mean(b_dev * b_dev))
    if variance < _MIN_VARIANCE or _is_flat(math.sqrt(variance), b):
        return None
    return float(np.mean((r - r.mean()) * b_dev)) / variance


def alpha_beta(
    returns: ArrayLike,
    benchmark_returns: ArrayLike,
    risk_free: float = 0.0,
    periods_per_year: float = TRADING_DAYS_PER_YEAR,
) -> tuple[float | None, float | None]:
    """Jensen's alpha, annualised by compounding, and beta (empyrical's alpha_beta).

    alpha = (1 + mean((r - rf) - beta (b - rf)))^periods_per_year - 1 over the days where
    both returns are known; ``risk_free`` is per period. (None, None) when beta is undefined.
    """
    r, b = _pairs(returns, benchmark_returns)
    r_excess, b_excess = r - risk_free, b - risk_free
    slope = beta(r_excess, b_excess)
    if slope is None:
        return None, None
    mean_alpha = float(np.mean(r_excess - slope * b_excess))
    if not mean_alpha > -1.0 or not math.isfinite(mean_alpha):
        return None, _finite(slope)
    # (1 + a)^252 - 1 through logarithms: a mean daily alpha of a few percent already makes
    # the power overflow a float, and then alpha is undefined (None), not an error.
    growth = periods_per_year * math.log1p(mean_alpha)
    alpha = math.expm1(growth) if growth < 700 else None
    return _finite(alpha), _finite(slope)


def correlation(returns: ArrayLike, benchmark_returns: ArrayLike) -> float | None:
    """Pearson correlation over the days where both are known; ``None`` if either is flat."""
    r, b = _pairs(returns, benchmark_returns)
    if r.size == 0:
        return None
    r_dev, b_dev = r - r.mean(), b - b.mean()
    r_sd, b_sd = math.sqrt(float(np.mean(r_dev**2))), math.sqrt(float(np.mean(b_dev**2)))
    if _is_flat(r_sd, r) or _is_flat(b_sd, b):
        return None
    return float(np.mean(r_dev * b_dev)) / (r_sd * b_sd)


# ── Drawdown over calendar days ──────────────────────────────────────────────


def drawdown_series(wealth: ArrayLike) -> FloatArray:
    """The underwater curve W_t / max_{s<=t} W_s - 1 (<= 0), with W = 1 before the first day.

    Same length as ``wealth``; suited to the drawdown chart.
    """
    w = _returns(wealth)
    highs = np.maximum.accumulate(np.concatenate([[1.0], w]))[1:]  # >= 1 > 0
    return w / highs - 1.0


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall of the wealth index from a previous high, and when it happened.

    ``max_drawdown`` <= 0 (-0.25 = a quarter lost from the high). ``peak`` is the last day at
    that high before the fall (the day before start when the period opens with a loss),
    ``trough`` the lowest day, ``recovery`` the first later day back at or above the peak
    (``None`` if not recovered within the period). Without any drawdown the three are None.

    ``longest_days`` is Portfolio Performance's maximum drawdown duration: the most calendar
    days between two successive all-time highs (a new high must exceed the previous one) or
    from the last high to the end of the period; 1 for a series rising every day.
    """

    max_drawdown: float
    peak: datetime.date | None
    trough: datetime.date | None
    recovery: datetime.date | None
    longest_days: int


def max_drawdown(days: ArrayLike, wealth: ArrayLike) -> Drawdown | None:
    """Maximum drawdown of the daily wealth index W_t (W = 1 on the day before start).

    ``days`` are the period's calendar days (``datetime64[D]``), ``wealth`` W on each of them
    (e.g. ``returns.wealth_index`` of the daily returns). ``None`` for an empty period.
    """
    d = np.asarray(days, dtype="datetime64[D]").reshape(-1)
    w = _returns(wealth)
    if d.shape != w.shape:
        raise ValueError("days and wealth must have the same length")
    if d.size == 0:
        return None
    all_days = np.concatenate([[d[0] - np.timedelta64(1, "D")], d])
    level = np.concatenate([[1.0], w])
    running_high = np.maximum.accumulate(level)  # >= 1 > 0
    underwater = level / running_high - 1.0

    # Portfolio Performance's duration: gaps between strict new highs, and the open tail.
    previous_high = np.concatenate([[-np.inf], running_high[:-1]])
    highs = np.flatnonzero(level > previous_high)
    day_numbers = all_days.astype(np.int64)
    gaps = np.diff(np.concatenate([day_numbers[highs], day_numbers[-1:]]))
    longest = int(gaps.max()) if gaps.size else 0

    trough = int(np.argmin(underwater))
    deepest = float(underwater[trough])
    if deepest >= 0.0:
        return Drawdown(0.0, None, None, None, longest)
    peak = int(np.flatnonzero(underwater[:trough] == 0.0)[-1])
    back = np.flatnonzero(level[trough:] >= running_high[trough])
    recovery = _to_date(all_days[trough + int(back[0])]) if back.size else None
    return Drawdown(
        max_drawdown=deepest,
        peak=_to_date(all_days[peak]),
        trough=_to_date(all_days[trough]),
        recovery=recovery,
        longest_days=longest,
    )


def _to_date(day: np.datetime64) -> datetime.date:
    return day.astype("datetime64[D]").item()


# ── Business-day returns and the portfolio's risk figures ────────────────────


def business_day_returns(
    days: ArrayLike, wealth: ArrayLike
) -> tuple[NDArray[np.datetime64], FloatArray]:
    """Returns between successive business days (Mon-Fri) of the wealth index.

    r_d = W_d / W_{previous business day} - 1, the first one from W = 1 at the period's start,
    so Saturday's and Sunday's moves land in Monday's return; moves after the period's last
    business day (a period ending on a weekend) are in no business-day return. Weekday
    holidays stay in (forward-filled prices leave them near 0). A day after the index reached
    0 (total loss) has return 0. Returns (business days, returns).
    """
    d = np.asarray(days, dtype="datetime64[D]").reshape(-1)
    w = _returns(wealth)
    if d.shape != w.shape:
        raise ValueError("days and wealth must have the same length")
    # Day 0 (1970-01-01) was a Thursday: (n + 3) % 7 is 0 on Mondays ... 4 on Fridays.
    weekday = (d.astype(np.int64) + 3) % 7
    business = weekday < 5
    sampled = w[business]
    previous = np.concatenate([[1.0], sampled[:-1]])
    r = np.zeros_like(sampled)
    np.divide(sampled, previous, out=r, where=previous != 0)
    r -= 1.0 * (previous != 0)
    return d[business], r


def price_business_day_returns(
    days: ArrayLike, close: ArrayLike, close_before_start: float
) -> tuple[NDArray[np.datetime64], FloatArray] | None:
    """A benchmark's business-day returns on its close, forward-filled over missing bars.

    Measured like the portfolio: the index close_t / close_before_start sampled Monday to
    Friday. NaN closes take the previous close (the day before start's for leading ones).
    ``None`` when there is no usable close before the start (missing, NaN or <= 0).
    """
    if close_before_start is None or not (float(close_before_start) > 0):
        return None
    level = _forward_filled(_returns(close), float(close_before_start))
    return business_day_returns(days, level / float(close_before_start))


def _forward_filled(values: FloatArray, first: float) -> FloatArray:
    filled = np.concatenate([[first], values])
    known = ~np.isnan(filled)
    last_known = np.maximum.accumulate(np.where(known, np.arange(filled.size), 0))
    return filled[last_known][1:]


def volatility(business_returns: ArrayLike) -> float | None:
    """Annualised volatility: sample sd (ddof = 1) of business-day returns x sqrt(252)."""
    return annual_volatility(business_returns, TRADING_DAYS_PER_YEAR)


def sharpe(business_returns: ArrayLike, risk_free_rate: float = 0.0) -> float | None:
    """mean(r - rf) / sd(r - rf) x sqrt(252), rf = `daily_risk_free` of the annual rate."""
    return sharpe_ratio(business_returns, daily_risk_free(risk_free_rate))


def sortino(business_returns: ArrayLike, risk_free_rate: float = 0.0) -> float | None:
    """mean(r - rf) x 252 / (sqrt(mean(min(0, r - rf)^2)) x sqrt(252)), rf daily as in `sharpe`."""
    return sortino_ratio(business_returns, daily_risk_free(risk_free_rate))


@dataclass(frozen=True, slots=True)
class RiskMetrics:
    """A period's risk figures from its business-day returns (``observations`` of them).

    ``risk_free_rate`` is the annual rate used (its daily equivalent enters Sharpe, Sortino
    and the downside risk); ``drawdown`` is over calendar days.
    """

    observations: int
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    downside_risk: float | None
    drawdown: Drawdown | None
    risk_free_rate: float


def risk_metrics(days: ArrayLike, wealth: ArrayLike, risk_free_rate: float = 0.0) -> RiskMetrics:
    """Volatility, Sharpe, Sortino, downside risk and maximum drawdown of a period.

    ``wealth`` is the daily wealth index W_t over ``days`` (W = 1 the day before start).
    """
    _, r = business_day_returns(days, wealth)
    rf = daily_risk_free(risk_free_rate)
    return RiskMetrics(
        observations=int(r.size),
        volatility=_finite(volatility(r)),
        sharpe=_finite(sharpe_ratio(r, rf)),
        sortino=_finite(sortino_ratio(r, rf)),
        downside_risk=_finite(downside_risk(r, rf)),
        drawdown=max_drawdown(days, wealth),
        risk_free_rate=float(risk_free_rate),
    )


@dataclass(frozen=True, slots=True)
class BenchmarkComparison:
    """The portfolio against a benchmark over the same period.

    ``twr`` is the benchmark's close on the end day over its close the day before start,
    minus 1; ``excess_return`` = portfolio TWR - benchmark TWR (arithmetic). ``beta`` uses
    population moments; ``alpha`` is empyrical's Jensen's alpha annualised by compounding over
    252 days; ``correlation`` Pearson's, all on the business-day returns of both.
    """

    twr: float
    excess_return: float
    beta: float | None
    alpha: float | None
    correlation: float | None


def benchmark_paired_returns(
    days: ArrayLike,
    wealth: ArrayLike,
    benchmark_close: ArrayLike,
    benchmark_close_before_start: float,
) -> tuple[FloatArray, FloatArray] | None:
    """The portfolio's and the benchmark's business-day returns over ``days``, side by side
    (the benchmark's close forward-filled from its close the day before the start), as every
    comparison with the benchmark measures them. ``None`` when the period is empty or the
    benchmark has no close before the start."""
    d = np.asarray(days, dtype="datetime64[D]").reshape(-1)
    if d.size == 0:
        return None
    measured = price_business_day_returns(d, benchmark_close, benchmark_close_before_start)
    if measured is None:
        return None
    _, bench = measured
    _, r = business_day_returns(d, _returns(wealth))
    return r, bench


def benchmark_comparison(
    days: ArrayLike,
    wealth: ArrayLike,
    benchmark_close: ArrayLike,
    benchmark_close_before_start: float,
    risk_free_rate: float = 0.0,
) -> BenchmarkComparison | None:
    """Benchmark TWR, excess return, beta, alpha and correlation over ``days``.

    ``benchmark_close`` is aligned with ``days`` (NaN where there is no bar; forward-filled).
    ``None`` when the period is empty or the benchmark has no close before the start.
    """
    paired = benchmark_paired_returns(days, wealth, benchmark_close, benchmark_close_before_start)
    if paired is None:
        return None
    r, bench = paired
    w = _returns(wealth)
    end_close = _forward_filled(_returns(benchmark_close), float(benchmark_close_before_start))
    bench_twr = float(end_close[-1]) / float(benchmark_close_before_start) - 1.0
    alpha, slope = alpha_beta(r, bench, daily_risk_free(risk_free_rate))
    return BenchmarkComparison(
        twr=bench_twr,
        excess_return=(float(w[-1]) - 1.0) - bench_twr,
        beta=slope,
        alpha=alpha,
        correlation=_finite(correlation(r, bench)),
    )
