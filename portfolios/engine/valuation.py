"""Daily valuation: the portfolio's value, cash and external flows over calendar days.

Definitions are DESIGN.md §4 "Days", "Value" and "External flows": V_t = Σ quantity * price *
FX (+ cash when the portfolio records cash), prices and FX forward-filled, an asset with no bar
yet valued at its last transaction price, all in the base currency at the valuation day's FX.

How it is computed: one pass of the exact ledger over the transactions (per transaction, in
Python) records, for each transaction dated in the range, the quantity, last transaction price
and cash balance *after* it. Those events are scattered into days * assets (and days *
currencies) matrices and forward-filled, so a split is simply a new quantity from its day on.
Prices and FX come as forward-filled matrices from `PriceTable.matrix` / `FxTable.rates`
(np.searchsorted per asset), and the value is one elementwise product and a row sum. No Python
loop runs per day.

Incremental recompute: pass `checkpoint_every="month"` to keep a ledger state at the end of each
month on the series (the ledger at the series' end is one too), "year" for year ends, or the
days themselves (a sequence of dates; a checkpoint costs a copy of the positions changed since
the previous one, so asking only for the days that will be kept saves time). Later, when something dated D or
later changed (a transaction added, edited or deleted, or prices/FX from D on), call
`daily_series(..., previous=old, changed_since=D)`: the days up to the last checkpoint before D
are copied from `old`, the ledger resumes from that checkpoint, and only the rest is recomputed;
extending a series to a new end day recomputes just the new days. The result equals a full
computation whenever `old` was computed for the same portfolio with the same start, method and
base currency and nothing before D changed; if the cash choices differ it falls back to a full
one by itself. With `split_adjusted_prices`, a split dated D rescales every close before D, so a
changed split means changed_since = start.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from operator import attrgetter
from typing import Literal

import numpy as np

from .holdings import HoldingsValuation, HoldingValue, value_holdings
from .ledger import ExternalFlow, LedgerState, apply_txn, replay
from .market import FxTable, MissingFxRate, PriceTable, day_range, to_date
from .types import CostBasisMethod, Kind, Txn

__all__ = [
    "DailySeries",
    "HoldingValue",
    "HoldingsValuation",
    "daily_series",
    "external_flows",
    "value_holdings",
]

_ONE_DAY = datetime.timedelta(days=1)
_ASSET_EVENT_KINDS = frozenset({Kind.BUY, Kind.SELL, Kind.SPLIT})
_SPLIT_KIND = frozenset({Kind.SPLIT})


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Per calendar day start..end, in the base currency (numpy float64 arrays).

    - `value`: V_t = `securities` + `cash` (cash is 0 unless the portfolio records cash).
    - `inflow`, `outflow`: I_t and O_t, both >= 0.
    - `net_invested`: cumulative inflow - outflow since the first transaction (not since start).
    - `income`, `fees`, `taxes`: what the ledger booked that day (all >= 0): dividends and
      interest (gross), every fee paid (trade fees, fees on income, deposits and withdrawals,
      fee transactions) and tax transactions, each at the rate the ledger converted it at.
    - `value_before_start`, `net_invested_before_start`: the same at the close of start - 1.
    - `ledger`: the ledger state at the end of `end` (holdings, lots, sales, flows; with
      `track_lots=False` a valuation-only state, see `engine.ledger`); None on a copy made by
      `without_ledgers` (what a cache keeps), until `resumable` gives it one back.
    - `checkpoints`: ledger states at month or year ends, for incremental recompute.
    - `local_values`: per trade currency (as the transactions name it, "GBp" apart from "GBP"),
      the securities traded in it valued in that currency (quantity x the price used), per day.
    - `cash_balances`: per cash currency (the base alone unless `cash_per_currency`), the cash
      balance in it at each day's close (only when the portfolio records cash).

    The ledger states are shared with later computations: treat them as read-only.
    """

    days: np.ndarray
    value: np.ndarray
    securities: np.ndarray
    cash: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    net_invested: np.ndarray
    income: np.ndarray
    fees: np.ndarray
    taxes: np.ndarray
    value_before_start: float
    net_invested_before_start: float
    records_cash: bool
    base_currency: str
    method: CostBasisMethod
    ledger: LedgerState | None
    checkpoints: dict[datetime.date, LedgerState] = field(default_factory=dict)
    local_values: dict[str, np.ndarray] = field(default_factory=dict)
    cash_balances: dict[str, np.ndarray] = field(default_factory=dict)
    cash_per_currency: bool = False

    @property
    def start(self) -> datetime.date:
        return to_date(self.days[0])

    @property
    def end(self) -> datetime.date:
        return to_date(self.days[-1])

    def index_of(self, day: datetime.date) -> int:
        """Position of `day` in the arrays; raises KeyError outside the series."""
        index = (day - self.start).days
        if not 0 <= index < self.days.size:
            raise KeyError(day)
        return index

    def without_ledgers(self) -> DailySeries:
        """The same days without the ledger states (`ledger` None, no checkpoints): what a cache
        keeps of a series, the states travelling on their own as snapshots
        (`engine.snapshots`). The arrays are shared, not copied."""
        return replace(self, ledger=None, checkpoints={})

    def resumable(self, day: datetime.date, ledger: LedgerState) -> DailySeries:
        """The series through `day` (inclusive) with `ledger`, the ledger state at the end of
        `day`, as its ledger and only checkpoint: what `daily_series(previous=...,
        changed_since=day + 1 day)` resumes from. Raises KeyError when `day` is outside it."""
        keep = self.index_of(day) + 1
        return replace(
            self,
            days=self.days[:keep],
            value=self.value[:keep],
            securities=self.securities[:keep],
            cash=self.cash[:keep],
            inflow=self.inflow[:keep],
            outflow=self.outflow[:keep],
            net_invested=self.net_invested[:keep],
            income=self.income[:keep],
            fees=self.fees[:keep],
            taxes=self.taxes[:keep],
            ledger=ledger,
            checkpoints={day: ledger},
            local_values={
                currency: values[:keep] for currency, values in self.local_values.items()
            },
            cash_balances={
                currency: values[:keep] for currency, values in self.cash_balances.items()
            },
        )


def external_flows(
    txns: Sequence[Txn],
    *,
    base_currency: str,
    fx: FxTable | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    records_cash: bool = False,
) -> list[ExternalFlow]:
    """The dated external flows (DESIGN §4) of the transactions, in the base currency, within
    [start, end] when given, in replay order. For the "derivation" export."""
    state = replay(
        txns,
        method="fifo",
        base_currency=base_currency,
        fx=fx,
        until=end,
        records_cash=records_cash,
    )
    return [flow for flow in state.flows if start is None or flow.date >= start]


class _Events:
    """Sparse (day, column) → value observations, forward-filled into a dense matrix."""

    __slots__ = ("columns", "initial", "observed")

    def __init__(self, columns: dict[object, int] | None = None) -> None:
        # Two event sets may share one column mapping (quantities and last prices do).
        self.columns: dict[object, int] = {} if columns is None else columns
        self.initial: dict[int, float] = {}
        self.observed: dict[tuple[int, int], float] = {}

    def column(self, key: object) -> int:
        column = self.columns.get(key)
        if column is None:
            column = self.columns[key] = len(self.columns)
        return column

    def matrix(self, n_days: int) -> np.ndarray:
        out = np.full((n_days, len(self.columns)), np.nan)
        out[0, :] = 0.0
        for column, value in self.initial.items():
            out[0, column] = value
        if self.observed:
            keys = np.array(list(self.observed.keys()), dtype=np.int64)
            out[keys[:, 0], keys[:, 1]] = np.fromiter(
                self.observed.values(), dtype=np.float64, count=len(self.observed)
            )
        return forward_fill(out)


def forward_fill(matrix: np.ndarray) -> np.ndarray:
    """Fill NaNs down each column with the last value above (row 0 must be set)."""
    if matrix.size == 0:
        return matrix
    rows = np.arange(matrix.shape[0])[:, None]
    source = np.where(np.isnan(matrix), 0, rows)
    np.maximum.accumulate(source, axis=0, out=source)
    return matrix[source, np.arange(matrix.shape[1])[None, :]]


def _checkpoint_days(
    first: datetime.date,
    end: datetime.date,
    every: Literal["month", "year"] | Sequence[datetime.date] | None,
) -> list[datetime.date]:
    """Month or year ends (or the given days) in [first, end] (excluding `end` itself),
    ascending."""
    if every is None:
        return []
    if not isinstance(every, str):
        return sorted({day for day in every if first <= day < end})
    days: list[datetime.date] = []
    year, month = first.year, first.month
    while True:
        if every == "month":
            next_first = datetime.date(year + month // 12, month % 12 + 1, 1)
        else:
            next_first = datetime.date(year + 1, 1, 1)
        last = next_first - _ONE_DAY
        if last >= end:
            return days
        if last >= first:
            days.append(last)
        year, month = next_first.year, next_first.month


def _resume_point(
    previous: DailySeries | None,
    changed_since: datetime.date | None,
    *,
    start: datetime.date,
    end: datetime.date,
    method: CostBasisMethod,
    base_currency: str,
    cash_mode: bool,
    cash_per_currency: bool,
    track_lots: bool,
) -> tuple[datetime.date, LedgerState] | None:
    """The last usable checkpoint of `previous`: before `changed_since`, inside both series."""
    if previous is None or changed_since is None or previous.ledger is None:
        return None
    if (
        previous.start != start
        or previous.method != method
        or previous.base_currency != base_currency
        or previous.records_cash != cash_mode
        or previous.cash_per_currency != cash_per_currency
        or previous.ledger.track_lots != track_lots
    ):
        return None
    # The ledger at the previous end is a checkpoint too (extending a series by a day is cheap).
    candidates = {**previous.checkpoints, previous.end: previous.ledger}
    last_usable = min(changed_since - _ONE_DAY, previous.end, end - _ONE_DAY)
    usable = [day for day in candidates if day <= last_usable]
    if not usable:
        return None
    day = max(usable)
    return day, candidates[day]


def daily_series(
    txns: Sequence[Txn],
    *,
    method: CostBasisMethod,
    base_currency: str,
    prices: PriceTable,
    fx: FxTable,
    start: datetime.date,
    end: datetime.date,
    split_adjusted_prices: bool = False,
    checkpoint_every: Literal["month", "year"] | Sequence[datetime.date] | None = None,
    previous: DailySeries | None = None,
    changed_since: datetime.date | None = None,
    track_lots: bool = True,
    records_cash: bool = False,
    cash_per_currency: bool = False,
) -> DailySeries:
    """The daily series for calendar days start..end (see the module docstring).

    `txns` is every transaction of the portfolio in entry order (later ones matter: with
    `split_adjusted_prices` a later split rescales earlier closes). `records_cash` and
    `cash_per_currency` are the portfolio's choices (`engine.ledger`), never inferred. Set `split_adjusted_prices` when the price table holds closes already
    divided by later splits (as Yahoo's are): closes before each recorded split are multiplied
    back by its ratio. `checkpoint_every`, `previous` and `changed_since` drive incremental
    recompute. With `track_lots=False` the ledger keeps what the valuation needs and no lots,
    costs or sales (the series are the same; `ledger` and the checkpoints are valuation-only
    states). Raises LedgerError for an impossible history and MissingFxRate when something
    held, or cash, needs a rate that is not loaded.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if fx.base != base_currency:
        raise ValueError(f"FX table is in {fx.base}, the series in {base_currency}")
    cash_mode = records_cash
    ordered = sorted(txns, key=attrgetter("date"))

    resume = _resume_point(
        previous,
        changed_since,
        start=start,
        end=end,
        method=method,
        base_currency=base_currency,
        cash_mode=cash_mode,
        cash_per_currency=cash_per_currency,
        track_lots=track_lots,
    )
    if resume is not None:
        resume_day, checkpoint = resume
        state = checkpoint.copy()
        first = resume_day + _ONE_DAY  # the grid starts right after the checkpoint
    else:
        state = LedgerState(
            method, base_currency, cash_mode, cash_per_currency, track_lots=track_lots
        )
        first = start - _ONE_DAY  # the grid's first day is V_{start-1}
    skip_until = state.as_of

    days = day_range(first, end)
    n_days = int(days.size)
    first_ordinal = first.toordinal()
    quantities = _Events()
    last_prices = _Events(quantities.columns)
    cash = _Events()
    asset_currency: dict[int, str] = {}
    flow_index: list[int] = []
    flow_signed: list[float] = []
    checkpoint_days = _checkpoint_days(first, end, checkpoint_every)
    checkpoints: dict[datetime.date, LedgerState] = {}
    snapshot_taken = False
    net_before = 0.0
    # The ledger's running totals (fees, income, taxes) at the end of each day with
    # transactions in the grid (read when the day changes: fewer conversions than per row).
    total_index: list[int] = []
    totals: list[tuple[Decimal, Decimal, Decimal]] = []
    totals_before: list[tuple[Decimal, Decimal, Decimal]] = []
    totals_day = -1

    def take_snapshot() -> float:
        """Record the state at the start of the grid's first day; return net invested."""
        for asset_id, position in state.positions.items():
            if position.quantity:
                column = quantities.column(asset_id)
                quantities.initial[column] = float(position.quantity)
                last_prices.initial[column] = float(position.last_price or 0)
                asset_currency[asset_id] = position.currency or base_currency
        if cash_mode:
            for currency, balance in state.cash.items():
                cash.initial[cash.column(currency)] = float(balance)
        totals_before.append((state.fees_base, state.income_base, state.taxes_base))
        return float(state.net_invested_base)

    changed_assets: set[int] = set()  # assets touched since the last checkpoint
    # Checkpoints share the positions no transaction touched with the previous one (the
    # checkpoint resumed from is the first; nobody mutates checkpoints).
    last_saved: list[LedgerState] = [resume[1]] if resume is not None else []

    def save_checkpoints(before: datetime.date | None) -> None:
        while checkpoint_days and (before is None or checkpoint_days[0] < before):
            if last_saved:
                saved = state.copy(share_from=last_saved[0], changed_assets=changed_assets)
            else:
                saved = state.copy()
            saved.as_of = checkpoint_days.pop(0)
            checkpoints[saved.as_of] = saved
            last_saved[:] = [saved]
            changed_assets.clear()

    for txn in ordered:
        day = txn.date
        if day > end:
            break
        if skip_until is not None and day <= skip_until:
            continue
        if day < first:
            apply_txn(state, txn, fx=fx)
            continue
        if not snapshot_taken:
            net_before = take_snapshot()
            snapshot_taken = True
        if checkpoint_days and checkpoint_days[0] < day:
            save_checkpoints(before=day)
        index = day.toordinal() - first_ordinal
        if index != totals_day:
            if totals_day >= 0:
                total_index.append(totals_day)
                totals.append((state.fees_base, state.income_base, state.taxes_base))
            totals_day = index
        flow = apply_txn(state, txn, fx=fx)
        if checkpoint_days and txn.asset_id is not None:
            changed_assets.add(txn.asset_id)
        kind = txn.kind
        if txn.asset_id is not None and kind in _ASSET_EVENT_KINDS:
            position = state.positions[txn.asset_id]
            column = quantities.column(txn.asset_id)
            quantities.observed[index, column] = float(position.quantity)
            last_prices.observed[index, column] = float(position.last_price or 0)
            asset_currency[txn.asset_id] = position.currency or base_currency
        if cash_mode and kind not in _SPLIT_KIND:
            settles_in = state.cash_currency(txn.currency)
            balance = state.cash.get(settles_in)
            if balance is not None:
                cash.observed[index, cash.column(settles_in)] = float(balance)
        if flow is not None:
            flow_index.append(index)
            flow_signed.append(float(flow.signed_amount))
    if totals_day >= 0:
        total_index.append(totals_day)
        totals.append((state.fees_base, state.income_base, state.taxes_base))
    if not snapshot_taken:
        net_before = take_snapshot()
    save_checkpoints(before=None)
    state.as_of = end

    split_factors = (
        _split_factors(ordered, quantities.columns, first, n_days)
        if split_adjusted_prices
        else None
    )
    securities, local_values = _securities_value(
        days,
        quantities,
        last_prices,
        asset_currency,
        prices=prices,
        fx=fx,
        split_factors=split_factors,
    )
    cash_value, cash_balances = _cash_value(days, cash, fx) if cash_mode else (np.zeros(n_days), {})
    flow_array = np.asarray(flow_signed, dtype=np.float64)
    index_array = np.asarray(flow_index, dtype=np.int64)
    inflow = np.bincount(index_array, weights=np.maximum(flow_array, 0.0), minlength=n_days)
    outflow = np.bincount(index_array, weights=np.maximum(-flow_array, 0.0), minlength=n_days)
    net_invested = net_before + np.cumsum(inflow - outflow)
    value = securities + cash_value
    # Each day's change of the running totals.
    running = np.array(totals_before + totals, dtype=np.float64).reshape(-1, 3)
    steps = np.diff(running, axis=0)
    total_days = np.asarray(total_index, dtype=np.int64)
    fees, income, taxes = (
        np.bincount(total_days, weights=steps[:, column], minlength=n_days) for column in range(3)
    )

    if resume is None:
        return DailySeries(
            days=days[1:],
            value=value[1:],
            securities=securities[1:],
            cash=cash_value[1:],
            inflow=inflow[1:],
            outflow=outflow[1:],
            net_invested=net_invested[1:],
            income=income[1:],
            fees=fees[1:],
            taxes=taxes[1:],
            value_before_start=float(value[0]),
            net_invested_before_start=float(net_invested[0]),
            records_cash=cash_mode,
            base_currency=base_currency,
            method=method,
            ledger=state,
            checkpoints=checkpoints,
            local_values={currency: local[1:] for currency, local in local_values.items()},
            cash_balances={currency: held[1:] for currency, held in cash_balances.items()},
            cash_per_currency=cash_per_currency,
        )
    assert previous is not None
    keep = (first - previous.start).days  # days of `previous` before the grid
    kept_checkpoints = {day: saved for day, saved in previous.checkpoints.items() if day < first}

    def joined(old: np.ndarray, new: np.ndarray) -> np.ndarray:
        return np.concatenate([old[:keep], new])

    def joined_by_currency(
        old: dict[str, np.ndarray], new: dict[str, np.ndarray], fill: dict[str, float]
    ) -> dict[str, np.ndarray]:
        """Per-currency arrays joined; a currency missing on one side holds `fill` there."""
        out = {}
        for currency in old.keys() | new.keys():
            before = old.get(currency)
            after = new.get(currency)
            out[currency] = joined(
                before if before is not None else np.zeros(keep),
                after if after is not None else np.full(n_days, fill.get(currency, 0.0)),
            )
        return out

    local_joined = joined_by_currency(previous.local_values, local_values, {})
    # A currency no transaction since the checkpoint touched keeps its balance.
    cash_joined = joined_by_currency(
        previous.cash_balances,
        cash_balances,
        {currency: float(balance) for currency, balance in state.cash.items()},
    )

    return DailySeries(
        days=joined(previous.days, days),
        value=joined(previous.value, value),
        securities=joined(previous.securities, securities),
        cash=joined(previous.cash, cash_value),
        inflow=joined(previous.inflow, inflow),
        outflow=joined(previous.outflow, outflow),
        net_invested=joined(previous.net_invested, net_invested),
        income=joined(previous.income, income),
        fees=joined(previous.fees, fees),
        taxes=joined(previous.taxes, taxes),
        value_before_start=previous.value_before_start,
        net_invested_before_start=previous.net_invested_before_start,
        records_cash=cash_mode,
        base_currency=base_currency,
        method=method,
        ledger=state,
        checkpoints={**kept_checkpoints, **checkpoints},
        local_values=local_joined,
        cash_balances=cash_joined,
        cash_per_currency=cash_per_currency,
    )


def _split_factors(
    ordered: Sequence[Txn], columns: dict[object, int], first: datetime.date, n_days: int
) -> np.ndarray:
    """Per day and asset column, the product of the ratios of recorded splits after that day:
    what a split-adjusted close must be multiplied by to be the close actually traded."""
    factors = np.ones((n_days, len(columns)))
    for txn in ordered:
        if txn.kind == Kind.SPLIT and txn.asset_id in columns and txn.ratio:
            until = min((txn.date - first).days, n_days)
            if until > 0:
                factors[:until, columns[txn.asset_id]] *= float(txn.ratio)
    return factors


def _securities_value(
    days: np.ndarray,
    quantities: _Events,
    last_prices: _Events,
    asset_currency: dict[int, str],
    *,
    prices: PriceTable,
    fx: FxTable,
    split_factors: np.ndarray | None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The securities' value in the base currency per day, and per trade currency in it.

    Each asset's local value (quantity x close, else x its last transaction price) is summed
    per currency first (one matrix product), then converted: a rate depends only on the
    currency, so the assets x days matrix of rates is never built."""
    n_days = int(days.size)
    if not quantities.columns:
        return np.zeros(n_days), {}
    quantity = quantities.matrix(n_days)
    held_ever = np.flatnonzero((quantity != 0).any(axis=0))
    if held_ever.size == 0:
        return np.zeros(n_days), {}
    asset_ids: list[int] = list(quantities.columns)  # type: ignore[arg-type]
    ids = [asset_ids[column] for column in held_ever]
    quantity = quantity[:, held_ever]
    close = prices.matrix(ids, days)
    if split_factors is not None:
        close *= split_factors[:, held_ever]
    fallback = last_prices.matrix(n_days)[:, held_ever]
    price = np.where(np.isnan(close), fallback, close)
    held = quantity != 0
    local = np.where(held, quantity * price, 0.0)

    currencies = sorted({asset_currency[asset_id] for asset_id in ids})
    member = np.zeros((len(ids), len(currencies)))
    member[np.arange(len(ids)), [currencies.index(asset_currency[i]) for i in ids]] = 1.0
    local_by_currency = local @ member
    held_by_currency = (held @ member) > 0
    rates = np.column_stack([fx.rates(currency, days) for currency in currencies])
    missing = held_by_currency & np.isnan(rates)
    if missing.any():
        day_index, column = (int(axis[0]) for axis in np.nonzero(missing))
        raise MissingFxRate(currencies[column], fx.base, to_date(days[day_index]))
    securities = np.where(held_by_currency, local_by_currency * rates, 0.0).sum(axis=1)
    return securities, {
        currency: local_by_currency[:, column] for column, currency in enumerate(currencies)
    }


def _cash_value(
    days: np.ndarray, cash: _Events, fx: FxTable
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Cash in the base currency per day, and each currency's balance in it."""
    n_days = int(days.size)
    if not cash.columns:
        return np.zeros(n_days), {}
    balance = cash.matrix(n_days)
    currencies: list[str] = list(cash.columns)  # type: ignore[arg-type]
    rates = np.column_stack([fx.rates(currency, days) for currency in currencies])
    held = balance != 0
    missing = held & np.isnan(rates)
    if missing.any():
        day_index, column = (int(axis[0]) for axis in np.nonzero(missing))
        raise MissingFxRate(currencies[column], fx.base, to_date(days[day_index]))
    value = np.where(held, balance * rates, 0.0).sum(axis=1)
    return value, {currency: balance[:, column] for column, currency in enumerate(currencies)}
