"""Prometheus metrics at ``/metrics``: what the processes count (request latency by view and
status, Celery tasks by task and outcome) and what the scrape reads at that moment (held-asset
price staleness, queue depth, beat's last runs, the dependency checks, fetch jobs).

Counted metrics are recorded where they happen: ``request_observe`` by the request middleware
(``portfolia.request_log``, view = the resolver's route), the task ones by Celery signals in
whichever process runs the task. With several processes (gunicorn workers, Celery's prefork
children) set ``PROMETHEUS_MULTIPROC_DIR`` to a folder they share on the host, emptied when the
stack starts (``make run`` does): each process writes there and ``/metrics`` adds them all up
(prometheus-client's multiprocess mode). Without it each process counts for itself (runserver,
tests). The read metrics come from ``market.diagnostics`` (one home for those rules) on each
scrape, bounded like the diagnostics are.

Access: open under DEBUG; otherwise a request needs ``Authorization: Bearer <METRICS_TOKEN>``
or a socket address in ``METRICS_ALLOWED_NETWORKS``, else 404 (no hint that it exists).
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import time

from celery import signals
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUEST_SECONDS = Histogram(
    "portfolia_http_request_duration_seconds",
    "Time to answer a request, by view (URL route), method and status.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TASKS = Counter(
    "portfolia_celery_tasks",
    "Celery tasks run, by task and outcome (SUCCESS, FAILURE, RETRY, …).",
    ["task", "state"],
)
TASK_SECONDS = Histogram(
    "portfolia_celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600),
)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (any other method as ``OTHER``: labels stay few)."""
    method = method if method in _METHODS else "OTHER"
    REQUEST_SECONDS.labels(view=view, method=method, status=str(status)).observe(seconds)


# --- Celery -------------------------------------------------------------------------------------

_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id: str | None = None, task=None, state: str | None = None, **kwargs):
    """Count the outcome; no state means the exception went up to the caller (a task run
    eagerly with ``task_eager_propagates``): a failure."""
    started = _started.pop(task_id, None) if task_id else None
    name = getattr(task, "name", None) or "unknown"
    TASKS.labels(task=name, state=state or "FAILURE").inc()
    if started is not None:
        TASK_SECONDS.labels(task=name).observe(time.perf_counter() - started)


# --- Read at scrape time ------------------------------------------------------------------------


class _StateCollector:
    """What ``market.diagnostics`` reads now, as gauges."""

    def collect(self):
        from market.diagnostics import diagnostics

        report = diagnostics()
        up = GaugeMetricFamily(
            "portfolia_dependency_up", "1 when the readiness check passes.", labels=["check"]
        )
        for name, check in report.checks.items():
            up.add_metric([name], 1.0 if check["status"] == "ok" else 0.0)
        yield up
        if report.queue_depth is not None:
            yield GaugeMetricFamily(
                "portfolia_celery_queue_depth",
                "Tasks waiting in the broker's default queue.",
                value=report.queue_depth,
            )
        if report.beat_tasks is not None:
            yield from _beat_metrics(report.beat_tasks)
        if report.status is not None:
            yield from _data_metrics(report.status)


def _beat_metrics(tasks):
    last = GaugeMetricFamily(
        "portfolia_beat_task_last_run_timestamp_seconds",
        "When Celery beat last ran each schedule (Unix time); absent until it first ran.",
        labels=["schedule", "task"],
    )
    for task in tasks:
        if task.last_run_at is not None:
            last.add_metric([task.name, task.task], task.last_run_at.timestamp())
    yield last
    runs = [task.last_run_at for task in tasks if task.last_run_at]
    if runs:
        yield GaugeMetricFamily(
            "portfolia_beat_last_run_timestamp_seconds",
            "When Celery beat last ran any schedule (Unix time).",
            value=max(runs).timestamp(),
        )


def _data_metrics(status):
    yield GaugeMetricFamily(
        "portfolia_assets_kept_fresh",
        "Catalogue assets the refreshes keep fresh (held, benchmarks, FX, recently asked).",
        value=status.refreshed_assets,
    )
    yield GaugeMetricFamily(
        "portfolia_assets_stale",
        "Of those, assets whose last close is more than 3 business days old, or missing.",
        value=len(status.stale_assets),
    )
    behind = GaugeMetricFamily(
        "portfolia_stale_asset_price_age_business_days",
        "Business days since a stale asset's last close (+Inf: no close at all).",
        labels=["symbol"],
    )
    for stale in status.stale_assets:
        days = stale.business_days_behind
        behind.add_metric([stale.asset.symbol], math.inf if days is None else float(days))
    yield behind
    jobs = GaugeMetricFamily(
        "portfolia_fetch_jobs", "Price fetch jobs now, by state.", labels=["state"]
    )
    jobs.add_metric(["queued"], status.queued_jobs)
    jobs.add_metric(["running"], status.running_jobs)
    jobs.add_metric(["stuck"], status.stuck_jobs)
    jobs.add_metric(["failed_last_day"], status.failed_count)
    yield jobs


class _ThisProcess:
    """The default registry's metrics, collected from another registry."""

    def collect(self):
        return REGISTRY.collect()


def exposition() -> bytes:
    """Every metric in Prometheus' text format."""
    registry = CollectorRegistry()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_StateCollector())
    return generate_latest(registry)


# --- Access -------------------------------------------------------------------------------------


def allowed(request: HttpRequest) -> bool:
    """Open under DEBUG; else the right bearer token or a socket address in the networks."""
    if settings.DEBUG:
        return True
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
