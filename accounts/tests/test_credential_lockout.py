"""Every credential form is throttled, then locked per account and per client address, with a
message that says when to try again; a right password while locked is refused until the lock
ends; without a cache the forms fail open."""

import socket
import time

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many attempts. Try again in 15 minutes."


class Clock:
    """``time.time`` for accounts.throttle, moved forward by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("accounts.throttle.time.time", clock)
    return clock


def log_in(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


# ── Log-in page ──────────────────────────────────────────────────────────────


def test_login_page_locks_the_account_after_five_wrong_passwords(client, clock):
    user = UserFactory()
    for _ in range(4):
        response = log_in(client, user.email, "wrong")
        assert response.status_code == 200
        assert b"Too many attempts" not in response.content
    response = log_in(client, user.email, "wrong")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert response["Retry-After"] == "900"
    assert user.email in response.content.decode()  # the email stays filled in

    # The right password is refused while locked, and says how long is left.
    clock.now += 60
    response = log_in(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "Try again in 14 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session

    clock.now += 14 * 60
    response = log_in(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_login_lockout_is_per_account(client):
    locked, other = UserFactory(), UserFactory()
    for _ in range(5):
        log_in(client, locked.email, "wrong")
    assert log_in(client, locked.email.upper(), PASSWORD).status_code == 429
    assert log_in(client, other.email, PASSWORD).status_code == 302


def test_a_successful_login_forgets_earlier_failures(client):
    user = UserFactory()
    for _ in range(4):
        log_in(client, user.email, "wrong")
    assert log_in(client, user.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert log_in(client, user.email, "wrong").status_code == 200


def test_login_page_locks_an_address_trying_many_accounts():
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(20):
        response = log_in(attacker, f"guess{number}@example.com", "wrong")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    user = UserFactory()
    assert log_in(attacker, user.email, PASSWORD).status_code == 429
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"), user.email, PASSWORD).status_code == 302


def test_lockout_numbers_come_from_the_settings(client, settings):
    settings.CREDENTIAL_THROTTLE = {
        "ACCOUNT_ATTEMPTS": 2,
        "IP_ATTEMPTS": 50,
        "WINDOW_MINUTES": 5,
        "LOCK_MINUTES": 3,
    }
    user = UserFactory()
    assert log_in(client, user.email, "wrong").status_code == 200
    response = log_in(client, user.email, "wrong")
    assert response.status_code == 429
    assert "Try again in 3 minutes." in response.content.decode()


# ── Password reset and sign-up pages ─────────────────────────────────────────


def test_password_reset_is_refused_after_five_requests_for_one_account(client):
    user = UserFactory()
    for _ in range(5):
        response = client.post(reverse("password_reset"), {"email": user.email})
        assert response.status_code == 302
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert len(mail.outbox) == 5


def test_password_reset_locks_an_address_trying_many_accounts():
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(20):
        attacker.post(reverse("password_reset"), {"email": f"guess{number}@example.com"})
    response = attacker.post(reverse("password_reset"), {"email": "another@example.com"})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def signup_data(email: str) -> dict:
    return {
        "email": email,
        "name": "Ivy",
        "base_currency": "EUR",
        "password1": "abc",  # too short: the form answers with errors
        "password2": "abc",
    }


def test_signup_is_refused_after_five_attempts_for_one_email(client):
    for _ in range(5):
        assert client.post(reverse("signup"), signup_data("ivy@example.com")).status_code == 200
    response = client.post(
        reverse("signup"),
        {**signup_data("ivy@example.com"), "password1": "a-long-and-unusual-passphrase"}
        | {"password2": "a-long-and-unusual-passphrase"},
    )
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not User.objects.exists()


def test_signup_locks_an_address_trying_many_emails():
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(20):
        attacker.post(reverse("signup"), signup_data(f"guess{number}@example.com"))
    response = attacker.post(reverse("signup"), signup_data("another@example.com"))
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_password_change_locks_after_five_wrong_current_passwords(client):
    user = UserFactory()
    client.force_login(user)
    new = {"new_password1": "a-long-and-unusual-passphrase"} | {
        "new_password2": "a-long-and-unusual-passphrase"
    }
    for _ in range(3):  # a mistyped new password is not a guess of the current one
        data = {"old_password": PASSWORD, "new_password1": "x1", "new_password2": "x2"}
        assert client.post(reverse("password_change"), data).status_code == 200
    for _ in range(4):
        response = client.post(reverse("password_change"), {"old_password": "wrong", **new})
        assert response.status_code == 200
    response = client.post(reverse("password_change"), {"old_password": "wrong", **new})
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, **new})
    assert response.status_code == 429
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# ── The API twins ────────────────────────────────────────────────────────────


def test_api_token_locks_the_account_and_shares_the_lock_with_the_page(api_client, client):
    user = UserFactory()
    for _ in range(4):
        response = api_client.post("/api/v1/auth/token/", {"email": user.email, "password": "x"})
        assert response.status_code == 401
    response = api_client.post("/api/v1/auth/token/", {"email": user.email, "password": "x"})
    assert response.status_code == 429
    assert response.json()["error"] == {"code": "throttled", "message": LOCKED, "fields": {}}
    assert response["Retry-After"] == "900"

    response = api_client.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert log_in(client, user.email, PASSWORD).status_code == 429


def test_api_register_is_refused_after_five_attempts_for_one_email(api_client):
    for _ in range(5):
        response = api_client.post(
            "/api/v1/auth/register/", {"email": "ada@example.com", "password": "abc"}
        )
        assert response.status_code == 400
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "ada@example.com", "password": "a-long-and-unusual-passphrase"},
    )
    assert response.status_code == 429
    assert response.json()["error"]["message"] == LOCKED
    assert not User.objects.exists()


# ── Without a cache ──────────────────────────────────────────────────────────


def test_without_a_cache_the_forms_fail_open_and_say_so_in_the_log(client, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = {
        "default": {
            "BACKEND": "portfolia.cache.FailSoftRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    user = UserFactory()
    with override_settings(CACHES=unreachable):
        for _ in range(8):
            assert log_in(client, user.email, "wrong").status_code == 200
        assert log_in(client, user.email, PASSWORD).status_code == 302
    assert "Credential throttling is off" in caplog.text
