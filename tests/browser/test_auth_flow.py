"""Sign up → log in → empty dashboard → log out, as a person would, in headless Chromium."""

import pytest

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_in_see_empty_dashboard_and_log_out(page, screenshot):
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill("browser@example.com")
    page.get_by_label("Name").fill("Bea Browser")
    page.get_by_label("Base currency").select_option("EUR")
    page.get_by_label("Password", exact=True).fill("a-long-and-unusual-passphrase")
    page.get_by_label("Password confirmation").fill("a-long-and-unusual-passphrase")
    screenshot("signup-form")
    page.locator("main").get_by_role("button", name="Sign up").click()

    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="No portfolios yet").is_visible()
    assert User.objects.get(email="browser@example.com").base_currency == "EUR"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")

    page.get_by_label("Email address").fill("browser@example.com")
    page.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Your portfolios").is_visible()
    assert page.get_by_text("No portfolios yet").is_visible()
    screenshot("empty-dashboard")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    assert page.get_by_role("heading", name="Log in").is_visible()


def test_sign_up_errors_are_shown_next_to_their_fields(page, screenshot):
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Password", exact=True).fill("abc")
    page.get_by_label("Password confirmation").fill("abd")
    page.locator("main").get_by_role("button", name="Sign up").click()
    assert page.locator("#id_email_error").is_visible()
    assert page.locator("#id_password2_error").is_visible()
    screenshot("signup-errors")
    assert User.objects.count() == 0
