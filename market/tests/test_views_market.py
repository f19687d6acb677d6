"""Market pages: search (full page and partial), add, the asset page and its partials, polling
that stops with 286, manual assets with CSV upload (nothing saved while any row is invalid), and
the staff data-status page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from market.models import Asset, FetchJob, Price
from market.providers.base import SearchResult, TransientProviderError
from market.tests.factories import (
    AssetFactory,
    FakeProvider,
    FetchJobFactory,
    ManualAssetFactory,
    PriceFactory,
    weekday_bars,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
APPLE = SearchResult("AAPL", "Apple Inc.", "stock", "USD", "NASDAQ", "demo")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


# --- search and add ----------------------------------------------------------------------------


def test_search_page_and_its_results_partial(logged_in, use_provider):
    use_provider(FakeProvider("demo", search_results=[APPLE]))
    AssetFactory(symbol="APPX", name="Appx Corp")

    page = logged_in.get("/assets/", {"q": "app"})
    partial = logged_in.get("/assets/", {"q": "app"}, HTTP_HX_TARGET="results", **HTMX)

    assert page.status_code == partial.status_code == 200
    assert b"<html" in page.content and b'hx-trigger="input changed delay:300ms' in page.content
    assert b"<html" not in partial.content
    assert partial.content.strip().startswith(b'<section id="results"')
    text = partial.content.decode()
    assert text.index("APPX") < text.index("AAPL")  # local first, then the provider's
    assert 'action="/assets/add/"' in text
    assert "HX-Request" in partial["Vary"]


def test_search_shows_local_results_when_the_provider_fails(logged_in, use_provider):
    use_provider(FakeProvider("demo", search_failure=TransientProviderError("HTTP 503.")))
    AssetFactory(symbol="APPX")

    response = logged_in.get("/assets/", {"q": "app"}, HTTP_HX_TARGET="results", **HTMX)

    assert b"APPX" in response.content
    assert b"search is unavailable" in response.content


def test_search_needs_a_login(client):
    assert client.get("/assets/").status_code == 302


def test_add_creates_the_asset_runs_its_backfill_and_opens_its_page(
    logged_in, use_provider, django_capture_on_commit_callbacks
):
    bars = weekday_bars(TODAY - dt.timedelta(days=40), TODAY)
    use_provider(FakeProvider("demo", search_results=[APPLE], bars=bars))

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post("/assets/add/", {"symbol": "AAPL", "provider": "demo"})

    asset = Asset.objects.get(symbol="AAPL")
    assert response.status_code == 302
    assert response["Location"] == reverse("asset-detail", args=[asset.public_id])
    assert asset.fetch_jobs.get().status == FetchJob.Status.SUCCEEDED  # eager worker in tests
    assert Price.objects.filter(asset=asset).count() == len(bars)


def test_adding_an_unknown_symbol_goes_back_to_search_with_a_message(logged_in, use_provider):
    use_provider(FakeProvider("demo", search_results=[APPLE]))

    response = logged_in.post("/assets/add/", {"symbol": "NOPE"}, follow=True)

    assert b"Could not add NOPE" in response.content
    assert not Asset.objects.exists()


# --- asset page --------------------------------------------------------------------------------


def test_asset_page_shows_chart_quote_coverage_and_demo_notice(
    logged_in, django_assert_max_num_queries
):
    asset = AssetFactory(symbol="DEMO1", provider="demo")
    for bar in weekday_bars(TODAY - dt.timedelta(days=20), TODAY):
        PriceFactory(asset=asset, date=bar.date, close=bar.close)

    with django_assert_max_num_queries(12):
        response = logged_in.get(f"/assets/{asset.public_id}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "data-price-chart" in text and 'id="price-data"' in text
    assert "Demo data" in text
    assert "Last close" in text
    assert 'aria-current="true">1Y<' in text


def test_range_picker_answers_only_the_chart(logged_in):
    asset = AssetFactory()
    PriceFactory(asset=asset, date=TODAY - dt.timedelta(days=400), close=50.0)
    PriceFactory(asset=asset, date=TODAY - dt.timedelta(days=3), close=60.0)

    one_month = logged_in.get(
        f"/assets/{asset.public_id}/", {"range": "1M"}, HTTP_HX_TARGET="chart", **HTMX
    )
    everything = logged_in.get(
        f"/assets/{asset.public_id}/", {"range": "MAX"}, HTTP_HX_TARGET="chart", **HTMX
    )

    assert one_month.content.strip().startswith(b'<section id="chart"')
    assert b"<html" not in one_month.content
    assert b"60.0" in one_month.content and b"50.0" not in one_month.content
    assert b"50.0" in everything.content


def test_another_users_manual_asset_page_is_a_404(logged_in, other_user):
    theirs = ManualAssetFactory(owner=other_user)
    assert logged_in.get(f"/assets/{theirs.public_id}/").status_code == 404
    assert logged_in.get(f"/assets/{theirs.public_id}/progress/").status_code == 404
    assert logged_in.get(f"/assets/{theirs.public_id}/prices/upload/").status_code == 404


def test_progress_polls_while_a_job_runs_and_stops_with_286_when_it_ends(logged_in):
    asset = AssetFactory()
    job = FetchJobFactory(asset=asset, status=FetchJob.Status.RUNNING, attempts=1)
    url = f"/assets/{asset.public_id}/progress/"

    running = logged_in.get(url, **HTMX)
    job.status, job.rows_written, job.finished_at = FetchJob.Status.SUCCEEDED, 250, timezone.now()
    job.save()
    finished = logged_in.get(url, **HTMX)

    assert running.status_code == 200
    assert b'hx-trigger="every 2s"' in running.content
    assert finished.status_code == 286
    assert b"every 2s" not in finished.content
    assert b"250 prices written" in finished.content
    assert "job-finished" in finished["HX-Trigger"]


def test_asset_page_polls_only_while_a_job_is_active(logged_in):
    asset = AssetFactory()
    FetchJobFactory(asset=asset, status=FetchJob.Status.FAILED, error="Delisted.")

    response = logged_in.get(f"/assets/{asset.public_id}/")

    assert b"every 2s" not in response.content
    assert b"The last fetch failed" in response.content and b"Delisted." in response.content


def test_the_data_partial_reloads_after_a_job(logged_in):
    asset = AssetFactory()
    response = logged_in.get(f"/assets/{asset.public_id}/", HTTP_HX_TARGET="asset-data", **HTMX)
    assert response.content.strip().startswith(b'<div id="asset-data"')


def test_fetch_history_now_queues_a_backfill(logged_in, monkeypatch):
    from market import services

    monkeypatch.setattr(services.jobs, "_job_enqueue", lambda job_id: None)
    asset = AssetFactory()

    response = logged_in.post(f"/assets/{asset.public_id}/backfill/")

    assert response.status_code == 302
    assert asset.fetch_jobs.get().status == FetchJob.Status.QUEUED


# --- manual assets and CSV upload --------------------------------------------------------------


def test_create_a_manual_asset_then_go_to_its_upload_page(logged_in, user):
    response = logged_in.post(
        "/assets/new/",
        {"symbol": "flat", "name": "Flat", "asset_class": "other", "currency": "EUR"},
    )
    asset = Asset.objects.get(owner=user)
    assert asset.symbol == "FLAT"
    assert response["Location"] == reverse("asset-prices-upload", args=[asset.public_id])

    again = logged_in.post(
        "/assets/new/",
        {"symbol": "FLAT", "name": "Flat", "asset_class": "other", "currency": "EUR"},
    )
    assert again.status_code == 200
    assert b"You already have a manual asset FLAT" in again.content


def _upload(client, asset, text: str, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("prices.csv", text.encode(), content_type="text/csv")
    return client.post(f"/assets/{asset.public_id}/prices/upload/", {"file": file}, **extra)


def test_csv_upload_with_a_bad_row_previews_the_error_and_saves_nothing(logged_in, user):
    asset = ManualAssetFactory(owner=user)
    too_late = (TODAY + dt.timedelta(days=2)).isoformat()  # a day ahead is allowed (time zones)
    text = (
        "date,open,high,low,close,volume\n"
        "2024-01-02,1,1,1,10.5,100\n"
        "2024-01-03,,,,-2,\n"
        "2024-13-01,,,,3,\n"
        f"{too_late},,,,4,\n"
        "2024-01-02,,,,5,\n"
    )

    preview = _upload(logged_in, asset, text)
    forced = logged_in.post(f"/assets/{asset.public_id}/prices/upload/", {"csv_text": text})

    content = preview.content.decode()
    assert preview.status_code == 200
    assert "4 with problems" in content
    assert "Close must be a number greater than 0." in content
    assert "is not a date like 2024-01-31" in content
    assert "is too far in the future" in content
    assert "appears more than once" in content
    assert "Nothing was saved." in content
    assert 'name="csv_text"' not in content  # no way to confirm
    assert forced.status_code == 200 and b"Nothing was saved." in forced.content
    assert not Price.objects.exists()


def test_csv_upload_preview_then_confirm_saves_every_row(logged_in, user):
    asset = ManualAssetFactory(owner=user)
    text = "Date,Close,Volume\n2024-01-02,10.5,100\n2024-01-03,10.75,\n"

    preview = _upload(logged_in, asset, text, HTTP_HX_TARGET="upload", **HTMX)
    assert preview.content.strip().startswith(b'<div id="upload"')
    assert b"Save 2 prices" in preview.content
    assert not Price.objects.exists()

    saved = logged_in.post(
        f"/assets/{asset.public_id}/prices/upload/", {"csv_text": text}, follow=True
    )

    assert b"Saved 2 prices" in saved.content
    closes = list(Price.objects.filter(asset=asset).order_by("date").values_list("close", "volume"))
    assert closes == [(10.5, 100), (10.75, None)]


def test_csv_with_a_wrong_header_is_explained(logged_in, user):
    asset = ManualAssetFactory(owner=user)
    response = _upload(logged_in, asset, "day,price\n2024-01-02,1\n")
    assert b"Missing column(s): date, close." in response.content


def test_catalogue_assets_take_no_uploads(logged_in):
    asset = AssetFactory()
    assert logged_in.get(f"/assets/{asset.public_id}/prices/upload/").status_code == 404


# --- staff data status -------------------------------------------------------------------------


def test_data_status_answers_a_403_page_that_says_why_to_a_user_who_is_not_staff(logged_in):
    response = logged_in.get("/assets/status/")
    assert response.status_code == 403
    assert "403.html" in [template.name for template in response.templates]
    page = response.content.decode()
    assert "This page is for staff" in page
    assert 'href="/"' in page  # the way back to the dashboard
    assert logged_in.post("/assets/status/").status_code == 403


def test_data_status_sends_a_visitor_who_is_not_logged_in_to_the_login_page(client):
    response = client.get("/assets/status/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/assets/status/")


def test_data_status_shows_stale_assets_and_failed_jobs_and_refreshes_now(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    from accounts.tests.factories import UserFactory
    from market import services

    client.force_login(UserFactory(is_staff=True, roles=["Staff"]))
    stale = AssetFactory(symbol="OLD")
    PriceFactory(asset=stale, date=TODAY - dt.timedelta(days=20))
    FetchJobFactory(
        asset=stale,
        status=FetchJob.Status.FAILED,
        error="Yahoo Finance could not provide OLD: delisted.",
        finished_at=timezone.now(),
    )
    queued = []
    monkeypatch.setattr(services.refresh, "_task_enqueue", lambda name, **kw: queued.append(name))

    page = client.get("/assets/status/")
    with django_capture_on_commit_callbacks(execute=True):
        refreshed = client.post("/assets/status/", follow=True)

    text = page.content.decode()
    assert "OLD" in text and "delisted." in text
    assert "Refresh now" in text
    assert b"Refresh queued" in refreshed.content
    assert queued == ["refresh_quotes", "refresh_daily_closes"]


# --- jobs that fail or get stuck ---------------------------------------------------------------


def test_progress_of_a_failed_job_stops_polling_and_offers_to_try_again(logged_in, monkeypatch):
    from market import services

    monkeypatch.setattr(services.jobs, "_job_enqueue", lambda job_id: None)
    asset = AssetFactory()
    failed = FetchJobFactory(
        asset=asset,
        status=FetchJob.Status.FAILED,
        error="No worker took this job up within 61 minutes.",
        finished_at=timezone.now(),
    )

    progress = logged_in.get(f"/assets/{asset.public_id}/progress/", **HTMX)
    retried = logged_in.post(f"/assets/{asset.public_id}/backfill/", follow=True)

    assert progress.status_code == 286
    assert b"every 2s" not in progress.content
    assert b"No worker took this job up" in progress.content
    assert b"Try again" in progress.content
    assert f'action="/assets/{asset.public_id}/backfill/"'.encode() in progress.content
    new = asset.fetch_jobs.exclude(pk=failed.pk).get()
    assert new.status == FetchJob.Status.QUEUED
    assert b"Fetching the history of" in retried.content
    assert b'hx-trigger="every 2s"' in retried.content


def test_a_stuck_job_stops_the_polling_once_the_sweep_fails_it(logged_in):
    from market import selectors, tasks

    asset = AssetFactory()
    job = FetchJobFactory(asset=asset, status=FetchJob.Status.RUNNING, attempts=1)
    FetchJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - selectors.job_running_limit() - dt.timedelta(minutes=1)
    )
    url = f"/assets/{asset.public_id}/progress/"

    before = logged_in.get(url, **HTMX)
    tasks.sweep_jobs.delay()
    after = logged_in.get(url, **HTMX)

    assert before.status_code == 200
    assert after.status_code == 286
    assert b"The worker stopped during attempt 1" in after.content
    assert b"Try again" in after.content


def test_a_succeeded_job_says_which_bars_it_left_out(logged_in):
    asset = AssetFactory()
    FetchJobFactory(
        asset=asset,
        status=FetchJob.Status.SUCCEEDED,
        rows_written=250,
        rows_dropped=2,
        note="Left out 2 of 252 bars: 2 with a close that is not a number.",
        finished_at=timezone.now(),
    )

    response = logged_in.get(f"/assets/{asset.public_id}/")

    assert b"250 prices written" in response.content
    assert b"Left out 2 of 252 bars" in response.content


def test_data_status_counts_failed_queued_and_running_jobs_and_shows_stuck_ones_with_ages(
    client,
):
    from accounts.tests.factories import UserFactory
    from market import selectors

    client.force_login(UserFactory(is_staff=True, roles=["Staff"]))
    now = timezone.now()
    for _ in range(2):
        FetchJobFactory(status=FetchJob.Status.FAILED, error="x", finished_at=now)
    for _ in range(3):
        FetchJobFactory(status=FetchJob.Status.QUEUED)
    running = FetchJobFactory(status=FetchJob.Status.RUNNING, attempts=1)
    stuck = FetchJobFactory(
        status=FetchJob.Status.RUNNING, attempts=1, asset=AssetFactory(symbol="STUCK")
    )
    silent = now - selectors.job_running_limit() - dt.timedelta(minutes=5)
    FetchJob.objects.filter(pk=stuck.pk).update(created_at=silent, heartbeat_at=silent)
    FetchJob.objects.filter(pk=running.pk).update(heartbeat_at=now)

    status = selectors.data_status(now=now)
    page = client.get("/assets/status/").content.decode()

    assert (status.failed_count, status.queued_jobs, status.running_jobs) == (2, 3, 2)
    assert status.active_jobs == status.queued_jobs + status.running_jobs
    assert status.stuck_jobs == 1
    assert [item.job.pk for item in status.jobs_in_flight if item.is_stuck] == [stuck.pk]
    assert "2 failed" in page and "3 queued · 2 running" in page and "1 stuck" in page
    assert "STUCK" in page and "16 min" in page  # its age
