"""The API never drops input silently: unknown paths and malformed ids answer 404, unknown
query parameters, ordering fields and body fields answer 400 naming them, on every endpoint
(walked from the schema), while each endpoint's documented parameters stay accepted."""

import io

import pytest

from portfolia.tests.conftest import assert_error_shape
from portfolios.models import Portfolio
from portfolios.tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db


# ── 404 ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/portfolios/not-a-uuid/",
        "/api/v1/portfolios/not-a-uuid/transactions/",
        "/api/v1/assets/123/prices/",
        "/api/v1/",
    ],
)
def test_unknown_paths_and_malformed_ids_answer_404_in_the_error_shape(auth_client, path):
    for method in ("get", "post", "delete"):
        response = getattr(auth_client, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json"
        error = assert_error_shape(response.json())
        assert error["code"] == "not_found"
        assert path in error["message"]


def test_an_unknown_path_is_404_even_without_credentials(api_client):
    response = api_client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert assert_error_shape(response.json())["code"] == "not_found"


def test_a_missing_trailing_slash_still_redirects(auth_client):
    response = auth_client.get("/api/v1/portfolios")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/portfolios/"


# ── 400 for what an endpoint does not take ───────────────────────────────────


def test_an_unknown_field_on_portfolio_create_is_refused_not_dropped(auth_client):
    response = auth_client.post("/api/v1/portfolios/", {"name": "Main", "is_public": True})
    assert response.status_code == 400
    error = assert_error_shape(response.json())
    assert list(error["fields"]) == ["is_public"]
    assert "Unknown field" in error["fields"]["is_public"][0]
    assert not Portfolio.objects.exists()


def test_unknown_fields_are_named_beside_the_other_field_errors(auth_client):
    response = auth_client.post("/api/v1/portfolios/", {"base_currency": "XXX", "colour": "red"})
    assert response.status_code == 400
    assert {"name", "base_currency", "colour"} <= set(response.json()["error"]["fields"])


def test_read_only_fields_sent_back_are_accepted(auth_client, user):
    portfolio = PortfolioFactory(owner=user, name="Core")
    url = f"/api/v1/portfolios/{portfolio.public_id}/"
    body = auth_client.get(url).json()
    response = auth_client.put(url, {**body, "name": "Renamed"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Renamed"


def test_an_unknown_ordering_field_is_a_400_like_an_unknown_filter_value(auth_client, world):
    transactions = f"/api/v1/portfolios/{world['portfolio'].public_id}/transactions/"
    for params in ({"ordering": "colour"}, {"ordering": "date,-colour"}, {"kind": "gift"}):
        response = auth_client.get(transactions, params)
        assert response.status_code == 400, params
        assert set(assert_error_shape(response.json())["fields"]) == set(params)
    response = auth_client.get("/api/v1/portfolios/", {"ordering": "colour"})
    assert "name" in response.json()["error"]["fields"]["ordering"][0]  # says what is offered
    assert auth_client.get(transactions, {"ordering": "-date,kind"}).status_code == 200


def test_every_operation_refuses_an_unknown_query_parameter(auth_client, user, api_operations):
    # As staff, so the staff-only operations (diagnostics) read their query too: for anyone
    # else they answer 403 before looking at it, telling an outsider nothing more.
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Staff"))
    checked = 0
    for path, method, url, _ in api_operations:
        response = getattr(auth_client, method)(url + "?zzz_unknown=1")
        assert response.status_code == 400, (method, path, response.content)
        error = assert_error_shape(response.json())
        assert "zzz_unknown" in error["fields"], (method, path)
        checked += 1
    assert checked >= 25


def _names(fields: dict) -> set[str]:
    """Every key in a (possibly nested, per row) ``fields``."""
    names = set(fields)
    for value in fields.values():
        if isinstance(value, dict):
            names |= _names(value)
    return names


def test_every_json_body_refuses_an_unknown_field(auth_client, api_operations):
    checked = 0
    for path, method, url, operation in api_operations:
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        schema = content["application/json"]["schema"]
        body = [{"zzz_unknown": 1}] if schema.get("type") == "array" else {"zzz_unknown": 1}
        response = getattr(auth_client, method)(url, body, format="json")
        assert response.status_code == 400, (method, path, response.content)
        assert "zzz_unknown" in _names(assert_error_shape(response.json())["fields"]), path
        checked += 1
    assert checked >= 10


def test_the_import_refuses_an_unknown_form_field(auth_client, world):
    url = f"/api/v1/portfolios/{world['portfolio'].public_id}/transactions/import/"
    upload = io.BytesIO(b"date,kind,symbol,quantity,price\n")
    upload.name = "t.csv"
    response = auth_client.post(url, {"file": upload, "overwrite": "1"}, format="multipart")
    assert response.status_code == 400
    assert "overwrite" in response.json()["error"]["fields"]


def test_documented_parameters_stay_accepted(auth_client, world):
    pf = f"/api/v1/portfolios/{world['portfolio'].public_id}"
    accepted = [
        (
            "/api/v1/portfolios/",
            {"page": 1, "page_size": 10, "ordering": "-name", "format": "json"},
        ),
        (f"{pf}/transactions/", {"asset": str(world["transaction"].asset.public_id)}),
        (f"{pf}/transactions/", {"kind": "buy", "start": "2024-01-01", "end": "2024-12-31"}),
        (f"{pf}/holdings/", {"date": "2024-03-01"}),
        (f"{pf}/allocation/", {"by": "currency", "date": "2024-03-01"}),
        (f"{pf}/performance/", {"period": "1Y", "series": "false"}),
        (f"{pf}/performance/", {"start": "2024-01-02", "end": "2024-03-01"}),
        (f"{pf}/performance/flows/", {"period": "MAX"}),
        (f"{pf}/income/", {"year": 2024}),
        (f"{pf}/realized/", {"year": 2024}),
        ("/api/v1/assets/", {"q": "VW", "remote": "false", "asset_class": "stock"}),
        (f"/api/v1/assets/{world['manual'].public_id}/prices/", {"start": "2024-01-01"}),
        ("/api/v1/jobs/", {"status": "queued", "kind": "backfill", "ordering": "-created_at"}),
    ]
    for url, params in accepted:
        response = auth_client.get(url, params)
        assert response.status_code in (200, 503), (url, params, response.content)


def test_the_import_takes_dry_run_from_the_query_string_too(auth_client, world):
    url = f"/api/v1/portfolios/{world['portfolio'].public_id}/transactions/import/?dry_run=false"
    upload = io.BytesIO(b"date,kind,symbol,quantity,price\n2024-02-01,buy,VWX,1,10\n")
    upload.name = "t.csv"
    response = auth_client.post(url, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["saved"] is True
    assert world["portfolio"].transactions.count() == 2
