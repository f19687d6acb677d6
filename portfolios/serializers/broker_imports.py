"""The transactions import's API shapes with broker formats: the `format` and `symbols`
fields of the request, and each row's status, kind and reason in the report."""

from __future__ import annotations

import json

from rest_framework import serializers

from portfolios import brokers
from portfolios.brokers.mapping import FIELDS as MAPPING_FIELDS
from portfolios.brokers.mapping import preset_from_mapping
from portfolios.selectors.import_mappings import saved_mapping_named
from portfolios.serializers import (
    ImportReportSerializer,
    ImportRequestSerializer,
    ImportRowSerializer,
)
from portfolios.services.broker_imports import symbol_answers_problem
from portfolios.services.imports import ImportStatus


class BrokerImportRequestSerializer(ImportRequestSerializer):
    format = serializers.ChoiceField(
        choices=list(brokers.FORMATS),
        default=brokers.AUTO,
        help_text="`auto` (detect from the header), `portfolia`, a broker preset, or "
        "`mapping` (with `mapping`).",
    )
    mapping = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=20_000,
        help_text='JSON for format `mapping`: {"columns": {field: header name}, "actions": '
        '{file value: kind or "skip"}, "date_format": "%d/%m/%Y", "decimal": "." | "," | '
        '"auto"}; fields: ' + ", ".join(MAPPING_FIELDS) + ".",
    )
    mapping_name = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="The name of one of your saved mappings (`import-mappings/`), in place of "
        "`mapping`; the format is then `mapping`.",
    )
    page = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=10_000,
        help_text="The page of rows in the report (200 rows a page; the totals count all).",
    )
    symbols = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="JSON object: instrument identifier (ISIN, ticker or name) → symbol, or "
        '"manual" for a manual asset; remembered for the next import once saved.',
    )

    def validate_symbols(self, text: str) -> dict[str, str]:
        if not text.strip():
            return {}
        try:
            answers = json.loads(text)
        except ValueError as error:
            raise serializers.ValidationError("Not JSON: give an object of strings.") from error
        if not isinstance(answers, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in answers.items()
        ):
            raise serializers.ValidationError("Give an object of identifier → symbol strings.")
        problem = symbol_answers_problem(answers)
        if problem:
            raise serializers.ValidationError(problem)
        return answers

    def validate_mapping(self, text: str) -> dict | None:
        if not text.strip():
            return None
        try:
            mapping = json.loads(text)
            preset_from_mapping(mapping)
        except ValueError as error:  # CsvFormatError is a ValueError, and so is bad JSON
            raise serializers.ValidationError(str(error)) from error
        return mapping

    def validate(self, data: dict) -> dict:
        name = data.pop("mapping_name", "").strip()
        if name:
            if data.get("mapping"):
                raise serializers.ValidationError(
                    {"mapping_name": ["Give `mapping` or `mapping_name`, not both."]}
                )
            saved = saved_mapping_named(self.context["request"].user, name)
            if saved is None:
                raise serializers.ValidationError(
                    {"mapping_name": [f"You have no saved mapping named “{name}”."]}
                )
            data["format"], data["mapping"] = brokers.MAPPING, saved.mapping
        if data.get("format") == brokers.MAPPING and not data.get("mapping"):
            raise serializers.ValidationError({"mapping": ["The mapping format needs a mapping."]})
        return data


class BrokerImportRowSerializer(ImportRowSerializer):
    status = serializers.ChoiceField(choices=list(ImportStatus.ALL))
    kind = serializers.CharField(help_text="The Portfolia kind, empty when not known.")
    reason = serializers.CharField(help_text="Why the row is skipped or unresolved.")
    identifier = serializers.CharField(help_text="The broker's instrument: ISIN, ticker or name.")


class ImportTotalsSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    unresolved = serializers.IntegerField()
    skipped = serializers.IntegerField()
    error = serializers.IntegerField()


class BrokerImportReportSerializer(ImportReportSerializer):
    format = serializers.CharField(help_text="The format used (the detected one for `auto`).")
    format_label = serializers.CharField(help_text="The format's name as users know it.")
    format_detected = serializers.BooleanField()
    totals = ImportTotalsSerializer(help_text="Rows of each status.")
    unresolved_identifiers = serializers.ListField(child=serializers.CharField())
    row_count = serializers.IntegerField(help_text="Rows in the file, on every page.")
    page = serializers.IntegerField(help_text="The page of `rows` (200 a page).")
    pages = serializers.IntegerField()
    rows = BrokerImportRowSerializer(many=True, source="page_rows")
