"""Holdings and allocation as of a day, and their query parameters."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.money import PRICE_PLACES, RATIO_PLACES
from portfolia.validators import validate_query_date
from portfolios.serializers.fields import (
    ExactDecimalField,
    NegativeCashSerializer,
    RoundedDecimalField,
    money,
)
from portfolios.wire import negative_cash_data


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
    cash_per_currency = serializers.BooleanField()
    total_value = money(help_text="Cash included when the portfolio records cash.")
    securities_value = money()
    cash = money()
    cash_weight = RoundedDecimalField(
        RATIO_PLACES,
        help_text="Cash as a fraction of total value (null without cash records): with the "
        "holdings' weights it adds up to 1.",
    )
    negative_cash = serializers.SerializerMethodField()
    cost_basis = money()
    unrealized_gain = money()
    realized_gain = money()
    income = money()
    fees = money()
    taxes = money()
    net_invested = money()
    total_gain = money()
    results = HoldingSerializer(source="rows", many=True)

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, snapshot) -> list[dict] | None:
        return negative_cash_data(snapshot.negative_cash)


class AllocationSliceSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='An asset symbol, asset class or currency; "cash".')
    label = serializers.CharField()
    value = money()
    weight = RoundedDecimalField(
        RATIO_PLACES,
        help_text="A fraction of the total value with its cash, as in the holdings: the slices "
        "add up to 1 (a negative cash slice is negative).",
    )


class AllocationSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    by = serializers.CharField()
    results = AllocationSliceSerializer(many=True)


class HoldingsQuerySerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False,
        validators=[validate_query_date],
        help_text="YYYY-MM-DD, from 1900-01-01 to a week from today; today when omitted.",
    )


class AllocationQuerySerializer(HoldingsQuerySerializer):
    by = serializers.ChoiceField(choices=["asset", "asset_class", "currency"], default="asset")
