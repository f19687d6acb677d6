"""Fixtures for the API-wide tests: one object of each kind the API addresses, and every
operation of the schema with its path filled in."""

import datetime as dt

import pytest

from accounts.services import api_key_create
from market.tests.factories import FetchJobFactory, ManualAssetFactory
from portfolios.models import ImportJob, SavedMapping, SimulationRun
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory


@pytest.fixture
def world(user):
    """One object of each kind the API addresses by id, all the user's."""
    asset = AssetFactory(symbol="VWX")
    portfolio = PortfolioFactory(owner=user, name="Core")
    txn = TransactionFactory(
        portfolio=portfolio, asset=asset, date=dt.date(2024, 1, 2), quantity=1, price=10
    )
    manual = ManualAssetFactory(owner=user, symbol="MINE")
    job = FetchJobFactory(asset=asset)
    run = SimulationRun.objects.create(owner=user, inputs={}, status="failed", error="Test.")
    api_key, _ = api_key_create(user=user, name="script")
    mapping = SavedMapping.objects.create(
        owner=user, name="Mine", mapping={"columns": {"date": "D", "action": "A"}, "actions": {}}
    )
    import_job = ImportJob.objects.create(owner=user, portfolio=portfolio, data=b"")
    return {
        "mapping": mapping,
        "import_job": import_job,
        "portfolio": portfolio,
        "transaction": txn,
        "manual": manual,
        "job": job,
        "run": run,
        "api_key": api_key,
        "asset": asset,
    }


@pytest.fixture
def api_schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def api_operations(api_schema, world) -> list[tuple[str, str, str, dict]]:
    """(schema path, method, a URL for it among the world's objects, the operation)."""

    def concrete(path: str) -> str:
        if path.startswith("/api/v1/portfolios/"):
            path = path.replace("{public_id}", str(world["portfolio"].public_id), 1)
            path = path.replace("{asset_id}", str(world["asset"].public_id))
            path = path.replace("{job_id}", str(world["import_job"].public_id))
            return path.replace("{transaction_id}", str(world["transaction"].public_id))
        if path.startswith("/api/v1/simulations/"):
            return path.replace("{run_id}", str(world["run"].public_id))
        if path.startswith("/api/v1/api-keys/"):
            return path.replace("{key_id}", str(world["api_key"].public_id))
        if path.startswith("/api/v1/import-mappings/"):
            return path.replace("{mapping_id}", str(world["mapping"].public_id))
        if path.startswith("/api/v1/jobs/"):
            return path.replace("{public_id}", str(world["job"].public_id))
        return path.replace("{public_id}", str(world["manual"].public_id))

    return [
        (path, method, concrete(path), operation)
        for path, methods in api_schema["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def assert_error_shape(body: dict) -> dict:
    """The one error shape (the schema's ``Error``): answers its ``error`` part."""
    assert "error" in body
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]
