"""API translation of the weighting strategies: the request of `POST /api/v1/strategies/weights/`,
and the answer (weights as decimal strings adding up to exactly 1, the inputs used, the as-of
date), through serializers that are also its OpenAPI schema."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from portfolia.rest import StrictFieldsMixin
from portfolia.validators import validate_query_date
from portfolios.engine.strategies import METHODS, MOMENTUM_WEIGHTINGS
from portfolios.selectors.strategy_inputs import (
    MAX_STRATEGY_ASSETS,
    MAX_WINDOW,
)

PARAMETER_NAMES = ("window", "skip", "top_n", "weighting", "cap")


def _not_future(day) -> None:
    if day > timezone.localdate():
        raise serializers.ValidationError("The as-of date cannot be after today.")


class StrategyRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    """What to weight and how. Parameters a method does not take are refused (400)."""

    assets = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=MAX_STRATEGY_ASSETS,
        help_text="Asset ids (the catalogue's or your own manual assets'), in the answer's order.",
    )
    method = serializers.ChoiceField(choices=METHODS)
    as_of = serializers.DateField(
        required=False,
        validators=[validate_query_date, _not_future],
        help_text="Use only closes on or before this date (default: today).",
    )
    window = serializers.IntegerField(
        required=False,
        min_value=2,
        max_value=MAX_WINDOW,
        help_text="Trading days of returns (default 252): inverse_volatility, risk_parity, "
        "momentum (its lookback).",
    )
    skip = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_WINDOW - 1,
        help_text="momentum: the most recent trading days left out (default 21, a month).",
    )
    top_n = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_STRATEGY_ASSETS,
        help_text="momentum: how many assets to hold (default 10); only positive momentum is held.",
    )
    weighting = serializers.ChoiceField(
        choices=MOMENTUM_WEIGHTINGS,
        required=False,
        help_text="momentum: equal (default) or proportional to momentum.",
    )
    cap = serializers.DecimalField(
        required=False,
        max_digits=11,
        decimal_places=10,
        min_value=Decimal("0.0000000001"),
        max_value=Decimal(1),
        help_text="The largest weight of any asset, a fraction (0.25 = 25 %); the excess goes "
        "to the others in proportion.",
    )


def strategy_params(validated: dict) -> dict:
    """The engine's parameters from a validated request (or form): only those given."""
    params = {name: validated[name] for name in PARAMETER_NAMES if validated.get(name) is not None}
    if "cap" in params:
        params["cap"] = float(params["cap"])
    return params


# ── Output ───────────────────────────────────────────────────────────────────


class StrategyWeightSerializer(serializers.Serializer):
    asset = serializers.UUIDField()
    symbol = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    weight = serializers.CharField(help_text="A fraction; the weights add up to exactly 1.")


class StrategyAssetInputsSerializer(serializers.Serializer):
    asset = serializers.UUIDField()
    symbol = serializers.CharField()
    total_return = serializers.CharField(
        allow_null=True, help_text="Over the window, in the asset's own currency."
    )
    volatility = serializers.CharField(
        allow_null=True, help_text="Annualised: sample sd of daily returns x sqrt(252)."
    )
    momentum = serializers.CharField(
        allow_null=True, help_text="Return from the window's start to `skip` days before its end."
    )
    selected = serializers.BooleanField(allow_null=True, help_text="momentum: held or not.")
    risk_contribution = serializers.CharField(
        allow_null=True, help_text="risk_parity: the share of portfolio variance at the weights."
    )
    market_cap = serializers.CharField(allow_null=True, help_text="In market_cap_currency.")
    market_cap_date = serializers.DateField(allow_null=True, help_text="When it was fetched.")
    uncapped_weight = serializers.CharField(
        allow_null=True, help_text="The method's weight before the cap, when a cap is given."
    )


class StrategyInputsSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    window = serializers.IntegerField(allow_null=True)
    first_day = serializers.DateField(allow_null=True, help_text="The window's first close.")
    last_day = serializers.DateField(allow_null=True, help_text="Its last (on or before as_of).")
    observations = serializers.IntegerField(allow_null=True, help_text="Daily returns used.")
    skip = serializers.IntegerField(allow_null=True)
    top_n = serializers.IntegerField(allow_null=True)
    weighting = serializers.CharField(allow_null=True)
    momentum_start = serializers.DateField(allow_null=True)
    momentum_end = serializers.DateField(allow_null=True)
    tolerance = serializers.CharField(
        allow_null=True, help_text="risk_parity: the largest deviation of a risk share from 1/n."
    )
    max_iterations = serializers.IntegerField(allow_null=True)
    iterations = serializers.IntegerField(allow_null=True)
    converged = serializers.BooleanField(allow_null=True)
    max_deviation = serializers.CharField(allow_null=True)
    cap = serializers.CharField(allow_null=True)
    market_cap_currency = serializers.CharField(allow_null=True)
    assets = StrategyAssetInputsSerializer(many=True)


class StrategyResponseSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=METHODS)
    as_of = serializers.DateField()
    weights = StrategyWeightSerializer(many=True)
    inputs = StrategyInputsSerializer()
