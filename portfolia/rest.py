"""DRF plumbing shared by every API view: pagination, strict input, JSON bodies of a bounded
size, and the one error shape for every failure.

Every error answers ``{"error": {"code", "message", "fields"}}`` with the right status, whether
it comes from DRF (validation, auth, throttling, parsing), Django (validation, 404, permission)
or a service's ``DomainError``; an unknown path under /api/v1/ (a malformed id included) answers
it with 404 (``NotFoundView``).

Input is never silently dropped: a body field the serializer does not know
(``StrictFieldsMixin``), a query parameter the endpoint does not take
(``StrictQueryParamsMixin``) and an ordering field it does not offer (``StrictOrderingFilter``)
answer 400 naming them in ``fields``. 400 means the input is malformed, unknown or has a field
refused by its own rules (a duplicate name included); 422 that it is well-formed but refused by
a domain rule (a sale of more than is held); 409 is kept for a change that collides with a
concurrent one. ``portfolia.schema`` lists
those answers on every operation.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from portfolia.errors import DomainError
from portfolia.parsers import RequestTooLarge
from portfolia.uploads import UploadTooLarge


class Pagination(PageNumberPagination):
    """Page-number pagination with a client-chosen page size, capped at ``max_page_size``.

    A ``page_size`` that is not a whole number of at least 1 answers 400 (DRF would silently
    use the default), so does an empty ``page``; a ``page`` that is not one of the pages
    answers 404 (DRF's)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise serializers.ValidationError(
                {self.page_size_query_param: ["A whole number of at least 1."]}
            )
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request: Request, paginator) -> int | str:
        if request.query_params.get(self.page_query_param) == "":  # DRF: page 1, silently
            raise serializers.ValidationError({self.page_query_param: ["A page number."]})
        return super().get_page_number(request, paginator)


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
    elif isinstance(exc, UploadTooLarge):  # a multipart body over UPLOAD_MAX_BODY_SIZE
        exc = RequestTooLarge(str(exc))
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


# ── Strict input ──────────────────────────────────────────────────────────────

# Form posts from a browser session carry Django's CSRF token beside the fields.
IGNORED_INPUT = frozenset({"csrfmiddlewaretoken"})


def _accepts(names) -> str:
    return ", ".join(sorted(names)) or "none"


class StrictFieldsMixin:
    """A serializer that refuses input fields it does not know (400, each named in ``fields``)
    instead of dropping them, and a text field given a number or a list (DRF would turn it into
    text). Fields of the representation that input cannot set (``id``,
    ``created_at``) are known, so a resource read and sent back is accepted."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = [name for name, field in self.fields.items() if not field.read_only]
            message = f"Unknown field. Accepted: {_accepts(writable)}."
            unknown = {
                key: [message]
                for key in data
                if key not in self.fields and key not in IGNORED_INPUT
            }
            unknown |= {  # DRF would take 5 for "5": a number is not a name
                key: ["Not a string."]
                for key, value in data.items()
                if isinstance(self.fields.get(key), serializers.CharField)
                and not self.fields[key].read_only
                and value is not None
                and not isinstance(value, str)
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                error.detail.update(unknown)
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` naming a field the endpoint does not offer is a 400, not ignored."""

    def get_ordering(self, request, queryset, view):
        param = request.query_params.get(self.ordering_param)
        if param:
            valid = {
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            }
            terms = [term.strip() for term in param.split(",") if term.strip()]
            unknown = [term for term in terms if term.lstrip("-") not in valid]
            if unknown:
                raise serializers.ValidationError(
                    {
                        self.ordering_param: [
                            f"Unknown ordering field: {', '.join(unknown)}. Accepted: "
                            f"{_accepts(valid)} (with a leading '-' for descending)."
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)


class StrictQueryParamsMixin:
    """An API view that refuses query parameters it does not take (400, each named).

    It takes ``format``, its paginator's page parameters, its filter backends' (ordering, the
    filterset's filters, search), the fields of its ``query_serializers`` and its
    ``extra_query_params``; a filter given empty is refused too. The check runs after authentication, permissions, throttles and
    (for views under a portfolio) the ownership check, so it never tells an outsider more.
    """

    query_serializers: tuple[type[serializers.Serializer], ...] = ()
    extra_query_params: tuple[str, ...] = ()

    def allowed_query_params(self) -> set[str]:
        allowed = {api_settings.URL_FORMAT_OVERRIDE, *self.extra_query_params}
        for serializer_class in self.query_serializers:
            allowed.update(serializer_class().fields)
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            allowed.add(paginator.page_query_param)
            if getattr(paginator, "page_size_query_param", None):
                allowed.add(paginator.page_size_query_param)
        for backend in getattr(self, "filter_backends", ()):
            if issubclass(backend, OrderingFilter):
                allowed.add(backend.ordering_param)
            elif issubclass(backend, SearchFilter):
                allowed.add(backend.search_param)
            elif issubclass(backend, DjangoFilterBackend):
                filterset_class = getattr(self, "filterset_class", None)
                if filterset_class is not None:
                    allowed.update(filterset_class.base_filters)
        return {name for name in allowed if name}

    def valued_query_params(self) -> set[str]:
        """The parameters that need a value when given: the filterset's filters and the
        query serializers' fields that take no blank."""
        names = {
            name
            for serializer_class in self.query_serializers
            for name, field in serializer_class().fields.items()
            if not getattr(field, "allow_blank", False)
        }
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            names.update(filterset_class.base_filters)
        return names

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        allowed = self.allowed_query_params()
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            message = f"Unknown query parameter. Accepted: {_accepts(allowed)}."
            raise serializers.ValidationError({name: [message] for name in unknown})
        empty = sorted(
            name for name in self.valued_query_params() if request.query_params.get(name) == ""
        )
        if empty:  # DRF and django-filter would read them as left out: input silently dropped
            message = "Give a value, or leave the parameter out."
            raise serializers.ValidationError({name: [message] for name in empty})


class NotFoundView(APIView):
    """Any path under /api/v1/ that no endpoint serves (malformed ids included): 404 in the
    error shape, for every method, before authentication."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    schema = None  # not an endpoint

    def initial(self, request: Request, *args, **kwargs) -> None:
        raise exceptions.NotFound(f"There is no API endpoint at {request.path}.")
