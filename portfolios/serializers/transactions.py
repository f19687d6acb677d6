"""A transaction in the API: its fields, its asset by id or symbol, and the saved answer with
its warnings."""

from rest_framework import serializers

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.rest import StrictFieldsMixin
from portfolios.models import TRANSACTION_FIELDS, Transaction, number_limit_messages
from portfolios.serializers.fields import (
    AssetRefField,
    ExactDecimalField,
)


class AssetSymbolField(serializers.CharField):
    """Out: the transaction's asset's symbol (null without an asset). In: a symbol, which the
    API view resolves as the CSV import does (`market.services.asset_for_symbol`)."""

    def get_attribute(self, instance):
        return instance.asset.symbol if instance.asset_id else None


class TransactionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field: ExactDecimalField
            for field, serializer_field in serializers.ModelSerializer.serializer_field_mapping.items()
            if serializer_field is serializers.DecimalField
        },
    }

    id = serializers.UUIDField(source="public_id", read_only=True)
    asset = AssetRefField(
        required=False, allow_null=True, help_text="An asset id (or give its `symbol`)."
    )
    symbol = AssetSymbolField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=32,
        help_text="The asset's symbol (AAPL, VWCE.DE), found as the CSV import finds it: your "
        "manual asset, the catalogue, then the data provider. Give it or `asset`; both must "
        "name the same asset.",
    )
    fee = ExactDecimalField(
        max_digits=20,
        decimal_places=4,
        required=False,
        error_messages={
            "max_digits": number_limit_messages()["fee"],
            "max_whole_digits": number_limit_messages()["fee"],
        },
    )
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
            *TRANSACTION_FIELDS[:3],
            "symbol",
            *TRANSACTION_FIELDS[3:],
            "created_at",
        )
        read_only_fields = ("created_at",)
        # A number with too many digits is named by the bound it breaks, as the service
        # names one below the column's digits (`portfolios.models.number_limits`).
        extra_kwargs = {
            "date": {"help_text": "From 1900-01-01 to a week from today."},
            **{
                name: {"error_messages": {"max_digits": message, "max_whole_digits": message}}
                for name, message in number_limit_messages().items()
            },
        }

    def validate(self, attrs: dict) -> dict:
        symbol = (attrs.get("symbol") or "").strip()
        attrs["symbol"] = symbol
        asset = attrs.get("asset")
        if symbol and asset is not None and asset.symbol.upper() != symbol.upper():
            raise serializers.ValidationError(
                {
                    "symbol": [
                        f"“{symbol}” is not the symbol of the asset given ({asset.symbol}): "
                        "give one of them, or both for the same asset."
                    ]
                }
            )
        if symbol and asset is not None:
            attrs["symbol"] = ""  # the asset says it already
        return attrs


class TransactionSavedSerializer(TransactionSerializer):
    """A transaction just created or updated, with what to check about it (the view sets
    `warnings` from `selectors.transaction_warnings`)."""

    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What to check, never blocking: e.g. a split the data provider does not "
        "report within a few days, or reports with another ratio. The transaction is saved.",
    )

    class Meta(TransactionSerializer.Meta):
        fields = (*TransactionSerializer.Meta.fields, "warnings")
