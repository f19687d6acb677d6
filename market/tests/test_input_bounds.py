"""Bad input to the market app gets a clear 4xx and saves nothing. Manual prices, on the API
bulk upsert and the page upload (preview and confirm): volumes and prices bounded by their
columns, dates from 1 Jan 1900 to a day past today, files and bodies of a bounded size; date
queries bounded too. Searches and new assets: no control characters (a NUL answered 500 on
PostgreSQL)."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from market.forms import MAX_UPLOAD_BYTES
from market.models import Asset, Price
from market.tests.factories import ManualAssetFactory

pytestmark = pytest.mark.django_db

HEADER = "date,open,high,low,close,volume\n"


@pytest.fixture
def asset(user):
    return ManualAssetFactory(owner=user)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def api_url(asset) -> str:
    return f"/api/v1/assets/{asset.public_id}/prices/"


def page_url(asset) -> str:
    return f"/assets/{asset.public_id}/prices/upload/"


def preview(client, asset, text: str):
    file = SimpleUploadedFile("prices.csv", text.encode(), content_type="text/csv")
    return client.post(page_url(asset), {"file": file})


def confirm(client, asset, text: str):
    return client.post(page_url(asset), {"csv_text": text})


@pytest.mark.parametrize(
    "row, message",
    [
        ({"volume": 10**30}, "Volume must be at most 9,223,372,036,854,775,807."),
        ({"close": "1e300"}, "Close must be below 100,000,000,000,000,000."),
        ({"high": "1e300"}, "High must be below 100,000,000,000,000,000."),
        ({"date": "0001-01-01"}, "1 Jan 0001 is too early: dates go from 1 Jan 1900"),
        ({"date": "9999-12-31"}, "31 Dec 9999 is too far in the future"),
    ],
)
def test_the_api_refuses_a_price_out_of_bounds_with_a_message(auth_client, asset, row, message):
    body = [{"date": "2024-01-02", "close": "10", **row}]

    response = auth_client.post(api_url(asset), body, format="json")

    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert any(message in text for text in fields["0"]), fields
    assert not Price.objects.exists()


@pytest.mark.parametrize(
    "line, message",
    [
        ("2024-01-02,,,,10,1e30", "Volume must be at most 9,223,372,036,854,775,807."),
        ("2024-01-02,,,,1e300,", "Close must be below 100,000,000,000,000,000."),
        ("0001-01-01,,,,10,", "1 Jan 0001 is too early"),
    ],
)
def test_the_page_upload_refuses_a_price_out_of_bounds_in_preview_and_confirm(
    logged_in, asset, line, message
):
    text = HEADER + "2024-01-03,,,,11,\n" + line + "\n"

    previewed = preview(logged_in, asset, text)
    confirmed = confirm(logged_in, asset, text)

    for response in (previewed, confirmed):
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Price.objects.exists()


def test_a_price_dated_tomorrow_is_accepted_for_time_zones_ahead(auth_client, asset):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = auth_client.post(
        api_url(asset), [{"date": tomorrow.isoformat(), "close": "10"}], format="json"
    )

    assert response.status_code == 200, response.content
    assert Price.objects.get().date == tomorrow


def test_the_largest_volume_is_stored(auth_client, asset):
    body = [{"date": "2024-01-02", "close": "10", "volume": 2**63 - 1}]

    response = auth_client.post(api_url(asset), body, format="json")

    assert response.status_code == 200, response.content
    assert Price.objects.get().volume == 2**63 - 1


@pytest.mark.parametrize("query", ["start=0001-01-01", "end=9999-12-31"])
def test_a_price_range_query_out_of_range_answers_400(auth_client, asset, query):
    response = auth_client.get(f"{api_url(asset)}?{query}")

    assert response.status_code == 400
    assert "dates go from 1 Jan 1900" in str(response.json()["error"]["fields"])


def test_a_backfill_from_before_1900_answers_400(auth_client, asset):
    response = auth_client.post(
        f"/api/v1/assets/{asset.public_id}/backfill/", {"start": "0001-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert "too early" in response.json()["error"]["fields"]["start"][0]


def oversized_price_csv() -> str:
    line = "2024-01-02,101.5,103,100.75,102.25,1200\n"
    return HEADER + line * (MAX_UPLOAD_BYTES // len(line) + 1)


def test_an_oversized_price_file_is_refused_on_upload_and_on_a_forged_confirm(logged_in, asset):
    text = oversized_price_csv()

    uploaded = preview(logged_in, asset, text)
    confirmed = confirm(logged_in, asset, text)

    for response in (uploaded, confirmed):
        assert response.status_code == 200
        assert "larger than 2 MB" in response.content.decode()
    assert not Price.objects.exists()


def test_a_price_file_of_the_largest_accepted_size_can_be_confirmed(logged_in, asset):
    # The confirmation sends the text back form-encoded (a comma becomes three bytes): it must
    # fit the request's form-field limit.
    line = "2024-01-02,101.5,103,100.75,102.25,1200\n"
    text = HEADER + line * (MAX_UPLOAD_BYTES // len(line) - 1)
    assert len(text) <= MAX_UPLOAD_BYTES

    response = confirm(logged_in, asset, text)

    assert response.status_code == 200  # read and answered (here: too many rows), not refused
    assert "The file has more than 50,000 prices; split it." in response.content.decode()


def test_a_json_price_body_over_the_limit_answers_413(auth_client, asset):
    row = '{"date": "2024-01-02", "close": "10"},'
    count = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // len(row) + 1
    body = "[" + row * count + '{"date": "2024-01-02", "close": "10"}]'

    response = auth_client.post(api_url(asset), body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Price.objects.exists()


# --- Searches and new assets -------------------------------------------------------------------


def test_a_search_with_a_nul_answers_400_on_the_api(auth_client):
    response = auth_client.get("/api/v1/assets/?q=AA%00PL")

    assert response.status_code == 400
    assert "NUL character" in response.json()["error"]["fields"]["q"][0]


def test_a_search_with_a_nul_says_why_on_the_page_and_in_the_picker(logged_in, user):
    from portfolios.tests.factories import PortfolioFactory

    portfolio = PortfolioFactory(owner=user)
    page = logged_in.get("/assets/?q=AA%00PL")
    picker = logged_in.get(f"/portfolios/{portfolio.public_id}/assets/options/?q=AA%00PL")

    assert page.status_code == 200 and "NUL character" in page.content.decode()
    assert picker.status_code == 200


def test_adding_a_symbol_with_a_nul_goes_back_with_a_message(logged_in):
    response = logged_in.post("/assets/add/", {"symbol": "AA\x00PL"}, follow=True)

    assert response.status_code == 200
    assert "NUL character" in response.content.decode()
    assert not Asset.objects.exists()


def test_a_manual_asset_with_a_control_character_is_refused(auth_client):
    body = {
        "provider": "manual",
        "symbol": "AB\x07",
        "name": "Bell",
        "asset_class": "stock",
        "currency": "USD",
    }

    response = auth_client.post("/api/v1/assets/", body)

    assert response.status_code == 400
    assert "control character (U+0007)" in response.json()["error"]["fields"]["symbol"][0]
    assert not Asset.objects.exists()
