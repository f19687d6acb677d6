"""The report's dataclasses: what `portfolio_performance` answers (figures, series, benchmark)."""

from __future__ import annotations

import datetime
import math
import uuid
from dataclasses import dataclass, field

import numpy as np

from portfolios.engine.cash import NegativeCash
from portfolios.engine.returns import (
    PeriodReturn,
    daily_returns,
)
from portfolios.engine.risk_measures import RollingRisk
from portfolios.performance.periods import ONE_DAY


@dataclass(frozen=True)
class BenchmarkResult:
    """The benchmark over the report's period, in the portfolio's base currency."""

    asset_id: int
    symbol: str
    name: str
    currency: str
    twr: float
    excess_return: float
    beta: float | None
    correlation: float | None
    alpha: float | None
    up_capture: float | None = None
    down_capture: float | None = None
    capture_notes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PerformanceSeries:
    """Daily points of the period: value, external inflows and outflows and net invested in the
    base currency, cumulative TWR (W_t - 1), drawdown (W_t / max W - 1) and the benchmark's
    cumulative return (NaN where it has no close; all NaN without a benchmark).
    `start_value` is V_{start-1}."""

    days: np.ndarray
    value: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    net_invested: np.ndarray
    twr: np.ndarray
    drawdown: np.ndarray
    benchmark: np.ndarray
    start_value: float = 0.0

    def __len__(self) -> int:
        return int(self.days.size)

    @property
    def dates(self) -> list[datetime.date]:
        return self.days.astype(object).tolist()

    def daily_returns(self) -> np.ndarray:
        """r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1 (0 when the denominator is 0)."""
        return daily_returns(self.value, self.inflow, self.outflow, self.start_value)

    def points(self) -> list[dict]:
        """One dict per day (date, value, net_invested, twr, drawdown, benchmark or None)."""
        bench = [None if math.isnan(v) else v for v in self.benchmark.tolist()]
        return [
            {
                "date": day,
                "value": value,
                "net_invested": net,
                "twr": twr,
                "drawdown": drawdown,
                "benchmark": bench_value,
            }
            for day, value, net, twr, drawdown, bench_value in zip(
                self.dates,
                self.value.tolist(),
                self.net_invested.tolist(),
                self.twr.tolist(),
                self.drawdown.tolist(),
                bench,
                strict=True,
            )
        ]


@dataclass(frozen=True)
class PerformanceReport:
    """A portfolio's performance over a period. Money is float in the base currency (rounded
    only for display); rates are fractions; None where a figure is undefined. `pending` explains
    why there are no figures (an exchange rate still loading, an impossible history);
    `dates_note` that a transaction dated before EARLIEST_MEASURED counts as of that day."""

    portfolio_id: uuid.UUID
    currency: str
    period: str
    start: datetime.date
    end: datetime.date
    n_days: int
    has_transactions: bool
    start_value: float = 0.0
    end_value: float = 0.0
    inflows: float = 0.0
    outflows: float = 0.0
    net_flows: float = 0.0
    gain: float = 0.0
    twr: float | None = None
    twr_annualized: float | None = None
    mwr: float | None = None
    mwr_period: float | None = None
    mwr_note: str | None = None
    simple_return: float | None = None
    price_gain: float = 0.0
    income: float = 0.0
    fees: float = 0.0
    taxes: float = 0.0
    currency_effect: float = 0.0
    volatility: float | None = None
    sharpe: float | None = None
    sortino: float | None = None
    downside_risk: float | None = None
    max_drawdown: float | None = None
    drawdown_peak: datetime.date | None = None
    drawdown_trough: datetime.date | None = None
    drawdown_recovery: datetime.date | None = None
    beta: float | None = None
    correlation: float | None = None
    # More risk measures (engine.risk_measures); `risk_notes` says why one is None (by key).
    calmar: float | None = None
    value_at_risk: float | None = None
    expected_shortfall: float | None = None
    omega: float | None = None
    tail_ratio: float | None = None
    up_capture: float | None = None
    down_capture: float | None = None
    risk_notes: dict[str, str] = field(default_factory=dict)
    # Volatility and Sharpe over the trailing 252 business days, on each business day of the
    # period that has a full window before it (the window may reach back before the start).
    rolling: RollingRisk | None = None
    benchmark: BenchmarkResult | None = None
    benchmark_symbol: str | None = None
    benchmark_note: str | None = None
    risk_free_rate: float = 0.0
    monthly: tuple[PeriodReturn, ...] = ()
    yearly: tuple[PeriodReturn, ...] = ()
    series: PerformanceSeries | None = None
    pending: str | None = None
    dates_note: str | None = None
    # Each cash balance that went below zero up to today (the ledger's `negative_cash`).
    negative_cash: tuple[NegativeCash, ...] = ()

    @property
    def gain_parts(self) -> list[tuple[str, str, float]]:
        """(key, label, amount) of the gain's parts, in the order they add up."""
        return [
            ("price_gain", "Price gain", self.price_gain),
            ("income", "Income", self.income),
            ("fees", "Fees", self.fees),
            ("taxes", "Taxes", self.taxes),
            ("currency_effect", "Currency effect", self.currency_effect),
        ]

    @property
    def day_before_start(self) -> datetime.date:
        """The day whose close is the start value."""
        return self.start - ONE_DAY

    @property
    def excess_return(self) -> float | None:
        return self.benchmark.excess_return if self.benchmark is not None else None

    def monthly_table(self) -> list[dict]:
        """Rows per year: the twelve monthly returns (None where the period has no day in the
        month) and the year's return."""
        by_year: dict[int, list[float | None]] = {}
        for row in self.monthly:
            by_year.setdefault(row.start.year, [None] * 12)[row.start.month - 1] = row.twr
        yearly = {row.start.year: row.twr for row in self.yearly}
        return [
            {"year": year, "months": months, "total": yearly.get(year)}
            for year, months in sorted(by_year.items())
        ]
