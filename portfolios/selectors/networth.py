"""The net worth (`net_worth`): every portfolio of a user together, in the user's base currency
(`User.base_currency`): total value, day change, total gain, TWR and MWR over a period, the
daily value chart, the allocation of everything by asset, asset class and currency, and each
portfolio's share.

Consolidation (DESIGN.md §4, a portfolio of portfolios):

- Each portfolio's cached daily series (the performance read model, `state_current`: value,
  inflow, outflow, in its own base currency) is converted day by day into the user's base
  currency at that day's FX close (the one FX rule: `market_data_load`, through
  `market.selectors.fx_pair_assets`), and the converted arrays are summed over calendar days
  (a portfolio adds nothing before its first transaction).
- Internal transfers are not external flows of the whole: a withdrawal in one portfolio and a
  deposit in another of the same user, on the same date, in the same currency and of the same
  amount, both portfolios recording cash (only then are they flows at all) are a transfer. The
  Transaction model has no transfer field, so this match is the rule; each withdrawal pairs
  with at most one deposit (first entered first). The transfer's amount, converted at that
  day's FX close into the user's base currency, is taken out of both the summed inflow and the
  summed outflow of its day (never below zero), so the whole's TWR and MWR do not see it.
- TWR, MWR, gain and simple return of the period are the engine's (`engine.returns.performance`)
  on the summed series, with the period parsed by the one period rule (`period_resolve`).
- Allocation: each portfolio's holdings today (its series' end state valued by the holdings
  rules, `positions.holdings_valued`; else the holdings read model, `selectors.holdings`) split
  by asset, asset class or currency (`Holdings.allocation`), each slice converted at today's FX
  close and merged by key; weights are shares of the total, so they add up to 100 %.

The answer is cached under a key of everything it reads (`dashboard.versions_digest`: each
portfolio's ledger version and cash choices, the price versions of their assets and of every
FX pair, the user's base currency, the day and the period asked): warm, two queries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.core.cache import cache
from django.utils import timezone

from market.models import Asset
from portfolios.engine.ledger import LedgerState
from portfolios.engine.market import FxTable, MissingFxRate
from portfolios.engine.period import period_returns
from portfolios.engine.returns import performance, wealth_index
from portfolios.engine.snapshots import ledger_unpack
from portfolios.models import Portfolio, Transaction, TransactionKind
from portfolios.performance.loading import days64
from portfolios.performance.periods import Period, period_resolve
from portfolios.performance.series import state_current
from portfolios.performance.state import Body, Head, cache_key
from portfolios.selectors.access import portfolio_queryset_for_user
from portfolios.selectors.dashboard import versions_digest
from portfolios.selectors.holdings_model import holdings
from portfolios.selectors.market_data import market_data_load
from portfolios.selectors.positions import (
    ALLOCATION_KINDS,
    AllocationSlice,
    holdings_valued,
    share,
)

NETWORTH_TIMEOUT = 24 * 3600
FX_PENDING = "Exchange rates are still loading, so the net worth cannot be computed yet."


@dataclass(frozen=True)
class PortfolioShare:
    """One portfolio in the net worth: its value today in its own and in the user's currency."""

    public_id: object
    name: str
    currency: str
    value_local: float
    value: float
    share: float | None


@dataclass(frozen=True)
class NetWorthSeries:
    """The period's daily points, in the user's base currency: value, net invested (cumulative
    external inflows minus outflows since the first transaction) and cumulative TWR."""

    days: np.ndarray
    value: np.ndarray
    net_invested: np.ndarray
    twr: np.ndarray

    def points(self) -> list[dict]:
        return [
            {
                "date": day.astype("datetime64[D]").item(),
                "value": float(self.value[i]),
                "net_invested": float(self.net_invested[i]),
                "twr": float(self.twr[i]),
            }
            for i, day in enumerate(self.days)
        ]


@dataclass(frozen=True)
class NetWorth:
    """The user's net worth over a period (see the module docstring)."""

    currency: str
    period: str
    start: datetime.date
    end: datetime.date
    n_days: int
    portfolio_count: int = 0
    has_transactions: bool = False
    pending: str | None = None
    total_value: float = 0.0
    day_change: float = 0.0
    day_change_pct: float | None = None
    total_gain: float = 0.0
    total_gain_pct: float | None = None
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
    transfers: int = 0  # internal transfers taken out of the flows (all dates)
    portfolios: tuple[PortfolioShare, ...] = ()
    allocations: dict[str, tuple[AllocationSlice, ...]] = field(default_factory=dict)
    series: NetWorthSeries | None = None


def net_worth(
    user,
    *,
    period: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    today: datetime.date | None = None,
) -> NetWorth:
    """The net worth of the user's portfolios over a named period (1Y by default) or a custom
    start/end; raises PeriodError for a bad one. Warm: two queries (the portfolios, the price
    marks); cold: each portfolio's series and holdings (from their own caches when warm) and
    the deposits and withdrawals (one query)."""
    today = today or timezone.localdate()
    currency = getattr(user, "base_currency", "USD")
    portfolios = list(portfolio_queryset_for_user(user).order_by("name", "id"))
    marks = versions_digest(
        portfolios,
        extra=(
            user.pk,
            currency,
            today.isoformat(),
            period,
            str(start),
            str(end),
            [(p.pk, p.name) for p in portfolios],
        ),
    )
    key = f"portfolios:networth:v1:{getattr(user, 'pk', None)}:{marks}"
    cached = cache.get(key)
    if isinstance(cached, NetWorth):
        return cached
    result = _compute(portfolios, currency, period, start, end, today)
    cache.set(key, result, NETWORTH_TIMEOUT)
    return result


def _series_of(portfolio: Portfolio, today: datetime.date) -> tuple[Head | None, Body | None]:
    """The portfolio's up-to-date head and daily series (the performance read model's cache)."""
    head, body, _, _ = state_current(portfolio=portfolio, today=today)
    if head is None or head.error is not None or body is not None:
        return head, body
    body = cache.get(cache_key("body", portfolio.pk, head.token))
    if body is None:  # evicted: compute afresh
        cache.delete(cache_key("head", portfolio.pk))
        head, body, _, _ = state_current(portfolio=portfolio, today=today)
    return head, body


def _compute(
    portfolios: list[Portfolio],
    currency: str,
    period: str | None,
    start: datetime.date | None,
    end: datetime.date | None,
    today: datetime.date,
) -> NetWorth:
    measured: list[tuple[Portfolio, Head, Body]] = []
    pending = None
    for portfolio in portfolios:
        head, body = _series_of(portfolio, today)
        if head is None:
            continue
        if head.error is not None or body is None:
            pending = pending or (head.error or FX_PENDING)
            continue
        measured.append((portfolio, head, body))
    first = min((head.start for _, head, _ in measured if head.start), default=None)
    resolved = period_resolve(period=period, start=start, end=end, first_date=first, today=today)
    empty = NetWorth(
        currency=currency,
        period=resolved.label,
        start=resolved.start,
        end=resolved.end,
        n_days=resolved.n_days,
        portfolio_count=len(portfolios),
        has_transactions=bool(measured) or pending is not None,
        pending=pending,
    )
    if pending is not None or first is None:
        return empty
    days = days64(first, today)
    value = np.zeros(days.size)
    inflow = np.zeros(days.size)
    outflow = np.zeros(days.size)
    ends: list[tuple[Portfolio, float, float]] = []
    market = market_data_load(
        owner=portfolios[0].owner_id,
        asset_ids=(),
        currencies_by_base={
            currency: {p.base_currency for p, _, _ in measured} | _cash_currencies(portfolios)
        },
        day=today,
    )
    fx = market.fx[currency]
    for portfolio, head, body in measured:
        daily = body.series
        offset = (head.start - first).days  # type: ignore[operator]
        rates = fx.rates(portfolio.base_currency, days[offset:])
        if np.isnan(rates).any():
            return NetWorth(**{**empty.__dict__, "pending": FX_PENDING})
        value[offset:] += daily.value * rates
        inflow[offset:] += daily.inflow * rates
        outflow[offset:] += daily.outflow * rates
        ends.append((portfolio, float(daily.value[-1]), float(daily.value[-1] * rates[-1])))
    try:
        transfers = _transfers(portfolios, fx, first, today)
    except MissingFxRate:
        return NetWorth(**{**empty.__dict__, "pending": FX_PENDING})
    for day, amount in transfers:
        index = (day - first).days
        inflow[index] = max(inflow[index] - amount, 0.0)
        outflow[index] = max(outflow[index] - amount, 0.0)
    allocations = _allocations(measured, fx, today)
    if allocations is None:
        return NetWorth(**{**empty.__dict__, "pending": FX_PENDING})
    return _figures(
        empty, resolved, days, value, inflow, outflow, ends, len(transfers), allocations
    )


def _figures(
    empty: NetWorth,
    resolved: Period,
    days: np.ndarray,
    value: np.ndarray,
    inflow: np.ndarray,
    outflow: np.ndarray,
    ends: list[tuple[Portfolio, float, float]],
    transfers: int,
    allocations: dict[str, tuple[AllocationSlice, ...]],
) -> NetWorth:
    first = days[0].astype("datetime64[D]").item()
    lo, hi = (resolved.start - first).days, (resolved.end - first).days + 1
    if hi <= 0:  # a custom period that ends before the first transaction
        return empty
    start_value = float(value[lo - 1]) if lo > 0 else 0.0
    figures = performance(days[lo:hi], value[lo:hi], inflow[lo:hi], outflow[lo:hi], start_value)
    wealth = wealth_index(period_returns(value[lo:hi], inflow[lo:hi], outflow[lo:hi], start_value))
    net_invested = np.cumsum(inflow - outflow)
    total = float(value[-1])
    before = float(value[-2]) if value.size > 1 else 0.0
    day_change = total - before - float(inflow[-1]) + float(outflow[-1])
    day_base = before + float(inflow[-1])
    total_gain = total - float(net_invested[-1])
    total_in = float(inflow.sum())
    return NetWorth(
        **{
            **empty.__dict__,
            "start": figures.start,
            "n_days": figures.n_days,
            "total_value": total,
            "day_change": day_change,
            "day_change_pct": day_change / day_base if day_base > 0 else None,
            "total_gain": total_gain,
            "total_gain_pct": total_gain / total_in if total_in > 0 else None,
            "start_value": figures.start_value,
            "end_value": figures.end_value,
            "inflows": figures.inflows,
            "outflows": figures.outflows,
            "net_flows": figures.net_flows,
            "gain": figures.gain,
            "twr": figures.twr,
            "twr_annualized": figures.twr_annualized,
            "mwr": figures.mwr,
            "mwr_period": figures.mwr_period,
            "mwr_note": figures.mwr_note,
            "simple_return": figures.simple_return,
            "transfers": transfers,
            "portfolios": tuple(
                PortfolioShare(
                    public_id=portfolio.public_id,
                    name=portfolio.name,
                    currency=portfolio.base_currency,
                    value_local=local,
                    value=converted,
                    share=converted / total if total > 0 else None,
                )
                for portfolio, local, converted in sorted(ends, key=lambda item: -item[2])
            ),
            "allocations": allocations,
            "series": NetWorthSeries(
                days=days[lo:hi],
                value=value[lo:hi],
                net_invested=net_invested[lo:hi],
                twr=wealth - 1.0,
            ),
        }
    )


def _cash_currencies(portfolios: list[Portfolio]) -> set[str]:
    """The currencies the portfolios' transactions are in (what a transfer may be in)."""
    return {c for p in portfolios for c in p.ledger_summary.get("currencies", ())}


def _transfers(
    portfolios: list[Portfolio], fx: FxTable, first: datetime.date, today: datetime.date
) -> list[tuple[datetime.date, float]]:
    """The internal transfers (module docstring) dated first..today, as (date, amount in the
    user's base currency), from one query of the deposits and withdrawals of the portfolios
    that record cash."""
    ids = [p.pk for p in portfolios if p.records_cash]
    if len(ids) < 2:
        return []
    rows = (
        Transaction.objects.filter(
            portfolio_id__in=ids,
            kind__in=(TransactionKind.DEPOSIT, TransactionKind.WITHDRAWAL),
            date__gte=first,
            date__lte=today,
        )
        .order_by("date", "id")
        .values_list("portfolio_id", "kind", "date", "amount", "currency")
    )
    open_withdrawals: dict[tuple, list[int]] = defaultdict(list)
    deposits: list[tuple[tuple, int]] = []
    for portfolio_id, kind, day, amount, txn_currency in rows:
        match = (day, txn_currency, amount)
        if kind == TransactionKind.WITHDRAWAL:
            open_withdrawals[match].append(portfolio_id)
        else:
            deposits.append((match, portfolio_id))
    found = []
    for match, portfolio_id in deposits:
        sources = open_withdrawals.get(match, [])
        source = next((s for s in sources if s != portfolio_id), None)
        if source is None:
            continue
        sources.remove(source)
        day, txn_currency, amount = match
        found.append((day, float(amount) * fx.rate(txn_currency, day)))
    return found


def _end_state(head: Head) -> LedgerState | None:
    """The valuation-only ledger state at the head's end, as its computation left it among its
    checkpoints (None when the cache no longer holds it)."""
    bundle = cache.get(head.checkpoints.get(head.end, ""))
    packed = bundle.get(head.end) if isinstance(bundle, dict) else None
    return ledger_unpack(packed, {}) if packed is not None else None


def _allocations(
    measured: list[tuple[Portfolio, Head, Body]], fx: FxTable, today: datetime.date
) -> dict[str, tuple[AllocationSlice, ...]] | None:
    """Everything together by asset, asset class and currency (module docstring); None when a
    portfolio's holdings wait for exchange rates.

    Each portfolio's holdings are its series' own end state valued by the holdings rules
    (`positions.holdings_valued`, `Holdings.allocation`; costs read zero in a valuation-only
    state, and the allocation needs none), with the closes and assets of all portfolios read
    together (three queries); a portfolio whose end state the cache no longer holds is read
    through the holdings read model (`selectors.holdings`)."""
    states = {portfolio.pk: _end_state(head) for portfolio, head, _ in measured}
    held = {asset_id for state in states.values() if state for asset_id in state.positions}
    currencies: dict[str, set[str]] = defaultdict(set)
    for portfolio, _, _ in measured:
        currencies[portfolio.base_currency] |= set(portfolio.ledger_summary.get("currencies", ()))
    market = market_data_load(
        owner=measured[0][0].owner_id, asset_ids=held, currencies_by_base=currencies, day=today
    )
    assets = Asset.objects.in_bulk(sorted(held))
    totals: dict[str, dict[str, Decimal]] = {by: defaultdict(Decimal) for by in ALLOCATION_KINDS}
    labels: dict[str, dict[str, str]] = {by: {} for by in ALLOCATION_KINDS}
    grand = Decimal(0)
    for portfolio, _, _ in measured:
        state = states[portfolio.pk]
        if state is None:
            snapshot = holdings(portfolio=portfolio, date=today)
        else:
            snapshot = holdings_valued(
                portfolio=portfolio, state=state, assets=assets, market=market, day=today
            )
        if snapshot.pending:
            return None
        rate = fx.rate_decimal(portfolio.base_currency, today)
        grand += snapshot.total_value * rate
        for by in ALLOCATION_KINDS:
            for piece in snapshot.allocation(by):
                totals[by][piece.key] += piece.value * rate
                labels[by].setdefault(piece.key, piece.label)
    result = {}
    for by in ALLOCATION_KINDS:
        slices = [
            AllocationSlice(key, labels[by][key], amount, share(amount, grand))
            for key, amount in totals[by].items()
            if amount
        ]
        slices.sort(key=lambda item: (-item.value, item.key))
        result[by] = tuple(slices)
    return result


__all__ = ["NetWorth", "NetWorthSeries", "PortfolioShare", "net_worth"]
