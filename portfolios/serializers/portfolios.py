"""A portfolio in the API (its cash choice is changed only through the cash-records endpoint)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.rest import StrictFieldsMixin
from portfolios.models import Portfolio
from portfolios.serializers.fields import (
    AssetRefField,
    NegativeCashSerializer,
)
from portfolios.wire import negative_cash_data

CASH_FIELDS = ("records_cash", "cash_per_currency")


class PortfolioSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    base_currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, required=False, help_text="Defaults to the user's currency."
    )
    benchmark = AssetRefField(required=False, allow_null=True, help_text="An asset id.")
    records_cash = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Whether the portfolio records cash (deposits and withdrawals, the cash "
        "balance in the value); false unless chosen. Set on create; changed later only through "
        "POST /portfolios/{id}/cash-records/ (a preview, then a confirmed change).",
    )
    cash_per_currency = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With records_cash: keep cash per currency (a multi-currency account) "
        "instead of settling foreign trades in the base currency. Same rules as records_cash.",
    )
    negative_cash = serializers.SerializerMethodField(
        help_text="Each cash balance that went below zero (first day and that balance), or null."
    )

    class Meta:
        model = Portfolio
        fields = (
            "id",
            "name",
            "description",
            "base_currency",
            "cost_basis_method",
            "benchmark",
            "records_cash",
            "cash_per_currency",
            "negative_cash",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, portfolio: Portfolio) -> list[dict] | None:
        """From the view's dashboard summaries (`context["negative_cash"]`, by portfolio id)."""
        return negative_cash_data(self.context.get("negative_cash", {}).get(portfolio.pk))
