"""Celery beat schedules for market data, in django-celery-beat's tables so staff edit them in the
admin: quotes every 15 minutes, daily closes nightly (after the US close, every day for crypto)."""

import json

from django.db import migrations
from django.utils import timezone

QUOTES = "market: refresh quotes"
CLOSES = "market: refresh daily closes"


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every_15_minutes, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="23",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=QUOTES,
        defaults={
            "task": "market.refresh_quotes",
            "interval": every_15_minutes,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "description": "Latest quotes of every held, benchmark and FX asset.",
        },
    )
    PeriodicTask.objects.get_or_create(
        name=CLOSES,
        defaults={
            "task": "market.refresh_daily_closes",
            "crontab": nightly,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "description": "Queue a fetch of recent daily closes for every asset kept fresh.",
        },
    )
    # Tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[QUOTES, CLOSES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("market", "0002_fetchjob_one_active_per_asset"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
