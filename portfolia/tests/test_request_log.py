"""One log line per request (method, route pattern, status, duration, user, request id), the
request id round trip through ``X-Request-ID`` and into Celery tasks, JSON lines in production,
and every warning printed once."""

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from kombu import Connection

from portfolia import logs
from portfolia.celery import app as celery_app
from portfolia.celery import ping
from portfolios.tests.factories import PortfolioFactory

ROOT = Path(__file__).resolve().parents[2]
HEX32 = r"[0-9a-f]{32}"


@celery_app.task(name="tests.request_id_seen")
def request_id_seen() -> str | None:
    logging.getLogger("tests.task").warning("inside the task")
    return logs.request_id.get()


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "portfolia.request"]


@pytest.mark.django_db
def test_each_request_logs_one_line_with_the_route_pattern_not_the_raw_path(
    auth_client, user, caplog
):
    portfolio = PortfolioFactory(owner=user)
    caplog.set_level(logging.INFO, logger="portfolia.request")
    response = auth_client.get(f"/api/v1/portfolios/{portfolio.public_id}/")
    assert response.status_code == 200
    [line] = request_lines(caplog)
    assert line.method == "GET"
    assert line.status == 200
    assert "{" not in line.path and str(portfolio.public_id) not in line.path
    assert line.path.startswith("/api/v1/portfolios/") and "public_id" in line.path
    assert line.user_id == user.pk
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]
    assert str(portfolio.public_id) not in line.getMessage()


@pytest.mark.django_db
def test_an_anonymous_unmatched_request_is_logged_without_user_or_route(client, caplog):
    caplog.set_level(logging.INFO, logger="portfolia.request")
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="probe-1")
    assert response.status_code == 404
    [line] = request_lines(caplog)
    assert (line.path, line.status, line.user_id, line.request_id) == (
        "<unmatched>",
        404,
        None,
        "probe-1",
    )


@pytest.mark.django_db
def test_the_line_costs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/health/live")


@pytest.mark.django_db
def test_a_safe_request_id_is_returned_and_anything_else_is_replaced(client):
    assert client.get("/health/live", HTTP_X_REQUEST_ID="abc-123_x.y:z")["X-Request-ID"] == (
        "abc-123_x.y:z"
    )
    for bad in ("a" * 129, "has space", "semi;colon", "", "é", "<script>"):
        answered = client.get("/health/live", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert answered != bad
        assert len(answered) == 32 and int(answered, 16) >= 0
    first = client.get("/health/live")["X-Request-ID"]
    assert first != client.get("/health/live")["X-Request-ID"]  # made fresh each time


def test_the_json_formatter_prints_one_object_with_the_extra_fields():
    record = logging.LogRecord(
        "portfolia.request", logging.INFO, __file__, 1, "GET %s", ("/x",), None
    )
    record.request_id, record.status, record.request = "r-1", 200, object()
    data = json.loads(logs.JsonFormatter().format(record))
    assert data["message"] == "GET /x"
    assert (data["level"], data["logger"], data["request_id"], data["status"]) == (
        "INFO",
        "portfolia.request",
        "r-1",
        200,
    )
    assert "request" not in data  # Django's request object: its text is the raw path
    assert data["time"].endswith("+00:00")


def test_a_task_run_eagerly_inside_a_request_keeps_its_id(caplog):
    token = logs.request_id.set("click-1")
    try:
        with caplog.at_level(logging.WARNING, logger="tests.task"):
            assert request_id_seen.delay().get() == "click-1"
    finally:
        logs.request_id.reset(token)
    [line] = [record for record in caplog.records if record.name == "tests.task"]
    assert line.request_id == "click-1"
    assert line.task_name == "tests.request_id_seen"


def test_a_task_sent_with_the_header_runs_under_that_id_and_restores_the_previous_one():
    assert request_id_seen.apply(headers={"request_id": "click-2"}).get() == "click-2"
    assert logs.request_id.get() is None
    assert request_id_seen.apply(headers={"request_id": "bad id!"}).get() is None


@pytest.fixture
def not_eager():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_publishing_inside_a_request_puts_its_id_in_the_task_headers(not_eager):
    token = logs.request_id.set("click-3")
    try:
        with Connection("memory://") as connection:
            ping.apply_async(connection=connection)
            message = connection.SimpleQueue("celery").get(timeout=2)
    finally:
        logs.request_id.reset(token)
    assert message.headers["request_id"] == "click-3"
    assert message.headers["task"] == "portfolia.ping"


def _log_from_a_fresh_process(**env_vars) -> str:
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('Bad Request: /x'); "
        "logging.getLogger('market.services').warning('provider slow')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portfolia.settings", **env_vars}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_warnings_print_once_in_development():
    # Django's default config gave the "django" logger a console handler of its own under
    # DEBUG, beside the root's: each django.* warning printed twice.
    output = _log_from_a_fresh_process(DEBUG="1")
    assert output.count("Bad Request: /x") == 1, output
    assert output.count("provider slow") == 1, output


def test_production_logs_one_json_object_per_line():
    output = _log_from_a_fresh_process(DEBUG="0")
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["message"] for line in lines] == ["Bad Request: /x", "provider slow"]


@pytest.mark.worker
def test_the_worker_logs_the_task_under_the_request_id_it_was_sent_with(tmp_path):
    data = tmp_path / "celery"
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(CELERY_DATA_DIR=str(data), DEBUG="0", LOG_FORMAT="json")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portfolia", "worker", "--pool=solo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        options = {
            "data_folder_in": str(data / "queue"),
            "data_folder_out": str(data / "queue"),
            "processed_folder": str(data / "processed"),
            "control_folder": str(data / "control"),
            "store_processed": False,
        }
        producer = Celery(
            "probe",
            broker="filesystem://",
            backend=f"file://{data / 'results'}",
            broker_transport_options=options,
        )
        for folder in ("queue", "processed", "control", "results"):
            (data / folder).mkdir(parents=True, exist_ok=True)
        result = producer.send_task("portfolia.ping", headers={"request_id": "click-77"})
        assert result.get(timeout=60) == "pong"
        time.sleep(0.5)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    succeeded = [line for line in lines if "succeeded" in line["message"]]
    assert succeeded, output
    assert succeeded[0]["request_id"] == "click-77"
    assert succeeded[0]["task_name"] == "portfolia.ping"
