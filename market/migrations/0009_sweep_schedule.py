"""The beat schedule of the stuck-job sweep (``market.sweep_jobs``): every two minutes, in
django-celery-beat's tables so staff can edit it in the admin."""

import json

from django.db import migrations
from django.utils import timezone

SWEEP = "market: fail stuck fetch jobs"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every_2_minutes, _ = IntervalSchedule.objects.get_or_create(every=2, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=SWEEP,
        defaults={
            "task": "market.sweep_jobs",
            "interval": every_2_minutes,
            "args": json.dumps([]),
            "kwargs": json.dumps({}),
            "description": "Fail, with a reason, fetch jobs whose worker died, that ran past the "
            "task time limit, or that no worker picked up in time.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("market", "0008_fetchjob_heartbeat_note"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
