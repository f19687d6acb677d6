"""The net worth of all a user's portfolios (`selectors.networth.net_worth`) and its API, against
hand-computed numbers.

The scenario (user's base currency USD; today 2026-01-05):

- A (USD, records cash): deposit 1200 and buy 10 X at 100 on 01-01; X closes 100, 100, 110,
  121, 133.1 on 01-01..01-05; on 01-03 it withdraws 200 (a transfer to B).
  V_A = 1200, 1200, 1100 (10 x 110, cash 0), 1210, 1331.
- B (EUR, records cash): deposit 500 EUR on 01-01; on 01-03 a deposit of 200 USD (the
  transfer from A); EURUSD=X 1.10 on 01-01..01-03, 1.20 from 01-04.
  B's cash in EUR: 500, 500, 500 + 200/1.1 = 681.8181..; in USD: 550, 550, 750, 818.1818..,
  818.1818.. (681.8181.. x 1.2 = 600 + 240/1.1).
- The whole, in USD: V = 1750, 1750, 1850, 2028.1818.., 2149.1818..; its only external flow
  is the 1750 paid in on 01-01 (1200 + 500 x 1.1): the 200 moved from A to B is not one.
  r_3 = 1850 / 1750 - 1, r_4 = 2028.18 / 1850 - 1, r_5 = 2149.18 / 2028.18 - 1, so
  TWR(MAX) = 2149.1818.. / 1750 - 1 = 0.2281038961..
  (Counting the transfer as flows would give r_3 = (1850 + 200) / (1750 + 200) - 1, another TWR.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from portfolios.selectors.networth import net_worth
from portfolios.tests.performance_builders import asset, fx_pair, portfolio, txn

D = dt.date
TODAY = D(2026, 1, 5)
B_USD_END = 600 + 240 / 1.1  # 818.1818..
WHOLE_END = 1331 + B_USD_END  # 2149.1818..

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(base_currency="USD")


@pytest.fixture
def two_portfolios(owner):
    x = asset(
        "X",
        closes={D(2026, 1, 1): 100, D(2026, 1, 3): 110, D(2026, 1, 4): 121, D(2026, 1, 5): 133.1},
    )
    fx_pair("EURUSD=X", {D(2026, 1, 1): 1.10, D(2026, 1, 4): 1.20})
    a = portfolio(owner=owner, name="A", base_currency="USD", records_cash=True)
    b = portfolio(owner=owner, name="B", base_currency="EUR", records_cash=True)
    txn(a, "deposit", D(2026, 1, 1), amount=1200)
    txn(a, "buy", D(2026, 1, 1), x, quantity=10, price=100)
    txn(b, "deposit", D(2026, 1, 1), amount=500)
    txn(a, "withdrawal", D(2026, 1, 3), amount=200, currency="USD")
    txn(b, "deposit", D(2026, 1, 3), amount=200, currency="USD")
    return a, b


def test_two_currencies_sum_in_the_users_base_currency(owner, two_portfolios):
    result = net_worth(owner, period="MAX", today=TODAY)
    assert result.currency == "USD"
    assert result.total_value == pytest.approx(WHOLE_END)
    # Day change of 01-05: 2149.18 - 2028.18 - 0 + 0 = 121 (X: 121 -> 133.1 on 10 shares).
    assert result.day_change == pytest.approx(121)
    assert result.day_change_pct == pytest.approx(121 / (1210 + B_USD_END))
    # Total gain: V - net invested = 2149.18 - 1750.
    assert result.total_gain == pytest.approx(WHOLE_END - 1750)
    assert result.gain == pytest.approx(WHOLE_END - 1750)


def test_internal_transfer_is_not_an_external_flow(owner, two_portfolios):
    result = net_worth(owner, period="MAX", today=TODAY)
    assert result.transfers == 1
    assert result.inflows == pytest.approx(1750)  # 1200 + 500 x 1.10, not + 200
    assert result.outflows == pytest.approx(0)
    assert result.twr == pytest.approx(WHOLE_END / 1750 - 1, abs=1e-12)  # 0.2281038961
    # One inflow of 1750 on 01-01, the value 2149.18 on 01-05 (4 days later): the 5-day
    # period's own rate solves 1750 (1 + r)^(4/5) = 2149.18.
    assert result.mwr_period == pytest.approx((WHOLE_END / 1750) ** (5 / 4) - 1, rel=1e-6)
    # The chart: value and cumulative TWR per day.
    assert [round(v, 6) for v in result.series.value] == [
        1750,
        1750,
        1850,
        round(1210 + B_USD_END, 6),
        round(WHOLE_END, 6),
    ]
    assert result.series.twr[2] == pytest.approx(1850 / 1750 - 1)


def test_unmatched_withdrawal_stays_an_external_flow(owner, two_portfolios):
    a, _ = two_portfolios
    txn(a, "withdrawal", D(2026, 1, 4), amount=10)  # no deposit of 10 anywhere that day
    result = net_worth(owner, period="MAX", today=TODAY)
    assert result.transfers == 1
    assert result.outflows == pytest.approx(10)


def test_shares_and_allocation_add_up_to_100_percent(owner, two_portfolios):
    result = net_worth(owner, period="1Y", today=TODAY)
    shares = {item.name: item.share for item in result.portfolios}
    assert shares["A"] == pytest.approx(1331 / WHOLE_END)  # 0.6193...
    assert shares["B"] == pytest.approx(B_USD_END / WHOLE_END)
    assert sum(shares.values()) == pytest.approx(1)
    by_class = {piece.key: piece for piece in result.allocations["asset_class"]}
    # X: 10 x 133.1 = 1331 USD; cash: A 0, B 681.8181.. EUR x 1.2 = 818.18 USD.
    assert float(by_class["cash"].value) == pytest.approx(B_USD_END)
    assert sum(piece.weight for piece in result.allocations["asset"]) == pytest.approx(Decimal(1))
    by_currency = {piece.key: float(piece.value) for piece in result.allocations["currency"]}
    assert by_currency["USD"] == pytest.approx(1331)
    assert by_currency["EUR"] == pytest.approx(B_USD_END)


def test_user_without_portfolios_has_an_empty_net_worth(owner):
    result = net_worth(owner, today=TODAY)
    assert result.portfolio_count == 0
    assert result.has_transactions is False
    assert result.total_value == 0
    assert result.portfolios == ()
    assert result.series is None


def test_only_own_portfolios_count(owner, two_portfolios):
    stranger = UserFactory(base_currency="USD")
    other = portfolio(owner=stranger, name="Theirs", records_cash=True)
    txn(other, "deposit", D(2026, 1, 1), amount=99_999)
    txn(other, "withdrawal", D(2026, 1, 3), amount=200)  # would match B's deposit otherwise
    mine = net_worth(owner, period="MAX", today=TODAY)
    assert mine.total_value == pytest.approx(WHOLE_END)
    assert {item.name for item in mine.portfolios} == {"A", "B"}
    theirs = net_worth(stranger, period="MAX", today=TODAY)
    assert theirs.total_value == pytest.approx(99_799)
    assert theirs.transfers == 0


def test_warm_net_worth_runs_two_queries(owner, two_portfolios):
    net_worth(owner, period="1Y", today=TODAY)
    with CaptureQueriesContext(connection) as queries:
        again = net_worth(owner, period="1Y", today=TODAY)
    assert len(queries) == 2  # the portfolios, the price marks
    assert again.total_value == pytest.approx(WHOLE_END)


def test_a_new_transaction_changes_the_cached_answer(owner, two_portfolios):
    a, _ = two_portfolios
    net_worth(owner, period="1Y", today=TODAY)
    txn(a, "deposit", D(2026, 1, 5), amount=100)
    assert net_worth(owner, period="1Y", today=TODAY).total_value == pytest.approx(WHOLE_END + 100)


# --- The API ----------------------------------------------------------------------------------
# Requests measure to the real today: after 2026-01-05 nothing moves (closes forward-filled), so
# MAX keeps the figures above.

URL = "/api/v1/net-worth/"


def test_api_sends_the_figures_as_the_performance_api_writes_them(owner, two_portfolios):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(owner)
    body = client.get(URL, {"period": "max"}).json()
    assert body["currency"] == "USD"
    assert body["period"] == "MAX"
    assert body["start"] == "2026-01-01"
    assert body["total_value"] == "2149.18"  # 1331 + 818.18
    assert body["inflows"] == "1750.00"
    assert body["net_flows"] == "1750.00"
    assert body["twr"] == "0.2281038961"  # 2149.181818 / 1750 - 1
    assert body["internal_transfers"] == 1
    assert [item["name"] for item in body["portfolios"]] == ["A", "B"]
    assert body["portfolios"][1]["value_local"] == "681.82"  # 500 + 200 / 1.1 EUR
    assert sum(Decimal(item["share"]) for item in body["portfolios"]) == pytest.approx(
        Decimal(1), abs=Decimal("1e-9")
    )
    assert body["series"][0] == {
        "date": "2026-01-01",
        "value": "1750.00",
        "net_invested": "1750.00",
        "twr": "0.0000000000",
    }
    assert "series" not in client.get(URL, {"period": "1Y", "series": "false"}).json()


def test_api_keys_match_the_schema(owner, two_portfolios, client):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(owner)
    body = api.get(URL).json()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert set(body) == set(components["NetWorth"]["properties"])
    assert set(body["portfolios"][0]) == set(components["NetWorthPortfolio"]["properties"])
    assert set(body["allocation"]) == set(components["NetWorthAllocation"]["properties"])
    assert set(body["series"][0]) == set(components["NetWorthPoint"]["properties"])
    assert "/api/v1/net-worth/" in schema["paths"]


@pytest.mark.parametrize(
    "query",
    [
        {"period": "2Y"},
        {"period": "1Y", "start": "2026-01-01"},
        {"start": "2026-01-02\x00"},
        {"start": "99999-01-01"},
        {"end": "1800-01-01"},
        {"series": "maybe"},
        {"unknown": "1"},
    ],
)
def test_api_refuses_bad_input_with_400(owner, query):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(owner)
    response = client.get(URL, query)
    assert response.status_code == 400
    assert "error" in response.json()


def test_api_answers_a_period_before_the_first_transaction_with_no_figures(owner, two_portfolios):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(owner)
    response = client.get(URL, {"start": "2020-01-01", "end": "2020-02-01"})
    assert response.status_code == 200
    assert response.json()["twr"] is None and response.json()["series"] == []


def test_api_needs_a_login_and_answers_an_empty_user(owner):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401
    client = APIClient()
    client.force_authenticate(owner)
    body = client.get(URL).json()
    assert body["portfolio_count"] == 0
    assert body["total_value"] == "0.00"
    assert body["twr"] is None
    assert body["portfolios"] == [] and body["series"] == []
    assert body["allocation"] == {"asset": [], "asset_class": [], "currency": []}


def test_api_answers_503_while_an_exchange_rate_loads(owner):
    from rest_framework.test import APIClient

    eur = portfolio(owner=owner, base_currency="EUR", records_cash=True)
    txn(eur, "deposit", D(2026, 1, 1), amount=100)  # no EURUSD=X stored
    client = APIClient()
    client.force_authenticate(owner)
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "market_data_pending"


# --- The pages --------------------------------------------------------------------------------


def test_dashboard_puts_the_net_worth_on_top_with_a_link(owner, two_portfolios, client):
    client.force_login(owner)
    html = client.get("/").content.decode()
    assert html.index("data-net-worth") < html.index("Your portfolios")
    assert 'href="/net-worth/"' in html
    assert "2,149.18" in html  # 1331 + 818.18 USD
    assert "A 61.93" in html  # 1331 / 2149.18 = 61.93 %


def test_net_worth_page_shows_the_period_figures_and_shares(owner, two_portfolios, client):
    client.force_login(owner)
    response = client.get("/net-worth/", {"period": "MAX"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "+22.81" in html  # TWR 2149.18 / 1750 - 1
    assert "681.82" in html  # B in EUR
    assert "38.07" in html  # B's share: 818.18 / 2149.18
    assert 'id="net-worth-data"' in html
    assert "1 transfer between your portfolios" in html


def test_net_worth_page_answers_htmx_with_its_body(owner, two_portfolios, client):
    client.force_login(owner)
    html = client.get("/net-worth/?period=1M", HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<div id="net-worth-body"')


@pytest.mark.parametrize(
    "query", ["period=2Y", "start=2026-01-02%00", "start=99999-01-01", "period=1Y&start=2026-01-01"]
)
def test_net_worth_page_names_bad_input_and_shows_the_last_year(
    owner, two_portfolios, client, query
):
    client.force_login(owner)
    response = client.get(f"/net-worth/?{query}")
    assert response.status_code == 200
    assert "Showing the last year instead." in response.content.decode()


def test_net_worth_page_needs_a_login_and_shows_an_empty_state(owner, client):
    assert client.get("/net-worth/").status_code == 302
    client.force_login(owner)
    assert "Nothing to add up yet" in client.get("/net-worth/").content.decode()


def test_allocation_is_the_same_through_the_holdings_read_model(owner, two_portfolios, monkeypatch):
    from portfolios.selectors import networth

    through_states = net_worth(owner, period="1Y", today=TODAY).allocations
    monkeypatch.setattr(networth, "_end_state", lambda head: None)  # evicted checkpoints
    networth.cache.clear()
    through_holdings = net_worth(owner, period="1Y", today=TODAY).allocations
    assert {
        by: [(s.key, float(s.value)) for s in slices] for by, slices in through_states.items()
    } == {by: [(s.key, float(s.value)) for s in slices] for by, slices in through_holdings.items()}
    assert [s.key for s in through_holdings["asset"]] == ["X", "cash"]  # 1331 USD, 818.18 USD
