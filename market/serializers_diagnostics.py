"""The staff diagnostics report on the wire (``GET /api/v1/diagnostics/``). Translation only:
``diagnostics_data`` shapes ``market.diagnostics.Diagnostics``, and the serializers render it
(and are its OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from market.diagnostics import Diagnostics
from market.serializers import FetchJobSerializer


class CheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "fail"])
    latency_ms = serializers.FloatField()
    error = serializers.CharField(required=False, help_text="Why it failed (only when it did).")


class QueueSerializer(serializers.Serializer):
    depth = serializers.IntegerField(
        allow_null=True, help_text="Tasks waiting in the broker's default queue."
    )
    error = serializers.CharField(allow_null=True, help_text="Why the depth is unknown.")


class BeatTaskSerializer(serializers.Serializer):
    name = serializers.CharField()
    task = serializers.CharField()
    enabled = serializers.BooleanField()
    last_run_at = serializers.DateTimeField(allow_null=True)
    total_run_count = serializers.IntegerField()


class BeatSerializer(serializers.Serializer):
    last_run_at = serializers.DateTimeField(
        allow_null=True, help_text="The latest run of any schedule (null: beat never ran one)."
    )
    tasks = BeatTaskSerializer(many=True)


class StaleAssetSerializer(serializers.Serializer):
    asset = serializers.UUIDField()
    symbol = serializers.CharField()
    name = serializers.CharField()
    last_close = serializers.DateField(allow_null=True, help_text="Null: no close stored yet.")
    business_days_behind = serializers.IntegerField(allow_null=True)


class JobsSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    stuck = serializers.IntegerField(
        help_text="Queued or running past their limits: the next sweep fails them."
    )
    failed_last_day = serializers.IntegerField()
    stuck_jobs = FetchJobSerializer(many=True)
    failed = FetchJobSerializer(many=True, help_text="Failed in the last day, newest first.")


class DiagnosticsSerializer(serializers.Serializer):
    """The server's state for staff. ``status`` is ``fail`` when any check fails; the parts read
    from the database are null (with ``database_error``) when it cannot be read."""

    status = serializers.ChoiceField(choices=["ok", "fail"])
    checked_at = serializers.DateTimeField()
    database = CheckSerializer()
    cache = CheckSerializer()
    broker = CheckSerializer()
    queue = QueueSerializer()
    beat = BeatSerializer(allow_null=True)
    refreshed_assets = serializers.IntegerField(
        allow_null=True, help_text="Assets the scheduled refreshes keep fresh."
    )
    stale_assets = StaleAssetSerializer(
        many=True, allow_null=True, help_text="Kept fresh, but the last close is over 3 days old."
    )
    jobs = JobsSerializer(allow_null=True)
    last_quote_refresh = serializers.DateTimeField(allow_null=True)
    last_close_refresh = serializers.DateTimeField(allow_null=True)
    database_error = serializers.CharField(allow_null=True)


def diagnostics_data(report: Diagnostics) -> dict:
    """The report as the serializer's input (model instances where it renders jobs)."""
    status = report.status
    body = {
        "status": "ok" if report.healthy else "fail",
        "checked_at": report.checked_at,
        **report.checks,
        "queue": {"depth": report.queue_depth, "error": report.queue_error},
        "beat": None,
        "refreshed_assets": None,
        "stale_assets": None,
        "jobs": None,
        "last_quote_refresh": None,
        "last_close_refresh": None,
        "database_error": report.database_error,
    }
    if report.beat_tasks is not None:
        body["beat"] = {"last_run_at": report.last_beat_run, "tasks": list(report.beat_tasks)}
    if status is not None:
        body.update(
            refreshed_assets=status.refreshed_assets,
            stale_assets=[
                {
                    "asset": item.asset.public_id,
                    "symbol": item.asset.symbol,
                    "name": item.asset.name,
                    "last_close": item.last_close,
                    "business_days_behind": item.business_days_behind,
                }
                for item in status.stale_assets
            ],
            jobs={
                "queued": status.queued_jobs,
                "running": status.running_jobs,
                "stuck": status.stuck_jobs,
                "failed_last_day": status.failed_count,
                "stuck_jobs": [item.job for item in status.jobs_in_flight if item.is_stuck],
                "failed": status.failed_jobs,
            },
            last_quote_refresh=status.last_quote_refresh,
            last_close_refresh=status.last_close_refresh,
        )
    return body
