"""Account pages: sign-up, login, profile and password reset, with field-level errors."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_creates_the_user_logs_in_and_shows_the_empty_dashboard(client):
    response = client.post(
        reverse("signup"),
        {
            "email": "Investor@Example.com",
            "name": "Ivy",
            "base_currency": "EUR",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    user = User.objects.get()
    assert (user.email, user.base_currency) == ("investor@example.com", "EUR")
    assert b"No portfolios yet" in response.content


def test_signup_shows_errors_next_to_each_field(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("signup"),
        {
            "email": "taken@example.com",
            "base_currency": "USD",
            "password1": "abc",
            "password2": "abd",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_email_error"' in html and "already exists" in html
    assert 'id="id_password2_error"' in html
    assert 'aria-invalid="true"' in html
    assert User.objects.count() == 1


def test_login_with_email_and_logout(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_wrong_password_shows_an_error(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.email, "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct email address and password" in response.content


def test_dashboard_requires_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_profile_updates_name_and_base_currency(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"name": "New Name", "base_currency": "CHF"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.base_currency) == ("New Name", "CHF")

    response = client.post(reverse("profile"), {"name": "x", "base_currency": "ABC"})
    assert response.status_code == 200
    assert b"id_base_currency_error" in response.content


def test_password_reset_sends_a_working_link(client):
    user = UserFactory()
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    assert b"Choose a new password" in response.content


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-42",
            "new_password2": "another-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-42")


def test_admin_user_list_searches_by_email(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    UserFactory(email="findme@example.com")
    client.force_login(admin)
    response = client.get("/admin/accounts/user/?q=findme")
    assert response.status_code == 200
    assert b"findme@example.com" in response.content
    assert b"Portfolia" in response.content
