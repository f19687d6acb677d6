"""The performance read model in the API: the period query, the year query, and the bodies'
schemas (the bodies themselves are built by `portfolios.wire`)."""

from rest_framework import serializers

from portfolia.validators import validate_query_date
from portfolios.performance import PERIODS, period_name
from portfolios.serializers.fields import NegativeCashSerializer
from portfolios.serializers.risk import RiskSerializer


class PeriodField(serializers.ChoiceField):
    """A period name in any case ("1y" is 1Y), as the page reads it (`period_name`)."""

    def to_internal_value(self, data):
        return super().to_internal_value(period_name(data))


class PerformanceQuerySerializer(serializers.Serializer):
    """`period` (1D 1W 1M 3M YTD 1Y 3Y 5Y MAX; 1Y by default) or `start`/`end`, and whether to
    include the daily `series`. Both a period and dates are refused by the read model's one
    period rule (`PeriodError`, a 400), as the page refuses them."""

    period = PeriodField(choices=PERIODS, required=False)
    start = serializers.DateField(required=False, validators=[validate_query_date])
    end = serializers.DateField(required=False, validators=[validate_query_date])
    series = serializers.BooleanField(required=False, default=True)


class YearQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)


class BenchmarkSerializer(serializers.Serializer):
    asset = serializers.CharField(help_text="The benchmark's symbol, e.g. ^GSPC.")
    twr = serializers.CharField(help_text="Its return over the period (a fraction).")
    excess_return = serializers.CharField(help_text="Portfolio TWR minus benchmark TWR.")


class SeriesPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.CharField()
    net_invested = serializers.CharField()
    twr = serializers.CharField(help_text="Cumulative time-weighted return to this day.")
    drawdown = serializers.CharField(help_text="W / running maximum of W - 1 (<= 0).")
    rolling_volatility = serializers.CharField(
        allow_null=True, help_text="Volatility of the 252 business days to this one (else null)."
    )
    rolling_sharpe = serializers.CharField(
        allow_null=True, help_text="Sharpe ratio of the 252 business days to this one (else null)."
    )


class PerformanceSerializer(serializers.Serializer):
    """The schema of `performance_data` (documentation for the OpenAPI description)."""

    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    start_value = serializers.CharField(help_text="V at the close of the day before start.")
    end_value = serializers.CharField()
    net_flows = serializers.CharField(help_text="External inflows minus outflows.")
    gain = serializers.CharField(help_text="end_value - start_value - net_flows.")
    twr = serializers.CharField(allow_null=True)
    twr_annualized = serializers.CharField(allow_null=True, help_text="Only for >= 365 days.")
    mwr = serializers.CharField(
        allow_null=True,
        help_text="XIRR, an annual rate; null when no rate solves the flows or it is too large "
        "to represent (mwr_note says which).",
    )
    mwr_period = serializers.CharField(
        allow_null=True,
        help_text="The period's own money-weighted return, (1 + mwr)^(n/365) - 1: only for "
        "periods of under 365 days (null otherwise or when too large to represent).",
    )
    mwr_note = serializers.CharField(
        allow_null=True, help_text="Why mwr or mwr_period is null, when it is."
    )
    simple_return = serializers.CharField(allow_null=True)
    price_gain = serializers.CharField()
    income = serializers.CharField()
    fees = serializers.CharField(help_text="<= 0: a part of the gain.")
    taxes = serializers.CharField(help_text="<= 0: a part of the gain.")
    currency_effect = serializers.CharField()
    volatility = serializers.CharField(allow_null=True)
    sharpe = serializers.CharField(allow_null=True)
    sortino = serializers.CharField(allow_null=True)
    max_drawdown = serializers.CharField(allow_null=True)
    beta = serializers.CharField(allow_null=True)
    correlation = serializers.CharField(allow_null=True)
    risk = RiskSerializer()
    benchmark = BenchmarkSerializer(allow_null=True)
    dates_note = serializers.CharField(
        allow_null=True,
        help_text="Set when a transaction is dated before 1900-01-01: it counts as of that day.",
    )
    negative_cash = NegativeCashSerializer(
        many=True,
        allow_null=True,
        help_text="Each cash balance that went below zero up to today, or null.",
    )
    series = SeriesPointSerializer(many=True, required=False)


class FlowSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField()
    direction = serializers.ChoiceField(choices=["in", "out"])
    amount = serializers.CharField(help_text="> 0, in the base currency.")
    transaction = serializers.UUIDField()


class FlowsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    start_value = serializers.CharField()
    end_value = serializers.CharField()
    flows = FlowSerializer(many=True)
