"""The nightly refresh of recent daily closes, in batches: one provider call per batch of held
assets (``recent_histories``) and one write per batch (``prices_upsert_many``), instead of a
fetch job per asset with its own calls and some seventeen queries.

Each asset keeps the per-asset path's guarantees: the same bars stored (from a week before its
last stored close, as traded, in its main currency unit), its splits and dividends stored, its
price version bumped only when a row changed, and a finished fetch job recording the outcome;
a symbol the provider did not answer fails that asset's job with the reason and leaves its
stored prices as they were, never the other assets'. Assets with no stored close yet (a full
backfill), no currency yet, or a job already queued or running take the per-asset job path, and
so does a symbol whose answer failed transiently (its job retries with backoff).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from market import providers, selectors
from market.models import Asset, FetchJob
from market.providers.base import (
    Event,
    ProviderError,
    RecentHistory,
    TransientProviderError,
    recent_histories_looped,
)
from market.ratelimit import provider_slot_acquire
from market.services.jobs import (
    ACTIVE_STATUSES,
    REFRESH_OVERLAP,
    _counts_text,
    _event_problem,
    _job_queue,
)
from market.services.prices import corporate_actions_upsert_many, prices_upsert_many
from market.services.refresh import _assets_for_refresh, _closes_job_range
from portfolia.validators import readable_date

logger = logging.getLogger(__name__)

# Symbols per provider call (yfinance downloads them on its own threads): 1,000 held assets
# take five calls, and five writes of a few queries each.
HISTORY_BATCH = 200


@dataclass
class ClosesBatchResult:
    """What a batched refresh did: assets whose closes were stored (and of them, how many had a
    row written), failed symbols with the reason, per-asset jobs queued, provider calls made."""

    stored: int = 0
    changed: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    queued: list[FetchJob] = field(default_factory=list)
    provider_calls: int = 0


def daily_closes_refresh_batched(*, asset_ids: Sequence[int] | None = None) -> ClosesBatchResult:
    """Refresh the recent closes of every asset kept fresh (or those given) in batches per
    provider; what cannot be batched is queued as a per-asset fetch job, as before."""
    outcome = ClosesBatchResult()
    today = timezone.localdate()
    busy = set(
        FetchJob.objects.filter(status__in=ACTIVE_STATUSES).values_list("asset_id", flat=True)
    )
    by_provider: dict[str, list[Asset]] = {}
    one_by_one: list[Asset] = []
    for asset in selectors.assets_with_last_close(assets=_assets_for_refresh(asset_ids)):
        if asset.pk in busy:
            continue
        if asset.last_close is None or not asset.currency:
            one_by_one.append(asset)
        else:
            by_provider.setdefault(asset.provider, []).append(asset)
    _jobs_queue(one_by_one, today, outcome)
    for name, group in by_provider.items():
        provider = providers.get_provider(name)
        for offset in range(0, len(group), HISTORY_BATCH):
            _batch_refresh(provider, group[offset : offset + HISTORY_BATCH], today, outcome)
    return outcome


def _jobs_queue(assets: list[Asset], today: dt.date, outcome: ClosesBatchResult) -> None:
    """A per-asset fetch job for each (it retries on its own), as ``daily_closes_refresh``."""
    for asset in assets:
        with transaction.atomic():
            kind, start = _closes_job_range(asset.last_close, today)
            job, created = _job_queue(asset=asset, kind=kind, start=start)
        if created:
            outcome.queued.append(job)


def _batch_refresh(
    provider, batch: list[Asset], today: dt.date, outcome: ClosesBatchResult
) -> None:
    label = selectors.provider_label(provider.name)
    start = min(asset.last_close for asset in batch) - REFRESH_OVERLAP
    try:
        provider_slot_acquire(provider.name)
        outcome.provider_calls += 1
        symbols = [asset.symbol for asset in batch]
        batched = getattr(provider, "recent_histories", None)  # a provider from before it
        answers = (
            batched(symbols, start, today)
            if batched is not None
            else recent_histories_looped(provider, symbols, start, today)
        )
    except ProviderError as exc:
        answers = {asset.symbol: exc for asset in batch}
    now = timezone.now()
    bars_by_asset: dict[int, list] = {}
    events_by_asset: dict[int, list[Event]] = {}
    dropped: dict[int, Counter] = {}
    jobs: dict[int, FetchJob] = {}
    retry: list[Asset] = []
    for asset in batch:
        if isinstance(answers.get(asset.symbol), TransientProviderError):
            retry.append(asset)  # worth retrying: its own job does, with backoff
            continue
        own_start = asset.last_close - REFRESH_OVERLAP
        job = FetchJob(
            asset=asset,
            kind=FetchJob.Kind.REFRESH,
            start=own_start,
            end=today,
            attempts=1,
            started_at=now,
            heartbeat_at=now,
            finished_at=now,
        )
        jobs[asset.pk] = job
        answer = answers.get(asset.symbol)
        if not isinstance(answer, RecentHistory):
            why = str(answer or "it left the symbol out of its answer").rstrip(".")
            _job_failed(
                job,
                f"{label} could not provide {asset.symbol}: {why}. Stored prices are unchanged.",
            )
            continue
        bars_by_asset[asset.pk] = [bar for bar in answer.bars if own_start <= bar.date <= today]
        events_dropped: Counter = Counter()
        usable: list[Event] = []
        for event in answer.events:
            if not own_start <= event.date <= today:
                continue
            problem = _event_problem(event)
            if problem is None:
                usable.append(event)
            else:
                events_dropped[problem] += 1
        events_by_asset[asset.pk] = usable
        dropped[asset.pk] = events_dropped
    with transaction.atomic():
        results = prices_upsert_many(bars_by_asset=bars_by_asset) if bars_by_asset else {}
        events_stored = {
            asset_id: events
            for asset_id, events in events_by_asset.items()
            if events and results[asset_id].stored
        }
        if events_stored:
            corporate_actions_upsert_many(events_by_asset=events_stored)
        for job in jobs.values():
            asset = job.asset
            result = results.get(asset.pk)
            if result is None:
                continue
            bars = bars_by_asset[asset.pk]
            if not result.stored:
                what = (
                    f"{len(bars)} bars for {asset.symbol}, but none had a usable close "
                    f"({_counts_text(result.skipped_why)})"
                    if bars
                    else f"no prices for {asset.symbol}"
                )
                _job_failed(
                    job,
                    f"{label} answered {what} from {readable_date(job.start)} to "
                    f"{readable_date(today)}. Stored prices are unchanged.",
                )
                job.rows_dropped = result.skipped
                continue
            notes = []
            if result.skipped:
                notes.append(
                    f"Left out {result.skipped} of {len(bars)} bars: "
                    f"{_counts_text(result.skipped_why)}."
                )
            if dropped[asset.pk]:
                notes.append(
                    f"Left out {sum(dropped[asset.pk].values())} corporate actions: "
                    f"{_counts_text(dropped[asset.pk])}."
                )
            job.status = FetchJob.Status.SUCCEEDED
            job.rows_written, job.rows_dropped = result.written, result.skipped
            job.note = " ".join(notes)
            outcome.stored += 1
            outcome.changed += bool(result.written)
        FetchJob.objects.bulk_create(jobs.values())
    _jobs_queue(retry, today, outcome)
    for job in jobs.values():
        asset = job.asset
        if job.status == FetchJob.Status.FAILED:
            outcome.failed[asset.symbol] = job.error
            logger.warning("Batched refresh of %s failed: %s", asset.symbol, job.error)


def _job_failed(job: FetchJob, reason: str) -> None:
    job.status = FetchJob.Status.FAILED
    job.error = reason
