"""The OpenAPI schema and the interactive docs are served, with assets from our own server."""

import pytest


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
