"""The benchmark of a report: its closes in the base currency over the period (cached by its
price marks) and, when it has none yet, the queueing of its history (on commit, at most hourly)."""

from __future__ import annotations

import datetime
import logging

import numpy as np
from django.core.cache import cache

from market import services as market_services
from portfolios.engine.market import (
    FxTable,
)
from portfolios.engine.period import benchmark_base, benchmark_curve
from portfolios.engine.risk import benchmark_comparison
from portfolios.engine.risk_measures import capture_ratios
from portfolios.engine.types import format_date
from portfolios.performance import loading
from portfolios.performance.loading import DEFAULT_BENCHMARK, AssetInfo, Market, days64, major
from portfolios.performance.periods import ONE_DAY, Period
from portfolios.performance.results import BenchmarkResult
from portfolios.performance.state import LOOKBACK, REPORT_TIMEOUT, cache_key

BENCHMARK_QUEUE_TIMEOUT = 3600  # ask for a missing benchmark history at most hourly

logger = logging.getLogger(__name__)


def benchmark_queue(symbol: str, asset_id: int | None, since: datetime.date) -> None:
    """Ask (at most hourly) for a benchmark's missing history: market queues a task on commit
    that creates the asset if need be. A read never writes rows itself."""
    if not cache.add(
        cache_key("benchmark-queued", symbol, asset_id), True, BENCHMARK_QUEUE_TIMEOUT
    ):
        return
    try:
        market_services.benchmark_history_request(symbol=symbol, asset_id=asset_id, since=since)
    except Exception:  # a queueing problem must not break a page
        logger.exception("Could not queue the history of benchmark %s", symbol)


def marks_text(info: AssetInfo | None) -> str:
    if info is None:
        return "-"
    return "{}_{}_{}_{}".format(
        info.id,
        info.first.isoformat() if info.first else "",
        info.last.isoformat() if info.last else "",
        info.price_version,
    )


def benchmark_closes(market: Market, period: Period, base: str) -> tuple[np.ndarray, float] | None:
    """The benchmark's closes in the base currency over the period's days (NaN before its
    first bar) and its close on the day before start; None when it has none then. Cached by
    its price marks (and its FX pair's), so a recomputed portfolio does not read them again."""
    bench = market.benchmark
    if bench is None or bench.first is None:
        return None
    if major(bench.currency) != base and market.benchmark_fx is None:
        return None
    key = cache_key(
        "bench",
        base,
        marks_text(bench),
        marks_text(market.benchmark_fx),
        period.start.isoformat(),
        period.end.isoformat(),
    )
    cached = cache.get(key)
    if cached is not None:
        return cached[0]
    found = _benchmark_closes_load(market, period, base)
    cache.set(key, (found,), REPORT_TIMEOUT)
    return found


def _benchmark_closes_load(
    market: Market, period: Period, base: str
) -> tuple[np.ndarray, float] | None:
    bench = market.benchmark
    assert bench is not None
    since = period.start - ONE_DAY - LOOKBACK
    requests: dict[int, datetime.date | None] = {bench.id: since}
    if market.benchmark_fx is not None:
        requests[market.benchmark_fx.id] = since
    closes = loading.closes_load(requests)
    series = closes.get(bench.id)
    if series is None:
        return None
    days = days64(period.start - ONE_DAY, period.end)
    values = series.over(days)
    if market.benchmark_fx is not None:
        pair = closes.get(market.benchmark_fx.id)
        if pair is None:
            return None
        values = values * FxTable(base, {market.benchmark_fx.symbol: pair}).rates(
            bench.currency, days
        )
    return benchmark_base(values)


def benchmark_figures(
    market: Market,
    period: Period,
    base: str,
    days: np.ndarray,
    wealth: np.ndarray,
    rf: float,
) -> tuple[BenchmarkResult | None, str | None, np.ndarray]:
    """The benchmark's figures over `period` (its start already the report's) against the
    portfolio's wealth index `wealth` on `days`, the note the page shows about it, and its
    cumulative return per day (all NaN without figures). When it has no prices for the period
    yet, its history is queued (on commit, at most hourly)."""
    start = period.start
    benchmark = None
    note = None
    bench_curve = np.full(days.size, np.nan)
    loaded = benchmark_closes(market, period, base)
    if loaded is not None:
        closes, before = loaded
        comparison = benchmark_comparison(days, wealth, closes, before, rf)
        captured = capture_ratios(days, wealth, closes, before)
        bench = market.benchmark
        if comparison is not None and captured is not None and bench is not None:
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
                up_capture=captured.up_capture,
                down_capture=captured.down_capture,
                capture_notes=captured.notes,
            )
            bench_curve = benchmark_curve(closes, before)
    if benchmark is None:
        bench = market.benchmark
        symbol = market.benchmark_symbol or DEFAULT_BENCHMARK
        if bench is None or bench.first is None:
            note = f"{symbol} has no prices yet; its history is being loaded."
            benchmark_queue(symbol, bench.id if bench else None, start - ONE_DAY)
        elif bench.first > period.end:
            note = f"{symbol}'s prices start on {format_date(bench.first)}, after this period."
            benchmark_queue(symbol, bench.id, start - ONE_DAY)
        elif market.benchmark_fx is None and major(bench.currency) != base:
            note = f"No exchange rate converts {symbol} into {base} yet."

    return benchmark, note, bench_curve
