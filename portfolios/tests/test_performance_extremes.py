"""Figures that never crash or mislead: a short period's money-weighted return is the period's
own (not annualised), a rate too large to represent is null with a reason, and the performance
API, page and CSVs answer for whatever extreme data is stored."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from portfolios.tests.performance_builders import asset, portfolio, txn

pytestmark = pytest.mark.django_db


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity (which Python's parser accepts by default)."""

    def refuse(constant: str):
        raise ValueError(f"non-finite number {constant} in the JSON")

    return json.loads(text, parse_constant=refuse)


def one_day_move(owner, move: float):
    """Bought yesterday at 100 (yesterday's close); today's close is 100 x (1 + move)."""
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    pf = portfolio(owner=owner)
    held = asset("JUMP", closes={yesterday: 100.0, today: 100.0 * (1 + move)})
    txn(pf, "buy", yesterday, held, quantity=10, price=100)
    return pf


@pytest.mark.parametrize("move", [0.13, 0.5, 99.0, -0.1, -0.9])
def test_a_one_day_period_gives_the_days_own_money_weighted_return(auth_client, user, move):
    pf = one_day_move(user, move)
    response = auth_client.get(f"/api/v1/portfolios/{pf.public_id}/performance/", {"period": "1D"})
    assert response.status_code == 200
    body = strict_json(response.content)
    assert float(body["mwr_period"]) == pytest.approx(move, abs=1e-9)
    assert float(body["twr"]) == pytest.approx(move, abs=1e-9)
    # A year of such days is no figure: the annual rate is null and the note says why.
    assert body["mwr"] is None
    assert "to represent" in body["mwr_note"]


def test_the_one_day_page_shows_the_periods_money_weighted_return(user, move=0.5):
    pf = one_day_move(user, move)
    page = Client()
    page.force_login(user)
    response = page.get(f"/portfolios/{pf.public_id}/performance/", {"period": "1D"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="mwr_period" data-value="0.5000000000"' in html
    assert "for the period, not annualised" in html
    assert "a year (XIRR)" not in html
    assert "\u2212100.00%" not in html


def test_a_year_or_more_shows_the_annual_money_weighted_return(user, auth_client):
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    pf = portfolio(owner=user)
    held = asset("SLOW", closes={start: 100.0, today: 110.0})
    txn(pf, "buy", start, held, quantity=1, price=100)
    body = auth_client.get(
        f"/api/v1/portfolios/{pf.public_id}/performance/", {"period": "1Y"}
    ).json()
    assert body["mwr"] is not None and body["mwr_period"] is None and body["mwr_note"] is None
    page = Client()
    page.force_login(user)
    html = page.get(f"/portfolios/{pf.public_id}/performance/", {"period": "1Y"}).content.decode()
    assert f'data-figure="mwr" data-value="{body["mwr"]}"' in html
    assert "a year (XIRR)" in html


@pytest.mark.parametrize("value", [1.13**365, 1e300, -1e300, 1e-300])
def test_rate_and_money_text_never_raise_on_huge_numbers(value):
    from portfolios.wire import money_text, rate_text

    assert float(rate_text(value)) == pytest.approx(value, abs=1e-10)
    assert float(money_text(value)) == pytest.approx(value, abs=0.01)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_are_null_in_the_api_and_a_dash_on_pages(value):
    from portfolios.templatetags.portfolio_format import money, percent, signed_money, weight
    from portfolios.wire import money_text, rate_text

    assert rate_text(value) is None and money_text(value) is None
    assert {percent(value), weight(value), money(value, "EUR"), signed_money(value)} == {"—"}


# ── The benchmark's base when it has no close before the start ───────────────


def test_a_portfolio_starting_on_a_monday_keeps_its_benchmark(benchmark_queue):
    # The benchmark's first bar is the Monday the portfolio starts: no close on the day before
    # start (Sunday) or before it, so its first close in the period (Monday's) is the base.
    import numpy as np

    from portfolios.tests.performance_builders import report

    monday = dt.date(2024, 1, 8)
    week = [monday + dt.timedelta(days=i) for i in range(5)]
    bench_closes = [4000.0, 4040.0, 4000.0, 4080.0, 4100.0]
    held_closes = [101.0, 103.0, 102.0, 106.0, 105.0]
    pf = portfolio()
    pf.benchmark = asset(
        "IDXMON", asset_class="index", closes=dict(zip(week, bench_closes, strict=True))
    )
    pf.save()
    held = asset("MONDAY", closes=dict(zip(week, held_closes, strict=True)))
    txn(pf, "buy", monday, held, quantity=1, price=100)

    result = report(pf, today=week[-1], period="MAX")

    assert result.start == monday
    assert result.benchmark is not None
    assert result.benchmark.twr == pytest.approx(4100 / 4000 - 1, rel=1e-12)
    assert result.benchmark.excess_return == pytest.approx((105 / 100 - 1) - (4100 / 4000 - 1))
    # Business-day returns from the base: the benchmark's Monday return is 0 (its base is
    # Monday's close); the portfolio's Monday return is 101 / 100 - 1 (bought at 100).
    b = np.array(bench_closes) / np.array([4000.0, *bench_closes[:-1]]) - 1
    r = np.array(held_closes) / np.array([100.0, *held_closes[:-1]]) - 1
    beta = np.mean((r - r.mean()) * (b - b.mean())) / np.var(b)
    assert result.beta == pytest.approx(beta, rel=1e-9)
    assert result.correlation == pytest.approx(np.corrcoef(r, b)[0, 1], rel=1e-9)
    assert "is the base" in result.benchmark_note
    assert float(result.series.benchmark[-1]) == pytest.approx(4100 / 4000 - 1)


# ── Dates stored before dates were bounded on input ──────────────────────────


def stored_with_date(owner, day: dt.date, *, deposit: bool = True):
    """A portfolio with an ordinary buy three days ago and a transaction dated `day`, written
    straight to the table (input refuses such dates now; old data may hold them)."""
    today = timezone.localdate()
    pf = portfolio(owner=owner)
    held = asset("OLDDAY", closes={today - dt.timedelta(days=3): 10.0, today: 11.0})
    txn(pf, "buy", today - dt.timedelta(days=3), held, quantity=1, price=10)
    txn(pf, "buy", day, held, quantity=1, price=10)
    if deposit:
        txn(pf, "deposit", day, None, amount=100)
    return pf


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_a_stored_transaction_at_the_ends_of_the_calendar_breaks_no_page(user, day):
    pf = stored_with_date(user, day)
    page = Client(raise_request_exception=False)
    page.force_login(user)
    base, api = f"/portfolios/{pf.public_id}/", f"/api/v1/portfolios/{pf.public_id}/"
    paths = [
        "/",
        base,
        f"{base}performance/",
        f"{base}performance/daily.csv",
        f"{base}performance/flows.csv",
        f"{base}income/",
        f"{base}realized/",
        f"{api}holdings/",
        f"{api}performance/",
        f"{api}performance/flows/",
        f"{api}income/",
        f"{api}realized/",
    ]
    queries = [
        {},
        {"period": "MAX"},
        {"period": "1D"},
        {"start": "0001-01-01", "end": "0001-01-01"},
    ]
    for path in paths:
        for query in queries:
            response = page.get(path, query)
            assert response.status_code < 500, (path, query, response.status_code)
            if path.startswith("/api/"):
                strict_json(response.content)


def test_a_transaction_dated_in_year_one_counts_from_1900_and_the_page_says_so(user):
    pf = stored_with_date(user, dt.date(1, 1, 1), deposit=False)
    page = Client()
    page.force_login(user)
    html = page.get(f"/portfolios/{pf.public_id}/performance/", {"period": "MAX"}).content
    assert "dated 1 Jan 0001, before 1 Jan 1900" in html.decode()
    api = APIClient()
    api.force_authenticate(user)
    body = api.get(f"/api/v1/portfolios/{pf.public_id}/performance/", {"period": "MAX"}).json()
    assert body["start"] == "1900-01-01"
    assert "1 Jan 0001" in body["dates_note"]
    # Two units bought at 10 (one counted as of 1900), now at 11: both are held and counted.
    assert body["end_value"] == "22.00"
    assert body["twr"] == "0.1000000000"


def test_a_value_beyond_floats_is_null_in_the_api_and_a_dash_on_the_page(user):
    # A stored close of 1e308 (old data; bars are bounded on input now) times 10 units is
    # beyond a float: the value is infinite, and no figure or chart point may say so.
    today = timezone.localdate()
    pf = portfolio(owner=user)
    held = asset("HUGE", closes={today - dt.timedelta(days=2): 10.0, today: 1e308})
    txn(pf, "buy", today - dt.timedelta(days=2), held, quantity=10, price=10)
    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    for query in ({"period": "1W"}, {"period": "MAX"}):
        response = api.get(f"/api/v1/portfolios/{pf.public_id}/performance/", query)
        assert response.status_code == 200
        strict_json(response.content)
        response = page.get(f"/portfolios/{pf.public_id}/performance/", query)
        assert response.status_code == 200
        html = response.content.decode()
        chart = html.split('id="performance-data" type="application/json">')[1].split("</script>")[
            0
        ]
        strict_json(chart)
        assert "Infinity" not in html and "NaN" not in html
        for path in ("daily.csv", "flows.csv"):
            response = page.get(f"/portfolios/{pf.public_id}/performance/{path}", query)
            assert response.status_code == 200
            assert "Infinity" not in response.content.decode()
