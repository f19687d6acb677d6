"""The CSV import request and its report (every row with its status and errors)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.parsers import RequestTooLarge
from portfolia.rest import StrictFieldsMixin
from portfolios.importers import MAX_BYTES, MAX_ROWS, file_size_problem
from portfolios.serializers.fields import NegativeCashSerializer
from portfolios.wire import negative_cash_data


class ImportRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(
        help_text=f"CSV in Portfolia's format (see the export), at most {MAX_BYTES // 2**20} MB "
        f"and {MAX_ROWS:,} rows."
    )
    dry_run = serializers.BooleanField(default=True, help_text="Check only; save nothing.")

    def validate_file(self, upload):
        problem = file_size_problem(upload.size)
        if problem:  # 413, not 400: the file was not kept (portfolia.uploads)
            raise RequestTooLarge(problem)
        return upload


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["new", "duplicate", "error"])
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    values = serializers.DictField(source="raw", child=serializers.CharField(allow_blank=True))
    asset_name = serializers.CharField()
    asset_is_new = serializers.BooleanField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What to check, never blocking: e.g. a split the data provider does not report.",
    )


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    saved = serializers.BooleanField()
    created = serializers.IntegerField()
    new = serializers.IntegerField(source="new_count")
    duplicates = serializers.IntegerField(source="duplicate_count")
    errors = serializers.IntegerField(source="error_count")
    new_assets = serializers.ListField(child=serializers.CharField())
    file_errors = serializers.ListField(child=serializers.CharField())
    negative_cash = serializers.SerializerMethodField(
        help_text="The negative cash the portfolio would show with the new rows, or null."
    )
    cash_warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Each way the new rows would change the cash picture (a balance made "
        "negative), said before anything is saved.",
    )
    cash_switch_offered = serializers.BooleanField(
        help_text="Some rows are deposits or withdrawals and the portfolio does not record "
        "cash: POST /portfolios/{id}/cash-records/ switches it on (preview first)."
    )
    rows = ImportRowSerializer(many=True)

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, report) -> list[dict] | None:
        return negative_cash_data(report.negative_cash)
