"""The OpenAPI schema's error answers: every operation lists the statuses it can answer in
the one error shape (``portfolia.rest``), with what each means.

Its own module, because DRF's settings import ``portfolia.rest`` while DRF itself loads, before
drf-spectacular can be imported.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import permissions, serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. invalid, not_found, throttled.")
    message = serializers.CharField(help_text="For people.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Per field (or query parameter) name, its messages; empty when none applies.",
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of every API failure."""

    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    400: "Malformed or unknown input: a field, query parameter or ordering the endpoint does not "
    "take, a value of the wrong type or out of its field's rules (named in `fields`).",
    401: "Not authenticated (or, for the token endpoint, wrong credentials).",
    403: "Authenticated but not allowed (e.g. a session request without its CSRF token, or a "
    "write with a read-only API key).",
    404: "No such object among yours, or no such path (a malformed id included), or on a "
    "list, a `page` past the last or not a page number.",
    409: "Collides with a concurrent change.",
    413: "The request body or an uploaded file is larger than its limit (named in `message`).",
    422: "Well-formed, but refused by a domain rule (e.g. selling more than is held).",
    429: "Too many requests, or a locked-out account; `Retry-After` says when to try again.",
    503: "Market data it needs is not loaded yet (its fetch is queued); try again shortly.",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error responses each operation can answer, in the
    one error shape: 400 and 429 everywhere; 401 and 403 where authentication is needed (401
    on ``credential_endpoint`` views too); 404 with an id in the path or on a paginated list
    (a page it does not have); and what the view declares in ``error_statuses`` per method
    (``"*"``: every method), e.g. 422 where a domain rule can refuse a write, 503 while market
    data loads."""

    def error_statuses(self) -> set[int]:
        view = self.view
        statuses = {400, 429}
        public = all(
            isinstance(permission, permissions.AllowAny) for permission in view.get_permissions()
        )
        if not public:
            statuses |= {401, 403}
        if getattr(view, "credential_endpoint", False):
            statuses.add(401)
        if "{" in self.path or (self.method == "GET" and self._is_paginated_list()):
            statuses.add(404)
        declared = getattr(view, "error_statuses", {})
        statuses |= {*declared.get(self.method, ()), *declared.get("*", ())}
        return statuses

    def _is_paginated_list(self) -> bool:
        """A paginated list answers 404 for a page it does not have (DRF's pagination)."""
        return self._get_paginator() is not None and self._is_list_view()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        component = self.resolve_serializer(ErrorSerializer, "response")
        for status_code in sorted(self.error_statuses()):
            responses.setdefault(
                str(status_code),
                {
                    "content": {"application/json": {"schema": component.ref}},
                    "description": ERROR_DESCRIPTIONS[status_code],
                },
            )
        return responses
