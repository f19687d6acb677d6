"""Whether a portfolio records cash: the preview request and its figures, and the confirmed change."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.rest import StrictFieldsMixin
from portfolios.serializers.fields import NegativeCashSerializer, money
from portfolios.serializers.portfolios import PortfolioSerializer
from portfolios.wire import negative_cash_data


class CashRecordsRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    records_cash = serializers.BooleanField()
    cash_per_currency = serializers.BooleanField(
        required=False, default=False, help_text="Only with records_cash."
    )
    dry_run = serializers.BooleanField(
        required=False, default=True, help_text="Preview only (the default); false applies it."
    )


class CashChoiceFiguresSerializer(serializers.Serializer):
    records_cash = serializers.BooleanField()
    cash_per_currency = serializers.BooleanField()
    value = money()
    net_invested = money()
    total_gain = money()
    cash = money()
    negative_cash = serializers.SerializerMethodField()
    pending = serializers.CharField(allow_null=True)

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, figures) -> list[dict] | None:
        return negative_cash_data(figures.negative_cash)


class CashRecordsPreviewSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    changes = serializers.BooleanField()
    current = CashChoiceFiguresSerializer()
    proposed = CashChoiceFiguresSerializer()
    ignored_cash_records = serializers.IntegerField(
        help_text="Deposits and withdrawals that count for nothing without cash records."
    )


class CashRecordsResponseSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    preview = CashRecordsPreviewSerializer()
    portfolio = PortfolioSerializer()
