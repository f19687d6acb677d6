"""Live prices on open pages: a page's fragment polls itself every `LIVE_PRICES_SECONDS` with
the version of the figures it shows (`?live=<version>`); the view answers 204 (htmx swaps
nothing) while that version is current, and the fresh fragment once a new close or transaction
moved it. A static script pauses the polls of a hidden tab (`live_trigger`)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

LIVE_PARAMETER = "live"


def live_seconds() -> int:
    """How often an open page asks for new figures (at least 1 s)."""
    return max(1, int(getattr(settings, "LIVE_PRICES_SECONDS", 60)))


def live_trigger() -> str:
    """The polling element's `hx-trigger`: every N seconds, and `live-poll`, which
    static/js/live-prices.js sends when the tab comes back into view (it also cancels the polls
    of a hidden tab: a trigger filter would need eval, which the CSP forbids)."""
    return f"every {live_seconds()}s, live-poll"


def live_context(version: str) -> dict:
    """What a page's polling element needs: its version and trigger."""
    return {"live_version": version, "live_trigger": live_trigger()}


def live_poll(request: HttpRequest) -> str | None:
    """The version a polling fragment holds, None when the request is not a live poll."""
    if not request.htmx:
        return None
    return request.GET.get(LIVE_PARAMETER) or None


def live_unchanged() -> HttpResponse:
    """The answer to a poll whose version is current: no content, nothing swapped."""
    response = HttpResponse(status=204)
    response["Vary"] = "HX-Request"
    response["Cache-Control"] = "no-store"
    return response
