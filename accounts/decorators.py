"""View decorators about who may open a page."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

STAFF_ONLY = (
    "This page is for staff: it shows and controls the market data of every user of this "
    "server, and your account is not a staff account. Ask the administrator if you need it."
)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A staff-only page: a visitor who is not logged in goes to the login page; a logged-in
    user who is not staff gets the 403 page, which says why (not the admin's login form)."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied(STAFF_ONLY)
        return view(request, *args, **kwargs)

    wrapped.staff_only = True  # the isolation sweep finds staff pages by it
    return wrapped
