"""Reads of market data shared by pages, the API, tasks and other apps: asset visibility and
search (local first, then the provider's, cached, with a short timeout), price series and
coverage, the latest price and its staleness, fetch jobs, and the staff data-status report; the
one FX-pair rule (`fx_pair_assets`) and the one loader of stored closes for computations
(`closes_load`, `closes_latest_before`, kept in `market.selectors_closes` and read here).

``assets_to_refresh()`` decides which assets the scheduled refreshes keep fresh. Other apps
extend it with ``refresh_source_register`` (the portfolios app adds held assets, benchmarks and
the FX pairs its portfolios need, from its ``AppConfig.ready``).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from market import providers
from market.models import Asset, AssetClass, CorporateAction, FetchJob, Price, ProviderName, Quote
from market.providers.base import ProviderError, SearchResult

# The one loader of stored closes for computations (its own module for size; read it here).
from market.selectors_closes import DayCloses as DayCloses
from market.selectors_closes import closes_latest_before as closes_latest_before
from market.selectors_closes import closes_load as closes_load
from portfolia.validators import control_character_problem

logger = logging.getLogger(__name__)

SEARCH_CACHE_SECONDS = 60 * 60
SEARCH_ERROR_CACHE_SECONDS = 30
SEARCH_RESULT_CACHE_SECONDS = 24 * 60 * 60
# Assets someone asked a backfill for stay fresh this long without any other reason to.
RECENT_INTEREST = dt.timedelta(days=30)
# A held asset whose last close is this many business days old is reported stale to staff.
STALE_AFTER_BUSINESS_DAYS = 3

PRICE_RANGES: tuple[str, ...] = ("1M", "6M", "YTD", "1Y", "5Y", "MAX")
DEFAULT_PRICE_RANGE = "1Y"

_search_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="search")


def provider_label(name: str) -> str:
    return ProviderName(name).label if name in ProviderName.values else name


def search_timeout() -> float:
    return float(getattr(settings, "MARKET_SEARCH_TIMEOUT", 3.0))


# --- Assets ------------------------------------------------------------------------------------


def assets_visible(*, user) -> QuerySet[Asset]:
    """The shared catalogue plus the user's own manual assets (others' stay invisible: 404)."""
    return Asset.objects.filter(Q(owner__isnull=True) | Q(owner=user)).select_related("quote")


def asset_get_visible(*, user, public_id) -> Asset:
    return get_object_or_404(assets_visible(user=user), public_id=public_id)


def asset_search_local(*, user, query: str, limit: int = 20) -> list[Asset]:
    """Visible assets whose symbol starts with, or whose name contains, the query; exact symbol
    first, then symbol prefixes, then name matches."""
    return list(assets_search_queryset(user=user, query=query)[:limit])


def assets_search_queryset(*, user, query: str = "") -> QuerySet[Asset]:
    assets = assets_visible(user=user)
    query = query.strip()
    if not query:
        return assets
    if control_character_problem(query):
        return assets.none()  # no symbol or name has one (PostgreSQL cannot compare a NUL)
    return (
        assets.filter(Q(symbol__istartswith=query) | Q(name__icontains=query))
        .annotate(
            rank=Case(
                When(symbol__iexact=query, then=Value(0)),
                When(symbol__istartswith=query, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "symbol", "provider")
    )


@dataclass(frozen=True)
class ProviderSearch:
    results: list[SearchResult]
    error: str | None = None


def _search_key(provider_name: str, query: str, limit: int) -> str:
    digest = hashlib.sha1(query.strip().lower().encode()).hexdigest()[:16]
    return f"market:search:{provider_name}:{limit}:{digest}"


def _result_key(provider_name: str, symbol: str) -> str:
    digest = hashlib.sha1(symbol.strip().upper().encode()).hexdigest()[:16]
    return f"market:search-result:{provider_name}:{digest}"


def provider_search(
    *, query: str, provider_name: str | None = None, limit: int = 10
) -> ProviderSearch:
    """The provider's search results, cached for an hour, within a short timeout.

    The only provider call a web request may make. On timeout or failure it answers an error
    message (cached briefly, so a struggling provider is not asked again at every keystroke).
    """
    provider_name = provider_name or settings.MARKET_DATA_PROVIDER
    query = query.strip()
    if not query or provider_name == ProviderName.MANUAL:
        return ProviderSearch([])
    key = _search_key(provider_name, query, limit)
    cached = cache.get(key)
    if cached is not None:
        return cached
    label = provider_label(provider_name)
    try:
        provider = providers.get_provider(provider_name)
        future = _search_pool.submit(provider.search, query, limit=limit)
        results = future.result(timeout=search_timeout())
    except concurrent.futures.TimeoutError:
        answer = ProviderSearch([], f"{label} did not answer in time; showing local results only.")
        cache.set(key, answer, SEARCH_ERROR_CACHE_SECONDS)
        return answer
    except ProviderError as exc:
        answer = ProviderSearch([], f"{label} search is unavailable: {exc}")
        cache.set(key, answer, SEARCH_ERROR_CACHE_SECONDS)
        return answer
    except Exception:
        logger.exception("Search at %s failed for %r", provider_name, query)
        answer = ProviderSearch([], f"{label} search failed; showing local results only.")
        cache.set(key, answer, SEARCH_ERROR_CACHE_SECONDS)
        return answer
    answer = ProviderSearch(list(results))
    cache.set(key, answer, SEARCH_CACHE_SECONDS)
    cache.set_many(
        {_result_key(provider_name, result.symbol): result for result in answer.results},
        SEARCH_RESULT_CACHE_SECONDS,
    )
    return answer


def provider_search_result(*, symbol: str, provider_name: str) -> SearchResult | None:
    """The provider's description of one symbol: from a recent search, else a search for it."""
    cached = cache.get(_result_key(provider_name, symbol))
    if cached is not None:
        return cached
    for result in provider_search(query=symbol, provider_name=provider_name).results:
        if result.symbol.upper() == symbol.strip().upper():
            return result
    return None


@dataclass(frozen=True)
class AssetSearch:
    query: str
    local: list[Asset]
    remote: list[SearchResult]
    remote_error: str | None
    provider_name: str


def asset_search(
    *, user, query: str, limit: int = 20, remote: bool = True, local: bool = True
) -> AssetSearch:
    """Local assets first, then the provider's results not already in the catalogue; a query
    with a control character matches nothing, and `remote_error` says why."""
    provider_name = settings.MARKET_DATA_PROVIDER
    problem = control_character_problem(query)
    if problem:
        return AssetSearch(query, [], [], f"The search {problem}; remove it.", provider_name)
    matches = []
    if local and query.strip():
        matches = asset_search_local(user=user, query=query, limit=limit)
    found = ProviderSearch([])
    if remote and query.strip():
        found = provider_search(query=query, provider_name=provider_name)
    known = {(asset.provider, asset.symbol) for asset in matches}
    if found.results:
        known |= set(
            Asset.objects.filter(
                owner__isnull=True,
                provider=provider_name,
                symbol__in=[result.symbol.upper() for result in found.results],
            ).values_list("provider", "symbol")
        )
    others = [r for r in found.results if (r.provider, r.symbol.upper()) not in known]
    return AssetSearch(query, matches, others, found.error, provider_name)


# --- FX pairs ----------------------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)


def fx_pair_assets(
    *,
    owner_id: int | None,
    pairs: Mapping[K, Sequence[str]],
    priced: bool = True,
    candidates: Iterable[Asset] | None = None,
) -> dict[K, list[Asset]]:
    """The one rule for which stored FX asset converts a currency (one query for all pairs).

    `pairs` maps a key (a currency, or a (currency, base) pair) to the FX symbols that convert it,
    preferred first: the direct `AB=X`, then the inverse `BA=X` (the caller spells them, as the
    engine's `fx_pair_symbols` does). For each key: the FX-class assets of those symbols, one per
    symbol and in that order; for a symbol, the owner's manual asset (made on purpose) before the
    catalogue's. With `priced` (every read), only assets with stored prices count, so an empty
    manual pair never hides the catalogue's; the first asset of each list is the choice.
    With `candidates` (assets the caller loaded already, a superset of those FX assets) the same
    rule runs on them, without a query.
    """
    wanted = sorted({symbol for symbols in pairs.values() for symbol in symbols})
    if not wanted:
        return {key: [] for key in pairs}
    if candidates is None:
        owners = (
            Q(owner__isnull=True)
            if owner_id is None
            else Q(owner__isnull=True) | Q(owner_id=owner_id)
        )
        rows = Asset.objects.filter(owners, symbol__in=wanted, asset_class=AssetClass.FX)
        if priced:
            rows = rows.filter(first_price_date__isnull=False)
    else:
        rows = [
            asset
            for asset in candidates
            if asset.symbol in wanted
            and asset.asset_class == AssetClass.FX
            and asset.owner_id in (None, owner_id)
            and (asset.first_price_date is not None or not priced)
        ]
    found = sorted(rows, key=lambda asset: asset.pk)
    return {key: fx_pair_ranked(symbols, found) for key, symbols in pairs.items()}


class _FxCandidate(Protocol):
    symbol: str
    owner_id: int | None


FxCandidate = TypeVar("FxCandidate", bound=_FxCandidate)


def fx_pair_ranked(symbols: Sequence[str], assets: Iterable[FxCandidate]) -> list[FxCandidate]:
    """The FX rule on assets already loaded (FX pairs that may serve, priced ones only on a
    read): one per symbol, in the order of `symbols`, the owner's own before the catalogue's.
    `fx_pair_assets` and the performance read model (which loads its pairs with the held
    assets in one query) both choose with it."""
    by_symbol: dict[str, FxCandidate] = {}
    for asset in sorted(assets, key=lambda asset: asset.owner_id is None):  # stable
        if asset.symbol in symbols:
            by_symbol.setdefault(asset.symbol, asset)
    return [by_symbol[symbol] for symbol in symbols if symbol in by_symbol]


def fx_pair_asset(
    *, owner_id: int | None, symbols: Sequence[str], priced: bool = True
) -> Asset | None:
    """The FX asset that converts a currency for this owner (see `fx_pair_assets`), if any."""
    found = fx_pair_assets(owner_id=owner_id, pairs={0: symbols}, priced=priced)[0]
    return found[0] if found else None


# --- What to keep fresh ------------------------------------------------------------------------

RefreshSource = Callable[[], "Iterable[int] | QuerySet"]
_refresh_sources: list[RefreshSource] = []


def refresh_source_register(source: RefreshSource) -> RefreshSource:
    """Add a source of asset ids the scheduled refreshes must keep fresh.

    A source is a callable answering asset ids: a list, or better a ``values("id")`` queryset,
    which becomes a subquery. Usable as a decorator; registering twice is harmless.
    """
    if source not in _refresh_sources:
        _refresh_sources.append(source)
    return source


def recently_requested_asset_ids() -> QuerySet:
    """Assets someone added or asked a backfill for in the last 30 days (watch list)."""
    since = timezone.now() - RECENT_INTEREST
    return FetchJob.objects.filter(kind=FetchJob.Kind.BACKFILL, created_at__gte=since).values(
        "asset_id"
    )


def assets_to_refresh() -> QuerySet[Asset]:
    """Catalogue assets the quote and close refreshes keep fresh: recently requested ones and
    whatever the registered sources add (held, benchmarks, FX)."""
    wanted = Q(id__in=recently_requested_asset_ids())
    for source in _refresh_sources:
        wanted |= Q(id__in=source())
    return Asset.objects.filter(wanted, owner__isnull=True).exclude(provider=ProviderName.MANUAL)


def assets_with_last_close(*, assets: QuerySet[Asset]) -> QuerySet[Asset]:
    """The assets annotated with ``last_close``, their latest stored price date (or None)."""
    latest = Price.objects.filter(asset=OuterRef("pk")).order_by("-date").values("date")[:1]
    return assets.annotate(last_close=Subquery(latest))


# --- Prices ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    first: dt.date | None
    last: dt.date | None
    count: int


def price_coverage(*, asset: Asset) -> Coverage:
    stats = Price.objects.filter(asset=asset).aggregate(
        first=Min("date"), last=Max("date"), count=Count("id")
    )
    return Coverage(stats["first"], stats["last"], stats["count"])


def prices_in_range(
    *, asset: Asset, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Price]:
    prices = Price.objects.filter(asset=asset)
    if start is not None:
        prices = prices.filter(date__gte=start)
    if end is not None:
        prices = prices.filter(date__lte=end)
    return prices.order_by("date")


def manual_prices_of(*, owner) -> QuerySet[Price]:
    """Every stored bar of the owner's manual assets, by asset then date (one query; the
    account file's export)."""
    return Price.objects.filter(asset__owner=owner).order_by("asset_id", "date")


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def price_range_start(*, code: str, today: dt.date | None = None) -> dt.date | None:
    """The first day of a chart range (1M, 6M, YTD, 1Y, 5Y); None for MAX."""
    today = today or timezone.localdate()
    starts = {
        "1M": lambda: _months_before(today, 1),
        "6M": lambda: _months_before(today, 6),
        "YTD": lambda: dt.date(today.year, 1, 1),
        "1Y": lambda: _months_before(today, 12),
        "5Y": lambda: _months_before(today, 60),
        "MAX": lambda: None,
    }
    return starts[code]()


def price_series(*, asset: Asset, start: dt.date | None = None) -> list[tuple[dt.date, float]]:
    """(date, close) pairs from ``start`` (or the first) to the last stored close."""
    return list(prices_in_range(asset=asset, start=start).values_list("date", "close"))


# --- Latest price and staleness ----------------------------------------------------------------


def previous_business_day(day: dt.date) -> dt.date:
    return np.busday_offset(np.datetime64(day), -1, roll="backward").astype(dt.date)


def is_stale(*, as_of: dt.date, today: dt.date | None = None) -> bool:
    """A price is stale when it is older than the previous business day's close."""
    today = today or timezone.localdate()
    return as_of < previous_business_day(today)


@dataclass(frozen=True)
class LatestPrice:
    price: float
    currency: str
    as_of: dt.datetime | dt.date
    source: str  # "quote" or "close"
    is_stale: bool

    @property
    def day(self) -> dt.date:
        return self.as_of.date() if isinstance(self.as_of, dt.datetime) else self.as_of


def latest_price(*, asset: Asset, today: dt.date | None = None) -> LatestPrice | None:
    """The latest quote, or else the last stored close, with its time and whether it is stale."""
    today = today or timezone.localdate()
    quote = getattr(asset, "quote", None) if not asset.is_manual else None
    last = Price.objects.filter(asset=asset).order_by("-date").values("date", "close").first()
    if quote is not None and (last is None or quote.timestamp.date() >= last["date"]):
        day = timezone.localdate(quote.timestamp)
        return LatestPrice(
            quote.price, quote.currency, quote.timestamp, "quote", is_stale(as_of=day, today=today)
        )
    if last is not None:
        stale = False if asset.is_manual else is_stale(as_of=last["date"], today=today)
        return LatestPrice(last["close"], asset.currency, last["date"], "close", stale)
    return None


def corporate_actions_for(*, asset: Asset) -> QuerySet[CorporateAction]:
    return CorporateAction.objects.filter(asset=asset).order_by("-date")


# --- Fetch jobs --------------------------------------------------------------------------------


def fetch_jobs_visible(*, user, status: str | None = None) -> QuerySet[FetchJob]:
    """Jobs of the assets the user can see, newest first."""
    jobs = FetchJob.objects.filter(
        Q(asset__owner__isnull=True) | Q(asset__owner=user)
    ).select_related("asset")
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at")


def fetch_job_get_visible(*, user, public_id) -> FetchJob:
    return get_object_or_404(fetch_jobs_visible(user=user), public_id=public_id)


def fetch_job_active(*, asset: Asset) -> FetchJob | None:
    return (
        FetchJob.objects.filter(
            asset=asset, status__in=(FetchJob.Status.QUEUED, FetchJob.Status.RUNNING)
        )
        .order_by("-created_at")
        .first()
    )


def fetch_job_latest(*, asset: Asset) -> FetchJob | None:
    return FetchJob.objects.filter(asset=asset).order_by("-created_at").first()


# A running attempt outlives the task's hard time limit only when its worker is gone (Celery
# kills the attempt at the limit); a minute's grace covers the kill and the last write.
RUNNING_GRACE = dt.timedelta(minutes=1)


def job_running_limit() -> dt.timedelta:
    """How long a running job may go without a sign of its worker: the task time limit
    (``CELERY_TASK_TIME_LIMIT``) and a minute."""
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + RUNNING_GRACE


def job_queued_limit() -> dt.timedelta:
    """How long a job may wait in the queue (first run or retry) before it counts as lost:
    ``MARKET_JOB_QUEUED_LIMIT`` seconds, an hour by default (longer than the longest wait
    before a retry, 30 minutes)."""
    return dt.timedelta(seconds=settings.MARKET_JOB_QUEUED_LIMIT)


def fetch_jobs_stuck(*, now: dt.datetime | None = None, asset: Asset | None = None):
    """Queued or running jobs that will not end by themselves: running with no sign of their
    worker for longer than ``job_running_limit()`` (it died, or was killed at the time limit),
    or queued for longer than ``job_queued_limit()`` since they were made or last tried. Each
    is annotated with ``last_sign``, the time of that sign."""
    now = now or timezone.now()
    jobs = FetchJob.objects.annotate(
        last_sign=Coalesce("heartbeat_at", "started_at", "created_at")
    ).filter(
        Q(status=FetchJob.Status.RUNNING, last_sign__lt=now - job_running_limit())
        | Q(status=FetchJob.Status.QUEUED, last_sign__lt=now - job_queued_limit())
    )
    if asset is not None:
        jobs = jobs.filter(asset=asset)
    return jobs.select_related("asset").order_by("created_at")


# --- Staff data status -------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleAsset:
    asset: Asset
    last_close: dt.date | None
    business_days_behind: int | None


@dataclass(frozen=True)
class JobInFlight:
    """A queued or running job, how long ago it was made, and whether it is stuck (its worker
    went silent, or no worker took it up, for longer than the limits): the next sweep fails it."""

    job: FetchJob
    age: dt.timedelta
    silent_for: dt.timedelta
    is_stuck: bool


@dataclass(frozen=True)
class DataStatus:
    refreshed_assets: int
    stale_assets: list[StaleAsset]
    failed_jobs: list[FetchJob]
    active_jobs: int
    last_quote_refresh: dt.datetime | None
    last_close_refresh: dt.datetime | None
    queued_jobs: int = 0
    running_jobs: int = 0
    failed_count: int = 0
    jobs_in_flight: tuple[JobInFlight, ...] = ()

    @property
    def stuck_jobs(self) -> int:
        return sum(1 for item in self.jobs_in_flight if item.is_stuck)


def data_status(*, now: dt.datetime | None = None) -> DataStatus:
    """What staff need to see whether prices are fresh: assets kept fresh whose close is more
    than a few business days old, jobs that failed in the last day, the last successful
    refreshes, and the jobs in flight (queued, running; the oldest first, with their ages and
    which are stuck)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    stale: list[StaleAsset] = []
    assets = assets_with_last_close(assets=assets_to_refresh()).order_by("symbol")
    count = 0
    for asset in assets:
        count += 1
        if asset.last_close is None:
            stale.append(StaleAsset(asset, None, None))
            continue
        behind = int(np.busday_count(asset.last_close, today))
        if behind > STALE_AFTER_BUSINESS_DAYS:
            stale.append(StaleAsset(asset, asset.last_close, behind))
    failed_recently = FetchJob.objects.filter(
        status=FetchJob.Status.FAILED, finished_at__gte=now - dt.timedelta(days=1)
    )
    failed = list(failed_recently.select_related("asset").order_by("-finished_at")[:100])
    last_quote = Quote.objects.aggregate(last=Max("fetched_at"))["last"]
    last_close = FetchJob.objects.filter(status=FetchJob.Status.SUCCEEDED).aggregate(
        last=Max("finished_at")
    )["last"]
    in_flight = FetchJob.objects.filter(
        status__in=(FetchJob.Status.QUEUED, FetchJob.Status.RUNNING)
    )
    by_status = dict(in_flight.values_list("status").annotate(n=Count("id")).order_by())
    queued = by_status.get(FetchJob.Status.QUEUED, 0)
    running = by_status.get(FetchJob.Status.RUNNING, 0)
    stuck = set(fetch_jobs_stuck(now=now).values_list("pk", flat=True))
    jobs = [
        JobInFlight(job, now - job.created_at, now - job.last_sign, job.pk in stuck)
        for job in in_flight.annotate(
            last_sign=Coalesce("heartbeat_at", "started_at", "created_at")
        )
        .select_related("asset")
        .order_by("created_at")[:100]
    ]
    return DataStatus(
        count,
        stale,
        failed,
        queued + running,
        last_quote,
        last_close,
        queued_jobs=queued,
        running_jobs=running,
        failed_count=failed_recently.count(),
        jobs_in_flight=tuple(jobs),
    )
