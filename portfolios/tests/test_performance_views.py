"""Performance, Income and Realized-gains pages: full pages, HTMX partials, CSV downloads."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from portfolios.tests.performance_builders import asset, business_days, portfolio, txn

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pf(user):
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    days = business_days(start - dt.timedelta(days=7), today)
    pf = portfolio(owner=user, name="Core")
    held = asset("VWX", closes={day: 50 + 0.05 * i for i, day in enumerate(days)})
    txn(pf, "buy", start, held, quantity=100, price=50, fee=2)
    txn(pf, "dividend", start + dt.timedelta(days=100), held, amount=30)
    txn(pf, "sell", start + dt.timedelta(days=200), held, quantity=40, price=55, fee=2)
    return pf


def page(pf, what="performance/") -> str:
    return f"/portfolios/{pf.public_id}/{what}"


def test_performance_page_shows_cards_charts_tables_and_downloads(client, pf):
    response = client.get(page(pf))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    for text in (
        "Time-weighted return",
        "Money-weighted return",
        "Where the gain came from",
        "Price gain",
        "Currency effect",
        "Max drawdown",
        "Monthly returns",
        'data-chart="value"',
        'data-chart="twr"',
        'data-chart="drawdown"',
        'id="performance-data"',
        "performance/daily.csv",
        "performance/flows.csv",
    ):
        assert text in html, text
    assert 'aria-current="true">1Y<' in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_htmx_period_switch_answers_the_partial(client, pf):
    response = client.get(page(pf), {"period": "MAX"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="performance-body"')
    assert 'aria-current="true">MAX<' in html


def test_percentages_are_signed_and_gains_coloured(client, pf):
    html = client.get(page(pf), {"period": "MAX"}).content.decode()
    # +: the walk only rises. Money has thousands separators and its currency.
    assert 'class="value gain">+' in html
    assert " USD" in html and "," in html


def test_bad_dates_show_a_message_and_the_default_period(client, pf):
    response = client.get(page(pf), {"start": "2024-05-01", "end": "2024-04-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The start date must be on or before the end date." in html
    assert 'aria-current="true">1Y<' in html


def test_a_period_with_custom_dates_gets_the_apis_answer_on_the_page(client, auth_client, pf):
    query = {"period": "1Y", "start": "2024-01-01"}
    api = auth_client.get(f"/api/v1/portfolios/{pf.public_id}/performance/", query)
    assert api.status_code == 400
    message = api.json()["error"]["fields"]["period"][0]
    assert message == "Give either a period or start and end dates, not both."
    response = client.get(page(pf), query)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html  # a clear message, not the custom dates silently preferred
    assert 'aria-current="true">1Y<' in html


def test_empty_portfolio_says_what_to_do(client, user):
    empty = portfolio(owner=user, name="Empty")
    html = client.get(page(empty)).content.decode()
    assert "Nothing to measure yet" in html


def test_daily_values_csv_reproduces_the_twr(client, pf):
    response = client.get(page(pf, "performance/daily.csv"), {"period": "1M"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["inflow"] == ""  # the first line is the close of the day before start
    # r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1 from the file alone, chained, is the TWR column.
    growth = 1.0
    previous = float(rows[0]["value"])
    for row in rows[1:]:
        value = float(row["value"])
        inflow, outflow = float(row["inflow"]), float(row["outflow"])
        base = previous + inflow
        growth *= (value + outflow) / base if base else 1.0
        previous = value
    assert growth - 1 == pytest.approx(float(rows[-1]["cumulative_twr"]), abs=1e-6)


def test_flows_csv_xirr_gives_the_mwr(client, pf, auth_client):
    from pyxirr import xirr

    response = client.get(page(pf, "performance/flows.csv"), {"period": "MAX"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    dates = [dt.date.fromisoformat(row["date"]) for row in rows]
    amounts = [float(row["amount"]) for row in rows]
    api = auth_client.get(f"/api/v1/portfolios/{pf.public_id}/performance/", {"period": "MAX"})
    assert xirr(dates, amounts) == pytest.approx(float(api.json()["mwr"]), rel=1e-4)


def test_income_page_and_csv(client, pf):
    html = client.get(page(pf, "income/")).content.decode()
    assert "By month" in html and "VWX" in html
    assert "30.00 USD" in html
    partial = client.get(
        page(pf, "income/"), {"year": timezone.localdate().year}, HTTP_HX_REQUEST="true"
    )
    assert partial.content.decode().lstrip().startswith('<div id="income-body"')
    rows = list(
        csv.DictReader(io.StringIO(client.get(page(pf, "income/export.csv")).content.decode()))
    )
    assert [(row["kind"], row["amount"]) for row in rows] == [("dividend", "30")]


def test_realized_page_and_csv(client, pf):
    html = client.get(page(pf, "realized/")).content.decode()
    assert "By tax year" in html and "lot" in html
    # 40 sold at 55 (2,200) less the fee 2, costing 40/100 of 5,002 = 2,000.80: gain 197.20
    assert "+197.20 USD" in html
    rows = list(
        csv.DictReader(io.StringIO(client.get(page(pf, "realized/export.csv")).content.decode()))
    )
    assert rows[0]["gain_USD"] == "197.20"
    assert rows[0]["holding_days"] == "200"


def test_pages_need_a_login(pf):
    response = Client().get(page(pf))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_another_users_pages_are_404(pf, other_user):
    client = Client()
    client.force_login(other_user)
    for what in ("performance/", "performance/daily.csv", "income/", "realized/export.csv"):
        assert client.get(page(pf, what)).status_code == 404


def test_a_page_missing_its_benchmark_writes_nothing_and_a_task_brings_it(
    client, pf, monkeypatch, django_capture_on_commit_callbacks
):
    """Reads never write: the page only asks (a task queued on commit); the task creates the
    catalogue's ^GSPC and queues its backfill from a week before the history is needed."""
    from market import services as market_services
    from market import tasks
    from market.models import Asset, FetchJob
    from market.services import refresh

    queued = []
    monkeypatch.setattr(
        market_services, "benchmark_history_request", refresh.benchmark_history_request
    )
    monkeypatch.setattr(
        refresh, "_task_enqueue", lambda name, **kwargs: queued.append((name, kwargs))
    )
    assert not Asset.objects.filter(symbol="^GSPC").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(page(pf) + "?period=1Y")

    assert response.status_code == 200
    assert not Asset.objects.filter(symbol="^GSPC").exists()  # the GET wrote no row
    [(name, kwargs)] = queued
    assert name == "benchmark_history" and kwargs["symbol"] == "^GSPC"
    with django_capture_on_commit_callbacks(execute=False):
        tasks.benchmark_history(**kwargs)
    job = FetchJob.objects.get(asset__symbol="^GSPC")
    assert job.start <= dt.date.fromisoformat(kwargs["since"]) - dt.timedelta(days=7)


def test_a_period_in_lower_case_is_the_same_period_on_the_page_and_the_api(client, auth_client, pf):
    api = auth_client.get(
        f"/api/v1/portfolios/{pf.public_id}/performance/", {"period": "ytd", "series": "false"}
    )
    assert api.status_code == 200
    today = timezone.localdate()
    assert api.json()["start"] == dt.date(today.year, 1, 1).isoformat()  # YTD: from 1 January
    html = client.get(page(pf), {"period": "ytd"}).content.decode()
    assert 'aria-current="true">YTD<' in html
    assert api.json()["twr"] in html  # the card's exact value, the API's string
