"""`/api/v1/simulations/`: 201 inline, 202 queued then polled, 400 for bad input (never 5xx),
404 for another user's run, and "save as portfolio"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from portfolios.models import Portfolio, SimulationRun
from portfolios.tests.factories import AssetFactory, prices
from portfolios.tests.performance_builders import business_days
from portfolios.tests.simulate_builders import two_assets

D = dt.date
pytestmark = pytest.mark.django_db
URL = "/api/v1/simulations/"


@pytest.fixture
def assets():
    """Two assets (`two_assets`) and ^GSPC: 100 in January, 110 from 1 Feb."""
    gspc = AssetFactory(symbol="^GSPC", asset_class="index")
    prices(
        gspc,
        {d: 100.0 if d.month == 1 else 110.0 for d in business_days(D(2024, 1, 2), D(2024, 2, 29))},
    )
    return two_assets()


def body(chosen, **changes):
    data = {
        "assets": [str(asset.public_id) for asset in chosen],
        "weights": ["50", "50"],
        "start": "2024-01-02",
        "end": "2024-02-29",
        "initial_amount": "1000",
        "rebalance": "monthly",
    }
    data.update(changes)
    return data


def test_a_small_run_answers_201_with_its_result(auth_client, assets):
    response = auth_client.post(URL, body(assets), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "succeeded"
    result = data["result"]
    # 1 Feb: 50 * 20 + 10 * 50 = 1500 -> end value 1500, TWR 50 %.
    assert result["metrics"]["end_value"] == "1500.00"
    assert result["metrics"]["twr"] == "0.5000000000"
    # ^GSPC bought with the same 1000 on 2 Jan: 10 units, 1100 at the end, TWR 10 %.
    assert result["benchmark"]["symbol"] == "^GSPC"
    assert result["benchmark"]["metrics"]["end_value"] == "1100.00"
    assert result["series"][0] == {"date": "2024-01-02", "value": "1000.00", "benchmark": "1000.00"}
    assert result["series"][-1]["date"] == "2024-02-29"
    assert len(result["trades"]) == 4
    assert result["currency"] == "USD"  # the user's base currency


@override_settings(SIMULATION_INLINE_CELLS=0)
def test_a_long_run_answers_202_and_is_polled_to_its_result(
    auth_client, assets, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the eager task runs on commit
        response = auth_client.post(URL, body(assets), format="json")
    assert response.status_code == 202
    data = response.json()
    assert data["status"] == "queued" and data["result"] is None
    polled = auth_client.get(data["url"])
    assert polled.status_code == 200
    assert polled.json()["status"] == "succeeded"
    assert polled.json()["result"]["metrics"]["twr"] == "0.5000000000"


@pytest.mark.parametrize(
    "changes",
    [
        {"end": "2023-12-01"},  # end before start
        {"start": "1800-01-01"},
        {"end": "2999-01-01"},
        {"start": "2023-01-02", "end": "2023-06-30"},  # no prices in range
        {"weights": ["60", "30"]},
        {"weights": ["NaN", "50"]},
        {"weights": ["1e400", "0"]},
        {"initial_amount": "1" + "0" * 40},
        {"initial_amount": "Infinity"},
        {"fee": "-1"},
        {"method": "fixed\x00"},
        {"rebalance": "drift"},
        {"drift_band": "1e9", "rebalance": "drift"},
        {"assets": []},
        {"assets": ["not-a-uuid"]},
        {"currency": "XXX\x00"},
        {"unknown": 1},
        {"params": {"window": "12\x00"}},
        {"params": {"w\x00": 1}},
    ],
)
def test_bad_input_answers_400_in_the_error_shape(auth_client, assets, changes):
    response = auth_client.post(URL, body(assets, **changes), format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert not SimulationRun.objects.exists()


def test_another_users_run_is_404(auth_client, assets, other_user):
    run_url = auth_client.post(URL, body(assets), format="json").json()["url"]
    outsider = APIClient()
    outsider.force_authenticate(other_user)
    assert outsider.get(run_url).status_code == 404
    assert outsider.post(f"{run_url}portfolio/", {"name": "Mine"}, format="json").status_code == 404
    assert not Portfolio.objects.filter(owner=other_user).exists()


def test_a_run_is_saved_as_a_new_portfolio(auth_client, assets, user):
    run_url = auth_client.post(URL, body(assets), format="json").json()["url"]
    response = auth_client.post(f"{run_url}portfolio/", {"name": "Backtest"}, format="json")
    assert response.status_code == 201, response.content
    portfolio = Portfolio.objects.get(owner=user, name="Backtest")
    assert portfolio.transactions.count() == 4
    assert auth_client.get(run_url).json()["portfolio"] == str(portfolio.public_id)


def test_saving_with_a_nul_in_the_name_is_400(auth_client, assets):
    run_url = auth_client.post(URL, body(assets), format="json").json()["url"]
    response = auth_client.post(f"{run_url}portfolio/", {"name": "A\x00"}, format="json")
    assert response.status_code == 400


def test_the_schema_documents_the_simulation_answers(auth_client):
    schema = auth_client.get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/simulations/"]["post"]
    assert {"201", "202", "400"} <= set(post["responses"])
    get = schema["paths"]["/api/v1/simulations/{run_id}/"]["get"]
    assert {"200", "404"} <= set(get["responses"])
