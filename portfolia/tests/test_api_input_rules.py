"""Input the API used to read silently as something else (found by the contract test,
``test_api_contract``) now answers 400, and the schema says what each list and body is."""

import pytest

from portfolia.tests.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page_size", ["", "0", "-1", "2.5", "null", "{}", "1e3"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400(auth_client, world, page_size):
    response = auth_client.get("/api/v1/portfolios/", {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in assert_error_shape(response.json())["fields"]


def test_a_page_size_over_the_cap_is_capped_not_refused(auth_client, world):
    response = auth_client.get("/api/v1/portfolios/", {"page_size": "100000"})
    assert response.status_code == 200
    assert response.json()["count"] == 1  # the world's one portfolio


def test_an_empty_page_is_a_400(auth_client, world):
    response = auth_client.get("/api/v1/portfolios/", {"page": ""})
    assert response.status_code == 400
    assert "page" in assert_error_shape(response.json())["fields"]


def test_a_page_that_does_not_exist_is_a_documented_404(auth_client, world, api_schema):
    response = auth_client.get("/api/v1/portfolios/", {"page": "7"})
    assert response.status_code == 404
    assert "404" in api_schema["paths"]["/api/v1/portfolios/"]["get"]["responses"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/jobs/", "asset"),
        ("/api/v1/portfolios/{portfolio}/holdings/", "date"),
        ("/api/v1/portfolios/{portfolio}/performance/", "start"),
    ],
)
def test_a_filter_or_query_parameter_given_empty_is_a_400(auth_client, world, path, name):
    path = path.format(portfolio=world["portfolio"].public_id)
    response = auth_client.get(path, {name: ""})
    assert response.status_code == 400
    assert name in assert_error_shape(response.json())["fields"]


def test_the_asset_search_remote_flag_must_be_a_boolean(auth_client, world):
    assert auth_client.get("/api/v1/assets/", {"remote": "false"}).status_code == 200
    response = auth_client.get("/api/v1/assets/", {"remote": "maybe"})
    assert response.status_code == 400
    assert "remote" in assert_error_shape(response.json())["fields"]


def test_the_asset_search_is_paginated_once_in_the_schema(api_schema):
    body = api_schema["paths"]["/api/v1/assets/"]["get"]["responses"]["200"]["content"]
    assert body["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AssetSearchResponse"
    }
    results = api_schema["components"]["schemas"]["AssetSearchResponse"]["properties"]["results"]
    assert results["items"] == {"$ref": "#/components/schemas/Asset"}


def test_json_endpoints_take_json_only_and_say_so(auth_client, api_schema):
    response = auth_client.post("/api/v1/portfolios/", {"name": "Form"}, format="multipart")
    assert response.status_code == 415
    bodies = {
        f"{method.upper()} {path}": set(operation["requestBody"]["content"])
        for path, methods in api_schema["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    }
    uploads = {label for label, types in bodies.items() if "multipart/form-data" in types}
    assert uploads == {"POST /api/v1/portfolios/{public_id}/transactions/import/"}
    assert all(
        types == {"application/json"} for label, types in bodies.items() if label not in uploads
    )


def test_a_holding_without_a_target_is_documented_with_null_weight(api_schema):
    target = api_schema["components"]["schemas"]["Target"]["properties"]
    assert target["weight"]["nullable"] and target["band"]["nullable"]


@pytest.mark.parametrize("name", [5, 2.5, ["Core"], {"a": 1}, True])
def test_a_portfolio_name_that_is_not_a_string_is_a_400(auth_client, name):
    response = auth_client.post("/api/v1/portfolios/", {"name": name})
    assert response.status_code == 400
    assert assert_error_shape(response.json())["fields"]["name"]
