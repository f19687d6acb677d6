"""The Content-Security-Policy header on every response: scripts, styles, images and fonts from
this site only, no inline script or style (``settings.CONTENT_SECURITY_POLICY``).

Pages keep to it: scripts are files under static/js, data for them travels in ``json_script``
blocks (data, never run), and styles are classes in static/css (htmx's own indicator style is
off, see ``htmx-config`` in base.html). A response that sets the header itself keeps its own."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy(directives: dict[str, str]) -> str:
    """The header's value from its directives, in the order given."""
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = policy(settings.CONTENT_SECURITY_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value and HEADER not in response:
            response[HEADER] = self.value
        return response
