"""/metrics: request latency by view and status, Celery tasks by task and outcome, held-asset
staleness, queue depth and beat's last run, in Prometheus' text format; open under DEBUG,
behind a token or an allowed network otherwise; added up across processes in multiprocess mode."""

import datetime as dt
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from portfolia import health
from portfolia.celery import app as celery_app
from portfolia.celery import ping
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory, prices

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scrape-token-0123456789"


@celery_app.task(name="tests.always_fails")
def always_fails() -> None:
    raise RuntimeError("on purpose")


def samples(content: bytes) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of an exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(content.decode())
        for sample in family.samples
    }


@pytest.fixture
def open_metrics(settings):
    settings.DEBUG = True


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return samples(response.content)


def count(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_request_latency_is_counted_by_view_method_and_status(client, open_metrics):
    labels = {"view": "/health/live", "method": "GET", "status": "200"}
    before = count("portfolia_http_request_duration_seconds_count", **labels)
    client.get("/health/live")
    client.get("/health/live")
    client.post("/health/live")  # 405
    series = scrape(client)
    key = tuple(sorted(labels.items()))
    assert series[("portfolia_http_request_duration_seconds_count", key)] == before + 2
    not_allowed = tuple(sorted({**labels, "status": "405", "method": "POST"}.items()))
    assert series[("portfolia_http_request_duration_seconds_count", not_allowed)] >= 1


@pytest.mark.django_db
def test_a_made_up_method_is_one_label(client, open_metrics):
    client.generic("BREW", "/health/live")
    labels = {"view": "/health/live", "method": "OTHER", "status": "405"}
    assert count("portfolia_http_request_duration_seconds_count", **labels) >= 1


def test_tasks_are_counted_by_task_and_outcome_with_their_durations():
    ok = {"task": "portfolia.ping", "state": "SUCCESS"}
    failed = {"task": "tests.always_fails", "state": "FAILURE"}
    ok_before, failed_before = (
        count("portfolia_celery_tasks_total", **ok),
        count("portfolia_celery_tasks_total", **failed),
    )
    timed_before = count("portfolia_celery_task_duration_seconds_count", task="portfolia.ping")
    ping.delay()
    with pytest.raises(RuntimeError):
        always_fails.delay()
    assert count("portfolia_celery_tasks_total", **ok) == ok_before + 1
    assert count("portfolia_celery_tasks_total", **failed) == failed_before + 1
    assert (
        count("portfolia_celery_task_duration_seconds_count", task="portfolia.ping")
        == timed_before + 1
    )


@pytest.mark.django_db
def test_stale_held_assets_queue_depth_and_beats_last_run_are_read_at_scrape(
    client, open_metrics, monkeypatch
):
    today = timezone.localdate()
    old, fresh = AssetFactory(symbol="OLDX"), AssetFactory(symbol="NEWX")
    portfolio = PortfolioFactory()
    for asset in (old, fresh):
        TransactionFactory(
            portfolio=portfolio, asset=asset, date=today - dt.timedelta(days=30), quantity=1
        )
    # Two whole weeks before today: 10 business days behind, whatever today's weekday.
    prices(old, {today - dt.timedelta(days=14): 10.0})
    prices(fresh, {today: 10.0})
    monkeypatch.setattr(health, "broker_queue_depth", lambda: 7)
    last_run = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    PeriodicTask.objects.filter(task="market.refresh_daily_closes").update(last_run_at=last_run)

    series = scrape(client)
    assert series[("portfolia_stale_asset_price_age_business_days", (("symbol", "OLDX"),))] == 10
    assert ("portfolia_stale_asset_price_age_business_days", (("symbol", "NEWX"),)) not in series
    assert series[("portfolia_assets_stale", ())] == 1
    assert series[("portfolia_assets_kept_fresh", ())] >= 2
    assert series[("portfolia_celery_queue_depth", ())] == 7
    assert series[("portfolia_beat_last_run_timestamp_seconds", ())] == last_run.timestamp()
    assert series[("portfolia_dependency_up", (("check", "database"),))] == 1


@pytest.mark.django_db
def test_off_debug_metrics_need_the_token_or_an_allowed_network(client, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.1.0.0/16")]
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    # The forwarded address is the client's word: not enough.
    spoofed = client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3", REMOTE_ADDR="192.0.2.9")
    assert spoofed.status_code == 404
    assert client.post("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 405


@pytest.mark.django_db
def test_off_debug_with_nothing_configured_metrics_are_closed(client, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portfolia.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    record = (
        "import django; django.setup(); from portfolia import metrics; "
        "[metrics.request_observe(view='/x', method='GET', status=200, seconds=0.2) "
        "for _ in range({n})]"
    )
    for n in (2, 3):  # two processes, as two gunicorn workers
        subprocess.run([sys.executable, "-c", record.format(n=n)], cwd=ROOT, env=env, check=True)
    show = (
        "import django, sys; django.setup(); from portfolia import metrics; "
        "sys.stdout.write(metrics.exposition().decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, check=True, capture_output=True
    )
    series = samples(result.stdout)
    key = (("method", "GET"), ("status", "200"), ("view", "/x"))
    # 2 + 3 requests of 0.2 s each: count 5, sum 1.0.
    assert series[("portfolia_http_request_duration_seconds_count", key)] == 5
    assert series[("portfolia_http_request_duration_seconds_sum", key)] == pytest.approx(1.0)
