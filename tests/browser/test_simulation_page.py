"""The backtest page in headless Chromium: fill the form, run, see the chart drawn and the
results; a run still going is polled with HTMX until it is done, then its chart is drawn."""

import datetime as dt
import math

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from market.models import Asset
from portfolios import services
from portfolios.models import SimulationRun
from portfolios.tests.performance_builders import asset, business_days

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def investor(monkeypatch):
    monkeypatch.setattr("market.services.benchmark_history_request", lambda **kwargs: None)
    user = UserFactory(email="backtest@example.com")
    days = business_days(dt.date(2021, 1, 1), dt.date(2023, 12, 29))

    def wave(level, drift, swing, period):
        return {
            day: round(level * math.exp(drift * i / 252 + swing * math.sin(i / period)), 4)
            for i, day in enumerate(days)
        }

    asset("^GSPC", asset_class="index", name="S&P 500", closes=wave(4000, 0.07, 0.08, 40))
    asset("VWRL", name="World ETF", closes=wave(90, 0.06, 0.10, 55))
    asset("BOND", name="Bond ETF", closes=wave(50, 0.02, 0.03, 30))
    return user


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_run_a_backtest_and_see_its_chart(page, screenshot, investor):
    log_in(page, investor)
    page.get_by_role("link", name="Backtest").click()
    page.wait_for_url("**/simulations/")
    page.get_by_label("Assets and weights").fill("VWRL 60\nBOND 40")
    page.get_by_label("Start").fill("2021-02-01")
    page.get_by_label("End").fill("2023-12-29")
    page.get_by_label("Initial amount").fill("10000")
    page.get_by_label("Monthly contribution").fill("500")
    page.get_by_label("Fee per trade").fill("1")
    page.get_by_role("button", name="Run the backtest").click()
    page.wait_for_url("**/simulations/*/")
    page.wait_for_selector("[data-performance-charts][data-drawn='1']")
    assert page.get_by_role("heading", name="Value vs ^GSPC").is_visible()
    metrics = page.locator("table[data-table='metrics']")
    assert metrics.get_by_role("row", name="Time-weighted return").is_visible()
    assert page.locator("table[data-table='trades'] tbody tr").count() > 2
    screenshot("simulation-result")


def test_a_running_backtest_is_polled_until_its_chart_appears(page, investor):
    spec = services.simulation_spec_check(
        assets=list(Asset.objects.filter(symbol="VWRL")),
        weights=[100],
        start=dt.date(2021, 2, 1),
        end=dt.date(2021, 12, 31),
        initial_amount=1000,
        currency="USD",
    )
    finished = services.simulation_start(owner=investor, spec=spec)
    waiting = SimulationRun.objects.create(
        owner=investor, inputs=finished.inputs, status="running", progress=0.4
    )
    log_in(page, investor)
    page.goto(f"/simulations/{waiting.public_id}/")
    assert page.get_by_role("status").is_visible()
    SimulationRun.objects.filter(pk=waiting.pk).update(
        status="succeeded", result=finished.result, progress=1.0
    )
    page.wait_for_selector("[data-performance-charts][data-drawn='1']")
    assert page.locator("#run-body").get_attribute("data-status") == "succeeded"
