"""Who may open a page: by permission (the roles are groups, ``accounts.roles``), never by the
``is_staff`` flag. The API's twins are in ``accounts.permissions``."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.roles import CUSTOMER_DATA, OPERATIONS

STAFF_ONLY = (
    "This page is for staff: it shows and controls the market data of every user of this "
    "server, and your account is not a staff account. Ask the administrator if you need it."
)
SUPPORT_ONLY = (
    "This page is for support staff: it shows other customers' portfolios, and your account "
    "is not a support account."
)


def permission_required(
    permission: str, message: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A page for holders of ``permission``: a visitor who is not logged in goes to the login
    page; a logged-in user without it gets the 403 page with ``message`` (not a login form)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(permission):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        wrapped.staff_only = True  # the isolation sweep finds the pages others get 403 on by it
        return wrapped

    return decorator


staff_required = permission_required(OPERATIONS, STAFF_ONLY)
support_required = permission_required(CUSTOMER_DATA, SUPPORT_ONLY)
