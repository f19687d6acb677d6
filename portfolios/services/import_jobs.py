"""Big transactions imports as Celery tasks: a file of more than settings.IMPORT_TASK_ROWS lines
is staged in an ImportJob when it is previewed (the preview carries the job, not the file),
then saved by a worker (`portfolios.tasks.import_job_run`) through the one import service,
all or nothing, its progress kept in the cache while it runs.

A job never stays unfinished for good: a task stopped at the hard time limit fails it at once
(the task's `on_failure`), and `import_jobs_sweep` (beat, every two minutes) fails jobs whose
worker died or that no worker took up, and deletes staged files never confirmed.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import transaction as db_transaction
from django.db.models import Q
from django.utils import timezone

from market import selectors as market_selectors
from portfolios.models import ImportJob, Portfolio
from portfolios.services.imports import transaction_import

logger = logging.getLogger(__name__)
UNEXPECTED = (
    "An unexpected error stopped this import; nothing was saved. The details are in the "
    "worker's log."
)
CARRY_BYTES = 5 * 1024 * 1024  # 6.7 MB in base64
STAGED_HOURS = 6  # a staged file not confirmed within this is deleted by the sweep


def import_is_big(data: bytes) -> bool:
    """Whether saving this file runs as a task: more than IMPORT_TASK_ROWS lines (a line
    count, read without parsing; UTF-16 files count the same, each newline holding a 0x0A), or
    more than CARRY_BYTES (the page carries smaller files back in a form field, base64, within
    DATA_UPLOAD_MAX_MEMORY_SIZE; larger ones are staged)."""
    return len(data) > CARRY_BYTES or data.count(b"\n") > settings.IMPORT_TASK_ROWS


def _progress_key(job_id: int) -> str:
    return f"import-job:{job_id}:progress"


def import_job_progress(job: ImportJob) -> float:
    """The share done: the worker's last report while it runs (the cache), else the job's."""
    if job.status == ImportJob.Status.RUNNING:
        return float(cache.get(_progress_key(job.pk), job.progress))
    return job.progress


@db_transaction.atomic
def import_job_stage(*, portfolio: Portfolio, data: bytes, options: Mapping) -> ImportJob:
    """Keep a previewed big file until it is confirmed (or swept)."""
    return ImportJob.objects.create(
        owner=portfolio.owner, portfolio=portfolio, data=data, options=dict(options)
    )


@db_transaction.atomic
def import_job_start(*, job: ImportJob, options: Mapping | None = None) -> ImportJob:
    """Queue a staged job for a worker (on commit), with the options confirmed; a job already
    started is left as it is."""
    import_jobs_sweep()
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.STAGED).update(
        status=ImportJob.Status.QUEUED,
        options=dict(options if options is not None else job.options),
        created_at=timezone.now(),
    )
    if updated:
        db_transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from portfolios.tasks import import_job_run  # the tasks module imports this one

    try:
        import_job_run.delay(job_id)
    except Exception:
        logger.exception("Could not queue import job %s", job_id)
        import_job_fail(
            job_id=job_id,
            reason="The import could not be queued: the task broker is unavailable. "
            "Nothing was saved; try again later.",
        )


def import_job_fail(*, job_id: int, reason: str) -> None:
    """End an unfinished job as failed with `reason`, its file dropped (nothing was saved: the
    import is one transaction)."""
    ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.FAILED, error=reason, data=b"", finished_at=timezone.now())


def import_job_execute(*, job_id: int) -> ImportJob:
    """Run a queued job (the task's body): the import saved, all or nothing; a report with
    errors (the ledger changed since the preview, say) fails the job saying why."""
    now = timezone.now()
    started = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=now, progress=0.0
    )
    job = ImportJob.objects.select_related("portfolio").get(pk=job_id)
    if not started:
        return job
    key = _progress_key(job_id)

    def progress(share: float) -> None:
        cache.set(key, round(share, 3), timeout=settings.CELERY_TASK_TIME_LIMIT)

    options = job.options
    try:
        report = transaction_import(
            portfolio=job.portfolio,
            file=bytes(job.data),
            dry_run=False,
            format=options.get("format", "auto"),
            symbols=options.get("symbols") or {},
            mapping=options.get("mapping"),
            progress=progress,
        )
    except Exception:  # the import's transaction is rolled back: nothing saved
        import_job_fail(job_id=job_id, reason=UNEXPECTED)
        cache.delete(key)
        raise
    result = {
        "format": report.format,
        "created": report.created,
        "totals": report.totals,
        "file_errors": report.file_errors,
    }
    if report.is_valid:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.SUCCEEDED,
            progress=1.0,
            result=result,
            data=b"",
            finished_at=timezone.now(),
        )
    else:
        problems = report.error_count + report.unresolved_count
        reason = " ".join(report.file_errors) or (
            f"{problems} row{'s' if problems != 1 else ''} cannot be imported (the portfolio "
            "changed since the preview?); nothing was saved. Preview the file again."
        )
        ImportJob.objects.filter(pk=job_id).update(result=result)
        import_job_fail(job_id=job_id, reason=reason)
    cache.delete(key)
    job.refresh_from_db()
    return job


def import_jobs_sweep(*, now: datetime.datetime | None = None) -> int:
    """Fail the jobs that would stay unfinished for good (running for longer than the task
    time limit, queued for longer than a job may wait for a worker) and delete staged files
    never confirmed. Returns how many jobs it ended or deleted."""
    now = now or timezone.now()
    stuck = ImportJob.objects.filter(
        Q(
            status=ImportJob.Status.RUNNING,
            started_at__lt=now - market_selectors.job_running_limit(),
        )
        | Q(
            status=ImportJob.Status.QUEUED,
            created_at__lt=now - market_selectors.job_queued_limit(),
        )
    ).update(
        status=ImportJob.Status.FAILED,
        error="The import stopped: its worker died, it ran past the task time limit, or no "
        "worker took it up. Nothing was saved; start it again.",
        data=b"",
        finished_at=now,
    )
    abandoned, _ = ImportJob.objects.filter(
        status=ImportJob.Status.STAGED, created_at__lt=now - datetime.timedelta(hours=STAGED_HOURS)
    ).delete()
    return stuck + abandoned
