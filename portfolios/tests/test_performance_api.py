"""/api/v1/portfolios/{id}/performance/ (and flows/, income/, realized/): the documented shape,
errors in the shared shape, owner-only access, bounded queries, and the same numbers as the page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from market.models import Asset
from portfolios.tests.performance_builders import asset, business_days, fx_pair, portfolio, txn

pytestmark = pytest.mark.django_db

RATE = re.compile(r"^-?\d+\.\d{10}$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
KEYS = {
    "start",
    "end",
    "currency",
    "start_value",
    "end_value",
    "net_flows",
    "gain",
    "twr",
    "twr_annualized",
    "mwr",
    "mwr_period",
    "mwr_note",
    "negative_cash",
    "simple_return",
    "price_gain",
    "income",
    "fees",
    "taxes",
    "currency_effect",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "beta",
    "correlation",
    "risk",
    "benchmark",
    "dates_note",
    "series",
}


def url(pf, what="performance/") -> str:
    return f"/api/v1/portfolios/{pf.public_id}/{what}"


def build(owner, holdings: int = 2, days: int = 60, tag: str = ""):
    """A portfolio of `holdings` assets bought `days` ago, with daily closes since, a dividend
    and a sale, and ^GSPC as the benchmark."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=days)
    weekdays = business_days(start - dt.timedelta(days=5), today)
    pf = portfolio(owner=owner)
    gspc = Asset.objects.filter(symbol="^GSPC").first() or asset(
        "^GSPC",
        asset_class="index",
        closes={day: 4000 + 3 * i + (i % 7) * 5 for i, day in enumerate(weekdays)},
    )
    pf.benchmark = gspc
    pf.save()
    for n in range(holdings):
        held = asset(
            f"{tag}H{n:03d}",
            closes={day: 20 + n + 0.1 * i + (i % 5) * 0.3 for i, day in enumerate(weekdays)},
        )
        txn(pf, "buy", start, held, quantity=10 + n, price=20 + n, fee=1)
        if n == 0:
            txn(pf, "dividend", start + dt.timedelta(days=20), held, amount=7)
            txn(pf, "sell", start + dt.timedelta(days=30), held, quantity=4, price=23, fee=1)
    return pf


@pytest.fixture
def pf(user):
    return build(user)


def test_performance_answers_exactly_the_documented_keys(auth_client, pf):
    response = auth_client.get(url(pf), {"period": "1M"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS
    assert body["currency"] == "USD"
    today = timezone.localdate()
    assert body["end"] == today.isoformat()
    for key in ("twr", "mwr", "simple_return", "volatility", "sharpe", "sortino", "max_drawdown"):
        assert RATE.match(body[key]), (key, body[key])
    for key in ("start_value", "end_value", "net_flows", "gain", "price_gain", "income", "fees"):
        assert MONEY.match(body[key]), (key, body[key])
    assert body["twr_annualized"] is None  # a month is too short
    assert set(body["benchmark"]) == {"asset", "twr", "excess_return"}
    assert body["benchmark"]["asset"] == "^GSPC"
    point = body["series"][-1]
    assert set(point) == {
        "date",
        "value",
        "net_invested",
        "twr",
        "drawdown",
        "rolling_volatility",
        "rolling_sharpe",
    }
    assert point["date"] == today.isoformat()
    assert point["value"] == body["end_value"]
    assert point["twr"] == body["twr"]


def test_gain_parts_add_up_in_the_api(auth_client, pf):
    body = auth_client.get(url(pf), {"period": "MAX", "series": "false"}).json()
    parts = sum(
        Decimal(body[key]) for key in ("price_gain", "income", "fees", "taxes", "currency_effect")
    )
    assert abs(parts - Decimal(body["gain"])) <= Decimal("0.03")  # rounding of five parts
    assert Decimal(body["income"]) == Decimal("7.00")
    assert Decimal(body["fees"]) == Decimal("-3.00")


def test_series_false_leaves_the_series_out(auth_client, pf):
    body = auth_client.get(url(pf), {"period": "1Y", "series": "false"}).json()
    assert "series" not in body
    assert set(body) == KEYS - {"series"}


def test_custom_dates(auth_client, pf):
    today = timezone.localdate()
    start = today - dt.timedelta(days=10)
    body = auth_client.get(url(pf), {"start": start.isoformat(), "end": today.isoformat()}).json()
    assert body["start"] == start.isoformat()
    assert len(body["series"]) == 11


def test_benchmark_without_prices_is_null(auth_client, user):
    pf = build(user)
    pf.benchmark.prices.all().delete()
    body = auth_client.get(url(pf), {"period": "1M"}).json()
    assert body["benchmark"] is None
    assert body["beta"] is None and body["correlation"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2W"}, "period"),
        ({"start": "2024-02-30"}, "start"),
        ({"start": "2024-03-01", "end": "2024-02-01"}, "start"),
        ({"period": "1Y", "start": "2024-01-01"}, "period"),
        ({"end": "2999-01-01"}, "end"),
        ({"series": "maybe"}, "series"),
    ],
)
def test_bad_periods_and_dates_answer_400_in_the_shared_shape(auth_client, pf, params, field):
    response = auth_client.get(url(pf), params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


@pytest.mark.parametrize("what", ["performance/", "performance/flows/", "income/", "realized/"])
def test_another_users_portfolio_is_404(auth_client, other_user, what):
    theirs = build(other_user, holdings=1, tag="T")
    response = auth_client.get(url(theirs, what))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("what", ["performance/", "performance/flows/", "income/", "realized/"])
def test_anonymous_requests_are_refused(pf, what):
    response = APIClient().get(url(pf, what))
    assert response.status_code == 401


def test_exchange_rates_still_loading_answer_503(auth_client, user):
    pf = portfolio(owner=user)
    held = asset("E.DE", "EUR", closes={timezone.localdate(): 10})
    txn(pf, "buy", timezone.localdate(), held, quantity=1, price=10)
    response = auth_client.get(url(pf))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "market_data_pending"


def test_flows_are_the_external_flows_of_the_period(auth_client, pf):
    body = auth_client.get(url(pf, "performance/flows/"), {"period": "MAX"}).json()
    assert set(body) == {"start", "end", "currency", "start_value", "end_value", "flows"}
    kinds = [(flow["kind"], flow["direction"]) for flow in body["flows"]]
    # Securities only: buys are inflows, the dividend and the sale outflows.
    assert kinds.count(("buy", "in")) == 2
    assert ("dividend", "out") in kinds and ("sell", "out") in kinds
    sale = next(flow for flow in body["flows"] if flow["kind"] == "sell")
    assert sale["amount"] == "91.00"  # 4 x 23 - 1
    performance = auth_client.get(url(pf), {"period": "MAX", "series": "false"}).json()
    inflows = sum(Decimal(f["amount"]) for f in body["flows"] if f["direction"] == "in")
    outflows = sum(Decimal(f["amount"]) for f in body["flows"] if f["direction"] == "out")
    assert inflows - outflows == Decimal(performance["net_flows"])


def test_income_and_realized_endpoints(auth_client, pf):
    income = auth_client.get(url(pf, "income/")).json()
    assert income["total"]["dividends"] == "7.00"
    assert income["by_asset"][0]["asset"] == "H000"
    realized = auth_client.get(url(pf, "realized/")).json()
    assert realized["total"]["sales"] == 1
    sale = realized["sales"][0]
    # 4 sold at 23 (92) less the fee 1, costing 4/10 of (10 x 20 + 1) = 80.40: gain 10.60
    assert (sale["proceeds"], sale["fees"], sale["cost"], sale["gain"]) == (
        "92.00",
        "1.00",
        "80.40",
        "10.60",
    )
    assert sale["lots"][0]["holding_days"] == 30
    assert auth_client.get(url(pf, "realized/"), {"year": "abc"}).status_code == 400


def count_queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def test_query_count_does_not_grow_with_holdings(user):
    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    few = build(user, holdings=5, tag="F")
    many = build(user, holdings=50, tag="M")
    counts = {}
    for name, pf in (("few", few), ("many", many)):
        cache.clear()
        cold_api = count_queries(api, url(pf), {"period": "1Y"})
        warm_api = count_queries(api, url(pf), {"period": "1Y"})
        page_url = f"/portfolios/{pf.public_id}/performance/"
        cache.clear()
        cold_page = count_queries(page, page_url, {"period": "MAX"})
        warm_page = count_queries(page, page_url, {"period": "MAX"})
        counts[name] = (cold_api, warm_api, cold_page, warm_page)
    print("query counts (api cold, api warm, page cold, page warm):", counts)
    assert counts["few"] == counts["many"]
    assert max(counts["many"]) <= 10


def test_the_page_and_the_api_show_the_same_numbers(user, auth_client, pf):
    page = Client()
    page.force_login(user)
    for params in (
        {"period": "1M"},
        {"period": "MAX"},
        {"start": (timezone.localdate() - dt.timedelta(days=9)).isoformat()},
    ):
        html = page.get(f"/portfolios/{pf.public_id}/performance/", params).content.decode()
        api = auth_client.get(url(pf), {**params, "series": "false"}).json()
        shown = dict(re.findall(r'data-figure="(\w+)" data-value="([^"]*)"', html))
        # Under a year the card shows the period's own money-weighted return, not the annual.
        mwr_key = (
            "mwr_period"
            if api["start"] > (timezone.localdate() - dt.timedelta(days=364)).isoformat()
            else "mwr"
        )
        for key in (
            "twr",
            mwr_key,
            "simple_return",
            "gain",
            "start_value",
            "end_value",
            "net_flows",
            "price_gain",
            "income",
            "fees",
            "taxes",
            "currency_effect",
            "volatility",
            "sharpe",
            "sortino",
            "max_drawdown",
            "beta",
            "correlation",
        ):
            assert shown[key] == (api[key] or ""), (params, key)
        # What a person reads on the cards agrees with the API to the shown precision.
        visible = dict(
            re.findall(
                r'data-figure="(twr|mwr|mwr_period|gain)"[^>]*>\s*<div class="label"[^>]*>[^<]*</div>\s*'
                r'<div class="value[^"]*">([^<]*)</div>',
                html,
            )
        )
        for key in ("twr", mwr_key):
            if api[key] is not None:
                percent_text = visible[key].replace("\u2212", "-").rstrip("%").replace(",", "")
                assert float(percent_text) == pytest.approx(float(api[key]) * 100, abs=0.005)
        gain_text = visible["gain"].split()[0].replace("\u2212", "-").replace(",", "")
        assert float(gain_text) == pytest.approx(float(api["gain"]), abs=0.005)
        period_caption = re.search(r'class="muted period-caption">([^<]*)<', html).group(1)
        start = dt.date.fromisoformat(api["start"])
        assert f"{start.day} {start:%b %Y}" in period_caption


def test_the_page_and_the_api_ask_the_one_selector(user, auth_client, pf, monkeypatch):
    from portfolios import selectors

    asked = []
    original = selectors.portfolio_performance
    monkeypatch.setattr(
        selectors,
        "portfolio_performance",
        lambda **kwargs: asked.append(kwargs["period"]) or original(**kwargs),
    )
    page = Client()
    page.force_login(user)
    assert page.get(f"/portfolios/{pf.public_id}/performance/", {"period": "3M"}).status_code == 200
    assert auth_client.get(url(pf), {"period": "1W"}).status_code == 200
    assert asked == ["3M", "1W"]


def test_foreign_portfolio_api_converts(auth_client, user):
    today = timezone.localdate()
    pf = portfolio(owner=user)
    days = business_days(today - dt.timedelta(days=20), today)
    fx_pair("EURUSD=X", dict.fromkeys(days, 1.1))
    held = asset("F.DE", "EUR", closes=dict.fromkeys(days, 10))
    txn(pf, "buy", days[0], held, quantity=5, price=10)
    body = auth_client.get(url(pf), {"period": "MAX"}).json()
    assert body["end_value"] == "55.00"


def test_the_schema_documents_every_key_the_performance_answer_has(auth_client, pf):
    body = auth_client.get(url(pf), {"period": "1M"}).json()
    schema = auth_client.get("/api/schema/?format=json").json()
    documented = schema["components"]["schemas"]["Performance"]["properties"]
    assert set(body) == set(documented)  # dates_note was sent but left out of the schema
