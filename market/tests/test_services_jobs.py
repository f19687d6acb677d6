"""Fetch jobs: ensure_history queues once, backfills store prices and corporate actions, and a
failed fetch keeps what is stored and says why."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from market import services
from market.models import CorporateAction, FetchJob, Price
from market.providers.base import (
    Event,
    PermanentProviderError,
    TransientProviderError,
)
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


def _monday_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


# --- ensure_history ----------------------------------------------------------------------------


def test_ensure_history_queues_a_backfill_once(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(services.jobs, "_job_enqueue", queued.append)
    asset = AssetFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = services.ensure_history(asset=asset, since=TODAY - dt.timedelta(days=400))
        second = services.ensure_history(asset=asset, since=TODAY - dt.timedelta(days=400))

    assert first is not None and first.status == FetchJob.Status.QUEUED
    assert second is None
    assert FetchJob.objects.filter(asset=asset).count() == 1
    assert queued == [first.pk]


def test_ensure_history_asks_for_at_least_a_year_and_a_week_before():
    asset = AssetFactory()

    job = services.ensure_history(asset=asset, since=TODAY - dt.timedelta(days=10))

    assert job.start == TODAY - services.MIN_HISTORY - dt.timedelta(days=7)


def test_ensure_history_does_nothing_when_history_has_the_close_before_since():
    asset = AssetFactory()
    since = _monday_before(TODAY - dt.timedelta(days=500))
    PriceFactory(asset=asset, date=since - dt.timedelta(days=3))  # the Friday before

    assert services.ensure_history(asset=asset, since=since) is None
    assert not FetchJob.objects.exists()


def test_ensure_history_queues_when_history_starts_on_since_itself():
    """The close of the trading day before `since` is needed: a history from `since` lacks it."""
    asset = AssetFactory()
    since = _monday_before(TODAY - dt.timedelta(days=500))
    PriceFactory(asset=asset, date=since)

    job = services.ensure_history(asset=asset, since=since)

    assert job is not None
    assert job.start == since - dt.timedelta(days=7)


def test_ensure_history_queues_when_history_starts_too_late():
    asset = AssetFactory()
    PriceFactory(asset=asset, date=TODAY - dt.timedelta(days=30))

    job = services.ensure_history(asset=asset, since=TODAY - dt.timedelta(days=800))

    assert job is not None
    assert job.start == TODAY - dt.timedelta(days=807)


def test_ensure_history_trusts_a_succeeded_backfill_of_a_younger_instrument():
    asset = AssetFactory()
    since = TODAY - dt.timedelta(days=800)
    PriceFactory(asset=asset, date=TODAY - dt.timedelta(days=100))  # listed 100 days ago
    FetchJobFactory(
        asset=asset, status=FetchJob.Status.SUCCEEDED, start=since - dt.timedelta(days=7)
    )

    assert services.ensure_history(asset=asset, since=since) is None


def test_history_needed_from_a_monday_is_requested_from_the_monday_before_and_then_settles(
    use_provider, django_capture_on_commit_callbacks
):
    """The Friday close before a Monday start is fetched, and once the backfill succeeded no
    new job is queued, also for an instrument whose history starts later than asked."""
    monday = _monday_before(TODAY - dt.timedelta(days=500))
    bars = weekday_bars(monday - dt.timedelta(days=30), TODAY)
    provider = use_provider(FakeProvider("demo", bars=bars))
    young = AssetFactory(symbol="YOUNG")
    listed = monday + dt.timedelta(days=2)
    provider_young = FakeProvider("demo", bars=weekday_bars(listed, TODAY))
    asset = AssetFactory(symbol="OLD")

    with django_capture_on_commit_callbacks(execute=True):  # the backfill runs (eager)
        job = services.ensure_history(asset=asset, since=monday)

    assert job.start == monday - dt.timedelta(days=7)
    assert ("history", "OLD", monday - dt.timedelta(days=7), TODAY) in provider.calls
    job.refresh_from_db()
    assert job.status == FetchJob.Status.SUCCEEDED
    assert Price.objects.filter(asset=asset, date=monday - dt.timedelta(days=3)).exists()
    assert services.ensure_history(asset=asset, since=monday) is None

    use_provider(provider_young)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.ensure_history(asset=young, since=monday)
    first.refresh_from_db()
    assert first.status == FetchJob.Status.SUCCEEDED
    assert services.ensure_history(asset=young, since=monday) is None
    assert FetchJob.objects.filter(asset=young).count() == 1


def test_ensure_history_ignores_manual_assets():
    assert services.ensure_history(asset=ManualAssetFactory(), since=TODAY) is None


def test_a_job_lost_by_a_dead_worker_stops_blocking_new_ones():
    asset = AssetFactory()
    lost = FetchJobFactory(asset=asset, status=FetchJob.Status.RUNNING, attempts=1)
    # Silent for longer than the task time limit (600 s) and its minute of grace.
    FetchJob.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=12),
        heartbeat_at=timezone.now() - dt.timedelta(minutes=12),
    )

    job = services.backfill_request(asset=asset)

    lost.refresh_from_db()
    assert lost.status == FetchJob.Status.FAILED
    assert "The worker stopped during attempt 1" in lost.error
    assert job.pk != lost.pk


def test_backfill_request_answers_the_job_already_running():
    asset = AssetFactory()
    running = FetchJobFactory(asset=asset, status=FetchJob.Status.RUNNING)

    assert services.backfill_request(asset=asset) == running


# --- backfill_run ------------------------------------------------------------------------------


def test_a_backfill_stores_bars_and_corporate_actions_and_records_success(use_provider):
    bars = weekday_bars(TODAY - dt.timedelta(days=60), TODAY)
    events = [
        Event("SPLT", TODAY - dt.timedelta(days=20), "split", ratio=Decimal("4")),
        Event("SPLT", TODAY - dt.timedelta(days=10), "dividend", amount=Decimal("0.24")),
    ]
    use_provider(FakeProvider("demo", bars=bars, events=events))
    asset = AssetFactory(symbol="SPLT")
    job = FetchJobFactory(asset=asset, start=TODAY - dt.timedelta(days=365))

    services.backfill_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.SUCCEEDED
    assert job.attempts == 1
    assert job.rows_written == len(bars)
    assert job.error == ""
    assert job.started_at is not None and job.finished_at is not None
    assert job.end == TODAY
    assert Price.objects.filter(asset=asset).count() == len(bars)
    actions = {a.kind: a for a in CorporateAction.objects.filter(asset=asset)}
    assert actions["split"].ratio == Decimal("4")
    assert actions["dividend"].amount == Decimal("0.24")


def test_running_a_backfill_again_writes_nothing_new(use_provider):
    bars = weekday_bars(TODAY - dt.timedelta(days=30), TODAY)
    use_provider(FakeProvider("demo", bars=bars))
    asset = AssetFactory()
    services.backfill_run(job_id=FetchJobFactory(asset=asset).pk)
    FetchJob.objects.update(status=FetchJob.Status.SUCCEEDED)

    again = services.backfill_run(job_id=FetchJobFactory(asset=asset).pk)

    assert again.status == FetchJob.Status.SUCCEEDED
    assert again.rows_written == 0


def test_a_permanent_failure_keeps_old_prices_and_records_why(use_provider):
    use_provider(FakeProvider("demo", failures=[PermanentProviderError("No such symbol: NOPE.")]))
    asset = AssetFactory(symbol="NOPE")
    PriceFactory(asset=asset, date=dt.date(2024, 1, 2), close=42.0)
    job = FetchJobFactory(asset=asset)

    services.backfill_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.FAILED
    assert job.error == "Demo (offline) could not provide NOPE: No such symbol: NOPE."
    assert job.finished_at is not None
    assert list(Price.objects.filter(asset=asset).values_list("close", flat=True)) == [42.0]


def test_a_transient_failure_keeps_old_prices_requeues_the_job_and_raises(use_provider):
    use_provider(FakeProvider("demo", failures=[TransientProviderError("HTTP 503 from the API.")]))
    asset = AssetFactory()
    PriceFactory(asset=asset, date=dt.date(2024, 1, 2), close=42.0)
    job = FetchJobFactory(asset=asset)

    with pytest.raises(TransientProviderError):
        services.backfill_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.QUEUED
    assert "temporary problem (attempt 1): HTTP 503" in job.error
    assert Price.objects.get(asset=asset).close == 42.0


def test_a_finished_job_is_not_run_again(use_provider):
    provider = use_provider(FakeProvider("demo", bars=weekday_bars(TODAY, TODAY)))
    job = FetchJobFactory(status=FetchJob.Status.SUCCEEDED)

    services.backfill_run(job_id=job.pk)

    assert provider.calls == []


def test_an_unexpected_error_fails_the_job_and_is_raised(use_provider):
    use_provider(FakeProvider("demo", failures=[RuntimeError("bug")]))
    job = FetchJobFactory()

    with pytest.raises(RuntimeError):
        services.backfill_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.FAILED
    assert "unexpected error" in job.error


def test_a_backfill_learns_an_unknown_currency_from_a_quote(use_provider):
    from market.providers.base import QuoteResult

    quote = QuoteResult("XYZ", 10.0, "EUR", timezone.now())
    use_provider(FakeProvider("demo", bars=weekday_bars(TODAY, TODAY), quotes={"XYZ": quote}))
    asset = AssetFactory(symbol="XYZ", currency="")

    services.backfill_run(job_id=FetchJobFactory(asset=asset).pk)

    asset.refresh_from_db()
    assert asset.currency == "EUR"


# --- daily closes and quotes -------------------------------------------------------------------


def test_daily_closes_refresh_queues_a_short_refresh_after_the_last_close(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services.jobs, "_job_enqueue", lambda job_id: None)
    fresh = AssetFactory()
    FetchJobFactory(asset=fresh, status=FetchJob.Status.SUCCEEDED)  # recently requested
    PriceFactory(asset=fresh, date=TODAY - dt.timedelta(days=3))
    empty = AssetFactory()
    FetchJobFactory(asset=empty, status=FetchJob.Status.FAILED)
    AssetFactory()  # nobody asked for it: not refreshed

    jobs = services.daily_closes_refresh()

    by_asset = {job.asset_id: job for job in jobs}
    assert set(by_asset) == {fresh.pk, empty.pk}
    assert by_asset[fresh.pk].kind == FetchJob.Kind.REFRESH
    assert by_asset[fresh.pk].start == TODAY - dt.timedelta(days=3) - services.REFRESH_OVERLAP
    assert by_asset[empty.pk].kind == FetchJob.Kind.BACKFILL


def test_registered_refresh_sources_add_assets():
    from market import selectors

    held = AssetFactory()
    source = lambda: [held.pk]  # noqa: E731
    selectors.refresh_source_register(source)
    try:
        assert held in selectors.assets_to_refresh()
    finally:
        selectors._refresh_sources.remove(source)


def test_quotes_refresh_stores_quotes_and_a_failure_keeps_the_old_ones(use_provider):
    from market.models import Quote
    from market.providers.base import QuoteResult
    from market.tests.factories import QuoteFactory

    now = timezone.now()
    good = AssetFactory(symbol="GOOD")
    kept = AssetFactory(symbol="KEPT", provider="yahoo")
    QuoteFactory(asset=kept, price=7.0, timestamp=now - dt.timedelta(days=2))
    use_provider(FakeProvider("demo", quotes={"GOOD": QuoteResult("GOOD", 12.5, "USD", now)}))
    use_provider(
        FakeProvider(
            "yahoo", quote_failure=TransientProviderError("Too many requests", retry_after=30)
        )
    )

    outcome = services.quotes_refresh(asset_ids=[good.pk, kept.pk])

    assert outcome.updated == 1
    assert Quote.objects.get(asset=good).price == 12.5
    assert Quote.objects.get(asset=kept).price == 7.0
    assert outcome.retry_asset_ids == [kept.pk]
    assert outcome.retry_after == 30
    assert "Too many requests" in outcome.errors[0]
