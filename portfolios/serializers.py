"""API translation for portfolios, transactions, holdings, allocation and import reports.

Decimals travel as strings: stored amounts exactly (without trailing zeros), computed values
rounded by `portfolia.money.quantize` (money to cents, prices, ratios and weights to six
places). Ids are public UUIDs. Serializers never write and never query per row.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.money import MONEY_PLACES, PRICE_PLACES, RATIO_PLACES, plain, quantize
from portfolios.models import Portfolio, Transaction
from portfolios.selectors import asset_queryset_for_user


class ExactDecimalField(serializers.DecimalField):
    """A stored decimal as its exact value without trailing zeros ("10", "185.5")."""

    def to_representation(self, value):
        if value is None:
            return None
        return plain(Decimal(value))


@extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
class RoundedDecimalField(serializers.Field):
    """A computed decimal rounded for output (read-only)."""

    def __init__(self, places: int, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)
        self.places = places

    def to_representation(self, value):
        rounded = quantize(value, self.places)
        return None if rounded is None else str(rounded)


def money(**kwargs) -> RoundedDecimalField:
    return RoundedDecimalField(MONEY_PLACES, **kwargs)


class AssetRefField(serializers.SlugRelatedField):
    """An asset by its public id, among those the requesting user may use."""

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="public_id", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return asset_queryset_for_user(request.user if request else None)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            raise
        except Exception:  # a malformed UUID
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))

    def to_representation(self, value):
        return str(value.public_id)


class PortfolioSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    base_currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, required=False, help_text="Defaults to the user's currency."
    )
    benchmark = AssetRefField(required=False, allow_null=True, help_text="An asset id.")

    class Meta:
        model = Portfolio
        fields = (
            "id",
            "name",
            "description",
            "base_currency",
            "cost_basis_method",
            "benchmark",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")


class TransactionSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field: ExactDecimalField
            for field, serializer_field in serializers.ModelSerializer.serializer_field_mapping.items()
            if serializer_field is serializers.DecimalField
        },
    }

    id = serializers.UUIDField(source="public_id", read_only=True)
    asset = AssetRefField(required=False, allow_null=True, help_text="An asset id.")
    symbol = serializers.CharField(source="asset.symbol", read_only=True, default=None)
    fee = ExactDecimalField(max_digits=20, decimal_places=4, required=False)
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES,
        required=False,
        allow_blank=True,
        help_text="Defaults to the asset's currency, else the portfolio's.",
    )

    class Meta:
        model = Transaction
        fields = (
            "id",
            "kind",
            "date",
            "asset",
            "symbol",
            "quantity",
            "price",
            "amount",
            "ratio",
            "fee",
            "currency",
            "fx_rate",
            "note",
            "external_id",
            "created_at",
        )
        read_only_fields = ("created_at",)


class HoldingSerializer(serializers.Serializer):
    """One position. `price` and `average_cost` are per unit in the asset's `currency`; the
    other amounts are in the portfolio's base currency; `weight` is a fraction of total value."""

    asset = serializers.UUIDField(source="asset.public_id")
    symbol = serializers.CharField(source="asset.symbol")
    name = serializers.CharField(source="asset.name")
    asset_class = serializers.CharField(source="asset.asset_class")
    currency = serializers.CharField()
    quantity = ExactDecimalField(max_digits=None, decimal_places=None)
    average_cost = RoundedDecimalField(PRICE_PLACES)
    cost_basis = money()
    price = RoundedDecimalField(PRICE_PLACES)
    price_date = serializers.DateField()
    price_is_market = serializers.BooleanField()
    market_value_local = money()
    market_value = money()
    unrealized_gain = money()
    unrealized_gain_pct = RoundedDecimalField(RATIO_PLACES)
    realized_gain = money()
    income = money()
    weight = RoundedDecimalField(RATIO_PLACES)


class HoldingsSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    records_cash = serializers.BooleanField()
    total_value = money(help_text="Cash included when the portfolio records cash.")
    securities_value = money()
    cash = money()
    cost_basis = money()
    unrealized_gain = money()
    realized_gain = money()
    income = money()
    fees = money()
    taxes = money()
    net_invested = money()
    total_gain = money()
    results = HoldingSerializer(source="rows", many=True)


class AllocationSliceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = money()
    weight = RoundedDecimalField(RATIO_PLACES)


class AllocationSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    by = serializers.CharField()
    results = AllocationSliceSerializer(many=True)


class HoldingsQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="YYYY-MM-DD; today when omitted.")


class AllocationQuerySerializer(HoldingsQuerySerializer):
    by = serializers.ChoiceField(choices=["asset", "asset_class", "currency"], default="asset")


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV in Portfolia's format (see the export).")
    dry_run = serializers.BooleanField(default=True, help_text="Check only; save nothing.")


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["new", "duplicate", "error"])
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    values = serializers.DictField(source="raw", child=serializers.CharField(allow_blank=True))
    asset_name = serializers.CharField()
    asset_is_new = serializers.BooleanField()


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    saved = serializers.BooleanField()
    created = serializers.IntegerField()
    new = serializers.IntegerField(source="new_count")
    duplicates = serializers.IntegerField(source="duplicate_count")
    errors = serializers.IntegerField(source="error_count")
    new_assets = serializers.ListField(child=serializers.CharField())
    file_errors = serializers.ListField(child=serializers.CharField())
    rows = ImportRowSerializer(many=True)
