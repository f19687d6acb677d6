"""The beat schedules the data migration creates: editable rows in django-celery-beat."""

import pytest
from django_celery_beat.models import PeriodicTask

from portfolia.celery import app

pytestmark = pytest.mark.django_db


def test_quote_and_close_refreshes_are_scheduled_after_migrate():
    quotes = PeriodicTask.objects.get(task="market.refresh_quotes")
    closes = PeriodicTask.objects.get(task="market.refresh_daily_closes")

    assert quotes.enabled and closes.enabled
    assert (quotes.interval.every, quotes.interval.period) == (15, "minutes")
    assert (closes.crontab.minute, closes.crontab.hour) == ("30", "23")


def test_scheduled_tasks_are_registered_with_celery():
    app.loader.import_default_modules()
    for name in (
        "market.refresh_quotes",
        "market.refresh_daily_closes",
        "market.backfill",
        "market.sweep_jobs",
    ):
        assert name in app.tasks
