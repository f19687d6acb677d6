"""The auth API: register, tokens (with rotation and blacklisting), me, and the error shape."""

import pytest
from rest_framework.throttling import AnonRateThrottle

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_register_token_me_refresh_verify_round_trip(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "Ada@Example.com", "password": "a-long-and-unusual-passphrase"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "ada@example.com"
    assert response.json()["base_currency"] == "USD"
    assert "password" not in response.json()

    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": "ada@example.com", "password": "a-long-and-unusual-passphrase"},
    )
    assert response.status_code == 200
    access, refresh = response.json()["access"], response.json()["refresh"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"
    api_client.credentials()

    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert response.status_code == 200
    new_refresh = response.json()["refresh"]
    assert new_refresh != refresh

    # Rotation blacklisted the old refresh token.
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"

    response = api_client.post(
        "/api/v1/auth/token/verify/", {"token": response_access(api_client, new_refresh)}
    )
    assert response.status_code == 200
    response = api_client.post("/api/v1/auth/token/verify/", {"token": "not-a-token"})
    assert response.status_code == 401


def response_access(api_client, refresh: str) -> str:
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert response.status_code == 200
    return response.json()["access"]


def test_wrong_password_is_401_with_the_error_shape(api_client):
    user = UserFactory()
    response = api_client.post("/api/v1/auth/token/", {"email": user.email, "password": "wrong"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "no_active_account"
    assert "credentials" in error["message"]
    assert error["fields"] == {}


def test_bad_json_is_400_with_the_error_shape(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", data='{"email": "x@example.com", ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert "JSON" in response.json()["error"]["message"]


def test_register_validation_errors_name_each_field(api_client):
    UserFactory(email="taken@example.com")
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "TAKEN@example.com", "password": "short", "base_currency": "XXX"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"base_currency"}

    response = api_client.post(
        "/api/v1/auth/register/", {"email": "TAKEN@example.com", "password": "short"}
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "already exists" in fields["email"][0]
    assert User.objects.count() == 1


def test_weak_password_is_rejected(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", {"email": "new@example.com", "password": "12345678"}
    )
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]
    assert not User.objects.filter(email="new@example.com").exists()


def test_me_requires_authentication(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_patch_updates_profile_and_validates(auth_client, user):
    response = auth_client.patch("/api/v1/me/", {"name": "Grace", "base_currency": "EUR"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.name, user.base_currency) == ("Grace", "EUR")

    response = auth_client.patch("/api/v1/me/", {"base_currency": "EURO"})
    assert response.status_code == 400
    assert "base_currency" in response.json()["error"]["fields"]


def test_anonymous_requests_are_throttled_with_429(api_client, monkeypatch):
    monkeypatch.setattr(
        AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "auth": "100/minute"}
    )
    user = UserFactory()
    statuses = [
        api_client.post(
            "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    response = api_client.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD})
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response.headers


def test_credential_endpoints_have_their_own_stricter_limit(api_client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"anon": "100/minute", "auth": "2/minute"}
    )
    statuses = [
        api_client.post(
            "/api/v1/auth/token/", {"email": "a@example.com", "password": "x"}
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
