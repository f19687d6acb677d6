"""The staff diagnostics report (``GET /api/v1/diagnostics/``): the readiness checks (database,
cache, broker), the broker's queue depth, Celery beat's last runs, and the data-status figures
(stale held assets, failed and stuck jobs). A read: it composes ``portfolia.health`` and
``market.selectors.data_status``, the homes of those rules, and writes nothing.

It never hangs on a dependency that is down: the checks and the queue depth are bounded by
``REDIS_TIMEOUT`` (and the depth is not even asked when the broker check failed); the database
parts are None with the error when the database cannot be read.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from market.selectors import DataStatus, data_status
from portfolia import health

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeatTask:
    """One schedule of Celery beat (edited in the admin) and when beat last ran it."""

    name: str
    task: str
    enabled: bool
    last_run_at: dt.datetime | None
    total_run_count: int


@dataclass(frozen=True)
class Diagnostics:
    checked_at: dt.datetime
    checks: dict[str, dict]
    queue_depth: int | None
    queue_error: str | None
    beat_tasks: tuple[BeatTask, ...] | None
    status: DataStatus | None
    database_error: str | None

    @property
    def healthy(self) -> bool:
        return all(check["status"] == "ok" for check in self.checks.values())

    @property
    def last_beat_run(self) -> dt.datetime | None:
        runs = [task.last_run_at for task in self.beat_tasks or () if task.last_run_at]
        return max(runs, default=None)


def beat_tasks() -> tuple[BeatTask, ...]:
    """Beat's schedules, by name, with their last run (None until beat first ran one)."""
    return tuple(
        BeatTask(row.name, row.task, row.enabled, row.last_run_at, row.total_run_count)
        for row in PeriodicTask.objects.order_by("name")
    )


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def diagnostics(*, now: dt.datetime | None = None) -> Diagnostics:
    """What staff need to see whether the server is well (see the module docstring)."""
    now = now or timezone.now()
    checks = health.checks_run()
    depth, queue_error = None, None
    if checks["broker"]["status"] == "ok":
        try:
            depth = health.broker_queue_depth()
        except Exception as error:  # a broker that failed since its check: said, not raised
            queue_error = _error_text(error)
    else:
        queue_error = f"The broker is unavailable ({checks['broker'].get('error', 'failed')})."
    tasks, status, database_error = None, None, None
    if checks["database"]["status"] == "ok":
        try:
            tasks, status = beat_tasks(), data_status(now=now)
        except DatabaseError as error:
            logger.warning("Diagnostics could not read the database", exc_info=True)
            database_error = _error_text(error)
    else:
        database_error = checks["database"].get("error", "failed")
    return Diagnostics(now, checks, depth, queue_error, tasks, status, database_error)
