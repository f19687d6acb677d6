"""Market API URLs under /api/v1/: assets, their prices, backfills and refreshes, fetch jobs,
and the staff diagnostics."""

from django.urls import path

from market import api, api_operations

urlpatterns = [
    path("assets/", api.AssetListView.as_view(), name="api-assets"),
    path("assets/<uuid:public_id>/", api.AssetDetailView.as_view(), name="api-asset"),
    path("assets/<uuid:public_id>/prices/", api.AssetPricesView.as_view(), name="api-asset-prices"),
    path(
        "assets/<uuid:public_id>/backfill/",
        api.AssetBackfillView.as_view(),
        name="api-asset-backfill",
    ),
    path(
        "assets/<uuid:public_id>/refresh/",
        api_operations.AssetRefreshView.as_view(),
        name="api-asset-refresh",
    ),
    path("diagnostics/", api_operations.DiagnosticsView.as_view(), name="api-diagnostics"),
    path("jobs/", api.FetchJobListView.as_view(), name="api-jobs"),
    path("jobs/<uuid:public_id>/", api.FetchJobDetailView.as_view(), name="api-job"),
]
