"""The performance API's further risk measures: the ``risk`` object (Calmar, VaR, expected
shortfall, Omega, tail ratio, up and down capture, with a note for each one that is null) and
the rolling one-year volatility and Sharpe of each series point. Translation only."""

from __future__ import annotations

from rest_framework import serializers


class RiskNotesSerializer(serializers.Serializer):
    calmar = serializers.CharField(required=False)
    value_at_risk = serializers.CharField(required=False)
    expected_shortfall = serializers.CharField(required=False)
    omega = serializers.CharField(required=False)
    tail_ratio = serializers.CharField(required=False)
    up_capture = serializers.CharField(required=False)
    down_capture = serializers.CharField(required=False)
    rolling = serializers.CharField(
        required=False, help_text="Why no series point has a rolling figure."
    )


class RiskSerializer(serializers.Serializer):
    """Further risk measures over the period, from business-day returns (empyrical's
    definitions; see the README's metrics). Rates and ratios are decimal strings."""

    calmar = serializers.CharField(
        allow_null=True,
        help_text="Annual return / |max drawdown| of the business-day returns; only for periods "
        "of a year or more.",
    )
    value_at_risk = serializers.CharField(
        allow_null=True,
        help_text="Historical 95 % one-day value at risk: the 5th percentile of the business-day "
        "returns (a loss is negative); from 20 business days on.",
    )
    expected_shortfall = serializers.CharField(
        allow_null=True,
        help_text="Mean of the worst 5 % of business-day returns (at or below the VaR's "
        "position); from 20 business days on.",
    )
    omega = serializers.CharField(
        allow_null=True,
        help_text="Sum of returns above the daily risk-free rate / sum of shortfalls below it.",
    )
    tail_ratio = serializers.CharField(
        allow_null=True, help_text="|95th percentile| / |5th percentile| of the returns."
    )
    up_capture = serializers.CharField(
        allow_null=True,
        help_text="Annualised return on the benchmark's up days / the benchmark's on them.",
    )
    down_capture = serializers.CharField(
        allow_null=True,
        help_text="Annualised return on the benchmark's down days / the benchmark's on them.",
    )
    notes = RiskNotesSerializer(help_text="For each null figure, why; empty when none is null.")
