"""Simulation (backtest) of a weighting rule on daily closes: pure numpy, no Django.

`simulate` invests an initial amount on the first row on or after ``start``, adds a monthly
contribution on the first row of every later month, and rebalances to the rule's weights on the
schedule chosen (never, monthly, quarterly, yearly, or when a weight drifts more than a band of
points from its target). The rule is re-run at each rebalance with the rows up to and including
that day only (slices ``days[: k + 1]``, ``closes[: k + 1]``: no look-ahead).

Conventions (stated, and tested by hand-computed examples):

- Rows are the days of the price matrix (trading days); a trade happens at that day's close,
  forward-filled when an asset has no bar that day. Quantities are fractional.
- A fixed ``fee`` is paid per trade (each asset bought or sold on a day is one trade) out of the
  money being invested, so the weights apply to what is left after fees.
- A contribution on a day that is not a rebalance buys the target weights with the new money
  only (nothing is sold); on a rebalance day it joins the full rebalance.
- Money that cannot be invested (a contribution smaller than its fees) stays as cash, at 0 %.
- Flows are external: the initial amount and each contribution are inflows, so the metrics
  come from the engine's own functions (`returns.performance`, `period.period_returns`,
  `risk.risk_metrics`) on the calendar days from the first investment to ``end``, values
  forward-filled over days without a row. The value before the start is 0.
- The benchmark is bought with the same flows on the same days, without fees, and measured the
  same way.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .market import day_range, to_date, to_day64
from .period import period_returns
from .returns import performance, wealth_index
from .risk import risk_metrics

__all__ = [
    "REBALANCE_CHOICES",
    "Rule",
    "SeriesMetrics",
    "Simulation",
    "SimulationError",
    "Trades",
    "fixed_weights_rule",
    "series_metrics",
    "simulate",
]

Rule = Callable[[datetime.date, np.ndarray, np.ndarray], Sequence[float]]
"""(rebalance date, days up to it, closes up to it) → one weight per asset column, summing to 1."""

REBALANCE_CHOICES = ("never", "monthly", "quarterly", "yearly", "drift")

FloatArray = NDArray[np.float64]

# A trade smaller than this share of the portfolio is rounding, not a trade (and pays no fee).
_TRADE_TOLERANCE = 1e-9
# Weights from a rule must add up to 1 within this.
_WEIGHT_TOLERANCE = 1e-6


class SimulationError(ValueError):
    """The inputs cannot be simulated (no rows in range, a weight on an asset with no price)."""


@dataclass(frozen=True, slots=True)
class Trades:
    """Every simulated trade as parallel arrays: its day, asset column, side (+1 buy, -1 sell),
    quantity (> 0), price (the close used) and fee."""

    days: np.ndarray
    assets: NDArray[np.int64]
    sides: NDArray[np.int8]
    quantities: FloatArray
    prices: FloatArray
    fees: FloatArray

    def __len__(self) -> int:
        return int(self.days.size)


@dataclass(frozen=True, slots=True)
class SeriesMetrics:
    """A value series' figures: TWR (and annualised, for n >= 365 days), MWR (annual XIRR, and
    the period's own under a year), volatility, Sharpe, Sortino, max drawdown; None if undefined."""

    end_value: float
    invested: float
    gain: float
    twr: float
    twr_annualized: float | None
    mwr: float | None
    mwr_period: float | None
    mwr_note: str | None
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None


@dataclass(frozen=True, slots=True)
class Simulation:
    """A backtest's result. ``days`` are calendar days from the first investment to the end;
    ``value``, ``inflow`` and ``benchmark_value`` are aligned with them. ``quantities`` and
    ``cash`` are the holdings at the end; ``rebalance_days`` and ``weights`` (one row per rule
    run) the targets set."""

    days: np.ndarray
    value: FloatArray
    inflow: FloatArray
    benchmark_value: FloatArray | None
    trades: Trades
    quantities: FloatArray
    cash: float
    rebalance_days: np.ndarray
    weights: FloatArray
    metrics: SeriesMetrics
    benchmark_metrics: SeriesMetrics | None

    @property
    def contributions(self) -> list[tuple[datetime.date, float]]:
        """The external flows (the initial amount and each contribution) with their days."""
        rows = np.flatnonzero(self.inflow)
        return [(to_date(self.days[i]), float(self.inflow[i])) for i in rows]


def fixed_weights_rule(weights: Sequence[float]) -> Rule:
    """A rule that always answers the same weights (normalised to add up to 1)."""
    fixed = np.asarray(weights, dtype=np.float64)
    total = float(fixed.sum())
    if fixed.ndim != 1 or not np.all(np.isfinite(fixed)) or np.any(fixed < 0) or total <= 0:
        raise SimulationError("Weights must be finite, zero or more, and not all zero.")
    fixed = fixed / total

    def rule(day: datetime.date, days: np.ndarray, closes: np.ndarray) -> FloatArray:
        return fixed

    return rule


def series_metrics(
    days: np.ndarray, value: FloatArray, inflow: FloatArray, risk_free_rate: float = 0.0
) -> SeriesMetrics:
    """The figures of a value series with its inflows (no outflows, 0 before the first day),
    through `returns.performance`, `period.period_returns` and `risk.risk_metrics`."""
    outflow = np.zeros_like(value)
    summary = performance(days, value, inflow, outflow, 0.0)
    wealth = wealth_index(period_returns(value, inflow, outflow, 0.0))
    risk = risk_metrics(days, wealth, risk_free_rate)
    return SeriesMetrics(
        end_value=summary.end_value,
        invested=summary.inflows,
        gain=summary.gain,
        twr=summary.twr,
        twr_annualized=summary.twr_annualized,
        mwr=summary.mwr,
        mwr_period=summary.mwr_period,
        mwr_note=summary.mwr_note,
        volatility=risk.volatility,
        sharpe=risk.sharpe,
        sortino=risk.sortino,
        max_drawdown=risk.drawdown.max_drawdown if risk.drawdown is not None else None,
    )


def _forward_filled(closes: np.ndarray) -> FloatArray:
    """Closes forward-filled down each column, 0 where an asset has no close yet (unpriced).
    One column at a time, so the scratch memory is one column, not a second matrix of indices."""
    filled = np.array(closes, dtype=np.float64, copy=True)
    rows = np.arange(filled.shape[0])
    for column in range(filled.shape[1]):
        values = filled[:, column]
        known = np.isfinite(values) & (values > 0)
        if known.all():
            continue
        last = np.maximum.accumulate(np.where(known, rows, -1))
        values[:] = np.where(last >= 0, values[np.maximum(last, 0)], 0.0)
    return filled


def _schedule(days: np.ndarray, first: int, last: int, rebalance: str) -> tuple[set, set]:
    """Rows (absolute indices) of monthly contributions and of scheduled rebalances in
    (first, last]: the first row of each new month, quarter or year."""
    months = days[first : last + 1].astype("datetime64[M]").astype(np.int64)
    new_month = np.flatnonzero(months[1:] != months[:-1]) + 1 + first
    month_of = months[new_month - first]  # months since 1970-01
    contributions = set(new_month.tolist())
    if rebalance == "monthly":
        scheduled = new_month
    elif rebalance == "quarterly":
        scheduled = new_month[month_of % 3 == 0]
    elif rebalance == "yearly":
        scheduled = new_month[month_of % 12 == 0]
    else:
        scheduled = new_month[:0]
    return contributions, set(scheduled.tolist())


def _checked_weights(raw: Sequence[float], n_assets: int, day: datetime.date) -> FloatArray:
    weights = np.asarray(raw, dtype=np.float64).reshape(-1)
    if weights.size != n_assets:
        raise SimulationError(
            f"The rule gave {weights.size} weights on {day.isoformat()} for {n_assets} assets."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise SimulationError(f"The rule gave a negative or undefined weight on {day.isoformat()}.")
    if abs(float(weights.sum()) - 1.0) > _WEIGHT_TOLERANCE:
        raise SimulationError(
            f"The rule's weights on {day.isoformat()} add up to {weights.sum():.6f}, not 1."
        )
    return weights / weights.sum()


class _Book:
    """The simulated account: quantities, cash and the trades so far."""

    def __init__(self, n_assets: int, fee: float) -> None:
        self.quantities = np.zeros(n_assets)
        self.cash = 0.0
        self.fee = float(fee)
        self.trade_rows: list[tuple[int, FloatArray, FloatArray, FloatArray]] = []

    def _trade(self, row: int, delta_value: FloatArray, prices: FloatArray, fees: int) -> None:
        traded = np.flatnonzero(delta_value)
        quantity = np.zeros_like(delta_value)
        quantity[traded] = delta_value[traded] / prices[traded]
        self.quantities += quantity
        self.cash -= float(delta_value.sum()) + fees * self.fee
        self.trade_rows.append((row, traded, quantity[traded], prices[traded]))

    def rebalance(self, row: int, prices: FloatArray, weights: FloatArray) -> None:
        """Trade to `weights` of everything held (cash included), fees out of it."""
        current = self.quantities * prices
        total = float(current.sum()) + self.cash
        tolerance = _TRADE_TOLERANCE * max(abs(total), 1.0)
        trades = int(np.count_nonzero(np.abs(weights * total - current) > tolerance))
        for _ in range(4):  # the number of trades sets the fees, which move the targets
            investable = total - trades * self.fee
            delta = weights * investable - current
            moving = np.abs(delta) > tolerance
            if int(moving.sum()) == trades:
                break
            trades = int(moving.sum())
        if investable <= 0 or trades == 0:
            return
        self._trade(row, np.where(moving, delta, 0.0), prices, trades)

    def invest(self, row: int, prices: FloatArray, weights: FloatArray, amount: float) -> None:
        """Buy `weights` of `amount` (new money only; nothing sold); kept as cash when the
        amount does not cover its fees."""
        self.cash += amount
        buying = weights > 0
        investable = amount - int(buying.sum()) * self.fee
        if investable <= 0:
            return
        self._trade(row, np.where(buying, weights * investable, 0.0), prices, int(buying.sum()))

    def trades(self, days: np.ndarray) -> Trades:
        if not self.trade_rows:
            empty = np.array([], dtype=np.float64)
            return Trades(
                days[:0], np.array([], np.int64), np.array([], np.int8), empty, empty, empty
            )
        rows = np.concatenate([np.full(t[1].size, t[0]) for t in self.trade_rows])
        signed = np.concatenate([t[2] for t in self.trade_rows])
        return Trades(
            days=days[rows],
            assets=np.concatenate([t[1] for t in self.trade_rows]).astype(np.int64),
            sides=np.where(signed > 0, 1, -1).astype(np.int8),
            quantities=np.abs(signed),
            prices=np.concatenate([t[3] for t in self.trade_rows]),
            fees=np.full(rows.size, self.fee),
        )


def _drift_row(
    filled: FloatArray, first: int, stop: int, book: _Book, targets: FloatArray, band: float
) -> int | None:
    """The first row in [first, stop) where a weight is more than `band` from its target."""
    if stop <= first:
        return None
    values = filled[first:stop] * book.quantities
    totals = values.sum(axis=1) + book.cash
    with np.errstate(invalid="ignore", divide="ignore"):
        drift = np.abs(values / totals[:, None] - targets).max(axis=1)
    beyond = np.flatnonzero(drift > band)
    return first + int(beyond[0]) if beyond.size else None


def _row_range(days: np.ndarray, start: datetime.date, end: datetime.date) -> tuple[int, int]:
    first = int(np.searchsorted(days, to_day64(start), side="left"))
    last = int(np.searchsorted(days, to_day64(end), side="right")) - 1
    if first >= days.size or last < first:
        raise SimulationError(
            f"There are no prices between {start.isoformat()} and {end.isoformat()}."
        )
    return first, last


def _calendar(
    days: np.ndarray, first: int, last: int, end: datetime.date, row_values: FloatArray
) -> tuple[np.ndarray, FloatArray, NDArray[np.int64]]:
    """Calendar days from the first row to `end`, the row values forward-filled over them,
    and each calendar day's row (relative to `first`)."""
    calendar = day_range(to_date(days[first]), end)
    index = np.searchsorted(days[first : last + 1], calendar, side="right") - 1
    return calendar, row_values[index], index


def simulate(
    *,
    days: np.ndarray,
    closes: np.ndarray,
    start: datetime.date,
    end: datetime.date,
    initial_amount: float,
    weights: Sequence[float] | None = None,
    rule: Rule | None = None,
    monthly_contribution: float = 0.0,
    rebalance: str = "monthly",
    drift_band: float | None = None,
    fee: float = 0.0,
    benchmark: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    progress: Callable[[float], None] | None = None,
) -> Simulation:
    """Backtest fixed ``weights`` or a ``rule`` over [start, end] on ``closes``.

    ``days`` are ascending unique ``datetime64[D]`` rows; ``closes`` has shape (rows, assets),
    NaN where an asset has no close (rows before ``start`` are history the rule may read).
    ``drift_band`` is in points (5 = a weight 5 points off its target) and is required by
    ``rebalance="drift"``, which checks every row and sets new targets at each rebalance.
    ``benchmark`` holds the benchmark's closes on the same rows (NaN where none). ``progress``
    is told the share of rows done after each rebalance.
    """
    day_array = np.asarray(days, dtype="datetime64[D]")
    matrix = np.asarray(closes, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != day_array.size or matrix.shape[1] == 0:
        raise SimulationError("The closes must be one row per day and one column per asset.")
    if day_array.size > 1 and not np.all(day_array[1:] > day_array[:-1]):
        raise SimulationError("The days must be strictly increasing.")
    if rebalance not in REBALANCE_CHOICES:
        raise SimulationError(f"Unknown rebalancing {rebalance!r}.")
    if rebalance == "drift" and not (drift_band is not None and drift_band > 0):
        raise SimulationError("Drift rebalancing needs a band of more than 0 points.")
    if (weights is None) == (rule is None):
        raise SimulationError("Give either weights or a rule.")
    if not (initial_amount > 0 and math.isfinite(initial_amount)):
        raise SimulationError("The initial amount must be more than 0.")
    chosen_rule = rule if rule is not None else fixed_weights_rule(weights or ())
    n_assets = matrix.shape[1]
    first, last = _row_range(day_array, start, end)
    filled = _forward_filled(matrix)
    contribution_rows, rebalance_rows = _schedule(day_array, first, last, rebalance)
    if monthly_contribution <= 0:
        contribution_rows = set()
    events = sorted(contribution_rows | rebalance_rows)
    band = (drift_band or 0.0) / 100.0

    book = _Book(n_assets, fee)
    row_values = np.empty(last - first + 1)
    flows = np.zeros(last - first + 1)
    rule_days: list[int] = []
    rule_weights: list[FloatArray] = []

    def targets_at(row: int) -> FloatArray:
        day = to_date(day_array[row])
        target = _checked_weights(
            chosen_rule(day, day_array[: row + 1], matrix[: row + 1]), n_assets, day
        )
        unpriced = np.flatnonzero((target > 0) & (filled[row] <= 0))
        if unpriced.size:
            raise SimulationError(
                f"Asset column {int(unpriced[0])} has a weight but no price on {day.isoformat()}.",
            )
        rule_days.append(row)
        rule_weights.append(target)
        return target

    targets = targets_at(first)
    book.invest(first, filled[first], targets, float(initial_amount))
    flows[0] = float(initial_amount)
    row_values[0] = float(filled[first] @ book.quantities) + book.cash
    done_to = first  # rows up to here are valued
    pending = iter([*events, last + 1])
    next_event = next(pending)
    span = max(last - first, 1)
    while done_to < last:
        stop = min(next_event, last + 1)
        drift_at = (
            _drift_row(filled, done_to + 1, stop, book, targets, band)
            if rebalance == "drift"
            else None
        )
        value_to = drift_at if drift_at is not None else stop
        if value_to > done_to + 1:
            segment = filled[done_to + 1 : value_to] @ book.quantities + book.cash
            row_values[done_to + 1 - first : value_to - first] = segment
        if value_to > last:
            break
        row = value_to
        prices = filled[row]
        contribution = float(monthly_contribution) if row in contribution_rows else 0.0
        if drift_at is not None or row in rebalance_rows:
            targets = targets_at(row)
            book.cash += contribution
            book.rebalance(row, prices, targets)
        else:
            book.invest(row, prices, targets, contribution)
        flows[row - first] += contribution
        row_values[row - first] = float(prices @ book.quantities) + book.cash
        done_to = row
        if drift_at is None:
            next_event = next(pending)
        if progress is not None:
            progress((row - first) / span)

    calendar, value, index = _calendar(day_array, first, last, end, row_values)
    inflow = np.zeros(calendar.size)
    flow_rows = np.flatnonzero(flows)
    inflow[np.searchsorted(index, flow_rows, side="left")] = flows[flow_rows]
    metrics = series_metrics(calendar, value, inflow, risk_free_rate)

    benchmark_value = benchmark_metrics = None
    if benchmark is not None:
        bench = _forward_filled(np.asarray(benchmark, dtype=np.float64).reshape(-1, 1))[:, 0]
        bench_rows = bench[first : last + 1]
        if np.all(bench_rows[flow_rows] > 0):
            units = np.zeros(row_values.size)
            units[flow_rows] = flows[flow_rows] / bench_rows[flow_rows]
            bench_row_values = np.cumsum(units) * bench_rows
            benchmark_value = bench_row_values[index]
            benchmark_metrics = series_metrics(calendar, benchmark_value, inflow, risk_free_rate)

    return Simulation(
        days=calendar,
        value=value,
        inflow=inflow,
        benchmark_value=benchmark_value,
        trades=book.trades(day_array),
        quantities=book.quantities.copy(),
        cash=book.cash,
        rebalance_days=day_array[rule_days],
        weights=np.array(rule_weights),
        metrics=metrics,
        benchmark_metrics=benchmark_metrics,
    )
