"""Redis down does not take the site down: the cache reads as empty, throttles admit, task
publishing fails fast and is recorded, and only the readiness check says 503.

The end-to-end test starts a Redis of its own on a free port, points the cache and the broker at
it, checks that they are used, stops it, and asks again. It needs /usr/bin/redis-server (skipped
where missing, required in CI).
"""

import datetime as dt
import logging
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import PASSWORD, UserFactory
from market.models import FetchJob
from market.ratelimit import RateLimiter
from market.tests.factories import AssetFactory
from portfolia.celery import app as celery_app
from portfolios.tests.performance_builders import asset, business_days, portfolio, txn

REDIS_SERVER = Path("/usr/bin/redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_cache(url: str, timeout: float = 0.5) -> dict:
    return {
        "default": {
            "BACKEND": "portfolia.cache.FailSoftRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "portfolia",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


@pytest.fixture
def dead_redis_url():
    """A Redis URL where nothing listens (the port was free a moment ago)."""
    return f"redis://127.0.0.1:{free_port()}/1"


# ── The backend alone, against a port where nothing listens ──────────────────


def test_an_unreachable_cache_reads_as_empty_and_keeps_nothing(dead_redis_url):
    with override_settings(CACHES=redis_cache(dead_redis_url)):
        assert cache.get("k", "default") == "default"
        cache.set("k", 1)
        assert cache.get("k") is None
        assert cache.add("k", 1) is False  # nothing was stored
        assert cache.get_many(["k", "j"]) == {}
        assert cache.set_many({"k": 1, "j": 2}) == ["k", "j"]
        assert cache.delete("k") is False
        assert cache.has_key("k") is False
        with pytest.raises(ValueError):
            cache.incr("k")
        assert cache.get_or_set("k", 5) == 5


def test_an_unreachable_cache_is_logged_once_not_per_call(dead_redis_url, caplog):
    with override_settings(CACHES=redis_cache(dead_redis_url)), caplog.at_level(logging.WARNING):
        for _ in range(50):
            cache.get("k")
            cache.set("k", 1)
    warnings = [r for r in caplog.records if r.name == "portfolia.cache"]
    assert len(warnings) == 1
    assert "Cache unreachable" in warnings[0].getMessage()


def test_the_readiness_check_still_sees_an_unreachable_cache(dead_redis_url):
    with (
        override_settings(CACHES=redis_cache(dead_redis_url)),
        pytest.raises(redis.exceptions.ConnectionError),
    ):
        cache.ping()


def test_without_the_cache_the_provider_budget_holds_per_process(dead_redis_url):
    class Clock:
        now = 1000.0

        def __call__(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    with override_settings(CACHES=redis_cache(dead_redis_url)):
        limiter = RateLimiter(name="outage", calls=2, period=1.0, clock=clock, sleep=clock.sleep)
        assert limiter.try_acquire() == 0.0
        assert limiter.try_acquire() == 0.0
        assert limiter.try_acquire() > 0  # the third call in the window waits
        clock.now += 1.0
        assert limiter.try_acquire() == 0.0  # a new window


# ── The whole site with a Redis of its own that the test stops ────────────────


class OwnRedis:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [
                str(REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise
                time.sleep(0.05)
        client.close()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def keys(self, db: int) -> list[bytes]:
        client = redis.Redis(port=self.port, db=db, socket_timeout=1)
        try:
            return client.keys("*")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis():
    if not REDIS_SERVER.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {REDIS_SERVER}")
        pytest.skip(f"{REDIS_SERVER} is not installed")
    server = OwnRedis()
    yield server
    server.stop()


@pytest.fixture
def celery_on(own_redis):
    """The Celery app publishes to the test's Redis (not eagerly) inside the test."""
    names = ("broker_url", "result_backend", "broker_transport_options", "task_always_eager")
    saved = {name: celery_app.conf[name] for name in names}

    def reconnect() -> None:  # Celery caches connections, producers and the result backend
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        vars(celery_app._local).pop("backend", None)

    celery_app.conf.broker_url = celery_app.conf.result_backend = own_redis.url(0)
    celery_app.conf.broker_transport_options = {
        "socket_timeout": 0.5,
        "socket_connect_timeout": 0.5,
    }
    reconnect()
    yield celery_app
    celery_app.pool.force_close_all()  # the test Redis's pool only (kombu keeps one per URL)
    celery_app.conf.update(saved)
    reconnect()


@pytest.mark.django_db
def test_with_redis_stopped_the_site_serves_and_only_readiness_fails(
    own_redis, celery_on, django_capture_on_commit_callbacks
):
    user = UserFactory()
    today = timezone.localdate()
    start = today - dt.timedelta(days=60)
    days = business_days(start - dt.timedelta(days=7), today)
    pf = portfolio(owner=user, name="Core")
    held = asset("VWX", closes={day: 50 + 0.1 * i for i, day in enumerate(days)})
    txn(pf, "buy", start, held, quantity=10, price=50)
    fetched = AssetFactory(symbol="FETCH")

    pages = Client()
    api = Client()

    def check_everything_serves(expect_ready: int) -> None:
        token = api.post(
            "/api/v1/auth/token/",
            {"email": user.email, "password": PASSWORD},
            content_type="application/json",
        )
        assert token.status_code == 200, token.content
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {token.json()['access']}"}
        listed = api.get("/api/v1/portfolios/", **bearer)
        assert listed.status_code == 200, listed.content
        assert [row["name"] for row in listed.json()["results"]] == ["Core"]
        performance = api.get(f"/api/v1/portfolios/{pf.public_id}/performance/", **bearer)
        assert performance.status_code == 200, performance.content

        login = pages.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        assert login.status_code == 302, login.content
        assert pages.get("/").status_code == 200
        assert pages.get(f"/portfolios/{pf.public_id}/performance/").status_code == 200
        assert pages.get("/health/ready").status_code == expect_ready

    with override_settings(
        REDIS_URL=own_redis.url(0),
        CELERY_BROKER_URL=own_redis.url(0),
        CACHES=redis_cache(own_redis.url(1)),
    ):
        check_everything_serves(expect_ready=200)
        stored = b" ".join(own_redis.keys(1))
        assert b"throttle_" in stored  # DRF's throttles count in this Redis
        assert b"portfolios:perf:" in stored  # and the read model caches there

        own_redis.stop()

        check_everything_serves(expect_ready=503)
        ready = pages.get("/health/ready").json()["checks"]
        assert ready["cache"]["status"] == "fail"
        assert ready["broker"]["status"] == "fail"
        assert ready["database"]["status"] == "ok"

        # Queueing a task publishes to the stopped broker: it fails fast and says so.
        celery_on.conf.task_always_eager = False
        bearer = f"Bearer {token_for(api, user)}"
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            queued = api.post(
                f"/api/v1/assets/{fetched.public_id}/backfill/",
                {},
                content_type="application/json",
                HTTP_AUTHORIZATION=bearer,
            )
        assert time.monotonic() - started < 5
        assert queued.status_code == 202, queued.content
        job = FetchJob.objects.get(public_id=queued.json()["id"])
        assert job.status == FetchJob.Status.FAILED
        assert "broker is unavailable" in job.error


def token_for(api: Client, user) -> str:
    response = api.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    return response.json()["access"]


def test_the_cache_is_used_again_once_redis_is_back(own_redis, monkeypatch, caplog):
    now = [1000.0]
    monkeypatch.setattr("portfolia.cache.time.monotonic", lambda: now[0])
    with override_settings(CACHES=redis_cache(own_redis.url(1))), caplog.at_level(logging.INFO):
        cache.set("k", "before")
        own_redis.stop()
        assert cache.get("k") is None  # down: a miss
        back = OwnRedis(port=own_redis.port)
        try:
            cache.set("k", "too soon")  # within the retry pause: not even tried
            assert back.keys(1) == []
            now[0] += 6
            cache.set("k", "after")
            assert cache.get("k") == "after"
        finally:
            back.stop()
    assert "Cache reachable again." in caplog.text


# ── The staff diagnostics with Redis refusing or never answering ─────────────


@pytest.fixture
def silent_redis_url():
    """A Redis URL where a socket accepts connections but never answers (a hung Redis)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["dead_redis_url", "silent_redis_url"])
def test_diagnostics_answer_within_seconds_while_redis_is_down_or_hangs(outage, request):
    url = request.getfixturevalue(outage)
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True, roles=["Staff"]))
    with override_settings(
        REDIS_URL=url, CELERY_BROKER_URL=url, CACHES=redis_cache(url), REDIS_TIMEOUT=0.5
    ):
        started = time.monotonic()
        response = staff.get("/api/v1/diagnostics/")
        elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed  # two checks of at most 0.5 s each, the depth not even asked
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "fail"
    assert body["database"]["status"] == "ok"
    assert body["cache"]["status"] == "fail" and body["broker"]["status"] == "fail"
    assert body["queue"]["depth"] is None
    assert "broker is unavailable" in body["queue"]["error"]
    assert body["jobs"] is not None  # the database parts still answer


def test_the_queue_depth_counts_the_default_queue_with_its_priority_lists(own_redis):
    from portfolia import health

    client = redis.Redis(port=own_redis.port, db=0, socket_timeout=1)
    try:
        client.rpush("celery", "a", "b")
        client.rpush("celery\x06\x166", "c")  # kombu's list for priority 6
        client.rpush("other", "d")  # another queue: not the default one
    finally:
        client.close()
    with override_settings(REDIS_URL=own_redis.url(0), CELERY_BROKER_URL=own_redis.url(0)):
        assert health.broker_queue_depth() == 3
