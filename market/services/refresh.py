"""The periodic refreshes: recent daily closes queued as fetch jobs, latest quotes (and, at most
daily, market caps) fetched in batches per provider, and the staff's "refresh now" queued on
commit."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from market import providers, selectors
from market.models import Asset, AssetClass, FetchJob, ProviderName, Quote
from market.providers.base import (
    MarketCap,
    ProviderError,
    SearchResult,
    TransientProviderError,
    decimal_from_float,
)
from market.ratelimit import provider_slot_acquire
from market.services.assets import asset_find_or_create
from market.services.checks import finite
from market.services.jobs import (
    HISTORY_LOOKBACK,
    MIN_HISTORY,
    REFRESH_OVERLAP,
    _job_queue,
    ensure_history,
)

logger = logging.getLogger(__name__)

QUOTE_BATCH = 50
# Market caps move with the price, but weights built on them need no intraday precision: the
# quote refresh asks for them again once a day, and only for classes that have one.
MARKET_CAP_MAX_AGE = dt.timedelta(hours=20)
MARKET_CAP_CLASSES = frozenset({AssetClass.STOCK, AssetClass.CRYPTO})
# The column holds 24 digits with 2 places.
MARKET_CAP_LIMIT = Decimal(10) ** 21


@dataclass
class QuotesRefreshResult:
    updated: int = 0
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    market_caps_updated: int = 0
    retry_asset_ids: list[int] = field(default_factory=list)
    retry_after: float | None = None


def _assets_for_refresh(asset_ids: Sequence[int] | None):
    """The assets kept fresh, or exactly the catalogue assets given (staff may pick any)."""
    if asset_ids is None:
        return selectors.assets_to_refresh()
    return Asset.objects.filter(id__in=asset_ids, owner__isnull=True).exclude(
        provider=ProviderName.MANUAL
    )


def _closes_job_range(last_close: dt.date | None, today: dt.date) -> tuple[str, dt.date]:
    """The job that refreshes an asset's daily closes: from a week before its last stored
    close, or a full backfill (a year and a week) when it has none."""
    if last_close is None:
        return FetchJob.Kind.BACKFILL, today - MIN_HISTORY - HISTORY_LOOKBACK
    return FetchJob.Kind.REFRESH, last_close - REFRESH_OVERLAP


def daily_closes_refresh(*, asset_ids: Sequence[int] | None = None) -> list[FetchJob]:
    """Queue a refresh of recent closes for every asset to keep fresh (or those given): from a
    week before the last stored close, or a full backfill when there is none."""
    assets = _assets_for_refresh(asset_ids)
    jobs: list[FetchJob] = []
    today = timezone.localdate()
    for asset in selectors.assets_with_last_close(assets=assets):
        with transaction.atomic():
            kind, start = _closes_job_range(asset.last_close, today)
            job, created = _job_queue(asset=asset, kind=kind, start=start)
        if created:
            jobs.append(job)
    return jobs


@transaction.atomic
def asset_refresh_request(*, asset: Asset) -> FetchJob:
    """Refresh one asset now, as its "refresh" asks: its daily closes in a fetch job (the one
    already queued or running for it, if any, else a new one queued on commit) and its latest
    quote in a task queued on commit. Workers do the fetching. A manual asset is refused
    (DomainError: its owner prices it)."""
    kind, start = _closes_job_range(
        selectors.price_coverage(asset=asset).last, timezone.localdate()
    )
    job, _ = _job_queue(asset=asset, kind=kind, start=start)
    transaction.on_commit(lambda: _task_enqueue("refresh_quotes", asset_ids=[asset.pk]))
    return job


def quotes_refresh(*, asset_ids: Sequence[int] | None = None) -> QuotesRefreshResult:
    """Fetch the latest quote of every asset to keep fresh (or those given), in batches per
    provider. A provider's failure leaves its stored quotes as they were; transiently failed
    assets are listed in ``retry_asset_ids`` for the task to retry."""
    assets = _assets_for_refresh(asset_ids)
    by_provider: dict[str, list[Asset]] = {}
    for asset in assets.select_related("quote"):
        by_provider.setdefault(asset.provider, []).append(asset)

    outcome = QuotesRefreshResult()
    now = timezone.now()
    for name, group in by_provider.items():
        label = selectors.provider_label(name)
        provider = providers.get_provider(name)
        for offset in range(0, len(group), QUOTE_BATCH):
            batch = group[offset : offset + QUOTE_BATCH]
            try:
                provider_slot_acquire(name)
                answers = provider.quotes([asset.symbol for asset in batch])
            except TransientProviderError as exc:
                outcome.errors.append(f"{label}: {exc}")
                outcome.retry_asset_ids += [asset.pk for asset in batch]
                if exc.retry_after:
                    outcome.retry_after = max(outcome.retry_after or 0, exc.retry_after)
                continue
            except ProviderError as exc:
                outcome.errors.append(f"{label}: {exc}")
                continue
            fresh: list[Quote] = []
            for asset in batch:
                answer = answers.get(asset.symbol)
                if answer is None or not finite(answer.price) or answer.price <= 0:
                    outcome.missing.append(asset.symbol)
                    continue
                stored = getattr(asset, "quote", None)
                if stored is not None and stored.timestamp >= answer.timestamp:
                    outcome.unchanged += 1
                    continue
                fresh.append(
                    Quote(
                        asset=asset,
                        price=answer.price,
                        currency=(answer.currency or asset.currency)[:3],
                        timestamp=answer.timestamp,
                        fetched_at=now,
                    )
                )
            Quote.objects.bulk_create(
                fresh,
                update_conflicts=True,
                unique_fields=["asset"],
                update_fields=["price", "currency", "timestamp", "fetched_at"],
            )
            outcome.updated += len(fresh)
            _market_caps_refresh(provider, name, batch, now=now, outcome=outcome)
    return outcome


def _market_cap_due(asset: Asset, now: dt.datetime) -> bool:
    return asset.asset_class in MARKET_CAP_CLASSES and (
        asset.market_cap_at is None or asset.market_cap_at < now - MARKET_CAP_MAX_AGE
    )


def _market_cap_value(asset: Asset, answer: MarketCap | None) -> Decimal | None:
    """The cap to store: a finite positive number in the asset's own (main) currency."""
    if answer is None or finite(answer.market_cap) is None or answer.market_cap <= 0:
        return None
    if answer.currency and answer.currency != asset.currency:
        return None  # a cap in another currency than the asset's prices: not comparable
    value = decimal_from_float(answer.market_cap, places=2)
    return value if value < MARKET_CAP_LIMIT else None


def _market_caps_refresh(
    provider, name: str, batch: Sequence[Asset], *, now: dt.datetime, outcome: QuotesRefreshResult
) -> None:
    """Ask for the market caps of the batch's stocks and coins not asked for today and store
    them on their assets. A failure keeps the stored caps and is listed with the errors (the
    next refresh asks again); it never fails the quotes."""
    due = [asset for asset in batch if _market_cap_due(asset, now)]
    if not due:
        return
    try:
        provider_slot_acquire(name)
        answers = provider.market_caps([asset.symbol for asset in due])
    except ProviderError as exc:
        outcome.errors.append(f"{selectors.provider_label(name)} market caps: {exc}")
        return
    for asset in due:
        value = _market_cap_value(asset, answers.get(asset.symbol))
        if value is None:
            continue
        # Stamped when fetched (a weekend's cap carries Friday's quote time, and is not asked
        # for again all weekend). A targeted update: `Asset.save()` would write every field
        # of a possibly stale row.
        Asset.objects.filter(pk=asset.pk).update(market_cap=value, market_cap_at=now)
        asset.market_cap, asset.market_cap_at = value, now
        outcome.market_caps_updated += 1


def _task_enqueue(task_name: str, **kwargs) -> None:
    from market import tasks  # the tasks module imports this one

    try:
        getattr(tasks, task_name).delay(**kwargs)
    except Exception:
        logger.exception("Could not queue %s", task_name)


def refresh_request(*, asset_ids: Sequence[int] | None = None, closes: bool = True) -> None:
    """Queue a refresh now (after commit), as staff ask from the data-status page or the admin:
    quotes, and unless ``closes`` is off, recent daily closes. Workers do the fetching."""
    ids = list(asset_ids) if asset_ids is not None else None
    transaction.on_commit(lambda: _task_enqueue("refresh_quotes", asset_ids=ids))
    if closes:
        transaction.on_commit(lambda: _task_enqueue("refresh_daily_closes", asset_ids=ids))


def benchmark_history_ensure(*, symbol: str, asset_id: int | None, since: dt.date) -> None:
    """In a worker: the benchmark's history from `since` (a backfill job when it falls short),
    creating the catalogue's index asset first if nobody has it yet (the default ^GSPC)."""
    asset = Asset.objects.filter(pk=asset_id).first() if asset_id else None
    if asset is None:
        asset = asset_find_or_create(
            result=SearchResult(
                symbol=symbol,
                name="S&P 500" if symbol == "^GSPC" else symbol,
                asset_class=AssetClass.INDEX.value,
                currency="USD",
                exchange="SNP" if symbol == "^GSPC" else "",
                provider=settings.MARKET_DATA_PROVIDER,
            )
        )
    ensure_history(asset=asset, since=since)


def benchmark_history_request(*, symbol: str, asset_id: int | None, since: dt.date) -> None:
    """What a read asks for when a benchmark has no history (or no asset) yet: a task, queued
    on commit, that ensures it. The read itself writes nothing."""
    transaction.on_commit(
        lambda: _task_enqueue(
            "benchmark_history", symbol=symbol, asset_id=asset_id, since=since.isoformat()
        )
    )
