"""Performance, flows, income and realized-gains API under /api/v1/portfolios/{id}/.

Thin: validate the query → call the same read model as the pages (`portfolio_performance`,
`performance_flows`, `income_report`, `realized_gains`) → translate. Another user's portfolio
answers 404; a bad period or date 400; exchange rates still loading 503; all in the shared
error shape.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolios import selectors
from portfolios.errors import MarketDataPending
from portfolios.models import Portfolio
from portfolios.performance import PeriodError, performance_flows
from portfolios.performance_serializers import (
    FlowsSerializer,
    PerformanceQuerySerializer,
    PerformanceSerializer,
    YearQuerySerializer,
    flows_data,
    income_data,
    performance_data,
    realized_data,
)
from portfolios.reports import income_report, realized_gains

PORTFOLIO_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class _PortfolioView(APIView):
    def portfolio(self) -> Portfolio:
        return selectors.portfolio_get_for_user(self.request.user, self.kwargs["public_id"])

    def period(self, request: Request) -> dict:
        query = PerformanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


def _raise_period_error(error: PeriodError) -> None:
    raise serializers.ValidationError({error.field: [error.message]}) from error


class PerformanceView(_PortfolioView):
    @extend_schema(
        parameters=[PORTFOLIO_ID, PerformanceQuerySerializer],
        responses=PerformanceSerializer,
        summary="Returns, gains, risk and the benchmark over a period",
    )
    def get(self, request: Request, public_id=None) -> Response:
        params = self.period(request)
        portfolio = self.portfolio()
        try:
            report = selectors.portfolio_performance(
                portfolio=portfolio,
                period=params.get("period"),
                start=params.get("start"),
                end=params.get("end"),
                series=params["series"],
            )
        except PeriodError as error:
            _raise_period_error(error)
        if report.pending:
            raise MarketDataPending(report.pending)
        return Response(performance_data(report, series=params["series"]))


class PerformanceFlowsView(_PortfolioView):
    @extend_schema(
        parameters=[PORTFOLIO_ID, PerformanceQuerySerializer],
        responses=FlowsSerializer,
        summary="The dated external flows behind TWR and MWR",
    )
    def get(self, request: Request, public_id=None) -> Response:
        params = self.period(request)
        portfolio = self.portfolio()
        try:
            report = performance_flows(
                portfolio=portfolio,
                period=params.get("period"),
                start=params.get("start"),
                end=params.get("end"),
            )
        except PeriodError as error:
            _raise_period_error(error)
        if report.pending:
            raise MarketDataPending(report.pending)
        return Response(flows_data(report))


class IncomeView(_PortfolioView):
    @extend_schema(
        parameters=[PORTFOLIO_ID, YearQuerySerializer],
        responses=OpenApiTypes.OBJECT,
        summary="Dividend and interest income by year, month and asset",
    )
    def get(self, request: Request, public_id=None) -> Response:
        query = YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = income_report(portfolio=self.portfolio(), year=query.validated_data.get("year"))
        if report.pending:
            raise MarketDataPending(report.pending)
        return Response(income_data(report))


class RealizedView(_PortfolioView):
    @extend_schema(
        parameters=[PORTFOLIO_ID, YearQuerySerializer],
        responses=OpenApiTypes.OBJECT,
        summary="Realized gains by tax year, with the lots each sale consumed",
    )
    def get(self, request: Request, public_id=None) -> Response:
        query = YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = realized_gains(portfolio=self.portfolio(), year=query.validated_data.get("year"))
        if report.pending:
            raise MarketDataPending(report.pending)
        return Response(realized_data(report))
