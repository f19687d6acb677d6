"""The project's URLs plus `/bench/baseline/?bytes=N`, bench/load.py's reference: a minimal
logged-in template view whose answer is N bytes long, so each page's latency can be compared
with what the stack (gunicorn, middleware, session, template engine) costs for the same size."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>baseline</title><p>{{ user.pk }}</p><pre>{{ padding }}</pre>"
)


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    """An answer of exactly ?bytes= bytes (when that is more than the empty template)."""
    wanted = min(max(int(request.GET.get("bytes", "0") or 0), 0), 10_000_000)
    bare = len(_TEMPLATE.render({"user": request.user, "padding": ""}, request).encode())
    body = _TEMPLATE.render({"user": request.user, "padding": "x" * (wanted - bare)}, request)
    return HttpResponse(body)


urlpatterns = [
    path("bench/baseline/", baseline, name="bench-baseline"),
    path("", include("portfolia.urls")),
]
