"""What the page groups' views share: the HTMX target, a redirect HTMX follows, rendering a page
or its partial, and CSV downloads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect


def htmx_target(request: HttpRequest) -> str | None:
    """The id of the element an HTMX request will swap, None for a plain request."""
    return request.htmx.target if request.htmx else None


def redirect_page(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect HTMX follows as a full page load (and a plain one without HTMX)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def render_page(request: HttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    """The whole page, or only `partial` for HTMX; the answer varies with HX-Request."""
    if request.htmx:
        template = f"{template}#{partial}"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def csv_response(text: str, filename: str) -> HttpResponse:
    """`text` as a UTF-8 CSV attachment named `filename`."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
