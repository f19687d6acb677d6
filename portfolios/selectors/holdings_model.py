"""The holdings read model: `holdings`, a portfolio on a day (the overview, the transactions page,
the holdings and allocation API and the admin read it), answered from the cache while nothing
it reads has changed, and otherwise recomputed from a saved ledger state with lots where one
is still valid.

A read runs two queries: the portfolio's `ledger_version` with its `ledger_summary` (the assets
and currencies of its transactions and the log of its last writes, as the performance read
model reads them) and those assets with every FX asset that may convert one of the currencies
(owner's or catalogue's), with every stored field (price versions and first and last price
dates included). The answer is cached, with its assets, under a key of all of it (with the day
and the portfolio's ledger choices), so a transaction write (which moves the ledger version),
a price write (which moves the asset's price version) or an asset's edit is seen by the next
read.

On a miss, the saved lot states (`LotStates`: `ledger_pack`ed full ledger states, lots
included, of the days the last computations reached and of the month end before each) say
where to resume: a state of day c is still the replay of the transactions through c when every
transaction write since it touched only later dates (the portfolio's write log,
`portfolia.changelog`) and so did every price write of the FX pairs (their logs: the ledger
books foreign transactions at the FX close). Prices of the held assets never change a ledger
state, so a new close only revalues the state of the day. Only the transactions after c are
then loaded and replayed; everything else is a full replay.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, replace
from functools import cached_property

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q
from django.utils import timezone

from market.models import Asset, AssetClass
from portfolia.changelog import changed_since
from portfolios.engine.ledger import LedgerState, replay
from portfolios.engine.market import FxTable, MissingFxRate, fx_pair_symbols
from portfolios.engine.snapshots import ledger_pack, ledger_unpack
from portfolios.engine.types import Txn
from portfolios.models import Portfolio
from portfolios.performance.loading import ledger_version_load
from portfolios.performance.state import prices_changed_from
from portfolios.selectors.market_data import MarketData, market_data_load
from portfolios.selectors.positions import (
    ALLOCATION_KINDS,
    ONE_DAY,
    Holdings,
    holdings_build,
    holdings_valued,
)
from portfolios.selectors.transactions import txns_by_portfolio

CACHE_PREFIX = "portfolios:holdings:v1"
RESULT_TIMEOUT = 24 * 3600
STATES_TIMEOUT = 7 * 24 * 3600
STATES_KEPT = 6  # the latest days a lot state is kept for


# The stored fields of an asset the key holds, so a cached answer's assets (pickled with it)
# are the stored ones: all but its price write log (`price_version` moves with it) and its
# creation time (it never changes), left deferred as no holdings reader needs them (and they
# cost half of the query).
_ASSET_FIELDS = tuple(
    field.attname
    for field in Asset._meta.concrete_fields
    if field.attname not in ("price_changes", "created_at")
)


@dataclass(frozen=True)
class Reads:
    """What a holdings read reads before the cache (two queries, see the module docstring):
    the assets as rows of every stored field (`_ASSET_FIELDS`), made into instances only when
    the holdings are computed."""

    version: int
    log: list
    currencies: frozenset[str]
    rows: tuple[tuple, ...]  # the transactions' assets and the FX assets that may serve
    fx_ids: tuple[int, ...]  # of those, the FX assets that may serve (by id)

    @cached_property
    def assets(self) -> dict[int, Asset]:
        return {row[0]: Asset.from_db(DEFAULT_DB_ALIAS, _ASSET_FIELDS, row) for row in self.rows}

    def fx_marks(self) -> dict[int, tuple]:
        """The FX assets' price marks (first and last price date, price version)."""
        by_id = {row[0]: dict(zip(_ASSET_FIELDS, row, strict=True)) for row in self.rows}
        return {
            asset_id: (
                by_id[asset_id]["first_price_date"],
                by_id[asset_id]["last_price_date"],
                by_id[asset_id]["price_version"],
            )
            for asset_id in self.fx_ids
        }


@dataclass(frozen=True)
class LotStates:
    """Saved full ledger states of a portfolio (lots included), per day, and what they were
    computed from: the ledger version, the ledger choices and the FX assets' price marks."""

    version: int
    options: tuple
    fx_marks: dict[int, tuple]
    states: dict[datetime.date, tuple]  # day → `ledger_pack` of the replay through that day


def _options(portfolio: Portfolio) -> tuple:
    return tuple(sorted(portfolio.ledger_options.items()))


def reads_load(portfolio: Portfolio) -> Reads:
    """The ledger version, its log and summary, and the assets and FX assets (two queries)."""
    version, log, digest = ledger_version_load(portfolio)
    base = portfolio.base_currency
    symbols = sorted(
        {
            symbol
            for currency in FxTable.required_pairs(digest.currencies, base)
            for symbol in fx_pair_symbols(currency, base)
        }
    )
    condition = Q(pk__in=sorted(digest.asset_ids))
    if symbols:
        condition |= Q(symbol__in=symbols, asset_class=AssetClass.FX) & (
            Q(owner__isnull=True) | Q(owner_id=portfolio.owner_id)
        )
    rows: tuple[tuple, ...] = ()
    if digest.asset_ids or symbols:
        rows = tuple(Asset.objects.filter(condition).order_by("pk").values_list(*_ASSET_FIELDS))
    field = {name: index for index, name in enumerate(_ASSET_FIELDS)}
    fx_ids = tuple(
        row[0]
        for row in rows
        if row[field["asset_class"]] == AssetClass.FX
        and row[field["symbol"]] in symbols
        and row[field["owner_id"]] in (None, portfolio.owner_id)
    )
    return Reads(version, log, digest.currencies, rows, fx_ids)


def result_key(portfolio: Portfolio, day: datetime.date, reads: Reads) -> str:
    """The cache key of the holdings on `day`: it changes with the ledger version, the ledger
    choices and every stored field of every asset read (price versions and dates, names...)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(
        repr((portfolio.owner_id, day.isoformat(), reads.version, _options(portfolio))).encode()
    )
    digest.update(repr(reads.rows).encode())
    return f"{CACHE_PREFIX}:result:{portfolio.pk}:{digest.hexdigest()}"


def states_key(portfolio: Portfolio) -> str:
    return f"{CACHE_PREFIX}:states:{portfolio.pk}"


def _packed(result: Holdings) -> Holdings:
    """The holdings as cached: without the portfolio and with their allocations computed."""
    allocations = {by: tuple(result.allocation(by)) for by in ALLOCATION_KINDS}
    return replace(
        result,
        portfolio=None,  # type: ignore[arg-type]
        by_asset_id={},
        allocations=allocations,
    )


def _unpacked(cached: Holdings, portfolio: Portfolio) -> Holdings:
    """The cached holdings bound to this request's portfolio."""
    return replace(
        cached,
        portfolio=portfolio,
        by_asset_id={row.asset.pk: row for row in cached.rows},
        allocations=dict(cached.allocations),
    )


def holdings(*, portfolio: Portfolio, date: datetime.date | None = None) -> Holdings:
    """The portfolio on `date` (today when None): positions, values, gains and totals.

    Two queries when nothing changed since the same read (the module docstring); otherwise a
    few more (the transactions, from a saved state on where one is valid, the closes and the
    latest older closes of assets with no recent one), whatever the number of holdings.
    Raises LedgerError if the stored history is impossible (the services never store one).
    """
    day = date or timezone.localdate()
    reads = reads_load(portfolio)
    key = result_key(portfolio, day, reads)
    cached = cache.get(key)
    if isinstance(cached, Holdings):
        return replace(_unpacked(cached, portfolio), cache_key=key)
    result, saved = holdings_compute(portfolio=portfolio, day=day, reads=reads)
    cache.set(key, _packed(result), RESULT_TIMEOUT)
    if saved is not None:
        cache.set(states_key(portfolio), saved, STATES_TIMEOUT)
    return replace(result, cache_key=key)


def resume_day(
    saved: LotStates | None, portfolio: Portfolio, day: datetime.date, reads: Reads
) -> tuple[datetime.date | None, datetime.date | None]:
    """The saved state's day to resume from (None: replay everything) and the earliest date
    the changes since the saved states touched (None: none; `datetime.date.min`: unknown)."""
    if saved is None or saved.options != _options(portfolio):
        return None, datetime.date.min
    marks = reads.fx_marks()
    if set(saved.fx_marks) != set(marks) or any(
        saved.fx_marks[asset_id][0] != marks[asset_id][0] for asset_id in marks
    ):
        return None, datetime.date.min  # another FX pair may now serve: every rate may differ
    changes = []
    if reads.version != saved.version:
        changes.append(changed_since(reads.log, saved.version, reads.version) or datetime.date.min)
    fx_change = prices_changed_from(saved.fx_marks, marks, datetime.date.min)
    if fx_change is not None:
        changes.append(fx_change)
    changed = min(changes) if changes else None
    usable = [kept for kept in saved.states if kept <= day and (changed is None or kept < changed)]
    return (max(usable) if usable else None), changed


def month_end_before(day: datetime.date) -> datetime.date:
    """The last day of the month before `day`'s: where a computation also leaves a state, so
    that a change dated this month resumes from there."""
    return day.replace(day=1) - ONE_DAY


def holdings_compute(
    *, portfolio: Portfolio, day: datetime.date, reads: Reads, resumable: bool = True
) -> tuple[Holdings, LotStates | None]:
    """The holdings on `day`, resumed from a saved lot state when one is valid (and
    `resumable`), and the lot states to save (None when the holdings could not be valued)."""
    saved = cache.get(states_key(portfolio)) if resumable else None
    if not isinstance(saved, LotStates):
        saved = None
    resume, changed = resume_day(saved, portfolio, day, reads)
    checkpoint: LedgerState | None = None
    if resume is not None:
        assert saved is not None
        checkpoint = ledger_unpack(saved.states[resume])
    txns = txns_by_portfolio(portfolio_ids=[portfolio.pk], after=resume).get(portfolio.pk, [])
    market = _market_data(portfolio, day, reads, txns, checkpoint)
    options = portfolio.ledger_options
    fx = market.fx.get(portfolio.base_currency) or FxTable(portfolio.base_currency)
    early_day = month_end_before(day)
    try:
        early = None
        if resume is None or resume < early_day:
            early = replay(txns, fx=fx, until=early_day, checkpoint=checkpoint, **options)
        resume_from = early if early is not None else checkpoint
        state = replay(txns, fx=fx, until=day, checkpoint=resume_from, **options)
    except MissingFxRate:
        if resume is not None:  # the full replay tells which rate, as the pages show it
            return holdings_compute(portfolio=portfolio, day=day, reads=reads, resumable=False)
        return holdings_build(
            portfolio=portfolio, txns=txns, assets=reads.assets, market=market, day=day
        )[0], None
    result = holdings_valued(
        portfolio=portfolio, state=state, assets=_held_assets(reads, state), market=market, day=day
    )
    if result.pending is not None:
        return result, None
    states = {
        kept: packed
        for kept, packed in (saved.states.items() if saved is not None else ())
        if changed is None or kept < changed
    }
    memo: dict[int, tuple] = {}
    if early is not None:
        states[early_day] = ledger_pack(early, memo)
    states[day] = ledger_pack(state, memo)
    kept_days = sorted(states)[-STATES_KEPT:]
    return result, LotStates(
        version=reads.version,
        options=_options(portfolio),
        fx_marks=reads.fx_marks(),
        states={kept: states[kept] for kept in kept_days},
    )


def _market_data(
    portfolio: Portfolio,
    day: datetime.date,
    reads: Reads,
    txns: list[Txn],
    checkpoint: LedgerState | None,
) -> MarketData:
    """The closes and FX tables for the assets held by `day` (those of the checkpoint and of
    the transactions after it), the FX pairs chosen among the assets already read."""
    asset_ids = {txn.asset_id for txn in txns if txn.asset_id is not None and txn.date <= day}
    if checkpoint is not None:
        asset_ids |= set(checkpoint.positions)
    currencies = {txn.currency for txn in txns}
    # The FX assets read cover the summary's currencies; another one (a summary behind the
    # rows) has its pairs looked up.
    known = currencies <= reads.currencies
    return market_data_load(
        owner=portfolio.owner_id,
        asset_ids=asset_ids,
        currencies_by_base={portfolio.base_currency: currencies | set(reads.currencies)},
        day=day,
        fx_candidates=reads.assets.values() if known else None,
    )


def _held_assets(reads: Reads, state: LedgerState) -> dict[int, Asset]:
    """The assets of the state's positions: those read, and any the summary did not name."""
    missing = [asset_id for asset_id in state.positions if asset_id not in reads.assets]
    if not missing:
        return reads.assets
    return {**reads.assets, **Asset.objects.in_bulk(missing)}
