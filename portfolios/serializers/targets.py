"""API translation for targets and rebalancing.

Weights, bands and drift are percent points as decimal strings ("50", "12.5"), in and out, so a
target and its current weight compare directly. Money is in the portfolio's base currency with
two places; quantities exact; prices per unit in the asset's currency with six places.
"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from market.models import AssetClass
from portfolia.money import MONEY_PLACES, PRICE_PLACES, RATIO_PLACES
from portfolia.rest import StrictFieldsMixin
from portfolios.engine.rebalance import Mode
from portfolios.serializers import AssetRefField, ExactDecimalField, RoundedDecimalField

POINTS = {"max_digits": 7, "decimal_places": 4, "min_value": Decimal(0), "max_value": Decimal(100)}
MODES_HELP = (
    "full: sell what is above target and buy what is below; buy_only: never sell, spend at most "
    "the new cash (and recorded cash above its target)."
)
MONEY_INPUT = {"max_digits": 20, "decimal_places": 4, "min_value": Decimal(0)}


@extend_schema_field(OpenApiTypes.UUID)
class TargetAssetField(AssetRefField):
    """An asset by its public id (a UUID in the schema)."""


class TargetInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """One target: exactly one of `asset` (its public id), `asset_class` or `"cash": true`."""

    asset = TargetAssetField(required=False, allow_null=True, help_text="An asset's public id.")
    asset_class = serializers.ChoiceField(
        choices=AssetClass.choices, required=False, allow_blank=True
    )
    cash = serializers.BooleanField(
        required=False,
        default=False,
        help_text='The cash target: {"cash": true, "weight": "5"} (only when the portfolio '
        "records cash).",
    )
    weight = serializers.DecimalField(**POINTS, help_text="Percent points, 0 to 100.")
    band = serializers.DecimalField(
        **POINTS,
        required=False,
        allow_null=True,
        help_text="Drift band in points (optional): a drift beyond ± this is flagged.",
    )


class TargetSerializer(serializers.Serializer):
    """A target with today's weight and its drift (current - target), in percent points. A
    holding no target names is listed too, with `weight` and `band` null (it counts as 0)."""

    asset = serializers.SerializerMethodField()
    symbol = serializers.SerializerMethodField()
    asset_class = serializers.CharField()
    cash = serializers.BooleanField(source="is_cash")
    weight = ExactDecimalField(
        source="target", max_digits=None, decimal_places=None, allow_null=True
    )
    band = ExactDecimalField(max_digits=None, decimal_places=None, allow_null=True)
    current = RoundedDecimalField(RATIO_PLACES)
    drift = RoundedDecimalField(RATIO_PLACES)
    outside_band = serializers.BooleanField()

    def get_asset(self, row) -> str | None:
        return str(row.asset.public_id) if row.asset else None

    def get_symbol(self, row) -> str | None:
        return row.asset.symbol if row.asset else None


class TargetsSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    kind = serializers.CharField(allow_null=True, help_text='"asset", "asset_class" or null.')
    total_value = RoundedDecimalField(MONEY_PLACES)
    results = TargetSerializer(many=True, source="rows")


class RebalanceQuerySerializer(serializers.Serializer):
    cash = serializers.DecimalField(
        **MONEY_INPUT, required=False, default=Decimal(0), help_text="New cash to invest."
    )
    mode = serializers.ChoiceField(
        choices=[mode.value for mode in Mode], default=Mode.FULL.value, help_text=MODES_HELP
    )
    whole_units = serializers.BooleanField(
        required=False, default=False, help_text="Trade whole units only."
    )
    min_trade = serializers.DecimalField(
        **MONEY_INPUT,
        required=False,
        default=Decimal(0),
        help_text="Trades below this amount (base currency) are dropped.",
    )


class RebalanceRecordSerializer(StrictFieldsMixin, RebalanceQuerySerializer):
    fingerprint = serializers.CharField(
        max_length=64, help_text="The `fingerprint` of the plan shown (GET …/rebalance/)."
    )


class PlanTradeSerializer(serializers.Serializer):
    asset = serializers.CharField(source="asset.public_id")
    symbol = serializers.CharField(source="asset.symbol")
    side = serializers.ChoiceField(choices=["buy", "sell"])
    quantity = ExactDecimalField(max_digits=None, decimal_places=None)
    amount = RoundedDecimalField(MONEY_PLACES, help_text="In the base currency.")
    price = RoundedDecimalField(PRICE_PLACES, help_text="Per unit, in the asset's currency.")
    currency = serializers.CharField()
    fx_rate = ExactDecimalField(
        max_digits=None, decimal_places=None, help_text="Base currency units per unit."
    )
    price_date = serializers.DateField(allow_null=True)


class UntradableSerializer(serializers.Serializer):
    asset = serializers.CharField(source="asset.public_id")
    symbol = serializers.CharField(source="asset.symbol")
    reason = serializers.ChoiceField(choices=["no_price", "stale_price", "no_fx_rate"])
    message = serializers.CharField()
    price_date = serializers.DateField(allow_null=True)


class WeightRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='An asset\'s public id, an asset class or "cash".')
    label = serializers.CharField()
    target = ExactDecimalField(max_digits=None, decimal_places=None)
    before = RoundedDecimalField(RATIO_PLACES)
    after = RoundedDecimalField(RATIO_PLACES)


def _weights_field(help_text: str) -> serializers.DictField:
    return serializers.DictField(child=RoundedDecimalField(RATIO_PLACES), help_text=help_text)


class RebalancePlanSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    cash = RoundedDecimalField(MONEY_PLACES, source="inputs.cash")
    mode = serializers.CharField(source="inputs.mode")
    whole_units = serializers.BooleanField(source="inputs.whole_units")
    min_trade = RoundedDecimalField(MONEY_PLACES, source="inputs.min_trade")
    kind = serializers.CharField(allow_null=True, help_text='"asset", "asset_class" or null.')
    trades = PlanTradeSerializer(many=True)
    weights_before = _weights_field("Percent of the value now, by target key.")
    weights_after = _weights_field("Percent of the value after the trades, by target key.")
    weights = WeightRowSerializer(many=True)
    cash_before = RoundedDecimalField(MONEY_PLACES, help_text="Recorded cash (0 without).")
    deposit = RoundedDecimalField(
        MONEY_PLACES, help_text="Recorded first as a deposit (the new cash, with cash records)."
    )
    cash_left = RoundedDecimalField(MONEY_PLACES, help_text="Money not spent after the trades.")
    bought = RoundedDecimalField(MONEY_PLACES)
    sold = RoundedDecimalField(MONEY_PLACES)
    total_before = RoundedDecimalField(MONEY_PLACES)
    total_after = RoundedDecimalField(MONEY_PLACES)
    untradable = UntradableSerializer(many=True)
    unplaced = serializers.ListField(
        child=serializers.CharField(), help_text="Asset-class targets with no asset held."
    )
    kept = serializers.SerializerMethodField(help_text="Assets left as they are (min_trade).")
    fingerprint = serializers.CharField(help_text="Send it back to record this plan.")

    def get_kept(self, plan) -> list[str]:
        return [str(asset.public_id) for asset in plan.kept]
