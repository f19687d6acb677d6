"""GET /api/v1/diagnostics/ (staff only) and POST /api/v1/assets/{id}/refresh/ (202 and the
job, rate-limited per user): permissions, shapes, bad input and the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.tests.factories import UserFactory
from market import selectors
from market.models import FetchJob, Quote
from market.tests.factories import AssetFactory, FetchJobFactory, ManualAssetFactory, PriceFactory

pytestmark = pytest.mark.django_db

DIAGNOSTICS = "/api/v1/diagnostics/"
TODAY = timezone.localdate()


def refresh_url(asset) -> str:
    return f"/api/v1/assets/{asset.public_id}/refresh/"


@pytest.fixture
def staff_client():
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True, roles=["Staff"]))
    return client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error


# ── Diagnostics ──────────────────────────────────────────────────────────────


def test_diagnostics_are_refused_to_users_who_are_not_staff(auth_client, api_client):
    assert_error(auth_client.get(DIAGNOSTICS), 403, "permission_denied")
    assert_error(api_client.get(DIAGNOSTICS), 401, "not_authenticated")


def test_diagnostics_report_checks_jobs_stale_assets_and_beat(staff_client, tmp_path):
    stale = AssetFactory(symbol="OLD")
    PriceFactory(asset=stale, date=TODAY - dt.timedelta(days=20))
    failed = FetchJobFactory(
        asset=stale, status=FetchJob.Status.FAILED, error="delisted", finished_at=timezone.now()
    )
    # Refresh jobs (not backfills) so their assets are not kept fresh, hence not stale.
    stuck = FetchJobFactory(kind="refresh", status=FetchJob.Status.RUNNING, attempts=1)
    silent = timezone.now() - selectors.job_running_limit() - dt.timedelta(minutes=5)
    FetchJob.objects.filter(pk=stuck.pk).update(heartbeat_at=silent)
    FetchJobFactory(kind="refresh", status=FetchJob.Status.QUEUED)
    ran = timezone.now() - dt.timedelta(minutes=3)
    PeriodicTask.objects.filter(task="market.refresh_quotes").update(last_run_at=ran)
    queue = tmp_path / "queue"
    queue.mkdir()
    for name in ("1_a.celery.msg", "2_b.celery.msg", "3_c.other.msg"):  # kombu's file names
        (queue / name).write_text("{}")

    options = {"data_folder_in": str(queue), "data_folder_out": str(queue)}
    with override_settings(REDIS_URL="", CELERY_BROKER_TRANSPORT_OPTIONS=options):
        response = staff_client.get(DIAGNOSTICS)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert {body[name]["status"] for name in ("database", "cache", "broker")} == {"ok"}
    assert body["queue"] == {"depth": 2, "error": None}  # the default queue's two messages
    assert body["beat"]["last_run_at"] == ran.isoformat().replace("+00:00", "Z")
    assert "market.sweep_jobs" in {task["task"] for task in body["beat"]["tasks"]}
    assert [row["symbol"] for row in body["stale_assets"]] == ["OLD"]
    assert body["stale_assets"][0]["last_close"] == (TODAY - dt.timedelta(days=20)).isoformat()
    jobs = body["jobs"]
    assert (jobs["queued"], jobs["running"], jobs["stuck"], jobs["failed_last_day"]) == (1, 1, 1, 1)
    assert [job["id"] for job in jobs["stuck_jobs"]] == [str(stuck.public_id)]
    assert [job["id"] for job in jobs["failed"]] == [str(failed.public_id)]
    assert jobs["failed"][0]["error"] == "delisted"
    assert body["database_error"] is None


def test_diagnostics_say_when_the_database_cannot_be_read_instead_of_failing(
    staff_client, monkeypatch
):
    def unreadable(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("market.diagnostics.data_status", unreadable)
    body = staff_client.get(DIAGNOSTICS).json()
    assert body["jobs"] is None and body["stale_assets"] is None and body["beat"] is None
    assert "server closed the connection" in body["database_error"]


def test_diagnostics_refuse_query_parameters_they_do_not_take(staff_client):
    error = assert_error(staff_client.get(DIAGNOSTICS, {"verbose": "1"}), 400, "invalid")
    assert "verbose" in error["fields"]


def test_the_schema_describes_what_the_diagnostics_and_refresh_send(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    diagnostics = schema["paths"]["/api/v1/diagnostics/"]["get"]
    assert set(diagnostics["responses"]) >= {"200", "401", "403"}
    properties = schema["components"]["schemas"]["Diagnostics"]["properties"]
    assert set(properties) == {
        "status",
        "checked_at",
        "database",
        "cache",
        "broker",
        "queue",
        "beat",
        "refreshed_assets",
        "stale_assets",
        "jobs",
        "last_quote_refresh",
        "last_close_refresh",
        "database_error",
    }
    refresh = schema["paths"]["/api/v1/assets/{public_id}/refresh/"]["post"]
    assert set(refresh["responses"]) >= {"202", "404", "422", "429"}
    job = refresh["responses"]["202"]["content"]["application/json"]["schema"]["$ref"]
    assert job.endswith("/FetchJob")


# ── Refresh ──────────────────────────────────────────────────────────────────


def test_refresh_queues_a_closes_job_from_a_week_before_the_last_close(
    auth_client, django_capture_on_commit_callbacks, monkeypatch
):
    from market import services

    queued = []
    monkeypatch.setattr(
        services.refresh, "_task_enqueue", lambda name, **kw: queued.append((name, kw))
    )
    monkeypatch.setattr(services.jobs, "_job_enqueue", lambda job_id: queued.append(job_id))
    asset = AssetFactory()
    PriceFactory(asset=asset, date=TODAY - dt.timedelta(days=3))

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(refresh_url(asset), {}, format="json")

    assert response.status_code == 202, response.content
    body = response.json()
    job = FetchJob.objects.get(public_id=body["id"])
    assert (job.kind, job.status, job.asset) == ("refresh", "queued", asset)
    assert job.start == TODAY - dt.timedelta(days=3 + 7)
    assert body["asset"] == str(asset.public_id) and body["kind"] == "refresh"
    assert queued == [job.pk, ("refresh_quotes", {"asset_ids": [asset.pk]})]


def test_refresh_answers_in_the_backfill_endpoints_job_shape(auth_client, monkeypatch):
    from market import services

    monkeypatch.setattr(services.jobs, "_job_enqueue", lambda job_id: None)
    refreshed = auth_client.post(refresh_url(AssetFactory()), {}, format="json")
    backfilled = auth_client.post(
        f"/api/v1/assets/{AssetFactory().public_id}/backfill/", {}, format="json"
    )
    assert set(refreshed.json()) == set(backfilled.json())
    assert refreshed.json()["kind"] == "backfill"  # no close stored yet: the full history


def test_refresh_answers_the_job_already_in_flight_instead_of_a_second(auth_client):
    asset = AssetFactory()
    running = FetchJobFactory(asset=asset, status=FetchJob.Status.RUNNING, attempts=1)
    FetchJob.objects.filter(pk=running.pk).update(heartbeat_at=timezone.now())

    response = auth_client.post(refresh_url(asset), {}, format="json")

    assert response.status_code == 202
    assert response.json()["id"] == str(running.public_id)
    assert asset.fetch_jobs.count() == 1


def test_refresh_fetches_the_quote_in_a_worker(auth_client, django_capture_on_commit_callbacks):
    asset = AssetFactory(symbol="QUOTED")  # the demo provider prices any symbol
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(refresh_url(asset), {}, format="json")
    assert response.status_code == 202
    assert Quote.objects.filter(asset=asset).exists()  # the eager worker ran the task


def test_refresh_of_an_asset_you_cannot_see_is_not_found(auth_client, other_user):
    hidden = ManualAssetFactory(owner=other_user)
    assert_error(auth_client.post(refresh_url(hidden), {}, format="json"), 404, "not_found")
    missing = auth_client.post(
        "/api/v1/assets/00000000-0000-0000-0000-000000000000/refresh/", {}, format="json"
    )
    assert_error(missing, 404, "not_found")
    assert_error(auth_client.post("/api/v1/assets/not-a-uuid/refresh/"), 404, "not_found")


def test_refresh_of_your_manual_asset_is_refused_with_the_reason(auth_client, user):
    mine = ManualAssetFactory(owner=user)
    error = assert_error(auth_client.post(refresh_url(mine), {}, format="json"), 422, "invalid")
    assert "priced by their owner" in error["message"]
    assert not mine.fetch_jobs.exists()


@pytest.mark.parametrize(
    "body",
    [{"start": "2024-01-01"}, {"x\x00": "1"}, {"force": 10**400}],
    ids=["unknown-field", "nul-byte-name", "huge-number"],
)
def test_refresh_refuses_any_body_field(auth_client, body):
    asset = AssetFactory()
    response = auth_client.post(refresh_url(asset), body, format="json")
    assert_error(response, 400, "invalid")
    assert not asset.fetch_jobs.exists()


def test_refresh_needs_a_login(api_client):
    assert_error(api_client.post(refresh_url(AssetFactory())), 401, "not_authenticated")


def test_refresh_is_rate_limited_per_user_with_retry_after(auth_client, monkeypatch):
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"asset_refresh": "2/minute", "auth": "20/minute"}
    )
    asset = AssetFactory()
    statuses = [auth_client.post(refresh_url(asset), {}).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    refused = auth_client.post(refresh_url(asset), {})
    assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0

    other = APIClient()
    other.force_authenticate(UserFactory())
    assert other.post(refresh_url(asset), {}).status_code == 202  # another user's own budget


def test_diagnostics_read_a_bounded_number_of_queries_whatever_the_jobs(staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(DIAGNOSTICS).status_code == 200
        return len(captured)

    def more(count: int) -> None:
        for n in range(count):
            stale = AssetFactory()
            PriceFactory(asset=stale, date=TODAY - dt.timedelta(days=30 + n))
            FetchJobFactory(
                asset=stale, status=FetchJob.Status.FAILED, error="x", finished_at=timezone.now()
            )
            FetchJobFactory(kind="refresh", status=FetchJob.Status.QUEUED)

    more(2)
    queries()  # the first request also reads the staff user's permissions (then cached)
    few = queries()
    more(10)
    assert queries() == few
