"""Backtests under /api/v1/simulations/: start one (201 with its result when it ran inline,
202 with the run to poll when it went to a worker), read a run, save it as a portfolio.

Thin: validate → `services.simulation_spec_check` / `simulation_start` → serialize. Another
user's run answers 404; inputs that cannot be simulated answer 400 in the shared error shape.
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios import services
from portfolios.selectors import backtests as selectors_simulate
from portfolios.serializers import PortfolioSerializer
from portfolios.serializers.simulations import (
    SimulationRequestSerializer,
    SimulationRunSerializer,
    SimulationSaveSerializer,
)
from portfolios.wire import simulation_run_data

RUN_ID = OpenApiParameter("run_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def spec_from_request(data: dict, user) -> services.SimulationSpec:
    """The checked spec of validated request data (the currency defaults to the user's)."""
    return services.simulation_spec_check(
        assets=data["assets"],
        weights=data.get("weights"),
        method=data["method"],
        start=data["start"],
        end=data["end"],
        initial_amount=data["initial_amount"],
        monthly_contribution=data["monthly_contribution"],
        rebalance=data["rebalance"],
        drift_band=data.get("drift_band"),
        fee=data["fee"],
        currency=data.get("currency") or user.base_currency,
        benchmark=data.get("benchmark"),
        params=data.get("params"),
    )


def _body(request: Request, run) -> dict:
    url = request.build_absolute_uri(
        reverse("api-simulation-detail", kwargs={"run_id": run.public_id})
    )
    return simulation_run_data(run, url=url)


class SimulationListView(StrictQueryParamsMixin, APIView):
    @extend_schema(
        request=SimulationRequestSerializer,
        responses={
            201: OpenApiResponse(SimulationRunSerializer, description="Ran inline: the result."),
            202: OpenApiResponse(SimulationRunSerializer, description="Queued: poll its url."),
        },
        summary="Backtest weights or a strategy against a benchmark",
    )
    def post(self, request: Request) -> Response:
        serializer = SimulationRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        spec = spec_from_request(serializer.validated_data, request.user)
        run = services.simulation_start(owner=request.user, spec=spec)
        code = status.HTTP_201_CREATED if run.finished else status.HTTP_202_ACCEPTED
        return Response(_body(request, run), status=code)


class SimulationDetailView(StrictQueryParamsMixin, APIView):
    @extend_schema(
        parameters=[RUN_ID],
        responses=SimulationRunSerializer,
        summary="A backtest's status, progress and result",
    )
    def get(self, request: Request, run_id=None) -> Response:
        run = selectors_simulate.simulation_run_get_for_user(request.user, run_id)
        return Response(_body(request, run))


class SimulationSaveView(StrictQueryParamsMixin, APIView):
    error_statuses = {"*": (422,)}

    @extend_schema(
        parameters=[RUN_ID],
        request=SimulationSaveSerializer,
        responses={201: PortfolioSerializer},
        summary="Save a finished backtest as a new portfolio (its trades recorded)",
    )
    def post(self, request: Request, run_id=None) -> Response:
        run = selectors_simulate.simulation_run_get_for_user(request.user, run_id)
        serializer = SimulationSaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        portfolio = services.simulation_run_save_as_portfolio(
            run=run,
            name=serializer.validated_data["name"],
            records_cash=serializer.validated_data["records_cash"],
        )
        return Response(
            PortfolioSerializer(portfolio, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
