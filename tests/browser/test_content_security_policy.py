"""The Content-Security-Policy (portfolia.csp) holds on the real pages: Chromium opens each main
page, runs its scripts and HTMX swaps, and reports no violation (no inline script or style,
nothing from elsewhere)."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from portfolios.tests.performance_builders import asset, business_days, portfolio, txn
from tests.browser.test_layout import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page reports, kept on window (the listener is installed before any script).
LISTEN = """window.__csp = [];
document.addEventListener('securitypolicyviolation', event => window.__csp.push(
  `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`));"""


@pytest.fixture
def investor(monkeypatch):
    monkeypatch.setattr("market.services.benchmark_history_request", lambda **kwargs: None)
    user = UserFactory(email="csp@example.com", is_staff=True, is_superuser=True)
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    days = business_days(start - dt.timedelta(days=7), today)
    pf = portfolio(owner=user, name="Core", base_currency="EUR")
    fund = asset(
        "VWCE.DE", "EUR", name="World ETF", closes={d: 100 + i for i, d in enumerate(days)}
    )
    txn(pf, "buy", start, fund, quantity=10, price=97.21, fee=1)
    return user, pf, fund


def test_the_main_pages_run_with_no_content_security_policy_violation(page, investor):
    user, pf, fund = investor
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(LISTEN)
    anonymous = ["/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"]
    for path in anonymous:
        page.goto(path)
        assert page.evaluate("window.__csp") == [], path
    log_in(page, user)
    pages = [
        "/",
        f"/portfolios/{pf.public_id}/",
        f"/portfolios/{pf.public_id}/performance/",
        f"/portfolios/{pf.public_id}/transactions/",
        f"/portfolios/{pf.public_id}/transactions/import/",
        f"/portfolios/{pf.public_id}/targets/",
        f"/portfolios/{pf.public_id}/income/",
        f"/portfolios/{pf.public_id}/settings/",
        "/strategies/",
        "/simulations/",
        "/assets/",
        f"/assets/{fund.public_id}/",
        "/accounts/profile/",
        "/accounts/api-keys/",
        "/accounts/email/",
        "/accounts/delete/",
        "/api/docs/",
        "/admin/",
    ]
    for path in pages:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], path
    page.goto("/api/docs/")
    page.get_by_text("Portfolia API").first.wait_for()  # Swagger UI ran, from its own files
    # An HTMX swap (the asset search) inserts markup; it must keep to the policy too.
    page.goto("/assets/")
    page.fill("#id_q", "VWCE")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == []
    assert console == []
