"""The stuck-job sweep, run by beat: a job whose worker died, that ran past the task time limit,
or that no worker took up, ends failed with a reason; asking again then starts a new job."""

import datetime as dt

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from market import selectors, services, tasks
from market.models import FetchJob
from market.tests.factories import AssetFactory, FetchJobFactory

pytestmark = pytest.mark.django_db


def _job(status, *, attempts=0, heartbeat=None, created=None):
    job = FetchJobFactory(status=status, attempts=attempts)
    FetchJob.objects.filter(pk=job.pk).update(
        heartbeat_at=heartbeat, created_at=created or timezone.now()
    )
    job.refresh_from_db()
    return job


def test_the_limits_follow_the_task_time_limit_and_the_queue_setting(settings):
    settings.CELERY_TASK_TIME_LIMIT = 300
    settings.MARKET_JOB_QUEUED_LIMIT = 900

    assert selectors.job_running_limit() == dt.timedelta(minutes=6)
    assert selectors.job_queued_limit() == dt.timedelta(minutes=15)


def test_a_running_job_whose_worker_went_silent_fails_once_the_clock_passes_the_limit():
    now = timezone.now()
    job = _job(FetchJob.Status.RUNNING, attempts=1, heartbeat=now)
    limit = selectors.job_running_limit()

    assert services.fetch_jobs_sweep(now=now + limit - dt.timedelta(seconds=5)) == []
    swept = services.fetch_jobs_sweep(now=now + limit + dt.timedelta(seconds=5))

    assert [j.pk for j in swept] == [job.pk]
    job.refresh_from_db()
    assert job.status == FetchJob.Status.FAILED
    assert job.finished_at is not None
    assert "The worker stopped during attempt 1" in job.error
    assert "(600 s)" in job.error


def test_a_job_no_worker_took_up_fails_after_the_queue_limit():
    now = timezone.now()
    never = _job(FetchJob.Status.QUEUED, created=now)
    retrying = _job(FetchJob.Status.QUEUED, attempts=2, heartbeat=now)
    later = now + selectors.job_queued_limit() + dt.timedelta(minutes=1)

    services.fetch_jobs_sweep(now=later)

    never.refresh_from_db()
    retrying.refresh_from_db()
    assert never.status == retrying.status == FetchJob.Status.FAILED
    assert "No worker took this job up within 61 minutes" in never.error
    assert "No worker took up attempt 3" in retrying.error


def test_a_job_that_shows_signs_of_life_is_left_alone():
    now = timezone.now()
    running = _job(FetchJob.Status.RUNNING, attempts=1, heartbeat=now - dt.timedelta(minutes=2))
    queued = _job(FetchJob.Status.QUEUED, created=now - dt.timedelta(minutes=30))
    done = _job(FetchJob.Status.SUCCEEDED, created=now - dt.timedelta(days=3))

    assert services.fetch_jobs_sweep(now=now) == []

    for job in (running, queued, done):
        status = job.status
        job.refresh_from_db()
        assert job.status == status


def test_after_the_sweep_asking_again_starts_a_new_job_at_once():
    asset = AssetFactory()
    stuck = FetchJobFactory(asset=asset, status=FetchJob.Status.RUNNING, attempts=1)
    FetchJob.objects.filter(pk=stuck.pk).update(
        heartbeat_at=timezone.now() - selectors.job_running_limit() - dt.timedelta(seconds=1)
    )

    tasks.sweep_jobs.delay()
    job = services.backfill_request(asset=asset)

    stuck.refresh_from_db()
    assert stuck.status == FetchJob.Status.FAILED
    assert job.pk != stuck.pk and job.status == FetchJob.Status.QUEUED


def test_the_sweep_is_scheduled_on_beat_after_migrate():
    sweep = PeriodicTask.objects.get(task="market.sweep_jobs")

    assert sweep.enabled
    assert (sweep.interval.every, sweep.interval.period) == (2, "minutes")
