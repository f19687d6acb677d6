"""The Performance page in headless Chromium: log in, open it, switch the period with HTMX,
charts drawn; Income and Realized gains pages too. Screenshots go to test-artifacts/."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from accounts.tests.factories import PASSWORD, UserFactory
from portfolios.tests.performance_builders import asset, business_days, fx_pair, portfolio, txn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def investor(monkeypatch):
    monkeypatch.setattr("market.services.benchmark_history_request", lambda **kwargs: None)
    user = UserFactory(email="perf@example.com")
    today = timezone.localdate()
    start = today - dt.timedelta(days=3 * 365)
    days = business_days(start - dt.timedelta(days=7), today)
    pf = portfolio(owner=user, name="Long Run", records_cash=True)

    def wave(level, drift, swing, period):
        return {
            day: round(level * math.exp(drift * i / 252 + swing * math.sin(i / period)), 4)
            for i, day in enumerate(days)
        }

    pf.benchmark = asset(
        "^GSPC", asset_class="index", name="S&P 500", closes=wave(4000, 0.07, 0.08, 40)
    )
    pf.save()
    series = {
        "VWRL": wave(90, 0.06, 0.10, 55),
        "TECH": wave(150, 0.12, 0.18, 23),
        "EURO.DE": wave(40, 0.04, 0.07, 31),
    }
    world = asset("VWRL", name="World ETF", closes=series["VWRL"])
    tech = asset("TECH", name="Tech Corp", closes=series["TECH"])
    euro = asset("EURO.DE", "EUR", name="Euro Stoxx ETF", closes=series["EURO.DE"])
    fx_pair("EURUSD=X", wave(1.1, 0.0, 0.04, 70))

    def trade(kind, offset, held, quantity):
        day = start + dt.timedelta(days=offset)
        closes = series[held.symbol]
        price = closes[max(when for when in closes if when <= day)]
        txn(pf, kind, day, held, quantity=quantity, price=round(price, 2), fee=4.95)

    txn(pf, "deposit", start, None, amount=60000)
    trade("buy", 0, world, 200)
    trade("buy", 3, tech, 80)
    trade("buy", 10, euro, 300)
    for month in range(1, 36, 3):
        day = start + dt.timedelta(days=30 * month)
        txn(pf, "dividend", day, world, amount=45)
    trade("sell", 500, tech, 30)
    txn(pf, "deposit", start + dt.timedelta(days=600), None, amount=10000)
    trade("buy", 601, world, 100)
    txn(pf, "fee", start + dt.timedelta(days=365), None, amount=25)
    txn(pf, "tax", start + dt.timedelta(days=420), None, amount=80)
    return user, pf


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_performance_page_switches_period_and_draws_charts(page, screenshot, investor):
    user, pf = investor
    log_in(page, user)
    page.goto(f"/portfolios/{pf.public_id}/")
    page.locator("nav.subnav").get_by_role("link", name="Performance").click()
    page.wait_for_url(f"**/portfolios/{pf.public_id}/performance/")
    assert page.get_by_role("heading", name="Long Run").is_visible()
    assert page.locator(".period-picker a[aria-current='true']").inner_text() == "1Y"
    for chart in ("value", "twr", "drawdown", "rolling"):
        page.wait_for_function(
            f"document.querySelector('canvas[data-chart=\"{chart}\"]')?._chart !== undefined"
        )
    twr_card = page.locator("[data-figure='twr'] .value")
    assert twr_card.inner_text()[0] in "+\u2212"
    assert twr_card.inner_text().endswith("%")
    screenshot("performance-1y")

    one_year_url = page.url
    page.locator(".period-picker").get_by_role("button", name="MAX").click()
    page.wait_for_selector(".period-picker a[aria-current='true']:text-is('MAX')")
    assert page.url != one_year_url and "period=MAX" in page.url
    page.wait_for_function(
        "document.querySelector('canvas[data-chart=\"twr\"]')?._chart?.data.labels.length > 700"
    )
    assert page.locator("canvas[data-chart]").count() == 4
    assert page.locator("[data-figure='twr_annualized']").is_visible()
    caption = page.locator(".period-caption").inner_text()
    assert "1,0" in caption or "day" in caption
    screenshot("performance-max")

    page.locator("input[name=start]").fill(
        (timezone.localdate() - dt.timedelta(days=90)).isoformat()
    )
    page.locator("input[name=end]").fill(timezone.localdate().isoformat())
    page.locator(".custom-period").get_by_role("button", name="Show").click()
    page.wait_for_selector(".period-picker a[aria-current='true']", state="detached")
    assert "91 days" in page.locator(".period-caption").inner_text()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/portfolios/{pf.public_id}/performance/?period=3Y")
    page.wait_for_function(
        "document.querySelector('canvas[data-chart=\"value\"]')?._chart !== undefined"
    )
    screenshot("performance-phone")


def test_income_and_realized_pages(page, screenshot, investor):
    user, pf = investor
    log_in(page, user)
    page.goto(f"/portfolios/{pf.public_id}/income/")
    assert page.get_by_role("heading", name="By month").is_visible()
    screenshot("income")
    page.get_by_role("link", name="Realized gains").click()
    page.wait_for_url("**/realized/")
    assert page.get_by_role("heading", name="By tax year").is_visible()
    page.locator("details summary").first.click()
    screenshot("realized")
