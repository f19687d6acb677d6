"""Every way out of a fetch job ends it with a status and a reason: answers that cannot be
stored, bars without a usable close, an empty answer, the task time limit, a lost worker.
Stored prices are never deleted."""

import datetime as dt
from decimal import Decimal

import pytest
from celery.exceptions import TimeLimitExceeded
from django.db import OperationalError
from django.utils import timezone

from market import services, tasks
from market.models import CorporateAction, FetchJob, Price
from market.providers.base import Bar, Event
from market.tests.factories import (
    AssetFactory,
    FakeProvider,
    FetchJobFactory,
    PriceFactory,
    weekday_bars,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
OLD_DAY = dt.date(2024, 1, 2)


def _run(job: FetchJob) -> FetchJob:
    services.backfill_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_bars_without_a_usable_close_fail_the_job_with_the_reasons_and_keep_old_prices(
    use_provider,
):
    day = TODAY - dt.timedelta(days=10)
    bars = [
        Bar(day, 1.0, 1.0, 1.0, float("nan"), 10),
        Bar(day + dt.timedelta(days=1), 1.0, 1.0, 1.0, float("inf"), 10),
        Bar(day + dt.timedelta(days=2), 1.0, 1.0, 1.0, 0.0, 10),
        Bar(day + dt.timedelta(days=3), 1.0, 1.0, 1.0, -3.0, 10),
        Bar(day + dt.timedelta(days=4), 1.0, 1.0, 1.0, 1e300, 10),
    ]
    use_provider(FakeProvider("demo", bars=bars))
    asset = AssetFactory(symbol="BAD")
    PriceFactory(asset=asset, date=OLD_DAY, close=42.0)

    job = _run(FetchJobFactory(asset=asset, start=day))

    assert job.status == FetchJob.Status.FAILED
    assert job.finished_at is not None
    assert job.rows_dropped == 5
    assert "answered 5 bars for BAD" in job.error
    assert "none had a usable close" in job.error
    for why in (
        "1 with a close that is not a number",
        "1 with an infinite close",
        "2 with a close of 0 or below",
        "1 with a close of 10^17 or more",
    ):
        assert why in job.error
    assert list(Price.objects.filter(asset=asset).values_list("close", flat=True)) == [42.0]


def test_unusable_bars_and_events_are_left_out_and_said_on_a_succeeded_job(use_provider):
    good = weekday_bars(TODAY - dt.timedelta(days=14), TODAY)
    bad_day = good[0].date - dt.timedelta(days=7)
    bars = [Bar(bad_day, 1.0, 1.0, 1.0, 1e300, 10), *good]
    events = [
        Event("HUGE", good[1].date, "dividend", amount=Decimal("1e300")),
        Event("HUGE", good[2].date, "dividend", amount=Decimal("0.5")),
    ]
    use_provider(FakeProvider("demo", bars=bars, events=events))
    asset = AssetFactory(symbol="HUGE")

    job = _run(FetchJobFactory(asset=asset, start=bad_day))

    assert job.status == FetchJob.Status.SUCCEEDED
    assert job.rows_written == len(good)
    assert job.rows_dropped == 1
    assert f"Left out 1 of {len(bars)} bars: 1 with a close of 10^17 or more." in job.note
    assert "Left out 1 corporate actions: 1 with a dividend amount that is not usable." in job.note
    assert not Price.objects.filter(asset=asset, date=bad_day).exists()
    assert list(CorporateAction.objects.filter(asset=asset).values_list("amount", flat=True)) == [
        Decimal("0.5")
    ]


def test_an_answer_that_fails_to_store_fails_the_job_with_a_readable_reason(
    use_provider, monkeypatch
):
    use_provider(FakeProvider("demo", bars=weekday_bars(TODAY - dt.timedelta(days=5), TODAY)))
    asset = AssetFactory(symbol="LOCK")
    PriceFactory(asset=asset, date=OLD_DAY, close=42.0)

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services.jobs, "price_upsert", locked)

    job = _run(FetchJobFactory(asset=asset))

    assert job.status == FetchJob.Status.FAILED
    assert job.error.startswith("The answer of Demo (offline) for LOCK could not be stored")
    assert "database is locked" in job.error
    assert list(Price.objects.filter(asset=asset).values_list("close", flat=True)) == [42.0]


def test_an_empty_answer_fails_the_job_and_says_so(use_provider):
    use_provider(FakeProvider("demo", bars=[]))
    asset = AssetFactory(symbol="NONE")

    job = _run(FetchJobFactory(asset=asset, start=TODAY - dt.timedelta(days=30)))

    assert job.status == FetchJob.Status.FAILED
    assert "answered no prices for NONE" in job.error


def test_a_task_killed_at_the_hard_time_limit_fails_its_job():
    job = FetchJobFactory(status=FetchJob.Status.RUNNING, attempts=1)

    # What the worker's main process calls when it kills a task at CELERY_TASK_TIME_LIMIT.
    tasks.backfill.on_failure(TimeLimitExceeded(600), "task-id", (job.pk,), {}, None)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.FAILED
    assert "ran past the task time limit (600 s)" in job.error


def test_the_time_limit_hook_leaves_a_finished_job_as_it_ended():
    job = FetchJobFactory(status=FetchJob.Status.SUCCEEDED)

    tasks.backfill.on_failure(TimeLimitExceeded(600), "task-id", (), {"job_id": job.pk}, None)

    job.refresh_from_db()
    assert job.status == FetchJob.Status.SUCCEEDED


def test_a_task_redelivered_after_its_worker_was_lost_runs_the_job_again(use_provider):
    use_provider(FakeProvider("demo", bars=weekday_bars(TODAY - dt.timedelta(days=5), TODAY)))
    job = FetchJobFactory(status=FetchJob.Status.RUNNING, attempts=1)  # its worker was killed

    job = _run(job)

    assert job.status == FetchJob.Status.SUCCEEDED
    assert job.attempts == 2


def test_a_job_whose_worker_keeps_dying_is_given_up(use_provider):
    provider = use_provider(FakeProvider("demo", bars=weekday_bars(TODAY, TODAY)))
    job = FetchJobFactory(status=FetchJob.Status.RUNNING, attempts=services.MAX_JOB_ATTEMPTS)

    job = _run(job)

    assert job.status == FetchJob.Status.FAILED
    assert "The worker stopped during each of" in job.error
    assert provider.calls == []
