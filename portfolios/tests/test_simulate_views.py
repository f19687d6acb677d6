"""The backtest pages: the form, a run's page (HTMX polling that stops with 286), "save as
portfolio", bad input answered on the form (never 5xx), another user's run 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from portfolios.models import Portfolio, SimulationRun
from portfolios.tests.simulate_builders import two_assets

D = dt.date
pytestmark = pytest.mark.django_db
NEW = "/simulations/"


@pytest.fixture
def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def assets():
    return two_assets()


def form(**changes) -> dict:
    data = {
        "allocation": "AAA 50\nbbb 50",
        "method": "fixed",
        "start": "2024-01-02",
        "end": "2024-02-29",
        "initial_amount": "1000",
        "monthly_contribution": "",
        "rebalance": "monthly",
        "drift_band": "",
        "fee": "",
        "currency": "USD",
        "benchmark": "^GSPC",
    }
    data.update(changes)
    return data


def test_the_form_page_loads(browser):
    response = browser.get(NEW)
    assert response.status_code == 200
    assert b"Run the backtest" in response.content


def test_a_run_from_the_form_shows_its_chart_results_and_trades(browser, assets):
    response = browser.post(NEW, form())
    assert response.status_code == 302
    run = SimulationRun.objects.get()
    assert response["Location"] == reverse("simulation-detail", args=[run.public_id])
    page = browser.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="simulation-data"' in html and 'data-chart="value"' in html
    assert 'data-figure="twr" data-value="0.5' in html  # 1500 / 1000 - 1
    assert html.count("<tr><td>2024-0") == 4  # four trades


@pytest.mark.parametrize(
    "changes",
    [
        {"allocation": "AAA 50\x00\nBBB 50"},
        {"allocation": "ZZZ 100"},
        {"allocation": "AAA 60\nBBB 30"},
        {"allocation": "AAA abc"},
        {"end": "2023-12-01"},
        {"start": "1066-10-14"},
        {"initial_amount": "1" + "0" * 40},
        {"initial_amount": "NaN"},
        {"benchmark": "NOPE"},
    ],
)
def test_bad_input_is_answered_on_the_form(browser, assets, changes):
    response = browser.post(NEW, form(**changes))
    assert response.status_code == 200
    assert b"field-error" in response.content or b'class="error"' in response.content
    assert not SimulationRun.objects.exists()


def test_polling_a_finished_run_answers_286_and_a_running_one_keeps_polling(browser, user):
    running = SimulationRun.objects.create(owner=user, inputs={"start": "2024-01-02"})
    polled = browser.get(
        reverse("simulation-detail", args=[running.public_id]), HTTP_HX_REQUEST="true"
    )
    assert polled.status_code == 200 and b'hx-trigger="every 1s"' in polled.content
    SimulationRun.objects.filter(pk=running.pk).update(status="failed", error="Stopped.")
    done = browser.get(
        reverse("simulation-detail", args=[running.public_id]), HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 286
    assert b"Stopped." in done.content and b"hx-trigger" not in done.content


def test_saving_a_run_as_a_portfolio_goes_to_it(browser, assets, user):
    browser.post(NEW, form())
    run = SimulationRun.objects.get()
    response = browser.post(reverse("simulation-save", args=[run.public_id]), {"name": "Tested"})
    portfolio = Portfolio.objects.get(owner=user, name="Tested")
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio-overview", args=[portfolio.public_id])
    assert portfolio.transactions.count() == 4


def test_saving_with_a_bad_name_is_400_on_the_page(browser, assets):
    browser.post(NEW, form())
    run = SimulationRun.objects.get()
    response = browser.post(reverse("simulation-save", args=[run.public_id]), {"name": "A\x00"})
    assert response.status_code == 400
    assert not Portfolio.objects.exists()


def test_another_users_run_pages_are_404(browser, assets, other_user):
    browser.post(NEW, form())
    run = SimulationRun.objects.get()
    outsider = Client()
    outsider.force_login(other_user)
    assert outsider.get(reverse("simulation-detail", args=[run.public_id])).status_code == 404
    save = outsider.post(reverse("simulation-save", args=[run.public_id]), {"name": "Mine"})
    assert save.status_code == 404
    assert not Portfolio.objects.exists()
