"""Reads of the backtests: a user's simulation runs (scoped by owner: another's is a 404) and
the price matrix a run simulates on, in one currency.

The matrix reuses the read model's loaders: `performance.loading.market_meta` picks the FX
pairs (market's one FX rule, `fx_pair_ranked`) and the benchmark (``^GSPC`` by default),
`closes_load` reads the closes and `fx_table` builds the `FxTable` that converts them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from market.models import Asset
from portfolios.engine.market import Closes, FxTable
from portfolios.models import Portfolio, SimulationRun
from portfolios.performance import loading
from portfolios.performance.loading import AssetInfo

__all__ = [
    "SimulationMarket",
    "simulation_market_load",
    "simulation_run_get_for_user",
    "simulation_runs_for_user",
]

# Closes are read from this long before the start, so a rule has a trailing history to read
# (a 12-month momentum skipping a month needs 13 months) and the benchmark a close before it.
LOOKBACK = datetime.timedelta(days=400)


def simulation_runs_for_user(user) -> QuerySet[SimulationRun]:
    """The user's runs, newest first."""
    return SimulationRun.objects.filter(owner=user).order_by("-created_at")


def simulation_run_get_for_user(user, public_id) -> SimulationRun:
    """One of the user's runs by its public id; 404 for anyone else's."""
    return get_object_or_404(simulation_runs_for_user(user), public_id=public_id)


@dataclass(frozen=True)
class SimulationMarket:
    """The rows (trading days: a day any asset has a close) from the lookback to the end, the
    closes on them in `currency` (NaN where an asset has no close), each asset's first close
    (its own days, in its own currency), the benchmark's closes on the same rows in `currency`
    (None when it has none or no FX pair), and per currency the FX rate used on each row."""

    currency: str
    days: np.ndarray
    closes: np.ndarray
    rates: dict[str, np.ndarray]
    first_close: dict[int, datetime.date | None]
    benchmark: AssetInfo | None
    benchmark_symbol: str
    benchmark_closes: np.ndarray | None
    missing_fx: list[str]


def _on_rows(series: Closes | None, rows: np.ndarray) -> np.ndarray:
    """An asset's own closes placed on `rows` (NaN on rows without a bar of it)."""
    out = np.full(rows.size, np.nan)
    if series is None or not len(series):
        return out
    position = np.searchsorted(rows, series.days)
    inside = (position < rows.size) & (rows[np.minimum(position, rows.size - 1)] == series.days)
    out[position[inside]] = series.values[inside]
    return out


def simulation_market_load(
    *,
    owner,
    assets: list[Asset],
    currency: str,
    benchmark: Asset | None,
    start: datetime.date,
    end: datetime.date,
) -> SimulationMarket:
    """The price matrix of `assets` in `currency` from `start` - LOOKBACK to `end`, in two
    queries (assets and FX pairs with the benchmark, then every close)."""
    # An unsaved portfolio and digest describe what `market_meta` should pick: the same FX
    # pairs and benchmark a real portfolio of these assets in this currency would get.
    shape = Portfolio(owner=owner, base_currency=currency, benchmark=benchmark)
    digest = loading.Digest(
        count=0,
        first_recorded=None,
        records_cash=False,
        asset_ids=frozenset(asset.pk for asset in assets),
        currencies=frozenset(asset.currency for asset in assets),
    )
    market = loading.market_meta(shape, digest)
    since = start - LOOKBACK
    requests: dict[int, datetime.date | None] = {asset.pk: since for asset in assets}
    requests |= {info.id: since for info in market.fx.values()}
    if market.benchmark is not None:
        requests[market.benchmark.id] = since
    closes = loading.closes_load(requests)
    fx = loading.fx_table(currency, market, closes)

    end64 = np.datetime64(end, "D")
    own = [closes.get(asset.pk) for asset in assets]
    spans = [series.days[series.days <= end64] for series in own if series is not None]
    rows = np.unique(np.concatenate(spans)) if spans else np.array([], dtype="datetime64[D]")
    matrix = np.full((rows.size, len(assets)), np.nan)
    rates: dict[str, np.ndarray] = {}
    missing: list[str] = []
    for column, (asset, series) in enumerate(zip(assets, own, strict=True)):
        if asset.currency not in rates:
            rates[asset.currency] = fx.rates(asset.currency, rows)
        if not fx.can_convert(asset.currency):
            direct, inverse = FxTable.pair_symbols(asset.currency, currency)
            missing.append(f"{asset.symbol} ({asset.currency}: load {direct} or {inverse})")
        matrix[:, column] = _on_rows(series, rows) * rates[asset.currency]
    bench_closes = None
    bench = market.benchmark
    if bench is not None and (series := closes.get(bench.id)) is not None:
        rate = fx.rates(bench.currency, rows)
        if fx.can_convert(bench.currency):
            bench_closes = series.over(rows) * rate
    return SimulationMarket(
        currency=currency,
        days=rows,
        closes=matrix,
        rates=rates,
        first_close={
            asset.pk: (series.first_day if series is not None else None)
            for asset, series in zip(assets, own, strict=True)
        },
        benchmark=bench,
        benchmark_symbol=market.benchmark_symbol or loading.DEFAULT_BENCHMARK,
        benchmark_closes=bench_closes,
        missing_fx=missing,
    )
