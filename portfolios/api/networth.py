"""GET /api/v1/net-worth/: every portfolio of the user together (`selectors.networth`), over a
period read as the performance API reads it. Thin: parse → call → serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios.errors import MarketDataPending
from portfolios.performance import PeriodError
from portfolios.selectors.networth import net_worth
from portfolios.serializers import PerformanceQuerySerializer
from portfolios.serializers.networth import NetWorthSerializer
from portfolios.wire import net_worth_data


class NetWorthView(StrictQueryParamsMixin, APIView):
    query_serializers = (PerformanceQuerySerializer,)
    error_statuses = {"*": (503,)}

    @extend_schema(
        parameters=[PerformanceQuerySerializer],
        responses=NetWorthSerializer,
        summary="Net worth: all portfolios together in the user's base currency",
    )
    def get(self, request: Request) -> Response:
        query = PerformanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            result = net_worth(
                request.user,
                period=params.get("period"),
                start=params.get("start"),
                end=params.get("end"),
            )
        except PeriodError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from error
        if result.pending:
            raise MarketDataPending(result.pending)
        return Response(net_worth_data(result, series=params["series"]))
