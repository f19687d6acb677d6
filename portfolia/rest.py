"""DRF plumbing shared by every API view: pagination, JSON bodies of a bounded size, and the one
error shape for every failure.

Every error answers ``{"error": {"code", "message", "fields"}}`` with the right status, whether
it comes from DRF (validation, auth, throttling, parsing), Django (validation, 404, permission)
or a service's ``DomainError``.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portfolia.errors import DomainError


class Pagination(PageNumberPagination):
    """Page-number pagination with a client-chosen page size, capped."""

    page_size_query_param = "page_size"
    max_page_size = 500


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        super().__init__(f"The request body is larger than {limit} MB; send less at once.")


class SizeLimitedJSONParser(JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE (DRF reads the stream, so Django's own
    limit never applies to them); a larger one answers 413 before it is read."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flatten(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _fields(detail: Any) -> dict[str, Any]:
    if not isinstance(detail, dict):
        return {}
    return {
        key: (_fields(value) if isinstance(value, dict) else _flatten(value))
        for key, value in detail.items()
        if key not in ("non_field_errors", "__all__")
    }


def error_response(
    code: str, message: str, status_code: int, fields: dict | None = None, headers=None
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Turn any exception a view raises into the API's error shape."""
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status_code, exc.fields)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # form fields over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging take over

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        general = []
        if isinstance(detail, dict):
            for key in ("non_field_errors", "__all__"):
                general += _flatten(detail.get(key, []))
        else:
            general = _flatten(detail)
        message = " ".join(general) or "Some fields are invalid."
        return error_response(
            "invalid", message, status.HTTP_400_BAD_REQUEST, _fields(detail), dict(response.headers)
        )

    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = getattr(exc, "default_code", "error")
    if isinstance(detail, dict):
        code = str(detail.get("code", code))
        message = " ".join(_flatten(detail.get("detail", detail)))
    else:
        code = getattr(detail, "code", None) or code
        message = " ".join(_flatten(detail))
    return error_response(code, message, response.status_code, None, dict(response.headers))
