"""The performance read model: `portfolio_performance` is the one function behind the Performance
page and its API twin (they cannot disagree), computed by `portfolios.engine` per DESIGN.md §4.

What a report holds, for a period [start, end] (both inclusive; V_{start-1} is the start value):

- `twr`, `twr_annualized` (only when the period has >= 365 days), `mwr` (XIRR, an annual rate),
  `mwr_period` (the period's own money-weighted return, only when it has < 365 days) and
  `mwr_note` (why either is None: too large to represent, or no rate), `simple_return` = gain / (V_{start-1} + ΣI), and `gain` = V_end - V_{start-1} - ΣI + ΣO.
- The gain in parts that add up to it exactly (up to float rounding), all in the base currency:

      gain = price_gain + income + fees + taxes + currency_effect

  * `income`: dividends and interest (gross amounts) dated in the period, each converted at the
    rate the ledger used for it (its own fx_rate, else that day's FX close).
  * `fees` (<= 0): every fee paid in the period: trade fees on buys and sells, fees charged on
    income, fee transactions (amount + fee) and fees on deposits and withdrawals; at their rates.
  * `taxes` (<= 0): tax transactions (amount + fee) dated in the period, at their rates.
  * `currency_effect`: what exchange-rate moves added, for every currency c other than the base:
    Σ_t (L_{c,t-1} + C_{c,t-1}) (x_{c,t} - x_{c,t-1}) over the period's days, where L_c is the
    local market value of the securities traded in c (from the same engine valuation, in c),
    C_c the cash balance in c (only when the portfolio records cash) and x_c the FX close the
    valuation uses; plus, on each buy, sell or cash movement in c, (x_{c,t} - r) times its local
    amount (signed as it moves value in), where r is the rate the ledger booked it at (zero unless
    the transaction carries its own fx_rate).
  * `price_gain`: the securities' own price moves: Σ_t Σ_a (q_{a,t} p_{a,t} - q_{a,t-1} p_{a,t-1}
    - net traded value p q of a on day t, in a's currency) x_t; i.e. the market gain of the
    holdings (value change net of purchases at price x quantity and sales at price x quantity)
    minus their currency effect. Computed as gain - income - fees - taxes - currency_effect, which
    is that sum (the identity above, in both "with cash records" and "securities only" modes).
- Risk (business-day returns of the wealth index; empyrical's definitions): `volatility`,
  `sharpe` and `sortino` with the risk-free rate of the `RISK_FREE_RATE` setting (annual, default
  0), `max_drawdown` over calendar days with its peak, trough and recovery dates, and against the
  benchmark `beta` and `correlation`.
- `benchmark`: the portfolio's benchmark asset, else `^GSPC` from the catalogue, over the same days
  and in the base currency (its closes times the FX close): its TWR (close on the end day over the
  close of the day before start, minus 1) and `excess_return` = TWR - benchmark TWR. Where it
  has no close on or before the day before start (a start on a Monday or after a holiday), its
  first close in the period stands in as that base (and `benchmark_note` says so). None when it
  has no close in the period at all; then its history is queued on commit (never fetched in the
  request).
- `monthly` and `yearly` chained returns, and the daily `series` (value, net invested, cumulative
  TWR, drawdown, cumulative benchmark return) for the charts and the API.

Loading and caching. A request runs two small queries: the portfolio's `ledger_version` (with
`ledger_summary`, what the computation must know of the transactions beforehand: the first
date, the assets and currencies, whether cash is recorded, and the log of the last writes; the
services write both with every transaction write) and the assets it needs (held assets, FX pairs,
the benchmark) with the first and last date of their stored prices and their price versions. A
cached *state* (`_Head`) records what the daily series was computed from, the ledger version
included; when both still match, the transactions are not read at all and the report comes from
the cache (keyed by the state's token, the benchmark's price dates, the risk-free rate and the
period). When something moved, D, the earliest date a change touches, is the earliest date
touched by the writes since the state was computed, read from the write logs (`portfolia.changelog`): the portfolio's
for its transactions, and each moved asset's (one more query) for prices, however far back (a
correction); when a log no longer holds every write since (more than its last 32), everything
is recomputed. The series is recomputed from the latest saved ledger checkpoint before D
(DESIGN's "a change dated D recomputes from D"): a computation leaves checkpoints at the month
ends of the last twelve months and the year ends of the last few years (`_resume_points`), so
an edit in the last year resumes at most a month before its date. Only the transactions after
the checkpoint are loaded, and the closes from a month before it come from the cached state's
own copy of the recent closes when the price marks have not moved (else from the database).
The ledger runs valuation-only (`track_lots=False`: quantities, last prices, cash and flows, no
lots or costs; the reports replay the full ledger themselves). Checkpoints are kept in the
cache as plain tuples (`_ledger_pack`), all those of one computation in one entry where the
positions they share are packed and pickled once.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import datetime
import gc
import io
import logging
import math
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from operator import attrgetter

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db import transaction as db_transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from market.models import Asset, AssetClass, Price
from portfolia.changelog import changed_since
from portfolia.validators import EARLIEST_DATE
from portfolios.engine.attribution import currency_effect, foreign_levels
from portfolios.engine.ledger import LedgerState, Lot, NegativeCash, Position
from portfolios.engine.market import (
    MINOR_UNITS,
    Closes,
    FxTable,
    MissingFxRate,
    PriceTable,
    fx_pair_symbols,
)
from portfolios.engine.returns import (
    PeriodReturn,
    annualise,
    daily_returns,
    money_weighted,
    monthly_returns,
    mwr_cash_flows,
    wealth_index,
    yearly_returns,
)
from portfolios.engine.risk import benchmark_comparison, drawdown_series, risk_metrics
from portfolios.engine.types import LedgerError, Txn, format_date
from portfolios.engine.valuation import DailySeries, daily_series, external_flows
from portfolios.models import TXN_COLUMNS, Portfolio, Transaction, txns_from_rows

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BENCHMARK",
    "PERIODS",
    "BenchmarkResult",
    "FlowRow",
    "PerformanceReport",
    "PerformanceSeries",
    "Period",
    "PeriodError",
    "daily_values_csv",
    "mwr_flows_csv",
    "performance_flows",
    "period_resolve",
    "phase_timings",
    "portfolio_ledger_load",
    "portfolio_performance",
    "txn_rate",
]

DEFAULT_BENCHMARK = "^GSPC"
PERIODS = ("1D", "1W", "1M", "3M", "YTD", "1Y", "3Y", "5Y", "MAX")
DEFAULT_PERIOD = "1Y"

CACHE_PREFIX = "portfolios:perf:v6"
STATE_TIMEOUT = 7 * 24 * 3600
REPORT_TIMEOUT = 24 * 3600
BENCHMARK_QUEUE_TIMEOUT = 3600  # ask for a missing benchmark history at most hourly
# Bars read before a window's first day, so forward-filling has a close to start from.
LOOKBACK = datetime.timedelta(days=31)
# Resume points kept: year ends of the last few years and the ends of the latest computations.
YEAR_ENDS_KEPT = 3
RECENT_ENDS_KEPT = 14

ONE_DAY = datetime.timedelta(days=1)
# The first day measured. A transaction stored with an earlier date (0001-01-01, from before
# dates were bounded on input) counts as of this day, and the report says so (`dates_note`):
# the day before start must exist, and a daily series from year 1 would be 740,000 days long.
EARLIEST_MEASURED = EARLIEST_DATE  # the input bound (portfolia.validators)
ROUNDING_NOISE = 1e-12
_EPOCH = datetime.date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()


_phases: ContextVar[dict[str, float] | None] = ContextVar("performance_phases", default=None)


@contextlib.contextmanager
def phase_timings() -> Iterator[dict[str, float]]:
    """Seconds the read model spends inside the block loading from the database ("load"), in
    the cache ("cache", pickling included) and in the engine's daily series ("engine", a part
    of the computation). For the benchmark script."""
    totals: dict[str, float] = defaultdict(float)
    token = _phases.set(totals)
    try:
        yield totals
    finally:
        _phases.reset(token)


@contextlib.contextmanager
def _phase(name: str) -> Iterator[None]:
    totals = _phases.get()
    if totals is None:
        yield
        return
    began = time.perf_counter()
    try:
        yield
    finally:
        totals[name] += time.perf_counter() - began


def _timed(name: str):
    """Count a function's time under `name` in `phase_timings`."""

    def decorate(function):
        def timed(*args, **kwargs):
            with _phase(name):
                return function(*args, **kwargs)

        timed.__name__ = function.__name__
        timed.__doc__ = function.__doc__
        return timed

    return decorate


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a computation allocates hundreds of thousands of
    short-lived objects (Decimals, transactions, lots) that form no cycles, and the collector's
    passes over them would cost a tenth of the time for nothing. Reference counting still frees
    them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _cache_get(key: str):
    with _phase("cache"):
        return cache.get(key)


def _cache_set(key: str, value: object, timeout: int) -> None:
    with _phase("cache"):
        cache.set(key, value, timeout)


def _cache_set_many(values: dict[str, object], timeout: int) -> None:
    with _phase("cache"):
        cache.set_many(values, timeout)


def _risk_free_rate() -> float:
    return float(getattr(settings, "RISK_FREE_RATE", 0.0) or 0.0)


def _major(currency: str) -> str:
    return MINOR_UNITS.get(currency, (currency, 1))[0]


def _day(ordinal_days: int) -> datetime.date:
    return datetime.date.fromordinal(int(ordinal_days) + _EPOCH_ORDINAL)


def _days64(start: datetime.date, end: datetime.date) -> np.ndarray:
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1, dtype="datetime64[D]")


# ── Periods ──────────────────────────────────────────────────────────────────


class PeriodError(ValueError):
    """A period the API answers 400 for; `field` names the parameter at fault."""

    def __init__(self, message: str, field: str = "period") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Period:
    """[start, end], both inclusive; `label` is one of PERIODS or "custom"."""

    label: str
    start: datetime.date
    end: datetime.date

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (that month's last day when it is shorter)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return datetime.date(year, month_index + 1, min(day.day, last_day))


def period_resolve(
    *,
    period: str | None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    first_date: datetime.date | None,
    today: datetime.date,
) -> Period:
    """The dates of a named period ending today, or of a custom start/end.

    A named period of n months or years ends today and starts the day after the same date n
    months or years earlier (1Y of 2025-06-30 is 2024-07-01..2025-06-30), so V_{start-1} is the
    close exactly that long ago; 1D is today alone, 1W the last 7 days, YTD from 1 January, MAX
    from the first transaction. Any start before the first transaction becomes the first
    transaction's date (there is nothing to measure before it). A custom end defaults to today
    and may not be later; a custom start defaults to the first transaction's date.
    """
    if start is not None or end is not None:
        if period not in (None, "", "custom"):
            raise PeriodError("Give either a period or start and end dates, not both.")
        end = end or today
        if end > today:
            raise PeriodError("The end date cannot be in the future.", "end")
        start = start or first_date or end
        if start > end:
            raise PeriodError("The start date must be on or before the end date.", "start")
        label = "custom"
    else:
        label = (period or DEFAULT_PERIOD).upper()
        end = today
        if label == "1D":
            start = end
        elif label == "1W":
            start = end - datetime.timedelta(days=6)
        elif label in ("1M", "3M"):
            start = _months_before(end, int(label[0])) + ONE_DAY
        elif label == "YTD":
            start = datetime.date(end.year, 1, 1)
        elif label in ("1Y", "3Y", "5Y"):
            start = _months_before(end, 12 * int(label[0])) + ONE_DAY
        elif label == "MAX":
            start = first_date or end
        else:
            raise PeriodError(f"Unknown period {period!r}: choose one of {', '.join(PERIODS)}.")
    if first_date is not None and start < first_date:
        start = first_date
    # Nothing is measured before EARLIEST_MEASURED (and the day before start must exist).
    start, end = max(start, EARLIEST_MEASURED), max(end, EARLIEST_MEASURED)
    return Period(label, min(start, end), end)


# ── The report ───────────────────────────────────────────────────────────────


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


# ── Cached state ─────────────────────────────────────────────────────────────


@dataclass
class _Digest:
    """What the computation needs to know of the transactions before reading them: how many,
    the first date, the portfolio's cash choices (`Portfolio.records_cash`, `cash_per_currency`,
    through its `ledger_summary`), the assets and the currencies.
    Whether they changed is told by the portfolio's
    `ledger_version`, not by the digest."""

    count: int
    first_day: datetime.date | None
    records_cash: bool
    asset_ids: frozenset[int]
    currencies: frozenset[str]
    cash_per_currency: bool = False

    @property
    def first_date(self) -> datetime.date | None:
        """The first day measured: the first transaction's, or EARLIEST_MEASURED if earlier."""
        if self.first_day is None:
            return None
        return max(self.first_day, EARLIEST_MEASURED)

    @property
    def dates_note(self) -> str | None:
        """What the reports say when a transaction is dated before EARLIEST_MEASURED."""
        if self.first_day is None or self.first_day >= EARLIEST_MEASURED:
            return None
        return (
            f"A transaction is dated {self.first_day:%-d %b} {self.first_day.year:04d}, before "
            f"{EARLIEST_MEASURED:%-d %b %Y}: it is counted as of {EARLIEST_MEASURED:%-d %b %Y}. "
            "Correct its date to measure from when it happened."
        )


def _measured_rows(rows: list) -> list:
    """TXN_COLUMNS rows (sorted by date) with dates before EARLIEST_MEASURED moved to it."""
    early = 0
    while early < len(rows) and rows[early][3] < EARLIEST_MEASURED:
        early += 1
    if not early:
        return rows
    moved = [(*row[:3], EARLIEST_MEASURED, *row[4:]) for row in rows[:early]]
    return moved + rows[early:]


@dataclass
class _Head:
    """The cached description of a portfolio's computed series (small: read on every request)."""

    token: str
    base_currency: str
    method: str
    records_cash: bool
    start: datetime.date | None
    end: datetime.date
    digest: _Digest
    fx_symbols: dict[str, tuple[str, int]]  # currency → (pair symbol, asset id)
    price_marks: dict[int, tuple]  # asset id → `_AssetInfo.marks`
    checkpoints: dict[datetime.date, str]  # resume day → cache key of its bundle (day → packed)
    ledger_version: int | None = None  # the portfolio's `ledger_version` it was computed at
    error: str | None = None
    negative_cash: tuple[NegativeCash, ...] = ()  # the ledger's, at `end`


@dataclass
class _Body:
    """The daily arrays from the first transaction to `_Head.end` (all float64, per day)."""

    days: np.ndarray
    value: np.ndarray
    securities: np.ndarray
    cash: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    net_invested: np.ndarray
    income: np.ndarray
    fees: np.ndarray  # <= 0
    taxes: np.ndarray  # <= 0
    currency_effect: np.ndarray
    local_values: dict[str, np.ndarray]  # the engine's `DailySeries.local_values`
    cash_balances: dict[str, np.ndarray]  # and its `cash_balances`
    # The cache key of the closes the computation read, from `closes_from` on (with each
    # asset's last close before it), per requested asset (None: it has none): a later
    # resumption from a day at least LOOKBACK after `closes_from`, with the same price marks,
    # reads them from there instead of the database (and keeps the same entry).
    closes_from: datetime.date | None = None
    closes_key: str | None = None


def _key(*parts: object) -> str:
    return ":".join([CACHE_PREFIX, *(str(part) for part in parts)])


# ── Ledger checkpoints as plain tuples ───────────────────────────────────────


def _layout(cls: type, skip: Sequence[str] = ()) -> tuple[attrgetter, tuple[int, ...], tuple]:
    """How `_ledger_pack` flattens a dataclass: a getter of its fields (in order, less `skip`),
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


def _ledger_pack(state: LedgerState, memo: dict[int, tuple] | None = None) -> tuple:
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


def _ledger_unpack(packed: tuple, memo: dict[int, tuple] | None = None) -> LedgerState:
    """The ledger state of `_ledger_pack` (with empty `sales` and `flows`). With `memo`, each
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


# ── Loading ──────────────────────────────────────────────────────────────────


def _digest_from_rows(rows: list, portfolio: Portfolio) -> _Digest:
    """The digest of TXN_COLUMNS rows (in entry order) of `portfolio` (its cash choices)."""
    return _Digest(
        count=len(rows),
        first_day=rows[0][3] if rows else None,
        records_cash=portfolio.records_cash,
        cash_per_currency=portfolio.cash_per_currency,
        asset_ids=frozenset(row[4] for row in rows if row[4] is not None),
        currencies=frozenset(row[10] for row in rows),
    )


def _digest_from_summary(summary: dict) -> _Digest:
    """The digest of a portfolio's `ledger_summary` (written by `services.ledger_changed`)."""
    first = summary.get("first")
    return _Digest(
        count=int(summary.get("count", 0)),
        first_day=datetime.date.fromisoformat(first) if first else None,
        records_cash=bool(summary.get("records_cash")),
        cash_per_currency=bool(summary.get("cash_per_currency")),
        asset_ids=frozenset(summary.get("assets", ())),
        currencies=frozenset(summary.get("currencies", ())),
    )


@_timed("load")
def _ledger_version(portfolio: Portfolio) -> tuple[int, list, _Digest]:
    """The portfolio's `ledger_version`, the log of its last writes and the digest of its
    `ledger_summary`, read now (the instance may be older than the last write)."""
    version, summary = (
        Portfolio.objects.filter(pk=portfolio.pk)
        .values_list("ledger_version", "ledger_summary")
        .get()
    )
    return version, summary.get("changes", []), _digest_from_summary(summary)


@_timed("load")
def _txn_rows(portfolio: Portfolio, *, after: datetime.date | None) -> list:
    """Transaction rows (TXN_COLUMNS) in entry order: all, or those dated after `after` (the
    engine skips those up to its checkpoint)."""
    queryset = Transaction.objects.filter(portfolio=portfolio)
    if after is not None:
        queryset = queryset.filter(date__gt=after)
    queryset = queryset.order_by("date", "id").values_list(*TXN_COLUMNS)
    if connection.vendor != "postgresql":
        return _measured_rows(list(queryset))
    # The same statement and rows (psycopg already returns these columns as Django would,
    # Decimals and dates), without the ORM's row iteration: a fifth less for 15,000 rows.
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _measured_rows(cursor.fetchall())


@dataclass(frozen=True)
class _AssetInfo:
    id: int
    symbol: str
    name: str
    currency: str
    owner_id: int | None
    first: datetime.date | None
    last: datetime.date | None
    price_version: int = 0

    @property
    def marks(self) -> tuple:
        """What tells whether its closes changed: first and last price date, and the version
        every price write bumps (`market.services.prices_changed`)."""
        return self.first, self.last, self.price_version


@dataclass
class _Market:
    assets: dict[int, _AssetInfo]
    fx: dict[str, _AssetInfo]  # currency → the pair asset chosen (with prices)
    benchmark: _AssetInfo | None
    benchmark_symbol: str | None
    benchmark_fx: _AssetInfo | None


@_timed("load")
def _market_meta(portfolio: Portfolio, digest: _Digest) -> _Market:
    """One query: the held assets, candidate FX pairs and the benchmark, each with the first
    and last date of its stored prices (kept on the asset by `market.services.prices_changed`)."""
    base = portfolio.base_currency
    benchmark_currency = portfolio.benchmark.currency if portfolio.benchmark_id else "USD"
    currencies = {_major(c) for c in digest.currencies} | {benchmark_currency}
    candidates = {c: fx_pair_symbols(c, base) for c in sorted(currencies) if c != base}
    symbols = sorted({symbol for options in candidates.values() for symbol in options})
    condition = Q(pk__in=sorted(digest.asset_ids))
    if symbols:
        condition |= Q(symbol__in=symbols, asset_class=AssetClass.FX) & (
            Q(owner__isnull=True) | Q(owner_id=portfolio.owner_id)
        )
    if portfolio.benchmark_id:
        condition |= Q(pk=portfolio.benchmark_id)
    else:
        condition |= Q(symbol=DEFAULT_BENCHMARK, owner__isnull=True)
    rows = Asset.objects.filter(condition).values_list(
        "id",
        "symbol",
        "name",
        "currency",
        "owner_id",
        "provider",
        "first_price_date",
        "last_price_date",
        "price_version",
    )
    infos: dict[int, _AssetInfo] = {}
    by_symbol: dict[str, list[_AssetInfo]] = defaultdict(list)
    default_benchmarks: list[tuple[bool, _AssetInfo]] = []
    for asset_id, symbol, name, currency, owner_id, provider, first, last, *version in rows:
        info = _AssetInfo(asset_id, symbol, name, currency, owner_id, first, last, *version)
        infos[asset_id] = info
        by_symbol[symbol].append(info)
        if symbol == DEFAULT_BENCHMARK and owner_id is None:
            default_benchmarks.append((provider != settings.MARKET_DATA_PROVIDER, info))
    fx: dict[str, _AssetInfo] = {}
    for currency, options in candidates.items():
        chosen = None
        for symbol in options:
            # The owner's own pair first (made on purpose), then the catalogue's; with prices.
            found = sorted(by_symbol.get(symbol, []), key=lambda info: info.owner_id is None)
            chosen = next((info for info in found if info.first is not None), None)
            if chosen is not None:
                break
        if chosen is not None:
            fx[currency] = chosen
    if portfolio.benchmark_id:
        benchmark = infos.get(portfolio.benchmark_id)
    else:
        benchmark = (
            min(default_benchmarks, key=lambda item: item[0])[1] if default_benchmarks else None
        )
    benchmark_fx = None
    if benchmark is not None and _major(benchmark.currency) != base:
        benchmark_fx = fx.get(_major(benchmark.currency))
    return _Market(
        assets={asset_id: infos[asset_id] for asset_id in digest.asset_ids if asset_id in infos},
        fx=fx,
        benchmark=benchmark,
        benchmark_symbol=benchmark.symbol if benchmark else DEFAULT_BENCHMARK,
        benchmark_fx=benchmark_fx,
    )


@_timed("load")
def _closes_load(requests: dict[int, datetime.date | None]) -> dict[int, Closes]:
    """Daily closes of each asset from its date (None: all of them), in one query.

    On PostgreSQL each asset's days and closes travel as two packed binary strings (loading
    hundreds of thousands of rows as Python objects would cost more than the computation);
    elsewhere as rows.
    """
    if not requests:
        return {}
    by_start: dict[datetime.date | None, list[int]] = defaultdict(list)
    for asset_id, since in requests.items():
        by_start[since].append(asset_id)
    out: dict[int, Closes] = {}
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Price._meta.db_table)
        clauses, params = [], []
        for since, ids in by_start.items():
            if since is None:
                clauses.append("asset_id = ANY(%s)")
                params.append(sorted(ids))
            else:
                clauses.append("(asset_id = ANY(%s) AND date >= %s)")
                params += [sorted(ids), since]
        sql = f"""
            SELECT asset_id, string_agg(int4send(date - DATE '1970-01-01'), ''),
                   string_agg(float8send(close), '')
            FROM {table} WHERE {" OR ".join(clauses)} GROUP BY asset_id
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for asset_id, days, closes in cursor.fetchall():
                out[asset_id] = Closes.from_arrays(
                    np.frombuffer(bytes(days), ">i4").astype(np.int64).astype("datetime64[D]"),
                    np.frombuffer(bytes(closes), ">f8").astype(np.float64),
                )
        return out
    condition = Q()
    for since, ids in by_start.items():
        condition |= Q(asset_id__in=ids) if since is None else Q(asset_id__in=ids, date__gte=since)
    rows = list(Price.objects.filter(condition).values_list("asset_id", "date", "close"))
    table = PriceTable.from_rows(rows)
    for asset_id in requests:
        series = table.series(asset_id)
        if series is not None:
            out[asset_id] = series
    return out


def _closes_with_previous(
    requests: dict[int, datetime.date | None], *, previous_before: dict[int, datetime.date]
) -> dict[int, Closes]:
    """`_closes_load`, then for assets in `previous_before` whose loaded closes start after that
    day, their latest close before it (one more query, only when needed)."""
    closes = _closes_load(requests)
    lacking = [
        asset_id
        for asset_id, before in previous_before.items()
        if (series := closes.get(asset_id)) is None
        or series.first_day is None
        or series.first_day >= before
    ]
    if not lacking:
        return closes
    cutoff = {asset_id: previous_before[asset_id] for asset_id in lacking}
    earliest = min(cutoff.values())
    prior = Price.objects.filter(asset=OuterRef("pk"), date__lt=earliest).order_by("-date")
    extra = Asset.objects.filter(pk__in=lacking).annotate(
        prior_date=Subquery(prior.values("date")[:1]),
        prior_close=Subquery(prior.values("close")[:1]),
    )
    with _phase("load"):
        prior_rows = list(extra.values_list("id", "prior_date", "prior_close"))
    for asset_id, prior_date, prior_close in prior_rows:
        if prior_date is None:
            continue
        series = closes.get(asset_id)
        days = [prior_date] + ([] if series is None else series.days.astype(object).tolist())
        values = [prior_close] + ([] if series is None else series.values.tolist())
        closes[asset_id] = Closes.from_arrays(days, values)
    return closes


# ── Computing the series ─────────────────────────────────────────────────────


class _Recompute(Exception):
    """The incremental path cannot be taken; compute everything."""


def txn_rate(txn: Txn, base: str, fx: FxTable) -> Decimal:
    """The rate the ledger books a transaction at: 1 in the base, its fx_rate, or that day's
    FX close (engine.ledger's rule)."""
    if txn.currency == base:
        return Decimal(1)
    if txn.fx_rate is not None:
        return txn.fx_rate
    return fx.rate_decimal(txn.currency, txn.date)


def _fx_table(base: str, market: _Market, closes: dict[int, Closes]) -> FxTable:
    pairs = {info.symbol: closes[info.id] for info in market.fx.values() if info.id in closes}
    return FxTable(base, pairs)


@dataclass(frozen=True)
class _Tail:
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


def _closes_tail(closes: dict[int, Closes], ids: Iterable[int], since: datetime.date) -> _Tail:
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
    return _Tail(
        np.concatenate(days) if days else np.array([], dtype="datetime64[D]"),
        np.concatenate(values) if values else np.array([], dtype=np.float64),
        bounds,
    )


def _closes_from_tail(
    tail: _Tail, ids: Iterable[int], since: datetime.date, before: datetime.date
) -> dict[int, Closes]:
    """What `_closes_with_previous` reads for `ids` from `since` (each asset's closes from
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


def _compute(
    *,
    portfolio: Portfolio,
    digest: _Digest,
    market: _Market,
    today: datetime.date,
    previous: _Head | None,
    resume_day: datetime.date | None,
) -> tuple[_Head, _Body]:
    """The daily arrays from the first transaction to today: in full, or from the day after
    `resume_day` (a saved checkpoint) on. Raises `_Recompute` when something it needs to resume
    is gone from the cache."""
    base = portfolio.base_currency
    method = portfolio.cost_basis_method
    start = digest.first_date
    assert start is not None
    old: _Body | None = None
    checkpoint: LedgerState | None = None
    memo: dict[int, tuple] = {}  # see `_ledger_pack`
    if resume_day is not None:
        assert previous is not None
        old = _cache_get(_key("body", portfolio.pk, previous.token))
        bundle = _cache_get(previous.checkpoints.get(resume_day, ""))
        packed = bundle.get(resume_day) if isinstance(bundle, dict) else None
        if old is None or packed is None:
            raise _Recompute
        checkpoint = _ledger_unpack(packed, memo)
        rows = _txn_rows(portfolio, after=resume_day)
    else:
        rows = _txn_rows(portfolio, after=None)
    txns = txns_from_rows(rows)

    grid_first = start - ONE_DAY if resume_day is None else resume_day
    price_since = None if resume_day is None else resume_day - LOOKBACK
    requests: dict[int, datetime.date | None] = dict.fromkeys(sorted(digest.asset_ids), price_since)
    for info in market.fx.values():
        requests[info.id] = price_since
    token = uuid.uuid4().hex
    to_store: dict[str, object] = {}
    tail = None
    if (
        old is not None
        and price_since is not None
        and old.closes_key is not None
        and old.closes_from is not None
        and price_since >= old.closes_from
        and previous is not None
        and previous.price_marks == _price_marks(digest, market)
    ):
        tail = _cache_get(old.closes_key)
        if not isinstance(tail, _Tail) or not all(asset_id in tail for asset_id in requests):
            tail = None
    if tail is not None:
        assert old is not None and price_since is not None and resume_day is not None
        closes = _closes_from_tail(tail, requests, price_since, resume_day)
        closes_from, closes_key = old.closes_from, old.closes_key
    else:
        closes = _closes_with_previous(
            requests, previous_before=dict.fromkeys(requests, resume_day) if resume_day else {}
        )
        # Enough for a resumption from any month end of the last year.
        closes_from = (
            datetime.date(today.year - 1, today.month, 1) - ONE_DAY - LOOKBACK
            if price_since is None
            else price_since
        )
        closes_key = _key("closes", portfolio.pk, token)
        to_store[closes_key] = _closes_tail(closes, requests, closes_from)
    prices = PriceTable(
        {asset_id: closes[asset_id] for asset_id in digest.asset_ids if asset_id in closes}
    )
    fx = _fx_table(base, market, closes)

    previous_series = None
    if resume_day is not None:
        assert old is not None and checkpoint is not None
        keep = (resume_day - start).days + 1
        previous_series = DailySeries(
            days=old.days[:keep],
            value=old.value[:keep],
            securities=old.securities[:keep],
            cash=old.cash[:keep],
            inflow=old.inflow[:keep],
            outflow=old.outflow[:keep],
            net_invested=old.net_invested[:keep],
            income=old.income[:keep],
            fees=-old.fees[:keep],
            taxes=-old.taxes[:keep],
            value_before_start=0.0,
            net_invested_before_start=0.0,
            records_cash=checkpoint.records_cash,
            cash_per_currency=checkpoint.cash_per_currency,
            base_currency=base,
            method=method,  # type: ignore[arg-type]
            ledger=checkpoint,
            checkpoints={resume_day: checkpoint},
            local_values={currency: values[:keep] for currency, values in old.local_values.items()},
            cash_balances={
                currency: values[:keep] for currency, values in old.cash_balances.items()
            },
        )
    with _phase("engine"):
        series = daily_series(
            txns,
            method=method,
            base_currency=base,
            prices=prices,
            fx=fx,
            start=start,
            end=today,
            checkpoint_every=_resume_points(start, today),
            previous=previous_series,
            changed_since=None if resume_day is None else resume_day + ONE_DAY,
            track_lots=False,
            records_cash=digest.records_cash,
            cash_per_currency=digest.cash_per_currency,
        )
    if resume_day is not None and series.checkpoints.get(resume_day) is not checkpoint:
        raise _Recompute  # the engine did not resume from our checkpoint

    grid = _days64(grid_first, today)
    offset = 0 if resume_day is None else (resume_day - start).days + 1
    effect = currency_effect(
        txns,
        base=base,
        fx=fx,
        grid=grid,
        records_cash=digest.records_cash,
        cash_per_currency=digest.cash_per_currency,
        levels=foreign_levels(series, base=base, offset=offset),
    )

    def joined(old_values: np.ndarray | None, new: np.ndarray) -> np.ndarray:
        if old_values is None or offset == 0:
            return new
        return np.concatenate([old_values[:offset], new])

    body = _Body(
        days=series.days,
        value=series.value,
        securities=series.securities,
        cash=series.cash,
        inflow=series.inflow,
        outflow=series.outflow,
        net_invested=series.net_invested,
        income=series.income,
        fees=-series.fees,
        taxes=-series.taxes,
        currency_effect=joined(old.currency_effect if old else None, effect),
        local_values=series.local_values,
        cash_balances=series.cash_balances,
        closes_from=closes_from,
        closes_key=closes_key,
    )

    checkpoints: dict[datetime.date, str] = {}
    if previous is not None and resume_day is not None:
        checkpoints = {day: key for day, key in previous.checkpoints.items() if day <= resume_day}
    fresh = {day: state for day, state in series.checkpoints.items() if day > grid_first}
    fresh[series.end] = series.ledger
    # The new checkpoints travel together, in one cache entry (day → packed state): they share
    # most positions, which are then packed and pickled once.
    bundle_key = _key("ckpt", portfolio.pk, token)
    for day in fresh:
        checkpoints[day] = bundle_key
    checkpoints = _prune_checkpoints(checkpoints, today)
    to_store[bundle_key] = {
        day: _ledger_pack(fresh[day], memo) for day, key in checkpoints.items() if day in fresh
    }
    to_store[_key("body", portfolio.pk, token)] = body
    _cache_set_many(to_store, STATE_TIMEOUT)
    head = _Head(
        token=token,
        base_currency=base,
        method=method,
        records_cash=digest.records_cash,
        start=start,
        end=today,
        digest=digest,
        fx_symbols={c: (info.symbol, info.id) for c, info in market.fx.items()},
        price_marks=_price_marks(digest, market),
        checkpoints=checkpoints,
        negative_cash=tuple(series.ledger.negative_cash_list()),
    )
    return head, body


def _resume_points(first: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The days a computation leaves ledger checkpoints on (what `_prune_checkpoints` keeps):
    year ends of the last YEAR_ENDS_KEPT years and the month ends of the last twelve months,
    so that an edit in the last year resumes at most a month before its date."""
    days = [
        datetime.date(year, 12, 31)
        for year in range(max(first.year, end.year - YEAR_ENDS_KEPT), end.year)
    ]
    month = datetime.date(end.year - 1, end.month, 1)
    while month <= end:
        following = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days.append(following - ONE_DAY)
        month = following
    return [day for day in days if first <= day < end]


def _prune_checkpoints(
    checkpoints: dict[datetime.date, str], today: datetime.date
) -> dict[datetime.date, str]:
    """The resume points worth keeping: year ends of the last YEAR_ENDS_KEPT years, the last
    point of each of the last twelve months and the latest RECENT_ENDS_KEPT points. The ends of
    daily computations thus leave a resume point in every recent month; an older change
    recomputes everything."""
    oldest_year = today.year - YEAR_ENDS_KEPT
    kept = {
        day for day in checkpoints if (day.month, day.day) == (12, 31) and day.year >= oldest_year
    }
    recent_months: dict[tuple[int, int], datetime.date] = {}
    for day in sorted(checkpoints):
        if (today - day).days <= 366:
            recent_months[day.year, day.month] = day
    kept |= set(recent_months.values())
    kept |= set(sorted(checkpoints)[-RECENT_ENDS_KEPT:])
    return {day: checkpoints[day] for day in sorted(kept)}


def _price_marks(digest: _Digest, market: _Market) -> dict[int, tuple]:
    marks = {asset_id: info.marks for asset_id, info in market.assets.items()}
    for info in market.fx.values():
        marks[info.id] = info.marks
    return marks


def _price_change_day(head: _Head, marks: dict[int, tuple]) -> datetime.date | None:
    """The earliest day whose closes may differ from those the head was computed with: the
    earliest date the price writes since then touched, from the logs of the assets whose
    version moved (`market.services.prices_changed`; one query, only when one moved), however
    far back (a correction); the first day when a log no longer holds every write since."""
    moved = {
        asset_id: old[2]
        for asset_id, new in marks.items()
        if (old := head.price_marks.get(asset_id)) is not None and old != new
    }
    if not moved:
        return None
    with _phase("load"):
        logs = dict(Asset.objects.filter(pk__in=sorted(moved)).values_list("pk", "price_changes"))
    earliest: datetime.date | None = None
    for asset_id, old_version in moved.items():
        day = changed_since(logs.get(asset_id), old_version, marks[asset_id][2])
        if day is None:
            first, old_first = marks[asset_id][0], head.price_marks[asset_id][0]
            day = min(day for day in (old_first, first, head.start) if day is not None)
        earliest = day if earliest is None else min(earliest, day)
    return earliest


def _state_current(
    *, portfolio: Portfolio, today: datetime.date
) -> tuple[_Head | None, _Body | None, _Market, _Digest]:
    """The up-to-date head (and its body when it was just computed), the market metadata and the
    digest. Recomputes, incrementally when it can, when transactions or prices changed."""
    head_key = _key("head", portfolio.pk)
    head: _Head | None = _cache_get(head_key)
    version, ledger_log, digest = _ledger_version(portfolio)
    market = _market_meta(portfolio, digest)
    if not digest.count or digest.first_date > today:  # nothing yet, or only future dates
        return None, None, market, digest
    marks = _price_marks(digest, market)
    fx_symbols = {c: (info.symbol, info.id) for c, info in market.fx.items()}
    if (
        head is not None
        and head.base_currency == portfolio.base_currency
        and head.method == portfolio.cost_basis_method
        and head.end == today
        and head.fx_symbols == fx_symbols
        and head.price_marks == marks
        and head.ledger_version == version
    ):
        return head, None, market, digest

    resume_day = _resume_day(
        head, portfolio, digest, (version, ledger_log), marks, fx_symbols, today
    )
    try:
        with _gc_paused():
            try:
                computed_head, computed_body = _compute(
                    portfolio=portfolio,
                    digest=digest,
                    market=market,
                    today=today,
                    previous=head,
                    resume_day=resume_day,
                )
            except _Recompute:
                computed_head, computed_body = _compute(
                    portfolio=portfolio,
                    digest=digest,
                    market=market,
                    today=today,
                    previous=None,
                    resume_day=None,
                )
    except (MissingFxRate, LedgerError) as error:
        message = error.message if hasattr(error, "message") else str(error)
        if isinstance(error, MissingFxRate):
            message = (
                "Exchange rates are still loading, so performance cannot be computed yet. "
                + message
            )
        failed = _Head(
            token=uuid.uuid4().hex,
            base_currency=portfolio.base_currency,
            method=portfolio.cost_basis_method,
            records_cash=digest.records_cash,
            start=digest.first_date,
            end=today,
            digest=digest,
            fx_symbols=fx_symbols,
            price_marks=marks,
            checkpoints={},
            ledger_version=version,
            error=message,
        )
        _cache_set(head_key, failed, STATE_TIMEOUT)
        return failed, None, market, digest
    computed_head.ledger_version = version
    _cache_set(head_key, computed_head, STATE_TIMEOUT)
    return computed_head, computed_body, market, digest


def _resume_day(
    head: _Head | None,
    portfolio: Portfolio,
    digest: _Digest,
    ledger: tuple[int, list],
    marks: dict,
    fx_symbols: dict,
    today: datetime.date,
) -> datetime.date | None:
    """The saved checkpoint to resume from, or None for a full computation.

    The transactions changed from the earliest date the writes since the head's ledger version
    touched (the portfolio's log of its last writes); everything when the log no longer holds
    them all."""
    version, log = ledger
    if (
        head is None
        or head.error is not None
        or head.base_currency != portfolio.base_currency
        or head.method != portfolio.cost_basis_method
        or head.records_cash != digest.records_cash
        or head.digest.cash_per_currency != digest.cash_per_currency
        or head.start != digest.first_date
        or head.fx_symbols != fx_symbols
        or today < head.end
        or head.ledger_version is None
    ):
        return None
    txn_change: datetime.date | None = None
    if version != head.ledger_version:
        txn_change = changed_since(log, head.ledger_version, version)
        if txn_change is None:
            return None
    changes = [
        day
        for day in (
            txn_change,
            _price_change_day(head, marks),
            head.end + ONE_DAY,
        )
        if day is not None
    ]
    changed = min(changes)
    usable = [day for day in head.checkpoints if day < changed and day < today]
    return max(usable) if usable else None


# ── The report ───────────────────────────────────────────────────────────────


def _benchmark_history_ensure(symbol: str, asset_id: int | None, since: datetime.date) -> None:
    """Queue the benchmark's history (creating the catalogue's ^GSPC if missing). On commit."""
    from market.providers.base import SearchResult
    from market.services import asset_find_or_create, ensure_history

    asset = Asset.objects.filter(pk=asset_id).first() if asset_id else None
    if asset is None:
        asset = asset_find_or_create(
            result=SearchResult(
                symbol=symbol,
                name="S&P 500",
                asset_class=AssetClass.INDEX.value,
                currency="USD",
                exchange="SNP",
                provider=settings.MARKET_DATA_PROVIDER,
            )
        )
    ensure_history(asset=asset, since=since)


def _queue_benchmark(symbol: str, asset_id: int | None, since: datetime.date) -> None:
    if not cache.add(_key("benchmark-queued", symbol, asset_id), True, BENCHMARK_QUEUE_TIMEOUT):
        return

    def run() -> None:
        try:
            _benchmark_history_ensure(symbol, asset_id, since)
        except Exception:  # a queueing problem must not break a page
            logger.exception("Could not queue the history of benchmark %s", symbol)

    db_transaction.on_commit(run)


def _marks_text(info: _AssetInfo | None) -> str:
    if info is None:
        return "-"
    return "{}_{}_{}_{}".format(
        info.id,
        info.first.isoformat() if info.first else "",
        info.last.isoformat() if info.last else "",
        info.price_version,
    )


def _report_key(portfolio: Portfolio, head: _Head, market: _Market, period: Period) -> str:
    return _key(
        "report",
        portfolio.pk,
        head.token,
        _marks_text(market.benchmark),
        _marks_text(market.benchmark_fx),
        repr(_risk_free_rate()),
        period.label,
        period.start.isoformat(),
        period.end.isoformat(),
    )


def portfolio_performance(
    *,
    portfolio: Portfolio,
    period: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    series: bool = True,
    today: datetime.date | None = None,
) -> PerformanceReport:
    """The portfolio's performance over a named period (PERIODS, 1Y by default) or a custom
    start/end; raises PeriodError for a bad one. See the module docstring for every figure.

    Queries: 2 when nothing changed (the ledger version with the ledger summary, and the assets'
    price dates), plus the benchmark's closes when they are not cached yet, plus the price
    write logs of the assets whose prices changed, and the transactions and closes a
    recomputation needs (1-3). Whatever the number of holdings.
    """
    today = today or timezone.localdate()
    head, body, market, digest = _state_current(portfolio=portfolio, today=today)
    resolved = period_resolve(
        period=period, start=start, end=end, first_date=digest.first_date, today=today
    )
    report = _report_get(portfolio=portfolio, head=head, body=body, market=market, period=resolved)
    if not series and report.series is not None:
        report = replace(report, series=None)
    if head is not None and head.negative_cash:
        report = replace(report, negative_cash=head.negative_cash)
    return report


def _empty_report(
    portfolio: Portfolio, period: Period, market: _Market, **extra
) -> PerformanceReport:
    return PerformanceReport(
        portfolio_id=portfolio.public_id,
        currency=portfolio.base_currency,
        period=period.label,
        start=period.start,
        end=period.end,
        n_days=period.n_days,
        benchmark_symbol=market.benchmark_symbol,
        risk_free_rate=_risk_free_rate(),
        **extra,
    )


def _report_get(
    *,
    portfolio: Portfolio,
    head: _Head | None,
    body: _Body | None,
    market: _Market,
    period: Period,
) -> PerformanceReport:
    if head is None:
        return _empty_report(portfolio, period, market, has_transactions=False)
    if head.error is not None:
        return _empty_report(portfolio, period, market, has_transactions=True, pending=head.error)
    key = _report_key(portfolio, head, market, period)
    report = _cache_get(key)
    if report is not None:
        return report
    if body is None:
        body = _cache_get(_key("body", portfolio.pk, head.token))
        if body is None:  # evicted: compute afresh
            cache.delete(_key("head", portfolio.pk))
            head, body, market, _ = _state_current(portfolio=portfolio, today=head.end)
            if head is None or head.error is not None or body is None:
                return _report_get(
                    portfolio=portfolio, head=head, body=body, market=market, period=period
                )
    report = _report_compute(
        portfolio=portfolio, head=head, body=body, market=market, period=period
    )
    _cache_set(key, report, REPORT_TIMEOUT)
    return report


def _benchmark_closes(
    market: _Market, period: Period, base: str
) -> tuple[np.ndarray, float] | None:
    """The benchmark's closes in the base currency over the period's days (NaN before its
    first bar) and its close on the day before start; None when it has none then. Cached by
    its price marks (and its FX pair's), so a recomputed portfolio does not read them again."""
    bench = market.benchmark
    if bench is None or bench.first is None:
        return None
    if _major(bench.currency) != base and market.benchmark_fx is None:
        return None
    key = _key(
        "bench",
        base,
        _marks_text(bench),
        _marks_text(market.benchmark_fx),
        period.start.isoformat(),
        period.end.isoformat(),
    )
    cached = _cache_get(key)
    if cached is not None:
        return cached[0]
    found = _benchmark_closes_load(market, period, base)
    _cache_set(key, (found,), REPORT_TIMEOUT)
    return found


def _benchmark_closes_load(
    market: _Market, period: Period, base: str
) -> tuple[np.ndarray, float] | None:
    bench = market.benchmark
    assert bench is not None
    since = period.start - ONE_DAY - LOOKBACK
    requests: dict[int, datetime.date | None] = {bench.id: since}
    if market.benchmark_fx is not None:
        requests[market.benchmark_fx.id] = since
    closes = _closes_load(requests)
    series = closes.get(bench.id)
    if series is None:
        return None
    days = _days64(period.start - ONE_DAY, period.end)
    values = series.over(days)
    if market.benchmark_fx is not None:
        pair = closes.get(market.benchmark_fx.id)
        if pair is None:
            return None
        values = values * FxTable(base, {market.benchmark_fx.symbol: pair}).rates(
            bench.currency, days
        )
    before = float(values[0])
    in_period = values[1:]
    if math.isnan(before):
        # No close on or before the day before start (a start on a Monday or after a holiday,
        # a history that starts later): the first close in the period stands in as the base.
        known = np.flatnonzero(~np.isnan(in_period))
        if not known.size:
            return None
        before = float(in_period[known[0]])
    if not before > 0 or not math.isfinite(before):
        return None
    return in_period, before


def _report_compute(
    *,
    portfolio: Portfolio,
    head: _Head,
    body: _Body,
    market: _Market,
    period: Period,
) -> PerformanceReport:
    start = max(period.start, head.start or period.start)
    lo = (start - head.start).days  # type: ignore[operator]
    hi = (period.end - head.start).days + 1  # type: ignore[operator]
    if hi <= 0 or lo >= body.days.size:
        return _empty_report(portfolio, period, market, has_transactions=True)
    days = body.days[lo:hi]
    value = body.value[lo:hi]
    inflow = body.inflow[lo:hi]
    outflow = body.outflow[lo:hi]
    start_value = float(body.value[lo - 1]) if lo > 0 else 0.0
    r = daily_returns(value, inflow, outflow, start_value)
    # A daily "return" below 1e-12 is the float rounding of equal values (a price that did not
    # move, valued once from floats and once from Decimals), not a move: without this, a flat
    # holding would have a Sharpe ratio made of noise.
    r[np.abs(r) < ROUNDING_NOISE] = 0.0
    wealth = wealth_index(r)
    twr = float(wealth[-1] - 1.0)
    inflows, outflows = float(inflow.sum()), float(outflow.sum())
    end_value = float(value[-1])
    gain = end_value - start_value - inflows + outflows
    capital = start_value + inflows
    income = float(body.income[lo:hi].sum())
    fees = float(body.fees[lo:hi].sum())
    taxes = float(body.taxes[lo:hi].sum())
    currency_effect = float(body.currency_effect[lo:hi].sum())
    rf = _risk_free_rate()
    risk = risk_metrics(days, wealth, rf)
    drawdown = risk.drawdown

    benchmark = None
    note = None
    bench_curve = np.full(days.size, np.nan)
    loaded = _benchmark_closes(market, replace(period, start=start), portfolio.base_currency)
    if loaded is not None:
        closes, before = loaded
        comparison = benchmark_comparison(days, wealth, closes, before, rf)
        bench = market.benchmark
        if comparison is not None and bench is not None:
            if bench.first is not None and bench.first > start - ONE_DAY:
                note = (
                    f"{bench.symbol} has no close before {start:%-d %b %Y}: its first close in "
                    f"the period ({bench.first:%-d %b %Y}) is the base."
                )
            benchmark = BenchmarkResult(
                asset_id=market.benchmark.id,
                symbol=market.benchmark.symbol,
                name=market.benchmark.name,
                currency=market.benchmark.currency,
                twr=comparison.twr,
                excess_return=comparison.excess_return,
                beta=comparison.beta,
                correlation=comparison.correlation,
                alpha=comparison.alpha,
            )
            filled = closes.copy()
            # Forward-fill the benchmark's level for the chart (NaN only before its first close).
            mask = np.isnan(filled)
            if mask.any():
                index = np.where(~mask, np.arange(filled.size), -1)
                np.maximum.accumulate(index, out=index)
                filled = np.where(index >= 0, filled[np.maximum(index, 0)], before)
            bench_curve = filled / before - 1.0
    if benchmark is None:
        bench = market.benchmark
        symbol = market.benchmark_symbol or DEFAULT_BENCHMARK
        if bench is None or bench.first is None:
            note = f"{symbol} has no prices yet; its history is being loaded."
            _queue_benchmark(symbol, bench.id if bench else None, start - ONE_DAY)
        elif bench.first > period.end:
            note = f"{symbol}'s prices start on {format_date(bench.first)}, after this period."
            _queue_benchmark(symbol, bench.id, start - ONE_DAY)
        elif market.benchmark_fx is None and _major(bench.currency) != portfolio.base_currency:
            note = f"No exchange rate converts {symbol} into {portfolio.base_currency} yet."

    months = monthly_returns(days, r)
    years = yearly_returns(days, r)
    n_days = (period.end - start).days + 1
    weighted = money_weighted(*mwr_cash_flows(days, value, inflow, outflow, start_value), n_days)
    return PerformanceReport(
        portfolio_id=portfolio.public_id,
        currency=portfolio.base_currency,
        period=period.label,
        start=start,
        end=period.end,
        n_days=n_days,
        has_transactions=True,
        start_value=start_value,
        end_value=end_value,
        inflows=inflows,
        outflows=outflows,
        net_flows=inflows - outflows,
        gain=gain,
        twr=twr,
        twr_annualized=annualise(twr, n_days),
        mwr=weighted.annual,
        mwr_period=weighted.period,
        mwr_note=weighted.note,
        simple_return=gain / capital if capital != 0 else None,
        price_gain=gain - income - fees - taxes - currency_effect,
        income=income,
        fees=fees,
        taxes=taxes,
        currency_effect=currency_effect,
        volatility=risk.volatility,
        sharpe=risk.sharpe,
        sortino=risk.sortino,
        downside_risk=risk.downside_risk,
        max_drawdown=drawdown.max_drawdown if drawdown else None,
        drawdown_peak=drawdown.peak if drawdown else None,
        drawdown_trough=drawdown.trough if drawdown else None,
        drawdown_recovery=drawdown.recovery if drawdown else None,
        beta=benchmark.beta if benchmark else None,
        correlation=benchmark.correlation if benchmark else None,
        benchmark=benchmark,
        benchmark_symbol=market.benchmark_symbol,
        benchmark_note=note,
        dates_note=head.digest.dates_note,
        risk_free_rate=rf,
        monthly=tuple(months),
        yearly=tuple(years),
        series=PerformanceSeries(
            days=days,
            value=value,
            inflow=inflow,
            outflow=outflow,
            start_value=start_value,
            net_invested=body.net_invested[lo:hi],
            twr=wealth - 1.0,
            drawdown=drawdown_series(wealth),
            benchmark=bench_curve,
        ),
    )


# ── Ledger inputs for the reports ────────────────────────────────────────────


@dataclass(frozen=True)
class LedgerInputs:
    """Everything a ledger replay of the portfolio needs: its transactions (entry order), the
    FX table into its base currency, its assets and the public id of each transaction."""

    txns: list[Txn]
    fx: FxTable
    assets: dict[int, _AssetInfo]
    public_ids: dict[int, uuid.UUID]


def portfolio_ledger_load(*, portfolio: Portfolio) -> LedgerInputs:
    """Load the transactions, their assets and the FX closes, in three queries (asset prices are
    not loaded: the ledger does not need them)."""
    rows = list(
        Transaction.objects.filter(portfolio=portfolio)
        .order_by("date", "id")
        .values_list(*TXN_COLUMNS, "public_id")
    )
    public_ids = {row[0]: row[-1] for row in rows}
    rows = [row[:-1] for row in rows]
    digest = _digest_from_rows(rows, portfolio)
    market = _market_meta(portfolio, digest)
    fx = _fx_table(
        portfolio.base_currency,
        market,
        _closes_load({info.id: None for info in market.fx.values()}),
    )
    return LedgerInputs(
        txns=txns_from_rows(rows),
        fx=fx,
        assets=market.assets,
        public_ids=public_ids,
    )


# ── Derivations: the flows and daily values behind the figures ──────────────


@dataclass(frozen=True)
class FlowRow:
    """One external flow (DESIGN §4) in the base currency: `amount` > 0, `direction` "in" or
    "out"; `transaction_id` is the public id of the transaction that made it."""

    date: datetime.date
    kind: str
    direction: str
    amount: Decimal
    transaction_id: uuid.UUID | None


@dataclass(frozen=True)
class FlowsReport:
    """The external flows of a period, with the start and end values they connect."""

    currency: str
    start: datetime.date
    end: datetime.date
    start_value: float
    end_value: float
    flows: list[FlowRow]
    pending: str | None = None


def performance_flows(
    *,
    portfolio: Portfolio,
    period: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    today: datetime.date | None = None,
) -> FlowsReport:
    """Every external flow dated in the period, per transaction, as the engine counts them
    (`engine.valuation.external_flows`); their daily sums are the I_t and O_t of TWR and MWR."""
    today = today or timezone.localdate()
    report = portfolio_performance(
        portfolio=portfolio, period=period, start=start, end=end, series=False, today=today
    )
    result = FlowsReport(
        currency=report.currency,
        start=report.start,
        end=report.end,
        start_value=report.start_value,
        end_value=report.end_value,
        flows=[],
        pending=report.pending,
    )
    if not report.has_transactions or report.pending:
        return result
    inputs = portfolio_ledger_load(portfolio=portfolio)
    measured = [  # as the series counts them (see EARLIEST_MEASURED)
        replace(txn, date=EARLIEST_MEASURED) if txn.date < EARLIEST_MEASURED else txn
        for txn in inputs.txns
    ]
    flows = external_flows(
        measured,
        base_currency=portfolio.base_currency,
        fx=inputs.fx,
        start=report.start,
        end=report.end,
        records_cash=portfolio.records_cash,
    )
    public_ids = inputs.public_ids
    return replace(
        result,
        flows=[
            FlowRow(
                date=flow.date,
                kind=str(flow.kind),
                direction=flow.direction,
                amount=flow.amount,
                transaction_id=public_ids.get(flow.txn_id),
            )
            for flow in flows
        ],
    )


def _csv(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _number(value: float | None, places: int) -> str:
    from portfolia.money import quantize

    if value is None or not math.isfinite(value):
        return ""  # NaN and infinities: no number to give
    return str(quantize(value, places))


def mwr_flows_csv(report: PerformanceReport) -> str:
    """The investor's cash flows behind the MWR: -V_{start-1} the day before start, -I_t and +O_t
    on their days, +V_end on the end day. A spreadsheet's XIRR(amounts, dates) gives the MWR."""
    if report.series is None or not len(report.series):
        return _csv(["date", "amount", "what"], [])
    series = report.series
    dates, amounts = mwr_cash_flows(
        series.days, series.value, series.inflow, series.outflow, series.start_value
    )
    end = series.days[-1]
    first = series.days[0] - np.timedelta64(1, "D")
    rows = []
    for day, amount in zip(dates.astype(object).tolist(), amounts.tolist(), strict=True):
        if day == first.astype(object):
            what = "value at the start (paid in)"
        elif day == end.astype(object):
            what = "net flows and value at the end"
        else:
            what = "money paid in" if amount < 0 else "money paid out"
        rows.append([day.isoformat(), _number(amount, 2), what])
    return _csv(["date", "amount", "what"], rows)


def daily_values_csv(report: PerformanceReport) -> str:
    """The daily values behind TWR, drawdown and the charts: the first row is the day before
    start; r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1 reproduces the daily return column."""
    header = [
        "date",
        "value",
        "inflow",
        "outflow",
        "net_invested",
        "daily_return",
        "cumulative_twr",
        "drawdown",
        "benchmark_cumulative",
    ]
    if report.series is None or not len(report.series):
        return _csv(header, [])
    series = report.series
    rows = [
        [
            (report.start - ONE_DAY).isoformat(),
            _number(series.start_value, 2),
            "",
            "",
            "",
            "",
            "0",
            "0",
            "0",
        ]
    ]
    r = series.daily_returns()
    for index, day in enumerate(series.dates):
        rows.append(
            [
                day.isoformat(),
                _number(float(series.value[index]), 2),
                _number(float(series.inflow[index]), 2),
                _number(float(series.outflow[index]), 2),
                _number(float(series.net_invested[index]), 2),
                _number(float(r[index]), 10),
                _number(float(series.twr[index]), 10),
                _number(float(series.drawdown[index]), 10),
                _number(float(series.benchmark[index]), 10),
            ]
        )
    return _csv(header, rows)
