"""Strategy API under /api/v1/: `POST strategies/weights/` answers target weights for a chosen
set of assets by a method, with the inputs used. Thin: validate → the same service as the page
→ serialize. Every refusal is a 400 in the shared error shape."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios import services
from portfolios.serializers.strategies import (
    StrategyRequestSerializer,
    StrategyResponseSerializer,
    strategy_params,
)
from portfolios.wire import strategy_data


class StrategyWeightsView(StrictQueryParamsMixin, APIView):
    @extend_schema(
        request=StrategyRequestSerializer,
        responses={200: StrategyResponseSerializer},
        summary="Target weights of assets by a weighting strategy",
        description="equal; inverse_volatility and risk_parity (equal risk contribution on the "
        "trailing covariance of daily returns, solved to a tolerance of 1e-10) over `window` "
        "trading days; momentum (the return over `window` days skipping the last `skip`, top "
        "`top_n` with positive momentum, equal or proportional); market_cap (the provider's "
        "latest caps, in your base currency). Only closes on or before `as_of` are used; "
        "returns are in each asset's own currency. `cap` limits any weight and spreads the "
        "excess. Unknown or another user's assets, too few closes, infeasible caps and "
        "missing market caps answer 400, naming the assets.",
    )
    def post(self, request: Request) -> Response:
        serializer = StrategyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.strategy_weights_compute(
            user=request.user,
            asset_ids=data["assets"],
            method=data["method"],
            params=strategy_params(data),
            as_of=data.get("as_of"),
        )
        return Response(StrategyResponseSerializer(strategy_data(result)).data)
