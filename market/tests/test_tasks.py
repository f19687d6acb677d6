"""Celery tasks: transient provider errors retry with growing, jittered countdowns that honour
retry_after; permanent ones fail the job without retrying; the provider rate limit holds."""

import datetime as dt
import functools
import random

import pytest
from django.utils import timezone

from market import ratelimit, tasks
from market.models import FetchJob, Price
from market.providers.base import PermanentProviderError, TransientProviderError
from market.tests.factories import AssetFactory, FakeProvider, FetchJobFactory, weekday_bars

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _eager_retries():
    """Eager tasks re-run at once on retry only when they do not propagate errors."""
    from portfolia.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture
def countdowns(monkeypatch):
    """Countdowns the backfill task asks retries for (eager retries run at once)."""
    seen = []
    original = tasks.backfill.retry

    def retry(*args, **kwargs):
        seen.append(kwargs["countdown"])
        return original(*args, **kwargs)

    monkeypatch.setattr(tasks.backfill, "retry", retry)
    return seen


def test_transient_errors_are_retried_with_growing_countdowns_until_success(
    use_provider, countdowns
):
    failures = [TransientProviderError(f"HTTP 503 (#{n})") for n in range(3)]
    bars = weekday_bars(TODAY - dt.timedelta(days=10), TODAY)
    use_provider(FakeProvider("demo", bars=bars, failures=failures))
    job = FetchJobFactory(asset=AssetFactory())

    tasks.backfill.delay(job.pk)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.SUCCEEDED
    assert job.attempts == 4
    assert job.rows_written == len(bars)
    assert len(countdowns) == 3
    assert countdowns == sorted(countdowns) and countdowns[0] < countdowns[-1]
    assert 15 <= countdowns[0] <= 30  # base 30 s with equal jitter: between 15 and 30


def test_a_retry_waits_at_least_as_long_as_the_provider_asked(use_provider, countdowns):
    failures = [TransientProviderError("Rate limited", retry_after=600)]
    use_provider(FakeProvider("demo", bars=weekday_bars(TODAY, TODAY), failures=failures))
    job = FetchJobFactory(asset=AssetFactory())

    tasks.backfill.delay(job.pk)

    assert countdowns == [600]


def test_when_retries_run_out_the_job_fails_with_the_last_reason(use_provider, countdowns):
    failures = [TransientProviderError("Connection reset") for _ in range(10)]
    use_provider(FakeProvider("demo", failures=failures))
    asset = AssetFactory()
    job = FetchJobFactory(asset=asset)

    tasks.backfill.delay(job.pk)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.FAILED
    assert job.attempts == tasks.backfill.max_retries + 1
    assert job.error == "Gave up after 7 attempts. Last problem: Connection reset"
    assert len(countdowns) == tasks.backfill.max_retries
    assert not Price.objects.filter(asset=asset).exists()


def test_a_permanent_error_fails_the_job_without_retrying(use_provider, countdowns):
    use_provider(FakeProvider("demo", failures=[PermanentProviderError("Delisted.")]))
    job = FetchJobFactory(asset=AssetFactory(symbol="GONE"))

    tasks.backfill.delay(job.pk)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.FAILED
    assert job.attempts == 1
    assert job.error == "Demo (offline) could not provide GONE: Delisted."
    assert countdowns == []


def test_retry_countdown_grows_exponentially_with_equal_jitter_and_a_cap():
    rng = random.Random(1)
    for retries in range(8):
        backoff = min(1800, 30 * 2**retries)
        for _ in range(50):
            value = tasks.retry_countdown(retries=retries, base=30, maximum=1800, rng=rng)
            assert backoff / 2 <= value <= backoff
    assert tasks.retry_countdown(retries=2, base=30, maximum=1800, jitter=False) == 120
    assert tasks.retry_countdown(retries=20, base=30, maximum=1800, jitter=False) == 1800
    assert tasks.retry_countdown(retries=0, base=30, maximum=1800, retry_after=90) >= 90


def test_rate_limited_backfills_wait_for_the_next_window(
    use_provider, settings, countdowns, monkeypatch
):
    settings.MARKET_PROVIDER_RATE_LIMITS = {"demo": (2, 3600)}  # two calls an hour
    # Ten seconds into an hour's window, whatever the wall clock says (the next window would
    # otherwise be less than a minute away during the last minute of every hour).
    start = 3600 * 480_000 + 10.0
    monkeypatch.setattr(
        ratelimit, "RateLimiter", functools.partial(ratelimit.RateLimiter, clock=lambda: start)
    )
    use_provider(FakeProvider("demo", bars=weekday_bars(TODAY, TODAY)))
    first = FetchJobFactory(asset=AssetFactory())
    second = FetchJobFactory(asset=AssetFactory())

    tasks.backfill.delay(first.pk)  # history + events: the hour's two calls
    tasks.backfill.delay(second.pk)  # no slot: retried later, no provider call made

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == FetchJob.Status.SUCCEEDED
    assert second.status == FetchJob.Status.FAILED
    assert "Too many requests to the demo provider" in second.error
    assert countdowns and all(countdown > 60 for countdown in countdowns)


def test_refresh_quotes_retries_only_the_assets_whose_provider_failed(use_provider, monkeypatch):
    from market.providers.base import QuoteResult

    now = timezone.now()
    ok = AssetFactory(symbol="OK")
    flaky = AssetFactory(symbol="FLAKY", provider="yahoo")
    use_provider(FakeProvider("demo", quotes={"OK": QuoteResult("OK", 1.0, "USD", now)}))
    yahoo = use_provider(
        FakeProvider("yahoo", quote_failure=TransientProviderError("HTTP 429", retry_after=5))
    )
    retried_with = []
    original = tasks.refresh_quotes.retry

    def retry(*args, **kwargs):
        retried_with.append(kwargs["kwargs"]["asset_ids"])
        yahoo.quote_failure = None
        yahoo.quotes_ = {"FLAKY": QuoteResult("FLAKY", 2.0, "USD", now)}
        return original(*args, **kwargs)

    monkeypatch.setattr(tasks.refresh_quotes, "retry", retry)

    tasks.refresh_quotes.delay(asset_ids=[ok.pk, flaky.pk])

    assert retried_with == [[flaky.pk]]
    assert flaky.quote.price == 2.0
    assert ok.quote.price == 1.0


def test_refresh_daily_closes_queues_jobs_that_run(
    use_provider, django_capture_on_commit_callbacks
):
    use_provider(FakeProvider("demo", bars=weekday_bars(TODAY - dt.timedelta(days=5), TODAY)))
    asset = AssetFactory()
    FetchJobFactory(asset=asset, status=FetchJob.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.refresh_daily_closes.delay().get()

    assert result["queued"] == 1 and result["failed"] == {}
    assert Price.objects.filter(asset=asset).exists()
