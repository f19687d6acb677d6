"""The account file over the API: `GET /api/v1/me/export/` (the whole account as one JSON
document, `selectors.account_export`) and `POST /api/v1/me/import/` (that document into an
empty account, `services.account_import`: 201 with what was stored; 400 naming each problem by
its path in the file, 413 over the size limit, 422 when the account is not empty or a ledger
cannot be replayed; nothing is stored unless everything is)."""

from dataclasses import asdict

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolia.rest import StrictQueryParamsMixin
from portfolios.selectors.account_export import account_export
from portfolios.serializers.account_file import (
    AccountFileSerializer,
    AccountImportSummarySerializer,
)
from portfolios.services.account_import import account_import


def export_filename() -> str:
    return f"portfolia-account-{timezone.localdate().isoformat()}.json"


class AccountExportView(StrictQueryParamsMixin, APIView):
    @extend_schema(
        responses=AccountFileSerializer,
        summary="Export the whole account as one JSON file",
        operation_id="v1_me_export",
    )
    def get(self, request: Request) -> Response:
        response = Response(account_export(user=request.user))
        response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
        return response


class AccountImportView(StrictQueryParamsMixin, APIView):
    error_statuses = {"*": (422,)}

    @extend_schema(
        request=AccountFileSerializer,
        responses={201: AccountImportSummarySerializer},
        summary="Import an account file into this (empty) account",
        operation_id="v1_me_import",
    )
    def post(self, request: Request) -> Response:
        summary = account_import(owner=request.user, document=request.data)
        return Response(
            AccountImportSummarySerializer(asdict(summary)).data, status=status.HTTP_201_CREATED
        )
