"""Fetch jobs: queued (on commit) when a history must reach further back, run by the worker
(``backfill_run``), swept when stuck, failed with a readable reason.

Provider prices are fetched only here and in ``refresh``, called from Celery tasks; web requests at
most queue a job. A failed fetch never deletes or changes stored prices."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from decimal import Decimal

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.utils import timezone

from market import providers, selectors
from market.models import Asset, CorporateAction, FetchJob
from market.providers.base import (
    Event,
    ProviderError,
    TransientProviderError,
)
from market.ratelimit import provider_slot_acquire
from market.services.checks import clean_currency
from market.services.prices import corporate_actions_upsert, price_upsert
from portfolia.errors import DomainError
from portfolia.validators import (
    readable_date,
)

logger = logging.getLogger(__name__)

# History is requested from at least a week before the first day it is needed (DESIGN §4), so
# the close of the trading day before it is there whatever weekends and holidays lie between.
HISTORY_LOOKBACK = dt.timedelta(days=7)
MIN_HISTORY = dt.timedelta(days=365)
# The nightly refresh re-reads the last days, so late corrections by the provider land too.
REFRESH_OVERLAP = dt.timedelta(days=7)
# A job whose worker was lost and redelivered its task this often is given up.
MAX_JOB_ATTEMPTS = 8
# What the corporate-action decimals hold (max_digits 20: 10 or 12 integer digits).
MAX_SPLIT_RATIO = Decimal(10) ** 10
MAX_DIVIDEND = Decimal(10) ** 12

ACTIVE_STATUSES = (FetchJob.Status.QUEUED, FetchJob.Status.RUNNING)


def _job_enqueue(job_id: int) -> None:
    from market.tasks import backfill  # the tasks module imports this one

    try:
        backfill.delay(job_id)
    except Exception:
        logger.exception("Could not queue fetch job %s", job_id)
        FetchJob.objects.filter(id=job_id, status=FetchJob.Status.QUEUED).update(
            status=FetchJob.Status.FAILED,
            error="The job could not be queued: the task broker is unavailable. Try again later.",
            finished_at=timezone.now(),
        )


def _duration(delta: dt.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{round(minutes / 60)} hours"


def _stuck_reason(job: FetchJob, *, now: dt.datetime) -> str:
    silent = _duration(now - job.last_sign)
    if job.status == FetchJob.Status.RUNNING:
        return (
            f"The worker stopped during attempt {job.attempts}: no sign of it for {silent}, "
            f"longer than a task may run ({settings.CELERY_TASK_TIME_LIMIT} s). It died, or ran "
            "past the time limit and was stopped. Stored prices are unchanged; ask again to "
            "start a new job."
        )
    if job.attempts:
        return (
            f"No worker took up attempt {job.attempts + 1} within {silent}. Stored prices are "
            "unchanged; ask again to start a new job."
        )
    return (
        f"No worker took this job up within {silent}: is a Celery worker running? Ask again to "
        "start a new job."
    )


def fetch_jobs_sweep(
    *, now: dt.datetime | None = None, asset: Asset | None = None
) -> list[FetchJob]:
    """Fail, with a reason, every job that would stay queued or running for good (see
    ``selectors.fetch_jobs_stuck``): its worker died, it ran past the task time limit, or no
    worker took it up. Run by beat (``market.sweep_jobs``) and before a new job is asked for,
    so asking again starts one at once. A job whose worker showed a sign of life meanwhile is
    left alone; stored prices never change."""
    now = now or timezone.now()
    failed: list[FetchJob] = []
    for job in selectors.fetch_jobs_stuck(now=now, asset=asset):
        reason = _stuck_reason(job, now=now)
        moved = FetchJob.objects.filter(
            pk=job.pk, status=job.status, attempts=job.attempts, heartbeat_at=job.heartbeat_at
        ).update(status=FetchJob.Status.FAILED, error=reason, finished_at=now)
        if moved:
            logger.warning("Fetch job %s for %s failed as stuck: %s", job.pk, job.asset, reason)
            job.status, job.error, job.finished_at = FetchJob.Status.FAILED, reason, now
            failed.append(job)
    return failed


def _job_queue(*, asset: Asset, kind: str, start: dt.date | None) -> tuple[FetchJob, bool]:
    """The asset's active job if one exists, else a new one queued on commit; and whether new.

    A partial unique constraint allows one queued-or-running job per asset, so two requests at
    once cannot both queue one. A stuck job is failed first, so it never blocks a new one.
    """
    if asset.is_manual:
        raise DomainError("Manual assets are priced by their owner; there is nothing to fetch.")
    fetch_jobs_sweep(asset=asset)
    active = FetchJob.objects.filter(asset=asset, status__in=ACTIVE_STATUSES).first()
    if active is not None:
        return active, False
    job = FetchJob(asset=asset, kind=kind, start=start, end=None)
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        return FetchJob.objects.get(asset=asset, status__in=ACTIVE_STATUSES), False
    transaction.on_commit(lambda: _job_enqueue(job.pk))
    return job, True


@transaction.atomic
def ensure_history(*, asset: Asset, since: dt.date) -> FetchJob | None:
    """Queue a backfill when stored history does not reach the close before ``since`` (looking
    back at least a year).

    History counts as reaching ``since`` when it starts on or before the business day before
    it; a backfill is requested from ``HISTORY_LOOKBACK`` (a week) before ``since``, so that
    close is fetched whatever holidays lie between. Answers the new job, or None when the
    history is long enough, a job is already queued or running, or the asset is manual. A
    backfill that already succeeded from that far back counts as reaching it (the instrument
    may simply be younger): its ``start`` remembers how far back was asked.
    """
    if asset.is_manual:
        return None
    since = min(since, timezone.localdate() - MIN_HISTORY)
    start = since - HISTORY_LOOKBACK
    coverage = selectors.price_coverage(asset=asset)
    if coverage.first is not None and coverage.first <= selectors.previous_business_day(since):
        return None
    already_tried = FetchJob.objects.filter(
        asset=asset, kind=FetchJob.Kind.BACKFILL, status=FetchJob.Status.SUCCEEDED, start__lte=start
    ).exists()
    if already_tried:
        return None
    job, created = _job_queue(asset=asset, kind=FetchJob.Kind.BACKFILL, start=start)
    return job if created else None


@transaction.atomic
def backfill_request(*, asset: Asset, start: dt.date | None = None) -> FetchJob:
    """Fetch the asset's history now (from ``start``, else all it has and at least a year and
    a week, as ``ensure_history`` asks): answers the queued job, or the one already queued or
    running."""
    if start is None:
        coverage = selectors.price_coverage(asset=asset)
        start = timezone.localdate() - MIN_HISTORY - HISTORY_LOOKBACK
        if coverage.first is not None:
            start = min(start, coverage.first)
    job, _ = _job_queue(asset=asset, kind=FetchJob.Kind.BACKFILL, start=start)
    return job


def fetch_job_fail(*, job_id: int, reason: str, only_unfinished: bool = False) -> FetchJob:
    """Mark a job failed with a reason the user can read. Stored prices stay as they are.

    With ``only_unfinished`` a job that already ended keeps its outcome (for hooks that run
    after the task, such as the time-limit handler)."""
    job = FetchJob.objects.get(id=job_id)
    if only_unfinished and job.is_finished:
        return job
    job.status = FetchJob.Status.FAILED
    job.error = reason
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


def _job_start(job_id: int) -> FetchJob | None:
    with transaction.atomic():
        job = FetchJob.objects.select_for_update().select_related("asset").get(id=job_id)
        if job.is_finished:
            return None
        now = timezone.now()
        if job.status == FetchJob.Status.RUNNING:
            # Redelivered (acks_late): the worker running the last attempt was lost.
            if job.attempts >= MAX_JOB_ATTEMPTS:
                job.status = FetchJob.Status.FAILED
                job.error = (
                    f"The worker stopped during each of {job.attempts} attempts; given up. "
                    "Stored prices are unchanged."
                )
                job.finished_at = now
                job.save(update_fields=["status", "error", "finished_at"])
                return None
            job.error = f"The worker stopped during attempt {job.attempts}; trying again."
        job.status = FetchJob.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.end = timezone.localdate()
        if job.start is None:
            job.start = job.end - MIN_HISTORY
        job.save(
            update_fields=[
                "status",
                "attempts",
                "started_at",
                "heartbeat_at",
                "start",
                "end",
                "error",
            ]
        )
        return job


def _job_heartbeat(job: FetchJob) -> None:
    """A sign of life of the worker running ``job``."""
    job.heartbeat_at = timezone.now()
    FetchJob.objects.filter(pk=job.pk, status=FetchJob.Status.RUNNING).update(
        heartbeat_at=job.heartbeat_at
    )


def _event_problem(event: Event) -> str | None:
    """Why a provider's split or dividend cannot be stored, or None when it can."""
    value = event.ratio if event.kind == CorporateAction.Kind.SPLIT else event.amount
    try:
        number = Decimal(value) if value is not None else None
    except (ArithmeticError, TypeError, ValueError):
        number = None
    if event.kind == CorporateAction.Kind.SPLIT:
        if number is None or not number.is_finite() or not 0 < number < MAX_SPLIT_RATIO:
            return "a split ratio that is not usable"
    elif number is None or not number.is_finite() or not 0 <= number < MAX_DIVIDEND:
        return "a dividend amount that is not usable"
    return None


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} with {why}" for why, count in sorted(counts.items()))


def _store_failure_reason(label: str, symbol: str, exc: Exception) -> str:
    detail = (str(exc).strip().splitlines() or [""])[0][:200]
    if isinstance(exc, OperationalError):
        what = f"the database was busy or unavailable ({detail})"
    else:
        what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return (
        f"The answer of {label} for {symbol} could not be stored: {what}. Stored prices are "
        "unchanged; ask again to retry."
    )


def backfill_run(*, job_id: int) -> FetchJob:
    """Run a fetch job (backfill or refresh): the asset's provider's bars and corporate actions
    over the job's range, upserted, and the outcome recorded on the job.

    Every way out ends the job with a status and a reason. A permanent provider error, an answer
    that cannot be stored, or an answer without one usable bar fails the job. A transient
    provider error records why, puts the job back in the queue and is raised again, so the task
    retries it later; ``fetch_job_fail`` ends it when the retries run out. Unusable bars and
    events are left out, counted in ``rows_dropped`` and said in ``note``. Prices are written
    only after the provider answered in full, and never deleted.
    """
    job = _job_start(job_id)
    if job is None:  # already finished: a redelivered task
        return FetchJob.objects.get(id=job_id)
    asset = job.asset
    label = selectors.provider_label(asset.provider)
    try:
        provider = providers.get_provider(asset.provider)
        provider_slot_acquire(provider.name)
        bars = provider.history(asset.symbol, job.start, job.end)
        provider_slot_acquire(provider.name)
        events = provider.events(asset.symbol, job.start, job.end)
        quote = None
        if not asset.currency:
            provider_slot_acquire(provider.name)
            quote = provider.quotes([asset.symbol]).get(asset.symbol)
    except TransientProviderError as exc:
        job.status = FetchJob.Status.QUEUED
        job.error = f"{label} had a temporary problem (attempt {job.attempts}): {exc}"
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "error", "heartbeat_at"])
        raise
    except ProviderError as exc:  # permanent, or unclassified: retrying would not help
        return fetch_job_fail(
            job_id=job.pk, reason=f"{label} could not provide {asset.symbol}: {exc}"
        )
    except SoftTimeLimitExceeded:
        return fetch_job_fail(
            job_id=job.pk,
            reason=f"{label} did not answer for {asset.symbol} within the task time limit "
            f"({settings.CELERY_TASK_SOFT_TIME_LIMIT} s). Stored prices are unchanged.",
        )
    except Exception:
        fetch_job_fail(
            job_id=job.pk,
            reason="An unexpected error stopped this job; the details are in the worker's log.",
        )
        raise

    _job_heartbeat(job)
    bars = list(bars)
    events_dropped: Counter = Counter()
    usable_events: list[Event] = []
    for event in events:
        problem = _event_problem(event)
        if problem is None:
            usable_events.append(event)
        else:
            events_dropped[problem] += 1
    try:
        with transaction.atomic():
            result = price_upsert(asset=asset, bars=bars)
            if result.stored:
                corporate_actions_upsert(asset=asset, events=usable_events)
                if quote is not None and quote.currency:
                    asset.currency = clean_currency(quote.currency)
                    asset.save(update_fields=["currency"])
                notes = []
                if result.skipped:
                    notes.append(
                        f"Left out {result.skipped} of {len(bars)} bars: "
                        f"{_counts_text(result.skipped_why)}."
                    )
                if events_dropped:
                    notes.append(
                        f"Left out {sum(events_dropped.values())} corporate actions: "
                        f"{_counts_text(events_dropped)}."
                    )
                job.status = FetchJob.Status.SUCCEEDED
                job.rows_written = result.written
                job.rows_dropped = result.skipped
                job.note = " ".join(notes)
                job.error = ""
                job.finished_at = job.heartbeat_at = timezone.now()
                job.save(
                    update_fields=[
                        "status",
                        "rows_written",
                        "rows_dropped",
                        "note",
                        "error",
                        "finished_at",
                        "heartbeat_at",
                    ]
                )
    except SoftTimeLimitExceeded:
        return fetch_job_fail(
            job_id=job.pk,
            reason=f"Storing the prices of {asset.symbol} ran past the task time limit "
            f"({settings.CELERY_TASK_SOFT_TIME_LIMIT} s). Stored prices are unchanged.",
        )
    except (DatabaseError, ArithmeticError, ValueError, OverflowError, ValidationError) as exc:
        logger.warning("Fetch job %s for %s could not be stored", job.pk, asset, exc_info=True)
        return fetch_job_fail(job_id=job.pk, reason=_store_failure_reason(label, asset.symbol, exc))
    except Exception:
        fetch_job_fail(
            job_id=job.pk,
            reason="An unexpected error stopped this job; the details are in the worker's log.",
        )
        raise
    if not result.stored:
        if bars:
            reason = (
                f"{label} answered {len(bars)} bars for {asset.symbol} from {readable_date(job.start)} "
                f"to {readable_date(job.end)}, but none had a usable close "
                f"({_counts_text(result.skipped_why)})."
            )
        else:
            reason = (
                f"{label} answered no prices for {asset.symbol} from {readable_date(job.start)} to "
                f"{readable_date(job.end)}."
            )
        job = fetch_job_fail(job_id=job.pk, reason=f"{reason} Stored prices are unchanged.")
        FetchJob.objects.filter(pk=job.pk).update(rows_dropped=result.skipped)
        job.rows_dropped = result.skipped
        return job
    logger.info(
        "Fetch job %s for %s: %s inserted, %s updated, %s unchanged, %s dropped",
        job.pk,
        asset.symbol,
        result.inserted,
        result.updated,
        result.unchanged,
        result.skipped,
    )
    return job
