"""API translation for market data: assets, prices, search results and fetch jobs. No writes.

Prices are stored as floats (they arrive as floats) but travel as decimal strings like every
other number in the API, written with the fewest digits that read back to the same float.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from market.models import Asset, AssetClass, CorporateAction, FetchJob, Price, ProviderName
from portfolia.currencies import CURRENCY_CHOICES
from portfolia.rest import StrictFieldsMixin
from portfolia.validators import validate_price_date, validate_query_date


@extend_schema_field(OpenApiTypes.DECIMAL)
class FloatAsDecimalStringField(serializers.Field):
    """A float shown as its shortest exact decimal string ("187.44"); accepts numbers or strings."""

    default_error_messages = {"invalid": "A number is required."}

    def to_representation(self, value: float) -> str:
        return format(Decimal(repr(float(value))), "f")

    def to_internal_value(self, data) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        try:
            value = float(Decimal(str(data).strip()))
        except (ArithmeticError, ValueError):
            self.fail("invalid")
        if value != value or value in (float("inf"), float("-inf")):
            self.fail("invalid")
        return value


class QuoteSerializer(serializers.Serializer):
    price = FloatAsDecimalStringField()
    currency = serializers.CharField()
    timestamp = serializers.DateTimeField()


class AssetSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    is_manual = serializers.BooleanField(read_only=True)
    quote = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = (
            "id",
            "symbol",
            "name",
            "asset_class",
            "currency",
            "exchange",
            "provider",
            "is_manual",
            "quote",
            "created_at",
        )

    @extend_schema_field(QuoteSerializer(allow_null=True))
    def get_quote(self, asset: Asset) -> dict | None:
        quote = getattr(asset, "quote", None) if hasattr(asset, "quote") else None
        return QuoteSerializer(quote).data if quote is not None else None


class CoverageSerializer(serializers.Serializer):
    first = serializers.DateField(allow_null=True)
    last = serializers.DateField(allow_null=True)
    count = serializers.IntegerField()


class LatestPriceSerializer(serializers.Serializer):
    price = FloatAsDecimalStringField()
    currency = serializers.CharField()
    as_of = serializers.SerializerMethodField()
    source = serializers.ChoiceField(choices=["quote", "close"])
    is_stale = serializers.BooleanField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_as_of(self, latest) -> str:
        return latest.as_of.isoformat()


class CorporateActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CorporateAction
        fields = ("date", "kind", "ratio", "amount")


class FetchJobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    asset = serializers.UUIDField(source="asset.public_id", read_only=True)
    symbol = serializers.CharField(source="asset.symbol", read_only=True)

    class Meta:
        model = FetchJob
        fields = (
            "id",
            "asset",
            "symbol",
            "kind",
            "status",
            "start",
            "end",
            "attempts",
            "rows_written",
            "rows_dropped",
            "error",
            "note",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        )


class AssetDetailSerializer(AssetSerializer):
    coverage = serializers.SerializerMethodField()
    latest_price = serializers.SerializerMethodField()
    corporate_actions = serializers.SerializerMethodField()
    active_job = serializers.SerializerMethodField()

    class Meta(AssetSerializer.Meta):
        fields = (
            *AssetSerializer.Meta.fields,
            "coverage",
            "latest_price",
            "corporate_actions",
            "active_job",
        )

    @extend_schema_field(CoverageSerializer)
    def get_coverage(self, asset: Asset) -> dict:
        return CoverageSerializer(self.context["coverage"]).data

    @extend_schema_field(LatestPriceSerializer(allow_null=True))
    def get_latest_price(self, asset: Asset) -> dict | None:
        latest = self.context["latest_price"]
        return LatestPriceSerializer(latest).data if latest is not None else None

    @extend_schema_field(CorporateActionSerializer(many=True))
    def get_corporate_actions(self, asset: Asset) -> list:
        return CorporateActionSerializer(self.context["corporate_actions"], many=True).data

    @extend_schema_field(FetchJobSerializer(allow_null=True))
    def get_active_job(self, asset: Asset) -> dict | None:
        job = self.context["active_job"]
        return FetchJobSerializer(job).data if job is not None else None


class SearchResultSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    name = serializers.CharField()
    asset_class = serializers.CharField()
    currency = serializers.CharField()
    exchange = serializers.CharField()
    provider = serializers.CharField()


@extend_schema_serializer(many=False)  # already the whole page: not to be paginated again
class AssetSearchResponseSerializer(serializers.Serializer):
    """Schema only: the paginated local assets plus the provider's results not yet local."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AssetSerializer(many=True)
    provider_results = SearchResultSerializer(many=True)
    provider_error = serializers.CharField(allow_null=True)


class AssetCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    """A manual asset (provider "manual": symbol, name, asset_class, currency), or a provider's
    instrument by its symbol (provider defaults to the configured market-data provider)."""

    provider = serializers.ChoiceField(choices=ProviderName.choices, required=False)
    symbol = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200, required=False)
    asset_class = serializers.ChoiceField(choices=AssetClass.choices, required=False)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, required=False)
    exchange = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("provider", settings.MARKET_DATA_PROVIDER)
        if attrs["provider"] == ProviderName.MANUAL:
            missing = {
                name: ["This field is required for a manual asset."]
                for name in ("name", "asset_class", "currency")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class PriceSerializer(serializers.ModelSerializer):
    open = FloatAsDecimalStringField(allow_null=True)
    high = FloatAsDecimalStringField(allow_null=True)
    low = FloatAsDecimalStringField(allow_null=True)
    close = FloatAsDecimalStringField()

    class Meta:
        model = Price
        fields = ("date", "open", "high", "low", "close", "volume")


class PriceInputSerializer(StrictFieldsMixin, serializers.Serializer):
    date = serializers.DateField()
    open = FloatAsDecimalStringField(required=False, allow_null=True)
    high = FloatAsDecimalStringField(required=False, allow_null=True)
    low = FloatAsDecimalStringField(required=False, allow_null=True)
    close = FloatAsDecimalStringField()
    volume = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class UpsertResultSerializer(serializers.Serializer):
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class PriceRangeQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, validators=[validate_query_date])
    end = serializers.DateField(required=False, validators=[validate_query_date])

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end and start > end:
            raise serializers.ValidationError({"end": ["End must not be before start."]})
        return attrs


class BackfillRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    start = serializers.DateField(required=False, validators=[validate_price_date])

    def validate_start(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError("Start must not be in the future.")
        return value
