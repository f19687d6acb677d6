"""Top-level URLs: pages, admin, the JSON API with its schema and docs, health checks and
Prometheus metrics."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portfolia import health, metrics

admin.site.site_header = "Portfolia administration"
admin.site.site_title = "Portfolia"
admin.site.index_title = "Portfolia"


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico whatever the page links: send them to the SVG icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("", include("portfolios.urls")),
    path("accounts/", include("accounts.urls")),
    path("assets/", include("market.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portfolia.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
]
