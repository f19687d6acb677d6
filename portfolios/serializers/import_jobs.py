"""A big import's API shape: the job a saved import of more than IMPORT_TASK_ROWS lines answers
(202), polled at its `url` until its status is `succeeded` or `failed`."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolios.models import ImportJob
from portfolios.serializers.broker_imports import ImportTotalsSerializer
from portfolios.services.import_jobs import import_job_progress


class ImportJobResultSerializer(serializers.Serializer):
    format = serializers.CharField()
    created = serializers.IntegerField(help_text="Transactions saved.")
    totals = ImportTotalsSerializer(help_text="Rows of each status.")
    file_errors = serializers.ListField(child=serializers.CharField())


class ImportJobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.ChoiceField(choices=ImportJob.Status.choices)
    progress = serializers.SerializerMethodField(help_text="Share done, 0 to 1.")
    result = ImportJobResultSerializer(allow_null=True, help_text="Once run (null before).")
    error = serializers.CharField(help_text="Why it failed (nothing is saved then).")
    url = serializers.SerializerMethodField(help_text="Where to poll it.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, job: ImportJob) -> float:
        return import_job_progress(job)

    @extend_schema_field(serializers.CharField())
    def get_url(self, job: ImportJob) -> str:
        return reverse("api-import-job", args=[job.portfolio.public_id, job.public_id])
