"""Market page URLs under /assets/; assets are addressed by their public id (a UUID)."""

from django.urls import path

from market import views

asset = "<uuid:public_id>/"

urlpatterns = [
    path("", views.asset_search, name="asset-search"),
    path("add/", views.asset_add, name="asset-add"),
    path("new/", views.asset_new_manual, name="asset-new-manual"),
    path("status/", views.data_status, name="market-data-status"),
    path(asset, views.asset_detail, name="asset-detail"),
    path(f"{asset}progress/", views.asset_job_progress, name="asset-progress"),
    path(f"{asset}backfill/", views.asset_backfill, name="asset-backfill"),
    path(f"{asset}prices/upload/", views.asset_prices_upload, name="asset-prices-upload"),
]
