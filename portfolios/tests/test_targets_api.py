"""The targets and rebalance API: GET/PUT targets, GET the plan, POST to record it; bad input
answers 400 in the error shape, another user's portfolio 404, and the schema matches."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from portfolia.tests.conftest import assert_error_shape
from portfolios.models import Transaction
from portfolios.tests.factories import PortfolioFactory
from portfolios.tests.test_targets_plan import held

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user)


@pytest.fixture
def two(portfolio):
    return held(portfolio, "AAA", 10, 60), held(portfolio, "BBB", 10, 40, asset_class="bond")


def url(portfolio, what="targets"):
    return f"/api/v1/portfolios/{portfolio.public_id}/{what}/"


def put(client, portfolio, body):
    return client.put(url(portfolio), body, format="json")


def test_put_then_get_targets_with_drift(auth_client, portfolio, two):
    a, b = two
    body = [
        {"asset": str(a.public_id), "weight": "50", "band": "5"},
        {"asset": str(b.public_id), "weight": "50"},
    ]
    response = put(auth_client, portfolio, body)
    assert response.status_code == 200, response.json()
    results = {row["symbol"]: row for row in auth_client.get(url(portfolio)).json()["results"]}
    # A: 600 of 1000 = 60 % against 50 (+10, outside its 5-point band).
    assert results["AAA"] == {
        "asset": str(a.public_id),
        "symbol": "AAA",
        "asset_class": "",
        "cash": False,
        "weight": "50",
        "band": "5",
        "current": "60.000000",
        "drift": "10.000000",
        "outside_band": True,
    }
    assert results["BBB"]["drift"] == "-10.000000"


def test_asset_class_and_cash_targets_round_trip(auth_client, user):
    portfolio = PortfolioFactory(owner=user, records_cash=True)
    body = [
        {"asset_class": "bond", "weight": "40"},
        {"asset_class": "stock", "weight": "55"},
        {"cash": True, "weight": "5"},
    ]
    assert put(auth_client, portfolio, body).status_code == 200
    data = auth_client.get(url(portfolio)).json()
    assert data["kind"] == "asset_class"
    assert {(r["asset_class"], r["cash"], r["weight"]) for r in data["results"]} == {
        ("bond", False, "40"),
        ("stock", False, "55"),
        ("", True, "5"),
    }


@pytest.mark.parametrize(
    ("body", "field_text"),
    [
        ([{"asset_class": "bond", "weight": "40"}], "must add up to 100"),
        ({"asset_class": "bond", "weight": "100"}, "Send a JSON list of targets."),
        ([{"asset_class": "bo\u0000nd", "weight": "100"}], "is not a valid choice"),
        ([{"asset_class": "bond", "weight": "1e400"}], "Ensure"),
        ([{"asset_class": "bond", "weight": "100", "colour": "red"}], "Unknown field"),
        ([{"asset": "not-a-uuid", "weight": "100"}], "does not exist"),
        ([{"cash": True, "weight": "100"}], "needs cash records"),
        ([{"asset_class": "bond", "weight": "50"}, {"asset": "x", "weight": "50"}], "exist"),
    ],
)
def test_bad_targets_answer_400(auth_client, portfolio, body, field_text):
    response = put(auth_client, portfolio, body)
    assert response.status_code == 400
    assert assert_error_shape(response.json())["code"] == "invalid"
    assert field_text in str(response.json()["error"])


def test_mixed_asset_and_class_targets_answer_400(auth_client, portfolio, two):
    body = [
        {"asset": str(two[0].public_id), "weight": "50"},
        {"asset_class": "bond", "weight": "50"},
    ]
    response = put(auth_client, portfolio, body)
    assert response.status_code == 400
    assert "not both" in response.json()["error"]["message"]


def test_rebalance_plan_and_record(auth_client, portfolio, two):
    a, b = two
    put(
        auth_client,
        portfolio,
        [{"asset": str(a.public_id), "weight": "50"}, {"asset": str(b.public_id), "weight": "50"}],
    )
    query = {"cash": "105", "mode": "full", "whole_units": "true", "min_trade": "0"}
    response = auth_client.get(url(portfolio, "rebalance"), query)
    assert response.status_code == 200, response.json()
    plan = response.json()
    # T = 1105, goals 552.5: sell A 1 (60), buy B 4 (160), cash left 105 + 60 - 160 = 5.
    assert [
        (t["symbol"], t["side"], t["quantity"], t["amount"], t["price"]) for t in plan["trades"]
    ] == [
        ("AAA", "sell", "1", "60.00", "60.000000"),
        ("BBB", "buy", "4", "160.00", "40.000000"),
    ]
    assert plan["trades"][0]["asset"] == str(a.public_id)
    assert plan["trades"][0]["price_date"]
    assert plan["cash_left"] == "5.00"
    # before: A 600 / 1000 = 60 %; after: A 540 / 1100 = 49.0909..%, B 560 / 1100 = 50.9090..%
    assert plan["weights_before"] == {str(a.public_id): "60.000000", str(b.public_id): "40.000000"}
    assert plan["weights_after"] == {str(a.public_id): "49.090909", str(b.public_id): "50.909091"}
    count = Transaction.objects.count()
    response = auth_client.post(
        url(portfolio, "rebalance"), {**query, "fingerprint": plan["fingerprint"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["recorded"] == 2
    assert Transaction.objects.count() == count + 2


def test_recording_a_stale_plan_answers_409_and_records_nothing(auth_client, portfolio, two):
    a, b = two
    put(
        auth_client,
        portfolio,
        [{"asset": str(a.public_id), "weight": "50"}, {"asset": str(b.public_id), "weight": "50"}],
    )
    count = Transaction.objects.count()
    response = auth_client.post(
        url(portfolio, "rebalance"), {"fingerprint": "0" * 32}, format="json"
    )
    assert response.status_code == 409
    assert assert_error_shape(response.json())["code"] == "conflict"
    assert Transaction.objects.count() == count


@pytest.mark.parametrize(
    "query",
    [
        {"cash": "abc"},
        {"cash": "-5"},
        {"cash": "1" * 40},
        {"cash": "1\x00"},
        {"mode": "sideways"},
        {"min_trade": "1e999"},
        {"whole_units": "maybe"},
        {"colour": "red"},
    ],
)
def test_bad_rebalance_input_answers_400(auth_client, portfolio, query):
    response = auth_client.get(url(portfolio, "rebalance"), query)
    assert response.status_code == 400
    assert assert_error_shape(response.json())["code"] == "invalid"


def test_another_users_portfolio_is_404(auth_client, other_user):
    theirs = PortfolioFactory(owner=other_user)
    for what in ("targets", "rebalance"):
        assert auth_client.get(url(theirs, what)).status_code == 404
    assert put(auth_client, theirs, []).status_code == 404
    assert (
        auth_client.post(url(theirs, "rebalance"), {"fingerprint": "x"}, format="json").status_code
        == 404
    )
    assert APIClient().get(url(theirs)).status_code == 401


def test_schema_describes_what_is_sent(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    targets = paths["/api/v1/portfolios/{public_id}/targets/"]
    rebalance = paths["/api/v1/portfolios/{public_id}/rebalance/"]
    assert set(targets) >= {"get", "put"} and set(rebalance) >= {"get", "post"}
    assert targets["put"]["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert {"409", "422"} <= set(rebalance["post"]["responses"])
    params = {p["name"] for p in rebalance["get"]["parameters"]}
    assert {"cash", "mode", "whole_units", "min_trade"} <= params
    plan = schema["components"]["schemas"]["RebalancePlan"]["properties"]
    assert {"trades", "weights_before", "weights_after", "cash_left", "fingerprint"} <= set(plan)
    trade = schema["components"]["schemas"]["PlanTrade"]["properties"]
    assert {"asset", "side", "quantity", "amount", "price", "price_date"} <= set(trade)


def test_plan_keys_match_the_schema(auth_client, client, portfolio, two):
    put(
        auth_client,
        portfolio,
        [{"asset_class": "stock", "weight": "70"}, {"asset_class": "bond", "weight": "30"}],
    )
    plan = auth_client.get(url(portfolio, "rebalance")).json()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    assert set(plan) == set(components["RebalancePlan"]["properties"])
    assert set(plan["trades"][0]) == set(components["PlanTrade"]["properties"])
    # stock 600 -> 700 of 1000: buy A 100 / 60; bond 400 -> 300: sell B 100 / 40 = 2.5.
    assert {(t["symbol"], t["side"]) for t in plan["trades"]} == {("AAA", "buy"), ("BBB", "sell")}
    assert plan["weights_after"]["bond"] == "30.000000"
    assert D(plan["weights_after"]["stock"]).quantize(D("0.01")) == D("70.00")


def test_targets_and_plan_answer_503_while_an_exchange_rate_loads(auth_client, portfolio):
    held(portfolio, "EEE", 2, 50, currency="EUR")  # no EURUSD=X stored
    for what in ("targets", "rebalance"):
        response = auth_client.get(url(portfolio, what))
        assert response.status_code == 503
        assert assert_error_shape(response.json())["code"] == "market_data_pending"
