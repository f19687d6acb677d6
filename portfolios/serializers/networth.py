"""The net worth in the API: the schema of `portfolios.wire.net_worth_data` (the body itself is
built there) for the OpenAPI description; the query is the performance API's
(`PerformanceQuerySerializer`)."""

from rest_framework import serializers

from portfolios.serializers.holdings import AllocationSliceSerializer


class NetWorthPortfolioSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    currency = serializers.CharField(help_text="The portfolio's own base currency.")
    value_local = serializers.CharField(help_text="Its value today in its own currency.")
    value = serializers.CharField(help_text="Its value today in the user's base currency.")
    share = serializers.CharField(
        allow_null=True, help_text="A fraction of the total value; the shares add up to 1."
    )


class NetWorthAllocationSerializer(serializers.Serializer):
    asset = AllocationSliceSerializer(many=True)
    asset_class = AllocationSliceSerializer(many=True)
    currency = AllocationSliceSerializer(many=True)


class NetWorthPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.CharField()
    net_invested = serializers.CharField()
    twr = serializers.CharField(help_text="Cumulative time-weighted return to this day.")


class NetWorthSerializer(serializers.Serializer):
    """Every portfolio of the user together, in the user's base currency; a transfer between
    two of them (a withdrawal and a deposit of the same amount, currency and date) is not an
    external flow."""

    start = serializers.DateField()
    end = serializers.DateField()
    period = serializers.CharField(help_text="1D ... MAX, or custom.")
    currency = serializers.CharField(help_text="The user's base currency.")
    portfolio_count = serializers.IntegerField()
    total_value = serializers.CharField()
    day_change = serializers.CharField()
    day_change_pct = serializers.CharField(allow_null=True)
    total_gain = serializers.CharField(help_text="Value minus net external inflows, all time.")
    total_gain_pct = serializers.CharField(allow_null=True)
    start_value = serializers.CharField(help_text="V at the close of the day before start.")
    end_value = serializers.CharField()
    inflows = serializers.CharField()
    outflows = serializers.CharField()
    net_flows = serializers.CharField(help_text="External inflows minus outflows.")
    gain = serializers.CharField(help_text="end_value - start_value - net_flows.")
    twr = serializers.CharField(allow_null=True)
    twr_annualized = serializers.CharField(allow_null=True, help_text="Only for >= 365 days.")
    mwr = serializers.CharField(allow_null=True, help_text="XIRR, an annual rate.")
    mwr_period = serializers.CharField(
        allow_null=True, help_text="The period's own money-weighted return (< 365 days)."
    )
    mwr_note = serializers.CharField(allow_null=True)
    simple_return = serializers.CharField(allow_null=True)
    internal_transfers = serializers.IntegerField(
        help_text="Transfers between the user's portfolios left out of the flows."
    )
    portfolios = NetWorthPortfolioSerializer(many=True)
    allocation = NetWorthAllocationSerializer()
    series = NetWorthPointSerializer(many=True, required=False)
