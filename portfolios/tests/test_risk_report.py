"""The further risk measures in the performance report, its API (the ``risk`` object and the
rolling keys of the series) and the page (risk table rows, rolling chart), against figures
computed here from the closes by their definitions (README, metrics), not by the engine."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math

import numpy as np
import pytest
from django.test import Client

from portfolios.tests.performance_builders import asset, business_days, portfolio, report, txn

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 12, 31)  # a Tuesday
FIRST = dt.date(2023, 6, 1)  # a Thursday: the buy, 18 months of history before TODAY
DAYS = business_days(FIRST - dt.timedelta(days=7), TODAY)


def wave(level: float, swing: float, period: float, drift: float) -> dict[dt.date, float]:
    return {
        day: round(level * (1 + swing * math.sin(i / period)) * (1 + drift * i), 4)
        for i, day in enumerate(DAYS)
    }


HELD = wave(100, 0.08, 9, 0.0004)
BENCH = wave(4000, 0.05, 6, 0.0002)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    """Requests measure up to TODAY, as `report(today=TODAY)` does."""
    monkeypatch.setattr("portfolios.performance.report.timezone.localdate", lambda: TODAY)


@pytest.fixture
def pf(user):
    """10 units bought at the close on FIRST, nothing else: the portfolio's business-day
    returns are the asset's close-to-close returns."""
    made = portfolio(owner=user)
    made.benchmark = asset("^BM", asset_class="index", closes=BENCH)
    made.save()
    held = asset("WAVE", closes=HELD)
    txn(made, "buy", FIRST, held, quantity=10, price=HELD[FIRST])
    return made


def close_returns(closes: dict[dt.date, float], start: dt.date, end: dt.date) -> np.ndarray:
    """r_d = close_d / close of the business day before - 1 for the business days in
    [start, end] (every business day has a close here)."""
    days = sorted(closes)
    return np.array(
        [
            closes[day] / closes[before] - 1
            for before, day in itertools.pairwise(days)
            if start <= day <= end
        ]
    )


def annual(r: np.ndarray) -> float:
    return float(np.prod(1 + r)) ** (252 / r.size) - 1


def test_a_years_report_has_each_measure_by_its_definition(pf):
    found = report(pf, today=TODAY, period="1Y")
    r = close_returns(HELD, found.start, TODAY)
    b = close_returns(BENCH, found.start, TODAY)
    assert r.size == 262  # the business days of 2024
    ordered = np.sort(r)
    # VaR: the 5th percentile, position 0.05 x 261 = 13.05 between the 14th and 15th lowest.
    var = ordered[13] + 0.05 * (ordered[14] - ordered[13])
    assert found.value_at_risk == pytest.approx(var, rel=1e-9)
    # Expected shortfall: k = floor(261 x 0.05) = 13, the mean of the 14 lowest.
    assert found.expected_shortfall == pytest.approx(ordered[:14].mean(), rel=1e-9)
    high = ordered[247] + 0.95 * (ordered[248] - ordered[247])  # position 0.95 x 261 = 247.95
    assert found.tail_ratio == pytest.approx(abs(high) / abs(var), rel=1e-9)
    assert found.omega == pytest.approx(r[r > 0].sum() / -r[r < 0].sum(), rel=1e-9)
    wealth = np.cumprod(1 + r)
    drawdown = float(np.min(wealth / np.maximum.accumulate(np.maximum(wealth, 1.0)) - 1))
    assert found.calmar == pytest.approx(annual(r) / abs(drawdown), rel=1e-9)
    up, down = b > 0, b < 0
    assert found.up_capture == pytest.approx(annual(r[up]) / annual(b[up]), rel=1e-9)
    assert found.down_capture == pytest.approx(annual(r[down]) / annual(b[down]), rel=1e-9)
    assert found.risk_notes == {}


def test_the_rolling_figures_cover_the_252_business_days_to_each_day(pf):
    found = report(pf, today=TODAY, period="1M")
    rolling = found.rolling
    # Each business day of December has a full year behind it, reaching back before the period.
    assert rolling.days[0].item() == dt.date(2024, 12, 2) and rolling.days[-1].item() == TODAY
    assert len(rolling) == 22
    last_year = close_returns(HELD, FIRST, TODAY)[-252:]
    assert rolling.volatility[-1] == pytest.approx(
        np.std(last_year, ddof=1) * math.sqrt(252), rel=1e-9
    )
    assert rolling.sharpe[-1] == pytest.approx(
        last_year.mean() / np.std(last_year, ddof=1) * math.sqrt(252), rel=1e-9
    )


def test_short_periods_give_null_measures_with_notes_never_an_error(pf, auth_client):
    body = auth_client.get(
        f"/api/v1/portfolios/{pf.public_id}/performance/", {"period": "1W", "series": "false"}
    ).json()
    risk = body["risk"]
    assert risk["calmar"] is None and "a year or more" in risk["notes"]["calmar"]
    assert (
        risk["value_at_risk"] is None
        and "at least 20 business days" in (risk["notes"]["value_at_risk"])
    )
    assert risk["expected_shortfall"] is None and risk["tail_ratio"] is None
    assert risk["omega"] is not None  # five returns are enough for Omega


def test_a_history_shorter_than_a_year_has_no_rolling_figures_and_says_why(user, auth_client):
    young = portfolio(owner=user)
    held = asset("YOUNG", closes={day: 50 + (i % 4) for i, day in enumerate(DAYS[-40:])})
    txn(young, "buy", DAYS[-35], held, quantity=1, price=50 + (5 % 4))
    found = report(young, today=TODAY, period="1M")
    assert len(found.rolling) == 0
    assert "252 business days" in found.risk_notes["rolling"]
    body = auth_client.get(
        f"/api/v1/portfolios/{young.public_id}/performance/", {"period": "1M"}
    ).json()
    assert {point["rolling_volatility"] for point in body["series"]} == {None}
    assert "252 business days" in body["risk"]["notes"]["rolling"]
    # No benchmark prices: the captures are null, with the benchmark's own note.
    assert body["risk"]["up_capture"] is None
    assert "^GSPC" in body["risk"]["notes"]["up_capture"]


def test_the_api_sends_the_reports_measures_as_decimal_strings(pf, auth_client):
    response = auth_client.get(f"/api/v1/portfolios/{pf.public_id}/performance/", {"period": "1Y"})
    assert response.status_code == 200
    body = response.json()
    found = report(pf, today=TODAY, period="1Y")
    risk = body["risk"]
    assert set(risk) == {
        "calmar",
        "value_at_risk",
        "expected_shortfall",
        "omega",
        "tail_ratio",
        "up_capture",
        "down_capture",
        "notes",
    }
    assert float(risk["value_at_risk"]) == pytest.approx(found.value_at_risk, abs=1e-10)
    assert float(risk["up_capture"]) == pytest.approx(found.up_capture, abs=1e-10)
    by_day = {point["date"]: point for point in body["series"]}
    assert by_day["2024-12-28"]["rolling_volatility"] is None  # a Saturday
    assert float(by_day[TODAY.isoformat()]["rolling_volatility"]) == pytest.approx(
        float(found.rolling.volatility[-1]), abs=1e-10
    )
    # The existing figures keep their keys and meaning.
    assert float(body["volatility"]) == pytest.approx(found.volatility, abs=1e-10)


def test_the_schema_documents_the_risk_object_and_the_rolling_keys(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    risk = components["Risk"]["properties"]
    assert set(risk) == {
        "calmar",
        "value_at_risk",
        "expected_shortfall",
        "omega",
        "tail_ratio",
        "up_capture",
        "down_capture",
        "notes",
    }
    assert "risk" in components["Performance"]["properties"]
    point = components["SeriesPoint"]["properties"]
    assert {"rolling_volatility", "rolling_sharpe"} <= set(point)


def test_the_page_shows_the_measures_and_the_rolling_chart(pf, user):
    browser = Client()
    browser.force_login(user)
    html = browser.get(f"/portfolios/{pf.public_id}/performance/?period=1Y").content.decode()
    found = report(pf, today=TODAY, period="1Y")
    for key in ("calmar", "value_at_risk", "expected_shortfall", "omega", "tail_ratio"):
        assert f'data-figure="{key}"' in html
    assert f'data-value="{float(found.value_at_risk):.10f}"' in html
    assert "Value at risk (95 %, 1 day)" in html
    assert "Up capture of ^BM" in html
    assert 'data-chart="rolling"' in html
    data = json.loads(html.split('id="performance-data" type="application/json">')[1].split("<")[0])
    assert data["rolling"]["days"][-1] == TODAY.isoformat()


def test_the_page_names_why_a_short_period_has_no_value_at_risk(pf, user):
    browser = Client()
    browser.force_login(user)
    html = browser.get(f"/portfolios/{pf.public_id}/performance/?period=1W").content.decode()
    assert "Needs at least 20 business days of returns" in html
