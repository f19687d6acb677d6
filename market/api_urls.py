"""Market API URLs under /api/v1/: assets, their prices and backfills, and fetch jobs."""

from django.urls import path

from market import api

urlpatterns = [
    path("assets/", api.AssetListView.as_view(), name="api-assets"),
    path("assets/<uuid:public_id>/", api.AssetDetailView.as_view(), name="api-asset"),
    path("assets/<uuid:public_id>/prices/", api.AssetPricesView.as_view(), name="api-asset-prices"),
    path(
        "assets/<uuid:public_id>/backfill/",
        api.AssetBackfillView.as_view(),
        name="api-asset-backfill",
    ),
    path("jobs/", api.FetchJobListView.as_view(), name="api-jobs"),
    path("jobs/<uuid:public_id>/", api.FetchJobDetailView.as_view(), name="api-job"),
]
