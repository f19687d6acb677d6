"""A real Celery worker, against Redis, runs a backfill end to end: the request queues the job on
commit, the worker fetches demo prices and the job ends ``succeeded``. Needs REDIS_URL (CI must
set it; locally the test is skipped without it)."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from market import services
from market.models import FetchJob, Price
from market.tests.factories import AssetFactory
from portfolia.celery import app as celery_app

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_worker(monkeypatch):
    if not settings.REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run with REDIS_URL set")
        pytest.skip("REDIS_URL is not set")
    assert celery_app.conf.broker_url.startswith("redis://")
    # The worker thread's database connections close after each task, so none outlives the test.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        celery_app.conf.task_always_eager = True


def test_a_real_worker_runs_a_backfill_and_the_job_succeeds(redis_worker):
    asset = AssetFactory(symbol="MSFT", name="Microsoft Corporation", provider="demo")

    job = services.backfill_request(asset=asset)  # autocommit: queued to Redis at once

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == FetchJob.Status.SUCCEEDED, job.error
    assert job.attempts == 1
    assert job.rows_written > 200  # a year of trading days
    assert Price.objects.filter(asset=asset).count() == job.rows_written
