"""Targets and rebalancing API: `portfolios/{id}/targets/` (GET, PUT) and
`portfolios/{id}/rebalance/` (GET the plan, POST to record it).

PUT takes a JSON list of targets, each `{"asset": "<public id>", "weight": "50", "band": "5"}`,
or `{"asset_class": "bond", "weight": "40"}`, and `{"cash": true, "weight": "5"}` for cash
(with cash records); it replaces them all (`[]` clears them). POST …/rebalance/ takes the plan's
inputs and the `fingerprint` the GET answered: it records all the trades (201) or, when the plan
is no longer the one shown, nothing (409). POST …/targets/from-strategy/ takes the body of
`strategies/weights/` and sets the weights it computes as the targets ("use as targets").
Thin: the same services and selectors as the page.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios import services
from portfolios.api.portfolios import PORTFOLIO_ID, PortfolioScopedMixin
from portfolios.errors import MarketDataPending
from portfolios.selectors.rebalancing import RebalanceInputs, rebalance_plan, targets_report
from portfolios.serializers import TransactionSerializer
from portfolios.serializers.strategies import StrategyRequestSerializer, strategy_params
from portfolios.serializers.targets import (
    RebalancePlanSerializer,
    RebalanceQuerySerializer,
    RebalanceRecordSerializer,
    TargetInputSerializer,
    TargetsSerializer,
)

MAX_TARGETS = 1000


def _targets_from(request: Request) -> list[services.TargetInput]:
    data = request.data
    if not isinstance(data, list):
        raise serializers.ValidationError({"targets": ["Send a JSON list of targets."]})
    if len(data) > MAX_TARGETS:
        raise serializers.ValidationError({"targets": [f"At most {MAX_TARGETS} targets."]})
    rows, errors = [], {}
    for index, item in enumerate(data):
        row = TargetInputSerializer(data=item, context={"request": request})
        if row.is_valid():
            rows.append(services.TargetInput(**row.validated_data))
        else:
            errors[str(index)] = row.errors
    if errors:
        raise serializers.ValidationError({"targets": errors})
    return rows


def _refusal(error: ValidationError) -> serializers.ValidationError:
    """A refused set of targets as a 400 (the set's rules, named in the message too)."""
    problems = error.message_dict.get("targets", error.messages)
    return serializers.ValidationError({"non_field_errors": problems, "targets": problems})


class _TargetsMixin(StrictQueryParamsMixin, PortfolioScopedMixin):
    error_statuses = {"*": (503,)}

    def report(self) -> Response:
        report = targets_report(portfolio=self.get_portfolio())
        if report.pending:
            raise MarketDataPending(report.pending)
        return Response(TargetsSerializer(report).data)


class TargetsView(_TargetsMixin, APIView):
    @extend_schema(
        parameters=[PORTFOLIO_ID],
        responses=TargetsSerializer,
        summary="Targets with today's weights and drift",
    )
    def get(self, request: Request, public_id=None) -> Response:
        return self.report()

    @extend_schema(
        parameters=[PORTFOLIO_ID],
        request=TargetInputSerializer(many=True),
        responses=TargetsSerializer,
        summary="Replace the targets (a list; [] clears them)",
        description="By asset or by asset class, not both; cash beside either when the "
        "portfolio records cash. Weights add up to 100.",
    )
    def put(self, request: Request, public_id=None) -> Response:
        try:
            services.targets_set(portfolio=self.get_portfolio(), targets=_targets_from(request))
        except ValidationError as error:
            raise _refusal(error) from error
        return self.report()


def _inputs(data) -> RebalanceInputs:
    return RebalanceInputs(
        cash=data["cash"],
        mode=data["mode"],
        whole_units=data["whole_units"],
        min_trade=data["min_trade"],
    )


class RecordedSerializer(serializers.Serializer):
    recorded = serializers.IntegerField()
    transactions = TransactionSerializer(many=True)


class RebalanceView(_TargetsMixin, APIView):
    query_serializers = (RebalanceQuerySerializer,)
    error_statuses = {"*": (503,), "POST": (409, 422)}

    @extend_schema(
        parameters=[PORTFOLIO_ID, RebalanceQuerySerializer],
        responses=RebalancePlanSerializer,
        summary="The trades that bring the portfolio closest to its targets",
    )
    def get(self, request: Request, public_id=None) -> Response:
        query = RebalanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        inputs = _inputs(query.validated_data)
        plan = rebalance_plan(self.get_portfolio(), **vars(inputs))
        return Response(RebalancePlanSerializer(plan).data)

    @extend_schema(
        parameters=[PORTFOLIO_ID],
        request=RebalanceRecordSerializer,
        responses={201: RecordedSerializer},
        summary="Record the plan shown (all its trades or none)",
        description="Send the inputs of the GET and its fingerprint. The plan is recomputed; "
        "if it is not the one with that fingerprint any more, nothing is recorded (409).",
    )
    def post(self, request: Request, public_id=None) -> Response:
        body = RebalanceRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.rebalance_record(
            portfolio=self.get_portfolio(),
            inputs=_inputs(body.validated_data),
            fingerprint=body.validated_data["fingerprint"],
        )
        data = {"recorded": len(created), "transactions": created}
        return Response(RecordedSerializer(data).data, status=status.HTTP_201_CREATED)


class TargetsFromStrategyView(_TargetsMixin, APIView):
    @extend_schema(
        parameters=[PORTFOLIO_ID],
        request=StrategyRequestSerializer,
        responses=TargetsSerializer,
        summary="Use a strategy's weights as the targets",
        description="The body of `POST /api/v1/strategies/weights/`. The weights are computed "
        "and replace the portfolio's targets as asset targets in points adding up to exactly "
        "100 (assets weighted 0 get none). Refusals are those of strategies/weights/ (400).",
    )
    def post(self, request: Request, public_id=None) -> Response:
        body = StrategyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            services.strategy_targets_use(
                user=request.user,
                portfolio=self.get_portfolio(),
                asset_ids=data["assets"],
                method=data["method"],
                params=strategy_params(data),
                as_of=data.get("as_of"),
            )
        except ValidationError as error:
            raise _refusal(error) from error
        return self.report()
