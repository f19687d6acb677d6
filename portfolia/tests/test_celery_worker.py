"""Real Celery workers: against Redis (when REDIS_URL is set; required in CI), and over the
filesystem broker without Redis, in a separate worker process, as ``make run`` uses it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from portfolia.celery import app as celery_app
from portfolia.celery import ping

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.worker


@pytest.fixture
def not_eager():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_a_task_runs_on_a_real_worker_against_redis(not_eager):
    if not settings.REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run with REDIS_URL set")
        pytest.skip("REDIS_URL is not set")
    assert celery_app.conf.broker_url.startswith("redis://")
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = ping.delay()
        assert result.get(timeout=30) == "pong"


def test_a_task_runs_on_a_worker_process_over_the_filesystem_broker(tmp_path):
    data = tmp_path / "celery"
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(CELERY_DATA_DIR=str(data), DEBUG="1")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portfolia",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        producer = Celery(
            "probe",
            broker="filesystem://",
            backend=f"file://{data / 'results'}",
            broker_transport_options={
                "data_folder_in": str(data / "queue"),
                "data_folder_out": str(data / "queue"),
                "processed_folder": str(data / "processed"),
                "control_folder": str(data / "control"),
                "store_processed": False,
            },
        )
        for folder in ("queue", "processed", "control", "results"):
            (data / folder).mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        result = producer.send_task("portfolia.ping")
        assert result.get(timeout=60) == "pong"
        assert time.monotonic() - started < 60
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert "portfolia.ping" in output
