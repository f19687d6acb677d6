"""A big import's job: `portfolios/{id}/import-jobs/{job_id}/` (GET), polled after the import
answered 202 until its status is `succeeded` or `failed`. Thin: the page's selector."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios.api.portfolios import PORTFOLIO_ID, PortfolioScopedMixin
from portfolios.selectors.import_mappings import import_job_get
from portfolios.serializers.import_jobs import ImportJobSerializer

JOB_ID = OpenApiParameter("job_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class ImportJobView(StrictQueryParamsMixin, PortfolioScopedMixin, APIView):
    @extend_schema(
        parameters=[PORTFOLIO_ID, JOB_ID],
        responses=ImportJobSerializer,
        summary="A big import's progress and result",
    )
    def get(self, request: Request, public_id=None, job_id=None) -> Response:
        job = import_job_get(request.user, self.get_portfolio(), job_id)
        return Response(ImportJobSerializer(job).data)
