"""Operations API under /api/v1/: the staff diagnostics report and a user's "refresh this asset
now". Thin: authorize → the same selector or service as the pages → serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.permissions import HasOperationsPermission
from market import diagnostics, selectors, services
from market.api import ASSET_ID
from market.serializers import FetchJobSerializer
from market.serializers_diagnostics import DiagnosticsSerializer, diagnostics_data
from portfolia.rest import StrictFieldsMixin, StrictQueryParamsMixin


class DiagnosticsView(StrictQueryParamsMixin, APIView):
    """The server's state, for staff (the permission ``accounts.view_operations``; others: 403): database, cache and broker checks, the
    queue depth, beat's last runs, stale held assets, failed and stuck fetch jobs. Answers 200
    with ``status: fail`` when a check fails (``/health/ready`` is the one that answers 503)."""

    permission_classes = [HasOperationsPermission]

    @extend_schema(responses=DiagnosticsSerializer, summary="Server diagnostics (staff only)")
    def get(self, request: Request) -> Response:
        report = diagnostics.diagnostics()
        return Response(DiagnosticsSerializer(diagnostics_data(report)).data)


class EmptyBodySerializer(StrictFieldsMixin, serializers.Serializer):
    """No fields: any field sent is refused (400), as everywhere in the API."""


class AssetRefreshView(StrictQueryParamsMixin, APIView):
    """Refresh an asset you can see now: its latest quote and its recent daily closes, fetched
    by a worker (never in this request). Answers 202 with the closes' fetch job, the one already
    queued or running when there is one. Rate-limited per user (scope ``asset_refresh``)."""

    throttle_scope = "asset_refresh"
    error_statuses = {"POST": (422,)}

    def get_throttles(self):
        return [*super().get_throttles(), ScopedRateThrottle()]

    @extend_schema(
        parameters=[ASSET_ID],
        request=EmptyBodySerializer,
        responses={202: FetchJobSerializer},
        summary="Refresh an asset's quote and daily closes now",
    )
    def post(self, request: Request, public_id) -> Response:
        asset = selectors.asset_get_visible(user=request.user, public_id=public_id)
        EmptyBodySerializer(data=request.data).is_valid(raise_exception=True)
        job = services.asset_refresh_request(asset=asset)
        return Response(FetchJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
