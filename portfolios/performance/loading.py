"""What the read model reads from the database: the ledger's version and summary, the
transaction rows, the assets it needs with their price marks (`market_meta`, which also picks
the FX pairs and the benchmark) and their closes; and the inputs of a full ledger replay for
the reports (`portfolio_ledger_load`)."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Q

from market import selectors as market_selectors
from market.models import Asset, AssetClass
from portfolios.engine.market import (
    MINOR_UNITS,
    Closes,
    FxTable,
    fx_pair_symbols,
)
from portfolios.engine.types import Txn
from portfolios.models import TXN_COLUMNS, Portfolio, Transaction, txns_from_rows
from portfolios.performance.periods import EARLIEST_MEASURED

DEFAULT_BENCHMARK = "^GSPC"


def major(currency: str) -> str:
    return MINOR_UNITS.get(currency, (currency, 1))[0]


def days64(start: datetime.date, end: datetime.date) -> np.ndarray:
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1, dtype="datetime64[D]")


@dataclass
class Digest:
    """What the computation needs to know of the transactions before reading them: how many,
    the first date recorded (`first_measured`: clamped to EARLIEST_MEASURED, the day the series
    starts), the portfolio's cash choices (`Portfolio.records_cash`, `cash_per_currency`,
    through its `ledger_summary`), the assets and the currencies.
    Whether they changed is told by the portfolio's
    `ledger_version`, not by the digest."""

    count: int
    first_recorded: datetime.date | None
    records_cash: bool
    asset_ids: frozenset[int]
    currencies: frozenset[str]
    cash_per_currency: bool = False

    @property
    def first_measured(self) -> datetime.date | None:
        """The first day measured: the first transaction's, or EARLIEST_MEASURED if earlier."""
        if self.first_recorded is None:
            return None
        return max(self.first_recorded, EARLIEST_MEASURED)

    @property
    def dates_note(self) -> str | None:
        """What the reports say when a transaction is dated before EARLIEST_MEASURED."""
        first = self.first_recorded
        if first is None or first >= EARLIEST_MEASURED:
            return None
        return (
            f"A transaction is dated {first:%-d %b} {first.year:04d}, before "
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


def digest_from_rows(rows: list, portfolio: Portfolio) -> Digest:
    """The digest of TXN_COLUMNS rows (in entry order) of `portfolio` (its cash choices)."""
    return Digest(
        count=len(rows),
        first_recorded=rows[0][3] if rows else None,
        records_cash=portfolio.records_cash,
        cash_per_currency=portfolio.cash_per_currency,
        asset_ids=frozenset(row[4] for row in rows if row[4] is not None),
        currencies=frozenset(row[10] for row in rows),
    )


def _digest_from_summary(summary: dict) -> Digest:
    """The digest of a portfolio's `ledger_summary` (written by `services.ledger_changed`)."""
    first = summary.get("first")
    return Digest(
        count=int(summary.get("count", 0)),
        first_recorded=datetime.date.fromisoformat(first) if first else None,
        records_cash=bool(summary.get("records_cash")),
        cash_per_currency=bool(summary.get("cash_per_currency")),
        asset_ids=frozenset(summary.get("assets", ())),
        currencies=frozenset(summary.get("currencies", ())),
    )


def ledger_version_load(portfolio: Portfolio) -> tuple[int, list, Digest]:
    """The portfolio's `ledger_version`, the log of its last writes and the digest of its
    `ledger_summary`, read now (the instance may be older than the last write)."""
    version, summary = (
        Portfolio.objects.filter(pk=portfolio.pk)
        .values_list("ledger_version", "ledger_summary")
        .get()
    )
    return version, summary.get("changes", []), _digest_from_summary(summary)


def txn_rows(portfolio: Portfolio, *, after: datetime.date | None) -> list:
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
class AssetInfo:
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
class Market:
    assets: dict[int, AssetInfo]
    fx: dict[str, AssetInfo]  # currency → the pair asset chosen (with prices)
    benchmark: AssetInfo | None
    benchmark_symbol: str | None
    benchmark_fx: AssetInfo | None


def market_meta(portfolio: Portfolio, digest: Digest) -> Market:
    """One query: the held assets, candidate FX pairs and the benchmark, each with the first
    and last date of its stored prices (kept on the asset by `market.services.prices_changed`)."""
    base = portfolio.base_currency
    benchmark_currency = portfolio.benchmark.currency if portfolio.benchmark_id else "USD"
    currencies = {major(c) for c in digest.currencies} | {benchmark_currency}
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
    infos: dict[int, AssetInfo] = {}
    by_symbol: dict[str, list[AssetInfo]] = defaultdict(list)
    default_benchmarks: list[tuple[bool, AssetInfo]] = []
    for asset_id, symbol, name, currency, owner_id, provider, first, last, *version in rows:
        info = AssetInfo(asset_id, symbol, name, currency, owner_id, first, last, *version)
        infos[asset_id] = info
        by_symbol[symbol].append(info)
        if symbol == DEFAULT_BENCHMARK and owner_id is None:
            default_benchmarks.append((provider != settings.MARKET_DATA_PROVIDER, info))
    fx: dict[str, AssetInfo] = {}
    for currency, options in candidates.items():
        priced = [info for symbol in options for info in by_symbol[symbol] if info.first]
        ranked = market_selectors.fx_pair_ranked(options, priced)  # the one FX rule
        if ranked:
            fx[currency] = ranked[0]
    if portfolio.benchmark_id:
        benchmark = infos.get(portfolio.benchmark_id)
    else:
        benchmark = (
            min(default_benchmarks, key=lambda item: item[0])[1] if default_benchmarks else None
        )
    benchmark_fx = None
    if benchmark is not None and major(benchmark.currency) != base:
        benchmark_fx = fx.get(major(benchmark.currency))
    return Market(
        assets={asset_id: infos[asset_id] for asset_id in digest.asset_ids if asset_id in infos},
        fx=fx,
        benchmark=benchmark,
        benchmark_symbol=benchmark.symbol if benchmark else DEFAULT_BENCHMARK,
        benchmark_fx=benchmark_fx,
    )


def closes_load(
    requests: dict[int, datetime.date | None], *, until: datetime.date | None = None
) -> dict[int, Closes]:
    """Daily closes of each asset from its date (None: all of them) to `until` (None: the
    last), in one query: `market.selectors.closes_load` (the one loader of stored closes, with
    its PostgreSQL fast path), as the engine's `Closes`."""
    found = market_selectors.closes_load(requests, until=until)
    return {
        asset_id: Closes.from_arrays(days, values) for asset_id, (days, values) in found.items()
    }


def closes_with_previous(
    requests: dict[int, datetime.date | None],
    *,
    previous_before: dict[int, datetime.date],
    until: datetime.date | None = None,
) -> dict[int, Closes]:
    """`closes_load`, then for assets in `previous_before` whose loaded closes start on or after
    that day (or that have none), their latest close before it (one more query, only when
    needed: `market.selectors.closes_latest_before`, before the earliest of those days)."""
    closes = closes_load(requests, until=until)
    lacking = [
        asset_id
        for asset_id, before in previous_before.items()
        if (series := closes.get(asset_id)) is None
        or series.first_day is None
        or series.first_day >= before
    ]
    if not lacking:
        return closes
    earliest = min(previous_before[asset_id] for asset_id in lacking)
    prior = market_selectors.closes_latest_before(asset_ids=lacking, before=earliest)
    for asset_id, (prior_date, prior_close) in prior.items():
        series = closes.get(asset_id)
        if series is None:
            closes[asset_id] = Closes.from_arrays([prior_date], [prior_close])
        else:
            closes[asset_id] = Closes(
                np.concatenate([np.array([prior_date], dtype="datetime64[D]"), series.days]),
                np.concatenate([np.array([prior_close], dtype=np.float64), series.values]),
            )
    return closes


class Recompute(Exception):
    """The incremental path cannot be taken; compute everything."""


def txn_rate(txn: Txn, base: str, fx: FxTable) -> Decimal:
    """The rate the ledger books a transaction at: 1 in the base, its fx_rate, or that day's
    FX close (engine.ledger's rule)."""
    if txn.currency == base:
        return Decimal(1)
    if txn.fx_rate is not None:
        return txn.fx_rate
    return fx.rate_decimal(txn.currency, txn.date)


def fx_table(base: str, market: Market, closes: dict[int, Closes]) -> FxTable:
    pairs = {info.symbol: closes[info.id] for info in market.fx.values() if info.id in closes}
    return FxTable(base, pairs)


@dataclass(frozen=True)
class LedgerInputs:
    """Everything a ledger replay of the portfolio needs: its transactions (entry order), the
    FX table into its base currency, its assets and the public id of each transaction."""

    txns: list[Txn]
    fx: FxTable
    assets: dict[int, AssetInfo]
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
    digest = digest_from_rows(rows, portfolio)
    market = market_meta(portfolio, digest)
    fx = fx_table(
        portfolio.base_currency,
        market,
        closes_load({info.id: None for info in market.fx.values()}),
    )
    return LedgerInputs(
        txns=txns_from_rows(rows),
        fx=fx,
        assets=market.assets,
        public_ids=public_ids,
    )


def price_change_logs(asset_ids: Sequence[int]) -> dict[int, list]:
    """The price write log (`Asset.price_changes`) of each asset, in one query."""
    return dict(Asset.objects.filter(pk__in=asset_ids).values_list("pk", "price_changes"))
