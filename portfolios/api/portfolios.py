"""Portfolio API under /api/v1/: portfolios and their transactions (CRUD), CSV import, holdings,
allocation, performance and its flows, income and realized gains.

Thin: validate input → call the same service, selector or read model as the pages →
serialize. Another user's portfolio answers 404 (`portfolio_get_for_user`); ledger violations
answer 422, a bad period or date 400 and pending exchange rates 503, in the shared error shape.
"""

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market import services as market_services
from portfolia.rest import StrictOrderingFilter, StrictQueryParamsMixin, error_response
from portfolios import selectors, services
from portfolios.errors import MarketDataPending
from portfolios.filters import TransactionFilter
from portfolios.models import Portfolio, Transaction
from portfolios.performance import PeriodError, performance_flows
from portfolios.reports import income_report, realized_gains
from portfolios.serializers import (
    CASH_FIELDS,
    AllocationQuerySerializer,
    AllocationSerializer,
    CashRecordsRequestSerializer,
    CashRecordsResponseSerializer,
    FlowsSerializer,
    HoldingsQuerySerializer,
    HoldingsSerializer,
    PerformanceQuerySerializer,
    PerformanceSerializer,
    PortfolioSerializer,
    TransactionSavedSerializer,
    TransactionSerializer,
    YearQuerySerializer,
)
from portfolios.serializers.broker_imports import (
    BrokerImportReportSerializer,
    BrokerImportRequestSerializer,
)
from portfolios.serializers.import_jobs import ImportJobSerializer
from portfolios.services import import_jobs
from portfolios.wire import flows_data, income_data, performance_data, realized_data

PORTFOLIO_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
TRANSACTION_ID = OpenApiParameter("transaction_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class PortfolioViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The user's portfolios."""

    serializer_class = PortfolioSerializer
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "id"]
    lookup_url_kwarg = "public_id"

    def get_queryset(self):
        return selectors.portfolio_queryset_for_user(self.request.user)

    def get_object(self) -> Portfolio:
        return selectors.portfolio_get_for_user(self.request.user, self.kwargs["public_id"])

    def get_serializer_context(self) -> dict:
        """Each portfolio's negative cash, from the dashboard's summaries (cached, a fixed
        number of queries whatever the number of portfolios)."""
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return context
        context["negative_cash"] = {
            summary.portfolio.pk: summary.negative_cash
            for summary in selectors.portfolio_list_with_summary(self.request.user)
        }
        return context

    @extend_schema(parameters=[PORTFOLIO_ID])
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        portfolio = services.portfolio_create(owner=request.user, **serializer.validated_data)
        return Response(self.get_serializer(portfolio).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[PORTFOLIO_ID])
    def update(self, request: Request, public_id=None, partial: bool = False) -> Response:
        portfolio = self.get_object()
        serializer = self.get_serializer(portfolio, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        changed = [
            name
            for name in CASH_FIELDS
            if name in request.data and data.get(name) != getattr(portfolio, name)
        ]
        if changed:
            url = reverse("api-portfolio-cash-records", args=[portfolio.public_id])
            return error_response(
                "cash_records_change",
                f"{' and '.join(changed)} cannot be changed here: POST {url} with "
                '{"records_cash": ..., "dry_run": true} shows what changes, then '
                '"dry_run": false applies it.',
                status.HTTP_400_BAD_REQUEST,
                {name: [f"Change it through {url}."] for name in changed},
            )
        for name in CASH_FIELDS:
            data.pop(name, None)
        portfolio = services.portfolio_update(portfolio=portfolio, data=data)
        return Response(self.get_serializer(portfolio).data)

    @extend_schema(parameters=[PORTFOLIO_ID])
    def partial_update(self, request: Request, public_id=None) -> Response:
        return self.update(request, public_id, partial=True)

    @extend_schema(parameters=[PORTFOLIO_ID])
    def destroy(self, request: Request, public_id=None) -> Response:
        services.portfolio_delete(portfolio=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PortfolioScopedMixin:
    """Views under /portfolios/{public_id}/: the portfolio, owner-checked once per request,
    before anything else (so another user's portfolio is a 404, never a 400)."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.get_portfolio()

    def get_portfolio(self) -> Portfolio:
        if not hasattr(self, "_portfolio"):
            self._portfolio = selectors.portfolio_get_for_user(
                self.request.user, self.kwargs["public_id"]
            )
        return self._portfolio


@extend_schema(
    parameters=[PORTFOLIO_ID],
    request=CashRecordsRequestSerializer,
    responses={200: CashRecordsResponseSerializer},
    summary="Preview, then change, whether the portfolio records cash",
    description="With dry_run (the default) it answers what would change: value, net money "
    "in and gain today under the current and the proposed choice, the negative cash the "
    "proposed one shows, and the deposits and withdrawals it would ignore. With "
    '"dry_run": false it applies the change (every figure is recomputed).',
)
class CashRecordsView(StrictQueryParamsMixin, PortfolioScopedMixin, APIView):
    def post(self, request: Request, public_id=None) -> Response:
        portfolio = self.get_portfolio()
        serializer = CashRecordsRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        records_cash = serializer.validated_data["records_cash"]
        per_currency = records_cash and serializer.validated_data["cash_per_currency"]
        dry_run = serializer.validated_data["dry_run"]
        preview = selectors.cash_records_preview(
            portfolio=portfolio, records_cash=records_cash, cash_per_currency=per_currency
        )
        applied = False
        if not dry_run and preview.changes:
            portfolio = services.portfolio_cash_records_change(
                portfolio=portfolio, records_cash=records_cash, cash_per_currency=per_currency
            )
            applied = True
        context = {"request": request, "negative_cash": {}}
        if applied:
            context["negative_cash"] = {portfolio.pk: preview.proposed.negative_cash}
        else:
            context["negative_cash"] = {portfolio.pk: preview.current.negative_cash}
        body = {
            "dry_run": dry_run,
            "applied": applied,
            "preview": preview,
            "portfolio": portfolio,
        }
        return Response(CashRecordsResponseSerializer(body, context=context).data)


@extend_schema(parameters=[PORTFOLIO_ID])
class TransactionViewSet(
    StrictQueryParamsMixin,
    PortfolioScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A portfolio's transactions, in entry order unless `ordering` says otherwise."""

    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    error_statuses = {"POST": (422,), "PUT": (422,), "PATCH": (422,), "DELETE": (422,)}
    ordering_fields = ["date", "created_at", "kind"]
    ordering = ["date", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no portfolio
            return Transaction.objects.none()
        return selectors.transaction_queryset(portfolio=self.get_portfolio())

    def get_object(self):
        return selectors.transaction_get_for_portfolio(
            portfolio=self.get_portfolio(), public_id=self.kwargs["transaction_id"]
        )

    @extend_schema(parameters=[TRANSACTION_ID])
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def _service_data(self, validated: dict) -> dict:
        """The validated fields as service keywords: a `symbol` becomes its asset, found as
        the CSV import and the page find it (`market.services.asset_for_symbol`)."""
        data = dict(validated)
        symbol = data.pop("symbol", "")
        if symbol:
            try:
                data["asset"] = market_services.asset_for_symbol(
                    owner=self.get_portfolio().owner, symbol=symbol
                )
            except ValidationError as error:
                raise ValidationError({"symbol": error.message_dict.get("asset", [])}) from error
        return data

    @staticmethod
    def _saved(txn: Transaction) -> dict:
        txn.warnings = selectors.transaction_warnings(transaction=txn)
        return TransactionSavedSerializer(txn).data

    @extend_schema(responses={201: TransactionSavedSerializer})
    def create(self, request: Request, public_id=None) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        txn = services.transaction_create(
            portfolio=self.get_portfolio(), **self._service_data(serializer.validated_data)
        )
        return Response(self._saved(txn), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[TRANSACTION_ID], responses={200: TransactionSavedSerializer})
    def update(
        self, request: Request, public_id=None, transaction_id=None, partial: bool = False
    ) -> Response:
        txn = self.get_object()
        serializer = self.get_serializer(txn, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        txn = services.transaction_update(
            transaction=txn, data=self._service_data(serializer.validated_data)
        )
        return Response(self._saved(txn))

    @extend_schema(parameters=[TRANSACTION_ID], responses={200: TransactionSavedSerializer})
    def partial_update(self, request: Request, public_id=None, transaction_id=None) -> Response:
        return self.update(request, public_id, transaction_id, partial=True)

    @extend_schema(parameters=[TRANSACTION_ID])
    def destroy(self, request: Request, public_id=None, transaction_id=None) -> Response:
        services.transaction_delete(transaction=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TransactionImportView(StrictQueryParamsMixin, PortfolioScopedMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]
    extra_query_params = ("dry_run", "page")  # also taken from the query string
    error_statuses = {"POST": (413, 422)}

    @extend_schema(
        parameters=[PORTFOLIO_ID],
        request={"multipart/form-data": BrokerImportRequestSerializer},
        responses={
            200: BrokerImportReportSerializer,
            201: BrokerImportReportSerializer,
            202: ImportJobSerializer,
        },
        summary="Import transactions from CSV (Portfolia's format or a broker's export)",
        description="Every row is checked and reported. Nothing is saved on a dry run, nor when "
        "any row has an error (then 422 with the report beside the error). A saved import "
        "answers 201; one of more than IMPORT_TASK_ROWS lines (2,000) runs as a task and "
        "answers 202 with the job to poll. The report's rows come 200 a page (`page`).",
    )
    def post(self, request: Request, public_id=None) -> Response:
        data = request.data.dict()
        for name in ("dry_run", "page"):
            if name not in data and name in request.query_params:
                data[name] = request.query_params[name]
        serializer = BrokerImportRequestSerializer(data=data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        valid = serializer.validated_data
        options = {key: valid[key] for key in ("format", "symbols", "mapping")}
        if not valid["dry_run"]:  # a big file is saved by a worker: 202 with the job to poll
            raw = valid["file"].read()
            if import_jobs.import_is_big(raw):
                job = import_jobs.import_job_stage(
                    portfolio=self.get_portfolio(), data=raw, options=options
                )
                job = import_jobs.import_job_start(job=job)
                return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
            valid["file"].seek(0)
        report = services.transaction_import(
            portfolio=self.get_portfolio(), file=valid["file"], dry_run=valid["dry_run"], **options
        )
        report.page = min(valid["page"], report.pages)
        body = BrokerImportReportSerializer(report).data
        if not report.is_valid:
            problems = report.error_count + report.unresolved_count
            message = " ".join(report.file_errors) or (
                f"{problems} row{'s' if problems != 1 else ''} cannot be imported; nothing was saved."
            )
            response = error_response("import_invalid", message, 422)
            response.data["report"] = body
            return response
        return Response(body, status=status.HTTP_201_CREATED if report.saved else 200)


class HoldingsView(StrictQueryParamsMixin, PortfolioScopedMixin, APIView):
    query_serializers = (HoldingsQuerySerializer,)
    error_statuses = {"*": (503,)}

    @extend_schema(
        parameters=[PORTFOLIO_ID, HoldingsQuerySerializer],
        responses=HoldingsSerializer,
        summary="Holdings on a date",
    )
    def get(self, request: Request, public_id=None) -> Response:
        query = HoldingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshot = selectors.holdings(
            portfolio=self.get_portfolio(), date=query.validated_data.get("date")
        )
        if snapshot.pending:
            raise MarketDataPending(snapshot.pending)
        return Response(HoldingsSerializer(snapshot).data)


class AllocationView(StrictQueryParamsMixin, PortfolioScopedMixin, APIView):
    query_serializers = (AllocationQuerySerializer,)
    error_statuses = {"*": (503,)}

    @extend_schema(
        parameters=[PORTFOLIO_ID, AllocationQuerySerializer],
        responses=AllocationSerializer,
        summary="Allocation by asset, asset class or currency",
    )
    def get(self, request: Request, public_id=None) -> Response:
        query = AllocationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshot = selectors.holdings(
            portfolio=self.get_portfolio(), date=query.validated_data.get("date")
        )
        if snapshot.pending:
            raise MarketDataPending(snapshot.pending)
        by = query.validated_data["by"]
        body = {
            "date": snapshot.date,
            "currency": snapshot.currency,
            "by": by,
            "results": snapshot.allocation(by),
        }
        return Response(AllocationSerializer(body).data)


# ── Performance, flows, income and realized gains ────────────────────────────
class _PortfolioView(StrictQueryParamsMixin, PortfolioScopedMixin, APIView):
    query_serializers = (PerformanceQuerySerializer,)
    error_statuses = {"*": (503,)}

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
        portfolio = self.get_portfolio()
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
        portfolio = self.get_portfolio()
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
    query_serializers = (YearQuerySerializer,)

    @extend_schema(
        parameters=[PORTFOLIO_ID, YearQuerySerializer],
        responses=OpenApiTypes.OBJECT,
        summary="Dividend and interest income by year, month and asset",
    )
    def get(self, request: Request, public_id=None) -> Response:
        query = YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = income_report(
            portfolio=self.get_portfolio(), year=query.validated_data.get("year")
        )
        if report.pending:
            raise MarketDataPending(report.pending)
        return Response(income_data(report))


class RealizedView(_PortfolioView):
    query_serializers = (YearQuerySerializer,)

    @extend_schema(
        parameters=[PORTFOLIO_ID, YearQuerySerializer],
        responses=OpenApiTypes.OBJECT,
        summary="Realized gains by tax year, with the lots each sale consumed",
    )
    def get(self, request: Request, public_id=None) -> Response:
        query = YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = realized_gains(
            portfolio=self.get_portfolio(), year=query.validated_data.get("year")
        )
        if report.pending:
            raise MarketDataPending(report.pending)
        return Response(realized_data(report))
