"""API translation of backtests: the request of `POST /api/v1/simulations/` and the body of a
run (`simulation_run_data`, which `SimulationRunSerializer` documents). No writes here."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.rest import StrictFieldsMixin
from portfolios.engine.simulate import REBALANCE_CHOICES
from portfolios.models import SimulationRun
from portfolios.serializers import AssetRefField
from portfolios.services.simulations import MAX_ASSETS, SIMULATION_METHOD_NAMES

AMOUNT = {"max_digits": 20, "decimal_places": 4}


@extend_schema_field(OpenApiTypes.UUID)
class AssetIdField(AssetRefField):
    """An asset by its public id (documented as a UUID)."""


class SimulationRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    """A backtest: assets with weights (percentages or fractions) or a method, the period,
    the money, the rebalancing, the fee per trade, the currency (the user's base by default)
    and the benchmark (``^GSPC`` by default)."""

    assets = serializers.ListField(
        child=AssetIdField(), min_length=1, max_length=MAX_ASSETS, help_text="Asset ids."
    )
    weights = serializers.ListField(
        child=serializers.DecimalField(max_digits=16, decimal_places=10),
        required=False,
        max_length=MAX_ASSETS,
        help_text='One per asset, adding up to 100 (or 1): ["60", "40"].',
    )
    method = serializers.ChoiceField(
        choices=SIMULATION_METHOD_NAMES,
        default="fixed",
        help_text="fixed: the weights given; else a weighting strategy re-run at each rebalance.",
    )
    start = serializers.DateField()
    end = serializers.DateField()
    initial_amount = serializers.DecimalField(**AMOUNT)
    monthly_contribution = serializers.DecimalField(**AMOUNT, default=Decimal(0))
    rebalance = serializers.ChoiceField(choices=REBALANCE_CHOICES, default="monthly")
    drift_band = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True, help_text="Points."
    )
    fee = serializers.DecimalField(**AMOUNT, default=Decimal(0), help_text="Per trade.")
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, required=False)
    benchmark = AssetIdField(required=False, allow_null=True)
    params = serializers.DictField(
        required=False, help_text="The method's parameters (window, top N, caps…)."
    )


class SimulationSaveSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100)
    records_cash = serializers.BooleanField(default=False)


class MetricsSerializer(serializers.Serializer):
    end_value = serializers.CharField()
    invested = serializers.CharField()
    gain = serializers.CharField()
    twr = serializers.CharField(help_text="A fraction.")
    twr_annualized = serializers.CharField(allow_null=True)
    mwr = serializers.CharField(allow_null=True, help_text="Annual XIRR.")
    mwr_period = serializers.CharField(allow_null=True)
    mwr_note = serializers.CharField(allow_null=True)
    volatility = serializers.CharField(allow_null=True)
    sharpe = serializers.CharField(allow_null=True)
    sortino = serializers.CharField(allow_null=True)
    max_drawdown = serializers.CharField(allow_null=True)


class SimulationPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.CharField()
    benchmark = serializers.CharField(allow_null=True)


class SimulationTradeSerializer(serializers.Serializer):
    date = serializers.DateField()
    asset = serializers.UUIDField()
    symbol = serializers.CharField()
    side = serializers.ChoiceField(choices=["buy", "sell"])
    quantity = serializers.CharField()
    price = serializers.CharField(help_text="In the simulation's currency.")
    fee = serializers.CharField()


class SimulationFlowSerializer(serializers.Serializer):
    date = serializers.DateField()
    amount = serializers.CharField()


class SimulationHoldingSerializer(serializers.Serializer):
    asset = serializers.UUIDField()
    symbol = serializers.CharField()
    quantity = serializers.CharField()


class SimulationBenchmarkSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    metrics = MetricsSerializer(allow_null=True)


class SimulationResultSerializer(serializers.Serializer):
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    metrics = MetricsSerializer()
    benchmark = SimulationBenchmarkSerializer()
    rebalances = serializers.IntegerField()
    cash = serializers.CharField()
    holdings = SimulationHoldingSerializer(many=True)
    trades = SimulationTradeSerializer(many=True)
    contributions = SimulationFlowSerializer(many=True)
    series = SimulationPointSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class SimulationRunSerializer(serializers.Serializer):
    """The schema of `simulation_run_data`."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=SimulationRun.Status.values)
    progress = serializers.FloatField(help_text="Share of the days simulated, 0 to 1.")
    error = serializers.CharField(allow_blank=True)
    inputs = serializers.DictField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    portfolio = serializers.UUIDField(allow_null=True, help_text="The portfolio it was saved as.")
    url = serializers.CharField(help_text="Where to poll it.")
    result = SimulationResultSerializer(allow_null=True)
