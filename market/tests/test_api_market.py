"""The market API: search, create, asset detail, prices (read and manual upsert), backfill,
jobs; another user's manual asset is a 404; errors share one shape."""

import datetime as dt

import pytest
from django.utils import timezone

from market.models import Asset, FetchJob, Price
from market.providers.base import SearchResult, TransientProviderError
from market.tests.factories import (
    AssetFactory,
    FakeProvider,
    FetchJobFactory,
    ManualAssetFactory,
    PriceFactory,
    QuoteFactory,
)

pytestmark = pytest.mark.django_db

APPLE = SearchResult("AAPL", "Apple Inc.", "stock", "USD", "NASDAQ", "demo")
APPLIED = SearchResult("AMAT", "Applied Materials, Inc.", "stock", "USD", "NASDAQ", "demo")


@pytest.fixture
def provider(use_provider):
    return use_provider(FakeProvider("demo", search_results=[APPLE, APPLIED]))


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


# --- search ------------------------------------------------------------------------------------


def test_search_lists_local_assets_first_then_the_providers_others(auth_client, provider):
    local = AssetFactory(symbol="AAPL", name="Apple Inc.")
    AssetFactory(symbol="MSFT", name="Microsoft")

    response = auth_client.get("/api/v1/assets/", {"q": "app"})

    assert response.status_code == 200
    body = response.json()
    assert [a["symbol"] for a in body["results"]] == ["AAPL"]
    assert body["results"][0]["id"] == str(local.public_id)
    assert [r["symbol"] for r in body["provider_results"]] == ["AMAT"]  # AAPL is already local
    assert body["provider_error"] is None
    assert body["count"] == 1


def test_search_still_answers_local_results_when_the_provider_fails(auth_client, use_provider):
    use_provider(FakeProvider("demo", search_failure=TransientProviderError("HTTP 503.")))
    AssetFactory(symbol="AAPL", name="Apple Inc.")

    body = auth_client.get("/api/v1/assets/", {"q": "aapl"}).json()

    assert [a["symbol"] for a in body["results"]] == ["AAPL"]
    assert body["provider_results"] == []
    assert "unavailable" in body["provider_error"]


def test_provider_search_is_cached(auth_client, provider):
    auth_client.get("/api/v1/assets/", {"q": "apple"})
    auth_client.get("/api/v1/assets/", {"q": "Apple "})

    assert [call for call in provider.calls if call[0] == "search"] == [("search", "apple")]


def test_a_slow_provider_search_times_out_quickly(auth_client, use_provider, settings):
    import time

    class Slow(FakeProvider):
        def search(self, query, *, limit=10):
            time.sleep(2)
            return []

    settings.MARKET_SEARCH_TIMEOUT = 0.2
    use_provider(Slow("demo"))
    started = time.monotonic()

    body = auth_client.get("/api/v1/assets/", {"q": "slow"}).json()

    assert time.monotonic() - started < 1.5
    assert "did not answer in time" in body["provider_error"]


def test_lists_filter_by_class_and_order(auth_client):
    AssetFactory(symbol="B", asset_class="etf")
    AssetFactory(symbol="A", asset_class="etf")
    AssetFactory(symbol="C", asset_class="stock")

    body = auth_client.get("/api/v1/assets/", {"asset_class": "etf", "ordering": "-symbol"}).json()

    assert [a["symbol"] for a in body["results"]] == ["B", "A"]
    error = assert_error(
        auth_client.get("/api/v1/assets/", {"asset_class": "spaceship"}), 400, "invalid"
    )
    assert "asset_class" in error["fields"]


def test_search_never_shows_other_users_manual_assets(auth_client, user, other_user, provider):
    mine = ManualAssetFactory(owner=user, symbol="HOUSE")
    ManualAssetFactory(owner=other_user, symbol="HOUSE2")

    body = auth_client.get("/api/v1/assets/", {"q": "house", "remote": "false"}).json()

    assert [a["id"] for a in body["results"]] == [str(mine.public_id)]


def test_anonymous_requests_are_refused_in_the_error_shape(api_client):
    assert_error(api_client.get("/api/v1/assets/"), 401, "not_authenticated")


# --- create ------------------------------------------------------------------------------------


def test_create_a_manual_asset(auth_client, user):
    response = auth_client.post(
        "/api/v1/assets/",
        {
            "provider": "manual",
            "symbol": "house",
            "name": "Flat in Lisbon",
            "asset_class": "other",
            "currency": "EUR",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["symbol"] == "HOUSE"
    assert body["is_manual"] is True
    assert body["coverage"] == {"first": None, "last": None, "count": 0}
    assert Asset.objects.get(public_id=body["id"]).owner == user


def test_a_manual_asset_needs_name_class_and_currency(auth_client):
    error = assert_error(
        auth_client.post("/api/v1/assets/", {"provider": "manual", "symbol": "X"}), 400, "invalid"
    )
    assert set(error["fields"]) == {"name", "asset_class", "currency"}


def test_a_duplicate_manual_symbol_is_a_field_error(auth_client, user):
    ManualAssetFactory(owner=user, symbol="HOUSE")
    payload = {
        "provider": "manual",
        "symbol": "HOUSE",
        "name": "x",
        "asset_class": "other",
        "currency": "EUR",
    }
    error = assert_error(auth_client.post("/api/v1/assets/", payload), 400, "invalid")
    assert "symbol" in error["fields"]


def test_create_a_provider_asset_from_its_symbol_queues_its_backfill(
    auth_client, provider, django_capture_on_commit_callbacks, monkeypatch
):
    from market import services

    queued = []
    monkeypatch.setattr(services.jobs, "_job_enqueue", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/v1/assets/", {"symbol": "AAPL"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["symbol"], body["name"], body["provider"]) == ("AAPL", "Apple Inc.", "demo")
    assert body["active_job"]["status"] == "queued"
    assert len(queued) == 1
    assert not Price.objects.exists()  # no price is fetched inside the request


def test_creating_an_unknown_provider_symbol_is_a_422(auth_client, provider):
    assert_error(
        auth_client.post("/api/v1/assets/", {"symbol": "NOPE"}), 422, "not_found_at_provider"
    )


# --- detail and prices -------------------------------------------------------------------------


def test_asset_detail_has_coverage_latest_price_and_decimal_strings(auth_client):
    asset = AssetFactory()
    PriceFactory(asset=asset, date=dt.date(2024, 1, 2), close=100.1)
    PriceFactory(asset=asset, date=dt.date(2024, 1, 3), close=101.25)
    QuoteFactory(asset=asset, price=102.5, timestamp=timezone.now())

    body = auth_client.get(f"/api/v1/assets/{asset.public_id}/").json()

    assert body["coverage"] == {"first": "2024-01-02", "last": "2024-01-03", "count": 2}
    assert body["latest_price"]["price"] == "102.5"
    assert body["latest_price"]["source"] == "quote"
    assert body["latest_price"]["is_stale"] is False
    assert body["quote"]["price"] == "102.5"


def test_another_users_manual_asset_is_a_404_everywhere(auth_client, other_user):
    theirs = ManualAssetFactory(owner=other_user)
    PriceFactory(asset=theirs)
    base = f"/api/v1/assets/{theirs.public_id}"

    assert_error(auth_client.get(f"{base}/"), 404, "not_found")
    assert_error(auth_client.get(f"{base}/prices/"), 404, "not_found")
    assert_error(auth_client.post(f"{base}/prices/", [], format="json"), 404, "not_found")
    assert_error(auth_client.post(f"{base}/backfill/"), 404, "not_found")


def test_prices_in_a_range_oldest_first_as_decimal_strings(auth_client):
    asset = AssetFactory()
    for day, close in ((2, 10.0), (3, 10.5), (4, 11.25), (5, 0.00012345)):
        PriceFactory(asset=asset, date=dt.date(2024, 1, day), close=close, volume=None)

    response = auth_client.get(
        f"/api/v1/assets/{asset.public_id}/prices/", {"start": "2024-01-03", "end": "2024-01-05"}
    )

    body = response.json()
    assert [p["date"] for p in body["results"]] == ["2024-01-03", "2024-01-04", "2024-01-05"]
    assert [p["close"] for p in body["results"]] == ["10.5", "11.25", "0.00012345"]
    assert body["results"][0]["volume"] is None
    assert_error(
        auth_client.get(f"/api/v1/assets/{asset.public_id}/prices/", {"start": "yesterday"}),
        400,
        "invalid",
    )


def test_post_prices_to_your_manual_asset_answers_counts(auth_client, user):
    asset = ManualAssetFactory(owner=user)
    PriceFactory(
        asset=asset,
        date=dt.date(2024, 1, 2),
        close=9.0,
        open=None,
        high=None,
        low=None,
        volume=None,
    )
    url = f"/api/v1/assets/{asset.public_id}/prices/"
    payload = [
        {"date": "2024-01-02", "close": "10.00"},
        {
            "date": "2024-01-03",
            "open": 10.1,
            "high": "10.9",
            "low": "10",
            "close": 10.5,
            "volume": 7,
        },
    ]

    first = auth_client.post(url, payload, format="json")
    again = auth_client.post(url, payload, format="json")

    assert first.status_code == 200, first.content
    assert first.json() == {"inserted": 1, "updated": 1, "unchanged": 0}
    assert again.json() == {"inserted": 0, "updated": 0, "unchanged": 2}
    assert Price.objects.get(asset=asset, date=dt.date(2024, 1, 3)).volume == 7


def test_posting_an_invalid_price_saves_nothing_and_names_the_row(auth_client, user):
    asset = ManualAssetFactory(owner=user)
    url = f"/api/v1/assets/{asset.public_id}/prices/"
    too_late = (
        timezone.localdate() + dt.timedelta(days=2)
    ).isoformat()  # a day ahead is allowed (time zones)

    shape = assert_error(
        auth_client.post(url, [{"date": "2024-01-02", "close": "abc"}], format="json"),
        400,
        "invalid",
    )
    rules = assert_error(
        auth_client.post(
            url,
            [{"date": "2024-01-02", "close": 1}, {"date": too_late, "close": 2}],
            format="json",
        ),
        400,
        "invalid",
    )

    assert shape["fields"] == {"0": {"close": ["A number is required."]}}
    assert list(rules["fields"]) == ["1"] and "future" in rules["fields"]["1"][0]
    assert not Price.objects.exists()


def test_posting_prices_to_a_catalogue_asset_is_refused(auth_client):
    asset = AssetFactory()
    assert_error(
        auth_client.post(
            f"/api/v1/assets/{asset.public_id}/prices/",
            [{"date": "2024-01-02", "close": 1}],
            format="json",
        ),
        422,
        "not_manual",
    )


# --- backfill and jobs -------------------------------------------------------------------------


def test_backfill_answers_202_with_the_job(auth_client, monkeypatch):
    from market import services

    monkeypatch.setattr(services.jobs, "_job_enqueue", lambda job_id: None)
    asset = AssetFactory()

    first = auth_client.post(f"/api/v1/assets/{asset.public_id}/backfill/")
    second = auth_client.post(f"/api/v1/assets/{asset.public_id}/backfill/")

    assert first.status_code == 202
    assert first.json()["status"] == "queued"
    assert first.json()["asset"] == str(asset.public_id)
    assert second.json()["id"] == first.json()["id"]  # the job already queued, not a second one
    assert FetchJob.objects.count() == 1


def test_backfilling_a_manual_asset_is_a_422(auth_client, user):
    asset = ManualAssetFactory(owner=user)
    assert_error(auth_client.post(f"/api/v1/assets/{asset.public_id}/backfill/"), 422, "invalid")


def test_jobs_of_visible_assets_filtered_by_status(auth_client, user, other_user):
    mine = FetchJobFactory(status=FetchJob.Status.FAILED, error="Delisted.")
    FetchJobFactory(status=FetchJob.Status.SUCCEEDED)
    FetchJobFactory(asset=ManualAssetFactory(owner=other_user), status=FetchJob.Status.FAILED)

    body = auth_client.get("/api/v1/jobs/", {"status": "failed"}).json()

    assert [job["id"] for job in body["results"]] == [str(mine.public_id)]
    assert body["results"][0]["error"] == "Delisted."
    detail = auth_client.get(f"/api/v1/jobs/{mine.public_id}/")
    assert detail.json()["status"] == "failed"
    assert_error(auth_client.get("/api/v1/jobs/", {"status": "exploded"}), 400, "invalid")


def test_a_job_says_how_many_bars_it_left_out_and_why(auth_client):
    job = FetchJobFactory(
        status=FetchJob.Status.SUCCEEDED,
        rows_written=250,
        rows_dropped=2,
        note="Left out 2 of 252 bars: 2 with a close of 0 or below.",
    )

    body = auth_client.get(f"/api/v1/jobs/{job.public_id}/").json()

    assert (body["rows_written"], body["rows_dropped"]) == (250, 2)
    assert body["note"] == "Left out 2 of 252 bars: 2 with a close of 0 or below."
    assert "heartbeat_at" in body


def test_another_users_job_is_a_404(auth_client, other_user):
    theirs = FetchJobFactory(asset=ManualAssetFactory(owner=other_user))
    assert_error(auth_client.get(f"/api/v1/jobs/{theirs.public_id}/"), 404, "not_found")


def test_the_schema_documents_the_market_endpoints_without_warnings(client, capsys):
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in (
        "/api/v1/assets/",
        "/api/v1/assets/{public_id}/",
        "/api/v1/assets/{public_id}/prices/",
        "/api/v1/assets/{public_id}/backfill/",
        "/api/v1/jobs/",
        "/api/v1/jobs/{public_id}/",
    ):
        assert path in paths
    output = capsys.readouterr()
    market_lines = [
        line for line in (output.out + output.err).splitlines() if "market" in line.lower()
    ]
    assert market_lines == []
