"""Health endpoints: liveness, and readiness that names each dependency and fails with 503."""

import pytest
from django.db import connections
from django.db.utils import load_backend

from portfolia import health


def test_live_answers_ok(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_reports_each_dependency_with_latency(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["latency_ms"] >= 0


def test_ready_is_503_when_the_database_is_unreachable(client, monkeypatch, django_db_blocker):
    """A real connection attempt to a database that is not there (a closed port, a missing
    folder for SQLite) must fail the database check, and only that check."""
    settings_dict = {**connections["default"].settings_dict}
    if settings_dict["ENGINE"].endswith("sqlite3"):
        settings_dict["NAME"] = "/nonexistent/folder/db.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="1")
    unreachable = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict)
    monkeypatch.setattr(health, "connection", unreachable)

    with django_db_blocker.unblock():
        response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert "OperationalError" in body["checks"]["database"]["error"]
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
