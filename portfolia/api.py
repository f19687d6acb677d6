"""The JSON API's URL list under /api/v1/: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("portfolios.api_urls")),
    path("", include("market.api_urls")),
]
