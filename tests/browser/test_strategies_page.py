"""The strategies page in headless Chromium: pick assets and risk parity, see the weights and
their inputs arrive through HTMX, then momentum. Screenshots go to test-artifacts/."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from portfolios.tests.performance_builders import asset, business_days
from tests.browser.test_performance_page import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def investor():
    user = UserFactory(email="strategist@example.com")
    today = timezone.localdate()
    days = business_days(today - dt.timedelta(days=500), today)

    def wave(level, drift, swing, period):
        return {
            day: round(level * math.exp(drift * i / 252 + swing * math.sin(i / period)), 4)
            for i, day in enumerate(days)
        }

    asset("CALM", name="Calm Bonds", asset_class="bond", closes=wave(100, 0.02, 0.02, 17))
    asset("WILD", name="Wild Tech", closes=wave(50, 0.15, 0.20, 11))
    asset("MIDL", name="Middle Fund", asset_class="etf", closes=wave(80, 0.06, 0.08, 29))
    return user


def test_risk_parity_and_momentum_weights_on_the_page(page, screenshot, investor):
    log_in(page, investor)
    page.get_by_role("link", name="Strategies").first.click()
    page.wait_for_url("**/strategies/")
    for name in ("CALM", "WILD", "MIDL"):
        page.get_by_label(name, exact=False).check()
    page.get_by_label("Method").select_option("risk_parity")
    page.get_by_role("button", name="Compute weights").click()
    page.wait_for_selector("#strategy-result table")

    weights = [
        float(row.get_attribute("data-weight"))
        for row in page.locator("#strategy-result tbody tr").all()
    ]
    assert len(weights) == 3 and abs(sum(weights) - 1) < 1e-9
    calm, wild = (
        float(page.locator(f"tr[data-symbol={s}]").get_attribute("data-weight"))
        for s in ("CALM", "WILD")
    )
    assert calm > wild  # the quieter asset carries more weight
    assert page.locator("[data-converged=true]").is_visible()
    assert "risk_parity" in page.url  # the URL can be shared
    screenshot("strategies-risk-parity")

    page.get_by_label("Method").select_option("momentum")
    page.get_by_label("Top N").fill("2")
    page.get_by_role("button", name="Compute weights").click()
    page.wait_for_selector("#strategy-result h2:text-is('Momentum (12 months, skipping the last)')")
    assert page.locator("#strategy-result tbody tr").count() == 3
    screenshot("strategies-momentum")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("strategies-phone")
