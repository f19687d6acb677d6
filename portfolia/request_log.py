"""The request middleware: a request id for every request (``portfolia.logs``), returned as
``X-Request-ID``, its latency counted (``portfolia.metrics``), and one log line per request (logger ``portfolia.request``) with method,
path pattern (the URL resolver's route, never the raw path: ids stay out of the logs), status,
duration in milliseconds, user id and request id.

It is first in ``MIDDLEWARE``, so the duration covers every other middleware and the id is on
every answer (redirects and errors too). The user id is read only when authentication already
ran (a session page that looked at its user, or the API's authenticator): the line never costs
a query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from portfolia import logs, metrics

logger = logging.getLogger("portfolia.request")

UNMATCHED = "<unmatched>"


def route_of(request: HttpRequest) -> str:
    """The resolver's route that served ``request`` (``UNMATCHED`` when none did)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return "/" + (match.route or "").lstrip("^").removesuffix("$")


def user_id_of(request: HttpRequest) -> int | None:
    """The authenticated user's id, if authentication already ran; never evaluates it."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = logs.request_id_from(request.headers.get(logs.HEADER))
        request.request_id = request_id
        token = logs.request_id.set(request_id)
        try:
            response = self.get_response(request)
            response[logs.HEADER] = request_id
            seconds = time.perf_counter() - started
            duration_ms = round(seconds * 1000, 1)
            route = route_of(request)
            metrics.request_observe(
                view=route, method=request.method, status=response.status_code, seconds=seconds
            )
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                route,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": route,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": user_id_of(request),
                },
            )
            return response
        finally:
            logs.request_id.reset(token)
