"""The JSON API's URL list under /api/v1/: each app contributes its own routes; any other path
(a malformed id included) answers 404 in the error shape."""

from django.urls import include, path, re_path

from portfolia.rest import NotFoundView

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("portfolios.api_urls")),
    path("", include("market.api_urls")),
    # Paths ending in "/" only, so a missing trailing slash still redirects (APPEND_SLASH).
    re_path(r"^(?:.*/)?$", NotFoundView.as_view(), name="api-not-found"),
]
