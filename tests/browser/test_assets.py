"""Assets in headless Chromium: search while typing → add → the asset page shows the chart and
the finished backfill (tests run Celery eagerly, so the backfill queued on commit runs inside
the request); a manual asset whose CSV has a bad row saves nothing; the staff data status.
Screenshots at desktop and phone widths land in test-artifacts/."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from market.models import Asset, FetchJob, Price

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_search_add_an_asset_and_see_its_chart_and_finished_backfill(page, screenshot):
    log_in(page, UserFactory(email="assets@example.com"))

    page.get_by_role("link", name="Assets", exact=True).click()
    page.wait_for_url("**/assets/")
    expect(page.get_by_role("heading", name="Find an asset")).to_be_visible()
    page.get_by_label("Search assets").press_sequentially("Micros", delay=40)
    result = page.locator("#results form.asset-result", has_text="MSFT")
    expect(result).to_be_visible()  # results arrived while typing, without a submit
    expect(page.get_by_role("heading", name="From Demo (demo data)")).to_be_visible()
    screenshot("assets-search")

    result.get_by_role("button", name="Add MSFT").click()
    page.wait_for_url("**/assets/*-*-*-*-*/")

    asset = Asset.objects.get(symbol="MSFT")
    job = asset.fetch_jobs.get()
    assert job.status == FetchJob.Status.SUCCEEDED
    assert Price.objects.filter(asset=asset).count() == job.rows_written > 200
    expect(page.get_by_role("heading", name="MSFT")).to_be_visible()
    expect(page.locator(".job-done")).to_contain_text("Backfill finished")
    expect(page.get_by_text("Demo data: the prices on this page are simulated")).to_be_visible()
    page.wait_for_function(
        "() => { const c = document.querySelector('canvas[data-price-chart]');"
        " return c && c._chart && c._chart.data.labels.length > 200; }"
    )
    screenshot("asset-page")

    # The range picker swaps only the chart.
    page.get_by_role("link", name="1M", exact=True).click()
    page.wait_for_url("**range=1M")
    page.wait_for_function(
        "() => { const c = document.querySelector('canvas[data-price-chart]');"
        " return c && c._chart && c._chart.data.labels.length < 30; }"
    )
    expect(page.get_by_role("link", name="1M", exact=True)).to_have_attribute(
        "aria-current", "true"
    )

    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_function("() => document.querySelector('canvas[data-price-chart]')?._chart")
    screenshot("asset-page-phone")
    page.goto("/assets/?q=ms")
    screenshot("assets-search-phone")


def test_a_manual_asset_whose_csv_has_a_bad_row_saves_nothing_until_fixed(
    page, screenshot, tmp_path
):
    user = UserFactory(email="manual@example.com")
    log_in(page, user)
    page.goto("/assets/new/")
    page.get_by_label("Symbol").fill("FLAT")
    page.get_by_label("Name").fill("Flat in Lisbon")
    page.get_by_label("Asset class").select_option("other")
    page.get_by_label("Currency").select_option("EUR")
    screenshot("manual-asset-new")
    page.get_by_role("button", name="Create asset").click()
    page.wait_for_url("**/prices/upload/")

    bad = tmp_path / "bad.csv"
    bad.write_text("date,open,high,low,close,volume\n2024-01-02,,,,101.5,\n2024-01-03,,,,-1,\n")
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Close must be a number greater than 0.")).to_be_visible()
    expect(page.get_by_text("Nothing was saved.")).to_be_visible()
    screenshot("manual-prices-preview-error")
    assert not Price.objects.exists()

    good = tmp_path / "good.csv"
    today = timezone.localdate()
    lines = ["date,close"] + [
        f"{(today - dt.timedelta(days=n)).isoformat()},{100 + n / 10:.2f}" for n in range(40, 0, -1)
    ]
    good.write_text("\n".join(lines) + "\n")
    page.get_by_role("button", name="Upload a corrected file").click()
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Save 40 prices").click()
    page.wait_for_url("**/assets/*-*-*-*-*/")
    expect(page.get_by_text("Saved 40 prices of FLAT")).to_be_visible()
    assert Price.objects.filter(asset__symbol="FLAT", asset__owner=user).count() == 40
    page.wait_for_function("() => document.querySelector('canvas[data-price-chart]')?._chart")
    screenshot("manual-asset-page")


def test_staff_see_the_data_status_page(page, screenshot):
    staff = UserFactory(email="staff@example.com", is_staff=True, roles=["Staff"])
    asset = Asset.objects.create(
        symbol="OLD", name="Old Corp", asset_class="stock", currency="USD", provider="demo"
    )
    Price.objects.create(asset=asset, date=timezone.localdate() - dt.timedelta(days=30), close=9.5)
    FetchJob.objects.create(
        asset=asset,
        kind="backfill",
        status="failed",
        attempts=7,
        error="Gave up after 7 attempts. Last problem: Yahoo Finance did not answer in time.",
        finished_at=timezone.now(),
    )
    log_in(page, staff)
    page.goto("/assets/status/")
    expect(page.get_by_role("heading", name="Market data status")).to_be_visible()
    expect(page.get_by_text("Gave up after 7 attempts")).to_be_visible()
    expect(page.locator(".status-table").first).to_contain_text("OLD")  # stale: a month old
    screenshot("market-data-status")
    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_text("Refresh queued")).to_be_visible()


def test_backfill_progress_polls_until_the_job_ends_then_the_chart_appears(page, screenshot):
    from market.tests.factories import weekday_bars

    user = UserFactory(email="poll@example.com")
    asset = Asset.objects.create(
        symbol="SLOW", name="Slow Fetch plc", asset_class="stock", currency="GBP", provider="demo"
    )
    job = FetchJob.objects.create(asset=asset, kind="backfill", status="running", attempts=1)
    log_in(page, user)
    polls = []
    page.on("request", lambda request: "/progress/" in request.url and polls.append(request.url))

    page.goto(f"/assets/{asset.public_id}/")
    expect(page.get_by_text("Fetching price history…")).to_be_visible()
    expect(page.get_by_text("No prices in this range yet.")).to_be_visible()
    screenshot("asset-page-backfill-running")
    page.wait_for_timeout(2_500)
    assert polls  # it polls while the job runs

    today = timezone.localdate()
    for bar in weekday_bars(today - dt.timedelta(days=90), today):
        Price.objects.create(asset=asset, date=bar.date, close=bar.close)
    job.status, job.rows_written, job.finished_at = "succeeded", 64, timezone.now()
    job.save()

    expect(page.locator(".job-done")).to_contain_text("64 prices written", timeout=10_000)
    page.wait_for_function("() => document.querySelector('canvas[data-price-chart]')?._chart")
    count = len(polls)
    page.wait_for_timeout(4_500)
    assert len(polls) == count  # 286 stopped the polling
    screenshot("asset-page-backfill-finished")
