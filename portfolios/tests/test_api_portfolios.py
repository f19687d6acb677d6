"""/api/v1/portfolios/: CRUD through the services, public ids, the shared error shape."""

import pytest

from portfolios.models import Portfolio
from portfolios.tests.factories import AssetFactory, PortfolioFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/portfolios/"


def detail(portfolio) -> str:
    return f"{LIST}{portfolio.public_id}/"


def test_anonymous_requests_are_refused(api_client):
    response = api_client.get(LIST)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_list_holds_only_the_users_portfolios_paginated(auth_client, user, other_user):
    mine = PortfolioFactory(owner=user, name="B")
    PortfolioFactory(owner=user, name="A")
    PortfolioFactory(owner=other_user)
    body = auth_client.get(LIST).json()
    assert body["count"] == 2
    assert [item["name"] for item in body["results"]] == ["A", "B"]
    assert body["results"][1]["id"] == str(mine.public_id)
    ordered = auth_client.get(LIST, {"ordering": "-name"}).json()
    assert [item["name"] for item in ordered["results"]] == ["B", "A"]


def test_create_defaults_to_the_users_currency_and_answers_201(auth_client, user):
    user.base_currency = "CHF"
    user.save()
    index = AssetFactory(symbol="^GSPC", asset_class="index")
    response = auth_client.post(
        LIST, {"name": "Main", "cost_basis_method": "average", "benchmark": str(index.public_id)}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["base_currency"], body["cost_basis_method"]) == (
        "Main",
        "CHF",
        "average",
    )
    assert body["benchmark"] == str(index.public_id)
    assert Portfolio.objects.get().public_id.hex == body["id"].replace("-", "")


def test_a_duplicate_name_is_a_field_error(auth_client, user):
    PortfolioFactory(owner=user, name="Main")
    response = auth_client.post(LIST, {"name": "MAIN"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "name" in error["fields"]


def test_an_unknown_benchmark_is_a_field_error(auth_client):
    response = auth_client.post(LIST, {"name": "Main", "benchmark": "not-a-uuid"})
    assert response.status_code == 400
    assert "benchmark" in response.json()["error"]["fields"]


def test_update_patch_and_delete(auth_client, user):
    portfolio = PortfolioFactory(owner=user, name="Old")
    response = auth_client.patch(detail(portfolio), {"description": "Long term"})
    assert response.status_code == 200 and response.json()["name"] == "Old"
    response = auth_client.put(
        detail(portfolio), {"name": "New", "base_currency": "EUR", "cost_basis_method": "fifo"}
    )
    assert response.json()["name"] == "New" and response.json()["base_currency"] == "EUR"
    assert auth_client.delete(detail(portfolio)).status_code == 204
    assert not Portfolio.objects.exists()


def test_someone_elses_portfolio_is_not_found(auth_client, other_user):
    theirs = PortfolioFactory(owner=other_user)
    for method in ("get", "patch", "put", "delete"):
        response = getattr(auth_client, method)(detail(theirs), {})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert Portfolio.objects.filter(pk=theirs.pk).exists()
