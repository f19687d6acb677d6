"""Market API under /api/v1/: asset search and creation, an asset with its coverage and latest
price, its prices (read; bulk upsert for the caller's manual assets), backfill requests, and
fetch jobs. Thin: validate → the same service or selector as the pages → serialize.

Assets and jobs are addressed by ``public_id``; another user's manual asset answers 404.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from market import selectors, services
from market.filters import AssetFilter, FetchJobFilter
from market.models import Asset, FetchJob, ProviderName
from market.serializers import (
    AssetCreateSerializer,
    AssetDetailSerializer,
    AssetSearchResponseSerializer,
    AssetSerializer,
    BackfillRequestSerializer,
    FetchJobSerializer,
    PriceInputSerializer,
    PriceRangeQuerySerializer,
    PriceSerializer,
    UpsertResultSerializer,
)
from portfolia.rest import Pagination, StrictOrderingFilter, StrictQueryParamsMixin
from portfolia.validators import control_character_problem

ASSET_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
JOB_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def asset_detail_context(asset) -> dict:
    return {
        "coverage": selectors.price_coverage(asset=asset),
        "latest_price": selectors.latest_price(asset=asset),
        "corporate_actions": list(selectors.corporate_actions_for(asset=asset)[:100]),
        "active_job": selectors.fetch_job_active(asset=asset),
    }


class AssetListView(StrictQueryParamsMixin, generics.ListAPIView):
    """Search assets (``?q=``: the catalogue and your manual assets, then the provider's
    instruments not yet in the catalogue), or add one."""

    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    extra_query_params = ("q", "remote")
    error_statuses = {"POST": (422, 503)}
    ordering_fields = ["symbol", "name", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Asset.objects.none()
        return selectors.assets_search_queryset(
            user=self.request.user, query=self.request.query_params.get("q", "")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Symbol prefix or part of the name"),
            OpenApiParameter(
                "remote", bool, description="Also ask the data provider (default true)"
            ),
        ],
        responses=AssetSearchResponseSerializer,
    )
    def get(self, request: Request) -> Response:
        problem = control_character_problem(request.query_params.get("q", ""))
        if problem:
            raise serializers.ValidationError({"q": [f"The search {problem}; remove it."]})
        response = self.list(request)
        query = request.query_params.get("q", "").strip()
        flag = request.query_params.get("remote", "true").lower()
        if flag not in ("true", "false", "1", "0"):
            raise serializers.ValidationError({"remote": ["true or false."]})
        remote = flag in ("true", "1")
        remote_results, remote_error = [], None
        if query and remote and request.query_params.get("page", "1") == "1":
            found = selectors.asset_search(user=request.user, query=query, local=False)
            remote_results, remote_error = found.remote, found.remote_error
        response.data["provider_results"] = [
            {
                "symbol": result.symbol,
                "name": result.name,
                "asset_class": result.asset_class,
                "currency": result.currency,
                "exchange": result.exchange,
                "provider": result.provider,
            }
            for result in remote_results
        ]
        response.data["provider_error"] = remote_error
        return response

    @extend_schema(request=AssetCreateSerializer, responses={201: AssetDetailSerializer})
    def post(self, request: Request) -> Response:
        serializer = AssetCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["provider"] == ProviderName.MANUAL:
            asset = services.asset_create_manual(
                owner=request.user,
                symbol=data["symbol"],
                name=data["name"],
                asset_class=data["asset_class"],
                currency=data["currency"],
                exchange=data.get("exchange", ""),
            )
        else:
            asset = services.asset_add_from_provider(
                symbol=data["symbol"], provider_name=data["provider"]
            )
        asset = selectors.asset_get_visible(user=request.user, public_id=asset.public_id)
        body = AssetDetailSerializer(asset, context=asset_detail_context(asset)).data
        return Response(body, status=status.HTTP_201_CREATED)


class AssetDetailView(StrictQueryParamsMixin, APIView):
    @extend_schema(parameters=[ASSET_ID], responses=AssetDetailSerializer)
    def get(self, request: Request, public_id) -> Response:
        asset = selectors.asset_get_visible(user=request.user, public_id=public_id)
        return Response(AssetDetailSerializer(asset, context=asset_detail_context(asset)).data)


class PricePagination(Pagination):
    """A price series is long: bigger pages than other lists."""

    page_size = 1000
    max_page_size = 10_000


class AssetPricesView(StrictQueryParamsMixin, generics.GenericAPIView):
    """Daily prices of an asset (``?start=&end=``, ISO dates, both included), oldest first; or,
    for your own manual asset, a JSON list of prices to upsert (all or none)."""

    serializer_class = PriceSerializer
    pagination_class = PricePagination
    filter_backends = [StrictOrderingFilter]
    query_serializers = (PriceRangeQuerySerializer,)
    error_statuses = {"POST": (422,)}
    ordering_fields = ["date"]
    ordering = ["date"]

    def get_asset(self):
        return selectors.asset_get_visible(
            user=self.request.user, public_id=self.kwargs["public_id"]
        )

    @extend_schema(
        parameters=[
            ASSET_ID,
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=PriceSerializer(many=True),
    )
    def get(self, request: Request, public_id) -> Response:
        asset = self.get_asset()
        query = PriceRangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        prices = self.filter_queryset(
            selectors.prices_in_range(asset=asset, **query.validated_data)
        )
        page = self.paginate_queryset(prices)
        return self.get_paginated_response(PriceSerializer(page, many=True).data)

    @extend_schema(
        parameters=[ASSET_ID],
        request=PriceInputSerializer(many=True),
        responses=UpsertResultSerializer,
    )
    def post(self, request: Request, public_id) -> Response:
        asset = self.get_asset()
        serializer = PriceInputSerializer(data=request.data, many=True, allow_empty=False)
        if not serializer.is_valid():
            errors = serializer.errors
            if isinstance(errors, list):  # one dict per row: key them by row index
                errors = {str(index): row for index, row in enumerate(errors) if row}
            raise serializers.ValidationError(errors)
        prices = [services.ManualPrice(**row) for row in serializer.validated_data]
        result = services.prices_upsert_manual(user=request.user, asset=asset, prices=prices)
        return Response(UpsertResultSerializer(result).data)


class AssetBackfillView(StrictQueryParamsMixin, APIView):
    """Queue a fetch of the asset's history now (answers the job already queued or running,
    if any). Prices are fetched by a worker, never in this request."""

    error_statuses = {"POST": (422,)}

    @extend_schema(
        parameters=[ASSET_ID],
        request=BackfillRequestSerializer,
        responses={202: FetchJobSerializer},
    )
    def post(self, request: Request, public_id) -> Response:
        asset = selectors.asset_get_visible(user=request.user, public_id=public_id)
        serializer = BackfillRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.backfill_request(asset=asset, start=serializer.validated_data.get("start"))
        return Response(FetchJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class FetchJobListView(StrictQueryParamsMixin, generics.ListAPIView):
    """Fetch jobs of the assets you can see, newest first (``?status=``, ``?asset=``)."""

    serializer_class = FetchJobSerializer
    filterset_class = FetchJobFilter
    ordering_fields = ["created_at", "finished_at", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return FetchJob.objects.none()
        return selectors.fetch_jobs_visible(user=self.request.user)


class FetchJobDetailView(StrictQueryParamsMixin, APIView):
    @extend_schema(parameters=[JOB_ID], responses=FetchJobSerializer)
    def get(self, request: Request, public_id) -> Response:
        job = selectors.fetch_job_get_visible(user=request.user, public_id=public_id)
        return Response(FetchJobSerializer(job).data)
