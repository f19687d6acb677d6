"""The saved import mappings' API shapes: a mapping as stored, and the body that saves one."""

from __future__ import annotations

from rest_framework import serializers

from portfolia.rest import StrictFieldsMixin
from portfolios.brokers.mapping import FIELDS as MAPPING_FIELDS


class SavedMappingSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(max_length=100)
    mapping = serializers.DictField(
        help_text='{"columns": {field: header name}, "actions": {file value: kind or "skip"}, '
        '"date_format": "%d/%m/%Y", "decimal": "." | "," | "auto"}; fields: '
        + ", ".join(MAPPING_FIELDS)
        + "."
    )
    updated_at = serializers.DateTimeField(read_only=True)


class SavedMappingInputSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    mapping = serializers.DictField()
