"""Target weights for a chosen set of assets, as an index builder computes them.

Pure maths on a days x assets matrix of closes (numpy only). Five methods:

- ``equal``: 1/n each.
- ``inverse_volatility``: w_i ∝ 1/s_i, s_i the annualised volatility of the asset's daily returns
  over the window (sample sd, n - 1, x √252, as ``engine.risk.volatility``).
- ``risk_parity``: equal risk contribution on the trailing (sample) covariance S of daily
  returns: w_i (Sw)_i / (w'Sw) = 1/n for every i. Solved by Newton's method on the convex
  problem min 1/2 y'Sy - sum b_i ln y_i with b_i = 1/n (Spinu 2013, "An algorithm for computing
  risk parity weights"), whose minimum has y_i (Sy)_i = b_i, then w = y / sum(y). It stops when
  every risk-contribution share is within ``RISK_PARITY_TOLERANCE`` (1e-10) of 1/n, or after
  ``RISK_PARITY_MAX_ITERATIONS`` (100) Newton steps (it takes about ten); ``inputs`` says which
  (``converged``, ``iterations``, ``max_deviation``).
- ``momentum``: the trailing 12-month return skipping the last month, in trading rows:
  m_i = c_i[t - skip] / c_i[t - window] - 1 with t the last row on or before ``as_of``,
  window 252 and skip 21 by default. The ``top_n`` assets of highest momentum (ties: the
  earlier column) are held, weighted ``equal`` (1/k) or ``proportional`` (∝ m_i). Only
  *positive* momentum is held: an asset whose momentum is zero or negative is never selected
  (an index of what went up; the weight it would have had is spread over the selected ones), so
  fewer than ``top_n`` may be held, and when none has positive momentum the answer is an error.
- ``market_cap``: w_i ∝ market cap (given by the caller, in one currency); an asset without one
  is an error naming it.

Rows are observations (the selector passes business days with closes forward-filled over
holidays, as ``engine.risk`` measures returns); only rows dated on or before ``as_of`` are read
(no look-ahead), NaN closes take the previous row's close, and the trailing ``window`` returns
need ``window + 1`` closes of every asset. Returns are in each column's own currency.

A cap (one number for every asset, or one per asset, None for none) limits a weight; what a
capped asset loses goes to the uncapped held ones in proportion to their weights, repeatedly
until no weight exceeds its cap (risk parity's contributions are then no longer equal). Caps
whose sum over the held assets is below 1 cannot be met: an error says so. Weights sum to 1.

Errors are ``StrategyError``: its ``columns`` name the assets concerned by column, and
``message_for(labels)`` spells them with the caller's labels (symbols).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .market import to_date, to_day64
from .risk import TRADING_DAYS_PER_YEAR

__all__ = [
    "DEFAULT_SKIP",
    "DEFAULT_TOP_N",
    "DEFAULT_WINDOW",
    "METHODS",
    "METHOD_PARAMETERS",
    "MOMENTUM_WEIGHTINGS",
    "RISK_PARITY_MAX_ITERATIONS",
    "RISK_PARITY_TOLERANCE",
    "StrategyError",
    "StrategyWeights",
    "caps_apply",
    "risk_contributions",
    "risk_parity_solve",
    "rows_needed",
    "strategy_weights",
    "weights_rounded",
]

METHODS = ("equal", "inverse_volatility", "risk_parity", "momentum", "market_cap")
MOMENTUM_WEIGHTINGS = ("equal", "proportional")
DEFAULT_WINDOW = TRADING_DAYS_PER_YEAR  # a year of trading days
DEFAULT_SKIP = 21  # a month of trading days
DEFAULT_TOP_N = 10
RISK_PARITY_TOLERANCE = 1e-10
RISK_PARITY_MAX_ITERATIONS = 100
# Weights this close to a cap count as at it (float rounding of the redistribution).
_CAP_SLACK = 1e-12

METHOD_PARAMETERS: dict[str, frozenset[str]] = {
    "equal": frozenset({"cap"}),
    "inverse_volatility": frozenset({"cap", "window"}),
    "risk_parity": frozenset({"cap", "window"}),
    "momentum": frozenset({"cap", "window", "skip", "top_n", "weighting"}),
    "market_cap": frozenset({"cap"}),
}


class StrategyError(ValueError):
    """Weights cannot be computed: bad parameters, too few closes, infeasible caps, a missing
    market cap. ``columns`` are the asset columns concerned (may be empty)."""

    def __init__(self, reason: str, *, columns: Sequence[int] = (), field: str | None = None):
        self.reason = reason
        self.columns = tuple(columns)
        self.field = field
        super().__init__(self.message_for(None))

    def message_for(self, labels: Sequence[str] | None) -> str:
        """The reason, followed by the assets concerned (labels, else "column i")."""
        if not self.columns:
            return self.reason
        names = [
            labels[column] if labels is not None else f"column {column}" for column in self.columns
        ]
        return f"{self.reason}: {', '.join(names)}."


@dataclass(frozen=True)
class StrategyWeights:
    weights: tuple[float, ...]  # one per asset column, summing to 1 (0 for excluded)
    as_of: datetime.date
    method: str
    inputs: dict  # window, returns, vols, caps … used


# ── Parameters ───────────────────────────────────────────────────────────────


def rows_needed(params: Mapping[str, object] | None) -> int:
    """How many trailing rows of closes a method reads: its window's returns plus one (the
    default window for a missing or malformed one, which `strategy_weights` then refuses)."""
    window = (params or {}).get("window", DEFAULT_WINDOW)
    usable = isinstance(window, int) and not isinstance(window, bool) and window > 0
    return (window if usable else DEFAULT_WINDOW) + 1


def _int_param(params: Mapping[str, object], name: str, default: int, minimum: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise StrategyError(f"{name} must be a whole number", field=name)
    if value < minimum:
        raise StrategyError(f"{name} must be at least {minimum}", field=name)
    return int(value)


def _caps(params: Mapping[str, object], n_assets: int) -> tuple[float | None, ...] | None:
    """The cap of each column (None: uncapped), or None when no cap is asked for."""
    raw = params.get("cap")
    if raw is None:
        return None
    values = list(raw) if isinstance(raw, Sequence) and not isinstance(raw, str) else None
    if values is None:
        values = [raw] * n_assets
    elif len(values) != n_assets:
        raise StrategyError(f"cap needs one value per asset ({n_assets})", field="cap")
    caps: list[float | None] = []
    for value in values:
        if value is None:
            caps.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
            raise StrategyError("cap must be a number between 0 and 1", field="cap")
        cap = float(value)
        if not (0 < cap <= 1):
            raise StrategyError("cap must be above 0 and at most 1", field="cap")
        caps.append(cap)
    return tuple(caps)


# ── Caps ─────────────────────────────────────────────────────────────────────


def caps_apply(weights: Sequence[float], caps: Sequence[float | None]) -> np.ndarray:
    """Weights (summing to 1) with no weight above its cap: the excess of each capped weight
    goes to the held (weight > 0) uncapped ones in proportion to their weights, repeated
    until none exceeds its cap. Raises StrategyError when the held assets' caps sum below 1."""
    w = np.asarray(weights, dtype=np.float64).copy()
    limit = np.array([np.inf if cap is None else cap for cap in caps], dtype=np.float64)
    held = w > 0
    if limit[held].sum() < 1 - 1e-9:
        raise StrategyError(
            f"The caps of the {int(held.sum())} weighted assets add up to "
            f"{limit[held].sum():.2%}, below 100%: raise a cap or add assets",
            field="cap",
        )
    at_cap = np.zeros(w.size, dtype=bool)
    for _ in range(w.size + 1):
        over = held & ~at_cap & (w > limit + _CAP_SLACK)
        if not over.any():
            break
        excess = float((w[over] - limit[over]).sum())
        w[over] = limit[over]
        at_cap |= over
        free = held & ~at_cap
        base = float(w[free].sum())
        if base <= 0:  # only capped assets left: the caps sum to exactly 1
            break
        w[free] += excess * w[free] / base
    w[at_cap] = limit[at_cap]
    return w / w.sum()


# ── Risk parity ──────────────────────────────────────────────────────────────


def risk_contributions(weights: Sequence[float], covariance: np.ndarray) -> np.ndarray:
    """Each asset's share of the portfolio variance: w_i (Σw)_i / (w'Σw) (they sum to 1)."""
    w = np.asarray(weights, dtype=np.float64)
    marginal = covariance @ w
    return w * marginal / float(w @ marginal)


@dataclass(frozen=True)
class RiskParitySolution:
    weights: np.ndarray
    iterations: int
    converged: bool
    max_deviation: float  # max |risk share - 1/n|


def risk_parity_solve(
    covariance: np.ndarray,
    *,
    tolerance: float = RISK_PARITY_TOLERANCE,
    max_iterations: int = RISK_PARITY_MAX_ITERATIONS,
) -> RiskParitySolution:
    """Equal-risk-contribution weights by Newton's method on Spinu's convex problem (see the
    module): damped steps y - H^-1 g / (1 + l) while the Newton decrement l is large (which
    keeps y > 0: the objective is self-concordant), full steps once l < 1/4."""
    sigma = np.asarray(covariance, dtype=np.float64)
    n = sigma.shape[0]
    budget = np.full(n, 1.0 / n)
    inverse_vol = 1.0 / np.sqrt(np.diag(sigma))  # the answer when correlations are zero
    y = inverse_vol / math.sqrt(float(inverse_vol @ sigma @ inverse_vol))  # y'Sy = 1 = sum(b)
    deviation = math.inf
    for iteration in range(1, max_iterations + 1):
        gradient = sigma @ y - budget / y
        hessian = sigma + np.diag(budget / (y * y))
        step = np.linalg.solve(hessian, gradient)
        decrement = math.sqrt(max(float(gradient @ step), 0.0))
        size = 1.0 if decrement < 0.25 else 1.0 / (1.0 + decrement)
        while not (y - size * step > 0).all():  # rounding only: theory keeps y > 0
            size /= 2
        y = y - size * step
        w = y / y.sum()
        deviation = float(np.max(np.abs(risk_contributions(w, sigma) - budget)))
        if deviation <= tolerance:
            return RiskParitySolution(w, iteration, True, deviation)
    return RiskParitySolution(y / y.sum(), max_iterations, False, deviation)


# ── The window of closes ─────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Window:
    closes: np.ndarray  # (rows, assets), forward-filled, no NaN
    days: np.ndarray  # datetime64[D] of those rows

    @property
    def returns(self) -> np.ndarray:
        with np.errstate(over="ignore"):  # a ratio beyond floats is inf, refused by its user
            return self.closes[1:] / self.closes[:-1] - 1.0


def _forward_filled(closes: np.ndarray) -> np.ndarray:
    rows = np.arange(closes.shape[0])[:, None]
    known = ~np.isnan(closes)
    last_known = np.maximum.accumulate(np.where(known, rows, -1), axis=0)
    filled = np.take_along_axis(closes, np.maximum(last_known, 0), axis=0)
    return np.where(last_known >= 0, filled, np.nan)


def _window(days: np.ndarray, closes: np.ndarray, as_of: datetime.date, rows: int) -> _Window:
    """The last `rows` rows dated on or before `as_of`, forward-filled; every asset must have a
    positive close on each."""
    usable = int(np.searchsorted(days, to_day64(as_of), side="right"))
    if usable < rows:
        raise StrategyError(
            f"Needs {rows} days of closes up to {as_of.isoformat()}, and there are {usable}",
            field="window",
        )
    filled = _forward_filled(closes[:usable])[usable - rows :]
    bad = ~np.isfinite(filled) | (filled <= 0)
    if bad.any():
        first_day = to_date(days[usable - rows]).isoformat()
        raise StrategyError(
            f"No close on or before {first_day} (the window's first day) for",
            columns=np.flatnonzero(bad.any(axis=0)).tolist(),
            field="window",
        )
    return _Window(filled, days[usable - rows : usable])


def _window_inputs(window: _Window, size: int) -> dict:
    return {
        "window": size,
        "first_day": to_date(window.days[0]),
        "last_day": to_date(window.days[-1]),
        "observations": int(window.days.size) - 1,
    }


def _volatilities(returns: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        vols = returns.std(axis=0, ddof=1) * math.sqrt(TRADING_DAYS_PER_YEAR)
    extreme = np.flatnonzero(~np.isfinite(vols))
    if extreme.size:
        raise StrategyError("Price moves too extreme to measure for", columns=extreme.tolist())
    flat = np.flatnonzero(~(vols > 0))
    if flat.size:
        raise StrategyError("No price movement over the window for", columns=flat.tolist())
    return vols


def _total_returns(window: _Window) -> tuple[float, ...]:
    return tuple((window.closes[-1] / window.closes[0] - 1.0).tolist())


# ── Methods ──────────────────────────────────────────────────────────────────


def _inverse_volatility(days, closes, as_of, params) -> tuple[np.ndarray, dict]:
    size = _int_param(params, "window", DEFAULT_WINDOW, 2)
    window = _window(days, closes, as_of, size + 1)
    vols = _volatilities(window.returns)
    inverse = 1.0 / vols
    inputs = _window_inputs(window, size)
    inputs |= {"returns": _total_returns(window), "volatilities": tuple(vols.tolist())}
    return inverse / inverse.sum(), inputs


def _risk_parity(days, closes, as_of, params) -> tuple[np.ndarray, dict]:
    size = _int_param(params, "window", DEFAULT_WINDOW, 2)
    window = _window(days, closes, as_of, size + 1)
    returns = window.returns
    vols = _volatilities(returns)
    covariance = np.atleast_2d(np.cov(returns, rowvar=False, ddof=1)) * TRADING_DAYS_PER_YEAR
    eigenvalues = np.linalg.eigvalsh(covariance)
    if eigenvalues[0] <= eigenvalues[-1] * 1e-12:
        # A singular covariance has no equal-risk answer (weights run off along its null
        # space): fewer returns than assets, or an asset moving exactly as a mix of others.
        raise StrategyError(
            f"Risk parity needs more daily returns than assets ({closes.shape[1]}) and no asset "
            "that moves exactly as a mix of the others: lengthen the window or drop one",
            field="window",
        )
    solution = risk_parity_solve(covariance)
    inputs = _window_inputs(window, size)
    inputs["covariance"] = covariance
    inputs |= {
        "returns": _total_returns(window),
        "volatilities": tuple(vols.tolist()),
        "tolerance": RISK_PARITY_TOLERANCE,
        "max_iterations": RISK_PARITY_MAX_ITERATIONS,
        "iterations": solution.iterations,
        "converged": solution.converged,
        "max_deviation": solution.max_deviation,
    }
    return solution.weights, inputs


def _momentum(days, closes, as_of, params) -> tuple[np.ndarray, dict]:
    skip = _int_param(params, "skip", DEFAULT_SKIP, 0)
    size = _int_param(params, "window", DEFAULT_WINDOW, skip + 1)
    top_n = _int_param(params, "top_n", DEFAULT_TOP_N, 1)
    weighting = params.get("weighting", "equal")
    if weighting not in MOMENTUM_WEIGHTINGS:
        raise StrategyError("weighting must be equal or proportional", field="weighting")
    window = _window(days, closes, as_of, size + 1)
    start, end = window.closes[0], window.closes[-1 - skip]
    with np.errstate(over="ignore"):
        momentum = end / start - 1.0
    # Highest momentum first; ties keep column order (a stable sort of the negated values).
    order = np.argsort(-momentum, kind="stable")
    selected = [int(i) for i in order[:top_n] if momentum[i] > 0]
    inputs = _window_inputs(window, size)
    inputs |= {
        "skip": skip,
        "top_n": top_n,
        "weighting": weighting,
        "momentum_start": to_date(window.days[0]),
        "momentum_end": to_date(window.days[-1 - skip]),
        "momentum": tuple(momentum.tolist()),
        "selected": tuple(sorted(selected)),
    }
    if not selected:
        raise StrategyError(
            "No asset has a positive momentum (the return from "
            f"{inputs['momentum_start'].isoformat()} to {inputs['momentum_end'].isoformat()})"
        )
    weights = np.zeros(closes.shape[1])
    if weighting == "equal":
        weights[selected] = 1.0
    else:
        weights[selected] = momentum[selected]
    with np.errstate(invalid="ignore"):  # an infinite momentum: NaN, refused by the caller
        return weights / weights.sum(), inputs


def _market_cap(market_caps: Sequence[float | None] | None, n_assets: int):
    caps = list(market_caps) if market_caps is not None else [None] * n_assets
    if len(caps) != n_assets:
        raise StrategyError(f"market_caps needs one value per asset ({n_assets})")
    values = np.array([np.nan if cap is None else float(cap) for cap in caps])
    missing = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if missing.size:
        raise StrategyError("No market cap is known for", columns=missing.tolist())
    return values / values.sum(), {"market_caps": tuple(values.tolist())}


def weights_rounded(weights: Sequence[float], places: int = 10) -> tuple[Decimal, ...]:
    """Weights as Decimals of `places` decimals that add up to exactly 1: each rounded down,
    then the units left over go one each to the largest remainders (ties: the earlier)."""
    unit = Decimal(1).scaleb(-places)
    scale = 10**places
    exact = [Decimal(repr(float(w))) * scale for w in weights]
    floors = [int(value) for value in exact]
    left = scale - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[: max(left, 0)]:
        floors[i] += 1
    return tuple(floor * unit for floor in floors)


def strategy_weights(
    method: str,
    *,
    days: np.ndarray,
    closes: np.ndarray,
    as_of: datetime.date,
    params: Mapping[str, object] | None = None,
    market_caps: Sequence[float | None] | None = None,
) -> StrategyWeights:
    """Target weights of the columns of `closes` by `method` (see the module), computed from
    the rows dated on or before `as_of` only. Raises StrategyError."""
    if method not in METHODS:
        raise StrategyError(f"Unknown method {method!r}: one of {', '.join(METHODS)}")
    params = dict(params or {})
    unknown = sorted(set(params) - METHOD_PARAMETERS[method])
    if unknown:
        raise StrategyError(
            f"{method} takes no {', '.join(unknown)} (it takes "
            f"{', '.join(sorted(METHOD_PARAMETERS[method]))})",
            field=unknown[0],
        )
    day_array = np.asarray(days, dtype="datetime64[D]")
    matrix = np.asarray(closes, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != day_array.size:
        raise StrategyError("closes must have one row per day and one column per asset")
    n_assets = matrix.shape[1]
    if n_assets == 0:
        raise StrategyError("Choose at least one asset", field="assets")
    if day_array.size > 1 and not (np.diff(day_array.astype(np.int64)) > 0).all():
        raise StrategyError("days must be strictly increasing")
    caps = _caps(params, n_assets)

    if method == "equal":
        weights, inputs = np.full(n_assets, 1.0 / n_assets), {}
    elif method == "inverse_volatility":
        weights, inputs = _inverse_volatility(day_array, matrix, as_of, params)
    elif method == "risk_parity":
        weights, inputs = _risk_parity(day_array, matrix, as_of, params)
    elif method == "momentum":
        weights, inputs = _momentum(day_array, matrix, as_of, params)
    else:
        weights, inputs = _market_cap(market_caps, n_assets)

    if not np.isfinite(weights).all():  # figures beyond floats (prices from 1e-300 to 1e16)
        raise StrategyError("The weights cannot be computed: the price moves are too extreme")
    inputs["as_of"] = as_of
    inputs["caps"] = caps
    if caps is not None:
        inputs["uncapped_weights"] = tuple(weights.tolist())
        weights = caps_apply(weights, caps)
    if method == "risk_parity":
        # Of the final weights: equal unless a cap moved them.
        inputs["risk_contributions"] = tuple(
            risk_contributions(weights, inputs.pop("covariance")).tolist()
        )
    return StrategyWeights(
        weights=tuple(float(w) for w in weights), as_of=as_of, method=method, inputs=inputs
    )
