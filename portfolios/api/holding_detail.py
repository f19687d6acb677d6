"""`GET /api/v1/portfolios/{id}/holdings/{asset_id}/`: one asset in one portfolio, the holding
page's twin (the same `selectors.holding_detail`). 404 for another user's portfolio or an asset
the portfolio never traded; 503 while exchange rates load."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios.api.portfolios import PORTFOLIO_ID, PortfolioScopedMixin
from portfolios.errors import MarketDataPending
from portfolios.selectors.holding_detail import holding_detail
from portfolios.serializers.holding_detail import HoldingDetailSerializer

ASSET_ID = OpenApiParameter("asset_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class HoldingDetailView(StrictQueryParamsMixin, PortfolioScopedMixin, APIView):
    error_statuses = {"*": (503,)}

    @extend_schema(
        parameters=[PORTFOLIO_ID, ASSET_ID],
        responses=HoldingDetailSerializer,
        operation_id="v1_portfolios_holding_detail",
        summary="One holding: its lots, sales, income and transactions",
    )
    def get(self, request: Request, public_id=None, asset_id=None) -> Response:
        detail = holding_detail(portfolio=self.get_portfolio(), asset_public_id=asset_id)
        if detail.pending:
            raise MarketDataPending(detail.pending)
        body = HoldingDetailSerializer(detail, context={"request": request}).data
        return Response(body)
