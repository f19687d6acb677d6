"""Returns: daily time-weighted returns, gains, XIRR money-weighted return, return tables.

Pure maths on numpy arrays (DESIGN.md §4, binding). A period is a run of consecutive calendar
days `days` (``datetime64[D]``) with, per day t, the closing value ``value[t]`` (V_t), the
external inflows ``inflow[t]`` (I_t >= 0) and outflows ``outflow[t]`` (O_t >= 0), plus the
closing value of the day before the period, ``value_before_start`` (V_{start-1}).

- Inflows arrive at the start of the day and outflows leave at its end, so
  r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1, and r_t = 0 when V_{t-1} + I_t = 0.
- TWR = prod(1 + r_t) - 1; annualised (1 + TWR)^(365/n) - 1 only when the period has n >= 365
  calendar days (both ends included).
- MWR = XIRR (Actual/365 from the earliest flow) of -V_{start-1} on the day before start, -I_t
  and +O_t on their days and +V_end on the end day. It is an annual rate; for a period of n < 365
  days the period's own MWR, (1 + MWR)^(n/365) - 1, is solved for directly (XIRR with n days as
  the unit of time), so it stays finite where the annual rate overflows (`money_weighted`).
- A rate beyond `MAX_RATE` in size is too large to represent: it is reported as ``None`` with
  a reason, never as an error or an infinity.

Undefined figures are ``None`` (the API shows null), never NaN.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DAYS_PER_YEAR",
    "MAX_RATE",
    "MoneyWeighted",
    "Performance",
    "PeriodReturn",
    "annualise",
    "chained_return",
    "daily_returns",
    "gain",
    "money_weighted",
    "money_weighted_return",
    "monthly_returns",
    "mwr_cash_flows",
    "performance",
    "period_returns",
    "representable_rate",
    "simple_return",
    "twr",
    "wealth_index",
    "xirr",
    "xirr_arrays",
    "xnpv",
    "yearly_returns",
]

DAYS_PER_YEAR = 365
"""Actual/365: the year of annualisation and of XIRR discounting."""

MAX_RATE = 1e12
"""The largest rate (in size) reported: 10^14 %, a million-millionfold. Beyond it a rate is too
large to be a useful figure (a one-day gain of 12 % annualises to ~10^18), and it is ``None``."""

FloatArray = NDArray[np.float64]
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
DateLike = datetime.date | np.datetime64 | str


# ── Time-weighted returns ────────────────────────────────────────────────────


def daily_returns(
    value: ArrayLike, inflow: ArrayLike, outflow: ArrayLike, value_before_start: float
) -> FloatArray:
    """Daily true time-weighted returns r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1.

    V_{-1} is ``value_before_start``. A day whose denominator V_{t-1} + I_t is exactly zero
    (nothing invested and nothing paid in) has r_t = 0, as DESIGN.md and Portfolio Performance
    define it. Vectorised; the result has the length of ``value``.
    """
    v = np.asarray(value, dtype=np.float64)
    i = np.asarray(inflow, dtype=np.float64)
    o = np.asarray(outflow, dtype=np.float64)
    if v.shape != i.shape or v.shape != o.shape:
        raise ValueError("value, inflow and outflow must have the same shape")
    previous = np.empty_like(v)
    if v.size:
        previous[0] = float(value_before_start)
        previous[1:] = v[:-1]
    denominator = previous + i
    out = np.zeros_like(v)
    np.divide(v + o, denominator, out=out, where=denominator != 0)
    out -= 1.0
    out[denominator == 0] = 0.0
    return out


def wealth_index(r: ArrayLike) -> FloatArray:
    """W_t = prod_{s<=t} (1 + r_s): the growth of one unit invested at the start (W_{start-1} = 1)."""
    return np.cumprod(1.0 + np.asarray(r, dtype=np.float64))


def chained_return(r: ArrayLike) -> float:
    """prod(1 + r) - 1 over a returns array (0.0 when empty: nothing happened)."""
    arr = np.asarray(r, dtype=np.float64)
    return float(np.prod(1.0 + arr) - 1.0) if arr.size else 0.0


def twr(
    value: ArrayLike, inflow: ArrayLike, outflow: ArrayLike, value_before_start: float
) -> float:
    """Cumulative time-weighted return of the period, prod(1 + r_t) - 1 (0.0 for no days)."""
    return chained_return(daily_returns(value, inflow, outflow, value_before_start))


def annualise(total_return: float | None, n_days: int) -> float | None:
    """(1 + R)^(365/n) - 1, reported only when the period has n >= 365 calendar days.

    ``n_days`` counts calendar days with both ends included. Shorter periods return ``None``:
    extrapolating a few weeks to a year misleads. ``None`` too when 1 + R < 0 (possible only
    with negative values, e.g. an overdrawn cash account), where no real power exists.
    """
    if total_return is None or n_days < DAYS_PER_YEAR:
        return None
    base = 1.0 + float(total_return)
    if base < 0 or not math.isfinite(base):
        return None
    return base ** (DAYS_PER_YEAR / n_days) - 1.0


def gain(
    value: ArrayLike, inflow: ArrayLike, outflow: ArrayLike, value_before_start: float
) -> float:
    """Gain = V_end - V_{start-1} - sum(I) + sum(O), in the series' currency."""
    v = np.asarray(value, dtype=np.float64)
    end_value = float(v[-1]) if v.size else float(value_before_start)
    return (
        end_value
        - float(value_before_start)
        - float(np.sum(inflow, dtype=np.float64))
        + float(np.sum(outflow, dtype=np.float64))
    )


def simple_return(
    value: ArrayLike, inflow: ArrayLike, outflow: ArrayLike, value_before_start: float
) -> float | None:
    """Simple return = gain / (V_{start-1} + sum(I)); ``None`` when that capital is zero."""
    capital = float(value_before_start) + float(np.sum(inflow, dtype=np.float64))
    if capital == 0:
        return None
    return gain(value, inflow, outflow, value_before_start) / capital


# ── XNPV / XIRR ──────────────────────────────────────────────────────────────

# Flows that change sign more than once may have several roots or none, and a scan then
# meets "roots" at rates a hair above -100 % over long spans. Among those, a root is accepted
# only while the flows discounted to the earliest date, sum(|P_i| v_i), stay within this
# multiple of the largest flow: float64 then resolves the XNPV to ~1e-6 of the largest flow.
# That is pyxirr's acceptance (|XNPV| < 1e-3 on its test flows of ~1,000) made independent of
# the currency unit, and it reproduces the cases where pyxirr reports no rate.
_MAX_CONDITION = 1e10
_NEWTON_MAX_ITERATIONS = 100
_NEWTON_RTOL = 1e-13
_NOISE = 8.0 * float(np.finfo(np.float64).eps)
# |NPV| <= this x sum(|P_i| v_i) counts as zero; a Newton run that crawls along the flat tail
# of the NPV towards r = +inf (where NPV -> the earliest flow) is thereby not a root.
_ZERO_NPV = 1e-9
# Fallback scan in y = log(1 + r): r from -1 + 1e-15 to ~1e300, finest where rates live;
# above y = 20 a root sits at ~log(ratio of flows)/time, so a 10 % geometric step suffices.
_SCAN_Y = np.unique(
    np.concatenate(
        [
            np.linspace(math.log(1e-15), -3.0, 127),
            np.linspace(-3.0, 3.0, 301),
            np.linspace(3.0, 20.0, 69),
            np.geomspace(20.0, 690.0, 38),
        ]
    )
)


def _to_day_numbers(dates: Iterable[DateLike] | ArrayLike) -> NDArray[np.int64]:
    """Days since 1970-01-01 as int64 from dates, datetime64 values or ISO strings."""
    if isinstance(dates, np.ndarray) and np.issubdtype(dates.dtype, np.datetime64):
        return dates.astype("datetime64[D]").astype(np.int64)
    items = dates if isinstance(dates, list) else list(dates)  # type: ignore[arg-type]
    try:  # dates and datetimes: 40x faster than numpy's own conversion of date objects
        ordinals = np.fromiter(map(datetime.date.toordinal, items), np.int64, len(items))
    except TypeError:
        return np.array(items, dtype="datetime64[D]").astype(np.int64)
    return ordinals - _EPOCH_ORDINAL


def _split_flows(
    flows: Iterable[tuple[DateLike, Any]],
) -> tuple[NDArray[np.int64], FloatArray]:
    pairs = flows if isinstance(flows, list | tuple) else list(flows)
    amounts = np.array(list(map(itemgetter(1), pairs)), dtype=np.float64)
    return _to_day_numbers(list(map(itemgetter(0), pairs))), amounts.reshape(-1)


def _year_fractions(day_numbers: NDArray[np.int64]) -> FloatArray:
    return (day_numbers - day_numbers.min()).astype(np.float64) / DAYS_PER_YEAR


def xnpv(rate: float, flows: Iterable[tuple[DateLike, Any]]) -> float | None:
    """Excel's XNPV: sum(P_i / (1 + rate)^((d_i - d_0)/365)), d_0 the earliest date.

    Flows are (date, amount) pairs in any order. ``None`` for no flows or rate <= -1 (no
    discount factor exists there; Excel answers #NUM!).
    """
    days, amounts = _split_flows(flows)
    if amounts.size == 0 or not rate > -1.0:
        return None
    years = _year_fractions(days)
    return float(np.dot(amounts, np.power(1.0 + rate, -years)))


def xirr(
    flows: Iterable[tuple[DateLike, Any]],
    guess: float | None = None,
    *,
    basis: int = DAYS_PER_YEAR,
) -> float | None:
    """Excel's XIRR: the annual rate r with sum(P_i / (1 + r)^((d_i - d_0)/365)) = 0.

    Flows are (date, amount) pairs (``datetime.date``, ``datetime64`` or ISO string; amount
    anything ``float()`` takes); order and repeated dates do not matter; d_0 is the earliest
    date (Actual/365, no leap-day adjustment). Returns ``None`` when there is no root: fewer
    than one positive and one negative net flow, or no acceptable sign change of the NPV.
    See `xirr_arrays` for the solver and ``basis``.
    """
    days, amounts = _split_flows(flows)
    return xirr_arrays(days, amounts, guess, basis=basis)


def xirr_arrays(
    dates: ArrayLike,
    amounts: ArrayLike,
    guess: float | None = None,
    *,
    basis: int = DAYS_PER_YEAR,
) -> float | None:
    """XIRR on arrays (``datetime64[D]`` or day numbers, and amounts); see `xirr`.

    ``basis`` is the unit of time in days: 365 (Excel's Actual/365) gives the annual rate; n
    gives the rate per n days, (1 + annual)^(n/365) - 1, found as a root in its own right (so
    a one-day period's rate is finite where its annual rate overflows a float).

    The solver (ours, vectorised over the distinct dates):

    1. Flows on the same date are netted; all-positive or all-negative (or all-zero) flows
       have no root -> ``None``. Two dates have the closed form r = (-P_1/P_0)^(1/t) - 1.
    2. Newton-Raphson on r from ``guess``, by default clamp(sum(P+)/sum(|P-|) - 1, -0.9, 0.1):
       the plain money multiple, capped like Excel's 0.1. With several roots (flows that change
       sign more than once) the start decides which root is returned; this start is pyxirr's,
       so the two agree, and Excel's XIRR example converges from either.
    3. If Newton leaves (-1, inf), stalls, or lands on an unacceptable root, every sign
       change of the NPV is bracketed on a grid in y = log(1 + r) (r from -1 + 1e-15, the
       closest to -100 % a float rate can say, to ~1e300) and solved by Brent's method; the accepted root nearest the start (in log(1 + r))
       wins, as Newton from there would have found had it converged.

    A root must make the NPV zero relative to the discounted flows (so a Newton run crawling
    towards r = +inf, where the NPV flattens out, is no root). Conventional flows (one sign
    change in date order: money in, then money out) have exactly one root, always reported
    when a float can hold it (-1 + 1e-15 < r < ~1e300).
    Flows changing sign more often are reported only where the flows discounted to the first
    date stay within 1e10 times the largest flow: otherwise "roots" appear at rates a hair
    above -100 % over long spans, which pyxirr (by its 1e-3 XNPV acceptance, here made
    unit-free) and Excel (#NUM!) do not report either.
    """
    if isinstance(dates, np.ndarray) and np.issubdtype(dates.dtype, np.integer):
        day_numbers = dates.astype(np.int64)
    else:
        day_numbers = _to_day_numbers(dates)  # type: ignore[arg-type]
    values = np.asarray(amounts, dtype=np.float64)
    if day_numbers.shape != values.shape:
        raise ValueError("dates and amounts must have the same length")
    if values.size == 0 or not np.all(np.isfinite(values)):
        return None
    if values.size > 1 and np.all(day_numbers[1:] > day_numbers[:-1]):
        unique_days, net = day_numbers, values
    else:
        unique_days, position = np.unique(day_numbers, return_inverse=True)
        net = np.bincount(position, weights=values, minlength=unique_days.size)
    keep = net != 0
    unique_days, net = unique_days[keep], net[keep]
    if not (np.any(net > 0) and np.any(net < 0)):
        return None
    if basis < 1:
        raise ValueError("basis must be at least one day")
    years = (unique_days - unique_days[0]).astype(np.float64) / basis
    scale = float(np.max(np.abs(net)))
    net = net / scale  # roots do not depend on the unit; tolerances then need none

    if net.size == 2:
        log_growth = math.log(-net[1] / net[0]) / years[1]
        rate = math.expm1(log_growth) if log_growth < 690 else math.inf
        return rate if -1.0 < rate < math.inf else None

    bounded = np.count_nonzero(np.diff(np.sign(net))) > 1  # not conventional
    start = guess if guess is not None else _initial_guess(net)
    if not -1.0 < start < math.inf:
        raise ValueError("guess must be a rate above -1")
    rate = _newton(net, years, start)
    if (
        rate is not None
        and _is_zero(net, years, rate)
        and not (bounded and _too_large(net, years, math.log1p(rate)))
    ):
        return rate
    # Each bracketed root is a proven sign change: only the bound can exclude it.
    roots = [y for y in _bracketed_roots(net, years) if not (bounded and _too_large(net, years, y))]
    if not roots:
        return None
    log_start = math.log1p(start)
    return math.expm1(min(roots, key=lambda y: abs(y - log_start)))


def _initial_guess(net: FloatArray) -> float:
    positive = float(net[net > 0].sum())
    negative = -float(net[net < 0].sum())
    return min(max(positive / negative - 1.0, -0.9), 0.1)


def _newton(net: FloatArray, years: FloatArray, start: float) -> float | None:
    weighted = net * years
    rate = float(start)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(_NEWTON_MAX_ITERATIONS):
            if not (rate > -1.0 and math.isfinite(rate)):
                return None
            discount = np.exp(-years * math.log1p(rate))
            npv = float(np.dot(net, discount))
            # Zero within rounding: no step can improve on this rate.
            if abs(npv) <= _NOISE * float(np.dot(np.abs(net), discount)):
                return rate
            slope = -float(np.dot(weighted, discount)) / (1.0 + rate)
            if slope == 0.0 or not math.isfinite(slope):
                return None
            step = npv / slope
            rate -= step
            if abs(step) <= _NEWTON_RTOL * max(1.0, abs(rate)):
                return rate if rate > -1.0 else None
    return None


def _shifted_terms(net: FloatArray, years: FloatArray, y: float) -> FloatArray:
    """P_i e^{-y t_i}, times e^{y T} when y < 0: no overflow, same signs and ratios."""
    shift = float(years[-1]) if y < 0 else 0.0
    with np.errstate(over="ignore", under="ignore"):
        return net * np.exp(-y * (years - shift))


def _is_zero(net: FloatArray, years: FloatArray, rate: float) -> bool:
    """The NPV vanishes relative to the discounted flows (not a crawl along a flat tail)."""
    if not (rate > -1.0 and math.isfinite(rate)):
        return False
    terms = _shifted_terms(net, years, math.log1p(rate))
    size = float(np.sum(np.abs(terms)))
    return math.isfinite(size) and abs(float(np.sum(terms))) <= _ZERO_NPV * size


def _too_large(net: FloatArray, years: FloatArray, y: float) -> bool:
    """sum(|P_i| (1 + r)^-t_i) beyond _MAX_CONDITION times the largest flow (|P| <= 1)."""
    shift = float(years[-1]) if y < 0 else 0.0
    size = float(np.sum(np.abs(_shifted_terms(net, years, y))))
    return not (size > 0) or math.log(size) - y * shift > math.log(_MAX_CONDITION)


def _bracketed_roots(net: FloatArray, years: FloatArray) -> list[float]:
    """y = log(1 + r) of every sign change of the NPV on the y-grid, solved by Brent.

    In y the NPV is sum(P_i e^{-y t_i}), evaluated as `_shifted_terms` so that nothing
    overflows. Roots stay in y: near r = -1 a float r has lost digits that y still holds.
    """
    span = float(years[-1])
    scan = _SCAN_Y

    def shifted(y: float) -> float:
        return float(np.sum(_shifted_terms(net, years, y)))

    with np.errstate(over="ignore", under="ignore"):
        shift = np.where(scan < 0, span, 0.0)
        exponents = -np.outer(scan, years) + (scan * shift)[:, None]
        values = np.exp(exponents) @ net
    signs = np.sign(values)
    roots: list[float] = []
    for k in np.flatnonzero(signs == 0):
        roots.append(float(scan[k]))
    for k in np.flatnonzero(signs[:-1] * signs[1:] < 0):
        roots.append(_brent(shifted, float(scan[k]), float(scan[k + 1]), values[k], values[k + 1]))
    return roots


def _brent(f: Callable[[float], float], a: float, b: float, fa: float, fb: float) -> float:
    """Brent's method on a bracket [a, b] with f(a) f(b) < 0 (Brent 1973, as in zbrent)."""
    eps = float(np.finfo(np.float64).eps)
    c, fc = b, fb
    d = e = b - a
    for _ in range(200):
        if (fb > 0) == (fc > 0):
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tolerance = 2.0 * eps * abs(b) + 1e-15
        middle = 0.5 * (c - b)
        if abs(middle) <= tolerance or fb == 0:
            return b
        if abs(e) >= tolerance and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:  # secant
                p, q = 2.0 * middle * s, 1.0 - s
            else:  # inverse quadratic interpolation
                q, r = fa / fc, fb / fc
                p = s * (2.0 * middle * q * (q - r) - (b - a) * (r - 1.0))
                q = (q - 1.0) * (r - 1.0) * (s - 1.0)
            if p > 0:
                q = -q
            p = abs(p)
            if 2.0 * p < min(3.0 * middle * q - abs(tolerance * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = middle
        else:
            d = e = middle
        a, fa = b, fb
        b += d if abs(d) > tolerance else math.copysign(tolerance, middle)
        fb = f(b)
    return b


# ── Money-weighted return and the period summary ─────────────────────────────


def _as_days(days: ArrayLike) -> NDArray[np.datetime64]:
    return np.asarray(days, dtype="datetime64[D]")


def _to_date(day: np.datetime64) -> datetime.date:
    return day.astype("datetime64[D]").item()


def mwr_cash_flows(
    days: ArrayLike,
    value: ArrayLike,
    inflow: ArrayLike,
    outflow: ArrayLike,
    value_before_start: float,
) -> tuple[NDArray[np.datetime64], FloatArray]:
    """The investor's flows of DESIGN.md's MWR, as (dates, amounts) arrays.

    -V_{start-1} on the day before start (left out when zero), -I_t + O_t on each day t and
    +V_end added on the end day. Days with no net flow are dropped.
    """
    d = _as_days(days)
    v = np.asarray(value, dtype=np.float64)
    amounts = np.asarray(outflow, dtype=np.float64) - np.asarray(inflow, dtype=np.float64)
    if d.size == 0:
        return d, amounts
    amounts[-1] += v[-1]
    dates = np.concatenate([[d[0] - np.timedelta64(1, "D")], d])
    amounts = np.concatenate([[-float(value_before_start)], amounts])
    keep = amounts != 0
    return dates[keep], amounts[keep]


def money_weighted_return(
    days: ArrayLike,
    value: ArrayLike,
    inflow: ArrayLike,
    outflow: ArrayLike,
    value_before_start: float,
) -> float | None:
    """MWR: XIRR (Actual/365, annual rate) of `mwr_cash_flows`; ``None`` without a root."""
    dates, amounts = mwr_cash_flows(days, value, inflow, outflow, value_before_start)
    return xirr_arrays(dates, amounts)


def representable_rate(rate: float | None) -> float | None:
    """``rate`` when it is a finite number no larger than `MAX_RATE` in size, else ``None``."""
    if rate is None or not math.isfinite(rate) or abs(rate) > MAX_RATE:
        return None
    return float(rate)


@dataclass(frozen=True, slots=True)
class MoneyWeighted:
    """A period's money-weighted return (DESIGN.md §4).

    ``annual`` is the XIRR (an annual rate); ``period`` the period's own money-weighted return
    (1 + annual)^(n/365) - 1, given only for periods of n < 365 days. Either is ``None`` where
    no rate solves the flows or where it is too large to represent (beyond `MAX_RATE`); then
    ``note`` says which.
    """

    annual: float | None
    period: float | None
    note: str | None


TOO_LARGE = "too large to represent"
TOO_NEAR_LOSS = "too close to -100 % to represent"
NO_RATE = "No rate solves these cash flows."


def money_weighted(dates: ArrayLike, amounts: ArrayLike, n_days: int) -> MoneyWeighted:
    """The annual MWR of the flows (`mwr_cash_flows`) and, for n_days < 365, the period's own.

    The period's rate is solved for with the period as the unit of time, from the annual rate
    brought to the period as the start when there is one (so both name the same root), never
    by raising an annual rate to a power: near -100 % or beyond ~10^300 a float annual rate
    has lost what the period's rate still holds.
    """
    annual = xirr_arrays(dates, amounts)
    period = None
    if n_days < DAYS_PER_YEAR:
        guess = None
        if annual is not None and annual > -1.0 and math.isfinite(annual):
            brought = math.expm1(math.log1p(annual) * n_days / DAYS_PER_YEAR)
            guess = brought if brought > -1.0 else None
        period = xirr_arrays(dates, amounts, guess, basis=max(int(n_days), 1))
    shown_annual, shown_period = representable_rate(annual), representable_rate(period)
    note = None
    solved = annual is not None or period is not None
    if shown_annual is None:
        if not solved:
            note = NO_RATE
        elif shown_period is not None:
            size = TOO_NEAR_LOSS if shown_period < 0 else TOO_LARGE
            note = f"The annual rate is {size}; the period's own rate is given."
        else:
            note = f"The rate is {TOO_LARGE}."
    elif n_days < DAYS_PER_YEAR and shown_period is None:
        note = f"The period's own rate is {TOO_LARGE}."
    return MoneyWeighted(annual=shown_annual, period=shown_period, note=note)


@dataclass(frozen=True, slots=True)
class Performance:
    """A period's headline figures (DESIGN.md §4); ``None`` where a figure is undefined.

    ``start_value`` is V_{start-1}; ``n_days`` the calendar days of [start, end];
    ``net_flows`` = inflows - outflows; ``twr_annualized`` only for n_days >= 365; ``mwr`` is
    an annual rate (XIRR) whatever the period's length, ``mwr_period`` the period's own
    money-weighted return (only for n_days < 365); see `money_weighted`.
    """

    start: datetime.date
    end: datetime.date
    n_days: int
    start_value: float
    end_value: float
    inflows: float
    outflows: float
    net_flows: float
    gain: float
    twr: float
    twr_annualized: float | None
    mwr: float | None
    simple_return: float | None
    mwr_period: float | None = None
    mwr_note: str | None = None


def performance(
    days: ArrayLike,
    value: ArrayLike,
    inflow: ArrayLike,
    outflow: ArrayLike,
    value_before_start: float,
) -> Performance:
    """Summarise a period [days[0], days[-1]] (at least one day) into `Performance`."""
    d = _as_days(days)
    v = np.asarray(value, dtype=np.float64)
    i = np.asarray(inflow, dtype=np.float64)
    o = np.asarray(outflow, dtype=np.float64)
    if d.size == 0:
        raise ValueError("a period has at least one day")
    n_days = int((d[-1] - d[0]).astype(np.int64)) + 1
    total = twr(v, i, o, value_before_start)
    inflows, outflows = float(i.sum()), float(o.sum())
    weighted = money_weighted(*mwr_cash_flows(d, v, i, o, value_before_start), n_days)
    return Performance(
        start=_to_date(d[0]),
        end=_to_date(d[-1]),
        n_days=n_days,
        start_value=float(value_before_start),
        end_value=float(v[-1]),
        inflows=inflows,
        outflows=outflows,
        net_flows=inflows - outflows,
        gain=gain(v, i, o, value_before_start),
        twr=total,
        twr_annualized=annualise(total, n_days),
        mwr=weighted.annual,
        simple_return=simple_return(v, i, o, value_before_start),
        mwr_period=weighted.period,
        mwr_note=weighted.note,
    )


# ── Return tables ────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class PeriodReturn:
    """The chained daily returns of one calendar week, month or year.

    ``start``/``end`` are the first and last days of the series inside that calendar period
    (a table's first and last rows may cover part of it).
    """

    start: datetime.date
    end: datetime.date
    twr: float


def period_returns(
    days: ArrayLike, r: ArrayLike, period: Literal["week", "month", "year"]
) -> list[PeriodReturn]:
    """Chain daily returns within each calendar week (Monday-Sunday), month or year.

    ``days`` must be sorted; vectorised with ``np.multiply.reduceat``.
    """
    d = _as_days(days)
    returns = np.asarray(r, dtype=np.float64)
    if d.shape != returns.shape:
        raise ValueError("days and returns must have the same length")
    if d.size == 0:
        return []
    if period == "week":
        # Day 0 (1970-01-01) is a Thursday, so (n + 3) // 7 changes on Mondays.
        keys = (d.astype(np.int64) + 3) // 7
    elif period == "month":
        keys = d.astype("datetime64[M]").astype(np.int64)
    elif period == "year":
        keys = d.astype("datetime64[Y]").astype(np.int64)
    else:
        raise ValueError(f"unknown period {period!r}")
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    ends = np.concatenate([starts[1:] - 1, [d.size - 1]])
    chained = np.multiply.reduceat(1.0 + returns, starts) - 1.0
    return [
        PeriodReturn(start=_to_date(d[s]), end=_to_date(d[e]), twr=float(c))
        for s, e, c in zip(starts, ends, chained, strict=True)
    ]


def monthly_returns(days: ArrayLike, r: ArrayLike) -> list[PeriodReturn]:
    """Return of each calendar month: the daily returns chained within it."""
    return period_returns(days, r, "month")


def yearly_returns(days: ArrayLike, r: ArrayLike) -> list[PeriodReturn]:
    """Return of each calendar year: the daily returns chained within it."""
    return period_returns(days, r, "year")
