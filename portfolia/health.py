"""Health endpoints for load balancers and orchestrators, and the checks behind them.

``/health/live`` says the process answers. ``/health/ready`` checks every dependency a request
needs (database, cache, and the Celery broker) and answers 503 when any of them fails, with each
check's status and latency so an operator sees which one. ``checks_run`` and
``broker_queue_depth`` are the same checks for the staff diagnostics (``market.diagnostics``).
Every call to Redis here is bounded by ``REDIS_TIMEOUT`` (connecting and answering), so a Redis
that is down or hangs costs seconds, never a hung request.
"""

import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    if hasattr(cache, "ping"):  # Redis (portfolia.cache): ask it, past its fail-soft answers
        cache.ping()
        return
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _broker_client():
    import redis

    timeout = settings.REDIS_TIMEOUT
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=timeout, socket_connect_timeout=timeout
    )


def _broker_folder() -> Path:
    return Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])


def _check_broker() -> None:
    if settings.REDIS_URL:
        client = _broker_client()
        try:
            client.ping()
        finally:
            client.close()
    else:
        folder = _broker_folder()
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".health-{uuid.uuid4().hex}"
        probe.write_text("ok")
        probe.unlink()


# kombu's Redis transport keeps a queue's prioritised messages in lists named queue + this
# separator + the priority step (3, 6, 9); priority 0 in the queue's own list.
_REDIS_PRIORITY_SEPARATOR = "\x06\x16"
_REDIS_PRIORITY_STEPS = (3, 6, 9)


def broker_queue_depth() -> int:
    """Tasks waiting in the broker's default queue (not yet taken by a worker); raises when
    the broker cannot be read (within ``REDIS_TIMEOUT`` for Redis)."""
    from portfolia.celery import app as celery_app

    queue = celery_app.conf.task_default_queue
    if settings.REDIS_URL:
        names = [queue] + [f"{queue}{_REDIS_PRIORITY_SEPARATOR}{p}" for p in _REDIS_PRIORITY_STEPS]
        client = _broker_client()
        try:
            with client.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.llen(name)
                return int(sum(pipe.execute()))
        finally:
            client.close()
    folder = _broker_folder()
    if not folder.is_dir():
        return 0
    return sum(1 for path in folder.iterdir() if path.name.endswith(f".{queue}.msg"))


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
}


def checks_run() -> dict[str, dict]:
    """Each check's result: ``{"status": "ok" | "fail", "latency_ms": …}`` and, when it failed,
    ``"error"`` (the exception's type and message)."""
    return {name: _run(check) for name, check in CHECKS.items()}


def _run(check: Callable[[], None]) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        result = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"}
    else:
        result = {"status": "ok"}
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = checks_run()
    healthy = all(result["status"] == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )
