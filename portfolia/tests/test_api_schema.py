"""The OpenAPI schema and the interactive docs are served, with assets from our own server;
every operation lists its error answers in the one error shape, and the answers match."""

import re

import pytest

from portfolia.tests.conftest import assert_error_shape

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.mark.django_db
def test_schema_lists_the_auth_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/me/"):
        assert path in paths


@pytest.mark.django_db
def test_docs_page_loads_swagger_from_our_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content


# ── Error answers: listed on every operation, and the answers match ──────────


@pytest.mark.django_db
def test_every_operation_lists_its_error_answers_in_the_error_shape(api_schema, api_operations):
    seen = {}
    for path, method, _, operation in api_operations:
        responses = operation["responses"]
        statuses = {int(code) for code in responses if int(code) >= 400}
        for code in statuses:
            body = responses[str(code)]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            assert responses[str(code)]["description"]
        assert {400, 429} <= statuses, (method, path)
        if path != "/api/v1/auth/register/":
            assert 401 in statuses, (method, path)
        if "{" in path:
            assert 404 in statuses, (method, path)
        seen[(method, path)] = statuses
    assert 401 not in seen[("post", "/api/v1/auth/register/")]
    transactions = "/api/v1/portfolios/{public_id}/transactions/"
    assert 422 in seen[("post", transactions)]
    assert 422 not in seen[("get", transactions)]
    assert 503 in seen[("get", "/api/v1/portfolios/{public_id}/performance/")]
    assert {422, 503} <= seen[("post", "/api/v1/assets/")]
    # Duplicates are 400; 409 only where a confirmed step finds its preview out of date.
    rebalance = ("post", "/api/v1/portfolios/{public_id}/rebalance/")
    assert 409 in seen[rebalance]
    assert not any(409 in statuses for key, statuses in seen.items() if key != rebalance)

    error = api_schema["components"]["schemas"]["Error"]
    detail = api_schema["components"]["schemas"]["ErrorDetail"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert set(detail["required"]) == set(detail["properties"]) == {"code", "message", "fields"}


@pytest.mark.django_db
def test_error_answers_are_listed_for_their_operation_and_match_the_shape(
    api_client, auth_client, api_operations
):
    """Provoke 400 (an unknown parameter), 401 (no credentials) and 404 (an id nobody has) on
    every operation: each status is in that operation's schema, each body is an ``Error``."""
    nobody = "00000000-0000-4000-8000-000000000000"
    for path, method, url, operation in api_operations:
        listed = {int(code) for code in operation["responses"]}
        answers = [getattr(auth_client, method)(url + "?zzz_unknown=1")]
        if 401 in listed and not path.startswith("/api/v1/auth/"):
            answers.append(getattr(api_client, method)(url))
        if "{" in path:
            answers.append(getattr(auth_client, method)(re.sub(UUID, nobody, url)))
        for response in answers:
            assert response.status_code in listed, (method, path, response.status_code)
            assert_error_shape(response.json())
