"""Celery tasks of market data: thin wrappers that take ids and call one service each.

Transient provider errors (timeouts, rate limits, server errors) retry with exponential backoff
and jitter, never sooner than the provider's ``retry_after``, up to ``max_retries``; then the job
fails with the last reason. Permanent errors fail the job at once, without retrying.

A fetch job never stays queued or running for good: a task killed at the hard time limit fails
its job at once (``FetchJobTask.on_failure``, run by the worker's main process); a task whose
worker child was lost is redelivered (``acks_late``) and runs the same job again; and
``sweep_jobs``, run by beat every two minutes, fails whatever is left (the whole worker died).
"""

from __future__ import annotations

import datetime as dt
import random

from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded
from django.conf import settings

from market import services
from market.providers.base import TransientProviderError


def retry_countdown(
    *,
    retries: int,
    base: float,
    maximum: float,
    retry_after: float | None = None,
    jitter: bool = True,
    rng: random.Random | None = None,
) -> float:
    """Seconds before retry number ``retries + 1``: ``base * 2**retries`` capped at ``maximum``,
    with "equal jitter" (a random point in its upper half), so retries of many jobs spread out
    while each retry still waits at least as long as the previous one could have; never less
    than the provider's ``retry_after``."""
    backoff = min(maximum, base * (2**retries))
    if jitter:
        backoff = backoff / 2 + (rng or random).uniform(0, backoff / 2)
    return max(backoff, retry_after or 0.0)


class FetchJobTask(Task):
    """A task that runs a fetch job: when the task itself fails outside the job's own handling
    (killed at the hard time limit), its job ends failed with the reason."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is None:
            return
        if isinstance(exc, TimeLimitExceeded):
            reason = (
                f"The job ran past the task time limit ({settings.CELERY_TASK_TIME_LIMIT} s) "
                "and was stopped. Stored prices are unchanged; ask again to retry."
            )
        else:
            reason = "An unexpected error stopped this job; the details are in the worker's log."
        services.fetch_job_fail(job_id=job_id, reason=reason, only_unfinished=True)


@shared_task(
    bind=True,
    base=FetchJobTask,
    name="market.backfill",
    max_retries=6,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
)
def backfill(self, job_id: int) -> dict:
    """Run fetch job ``job_id`` (a backfill or a refresh of recent closes)."""
    try:
        job = services.backfill_run(job_id=job_id)
    except TransientProviderError as exc:
        if self.request.retries >= self.max_retries:
            job = services.fetch_job_fail(
                job_id=job_id,
                reason=f"Gave up after {self.request.retries + 1} attempts. Last problem: {exc}",
            )
            return {"job_id": job_id, "status": job.status}
        countdown = retry_countdown(
            retries=self.request.retries,
            base=self.retry_backoff,
            maximum=self.retry_backoff_max,
            retry_after=exc.retry_after,
            jitter=self.retry_jitter,
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    return {"job_id": job_id, "status": job.status, "rows_written": job.rows_written}


@shared_task(
    bind=True,
    name="market.refresh_quotes",
    max_retries=3,
    retry_backoff=20,
    retry_backoff_max=300,
    retry_jitter=True,
)
def refresh_quotes(self, asset_ids: list[int] | None = None) -> dict:
    """Refresh the latest quotes (of all assets kept fresh, or of ``asset_ids``); assets whose
    provider failed transiently are retried on their own."""
    outcome = services.quotes_refresh(asset_ids=asset_ids)
    if outcome.retry_asset_ids and self.request.retries < self.max_retries:
        countdown = retry_countdown(
            retries=self.request.retries,
            base=self.retry_backoff,
            maximum=self.retry_backoff_max,
            retry_after=outcome.retry_after,
            jitter=self.retry_jitter,
        )
        raise self.retry(kwargs={"asset_ids": outcome.retry_asset_ids}, countdown=countdown)
    return {
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "missing": outcome.missing,
        "errors": outcome.errors,
    }


@shared_task(name="market.refresh_daily_closes")
def refresh_daily_closes(asset_ids: list[int] | None = None) -> dict:
    """Refresh the recent closes of the assets kept fresh in batches (a provider call and a
    write per batch); assets that need a backfill get a fetch job each (retrying on its own)."""
    outcome = services.daily_closes_refresh_batched(asset_ids=asset_ids)
    return {
        "queued": len(outcome.queued),
        "stored": outcome.stored,
        "changed": outcome.changed,
        "failed": outcome.failed,
        "provider_calls": outcome.provider_calls,
    }


@shared_task(name="market.sweep_jobs")
def sweep_jobs() -> dict:
    """Fail, with a reason, the fetch jobs that would otherwise stay queued or running for good."""
    failed = services.fetch_jobs_sweep()
    return {"failed": [job.pk for job in failed]}


@shared_task(name="market.benchmark_history")
def benchmark_history(symbol: str, asset_id: int | None, since: str) -> dict:
    """Ensure a benchmark's history (and its asset) that a page found missing."""
    services.benchmark_history_ensure(
        symbol=symbol, asset_id=asset_id, since=dt.date.fromisoformat(since)
    )
    return {"symbol": symbol}
