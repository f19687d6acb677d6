"""Performance and report API URLs under /api/v1/ (ids in paths are public UUIDs)."""

from django.urls import path

from portfolios import performance_api

portfolio = "portfolios/<uuid:public_id>/"

urlpatterns = [
    path(
        f"{portfolio}performance/",
        performance_api.PerformanceView.as_view(),
        name="api-performance",
    ),
    path(
        f"{portfolio}performance/flows/",
        performance_api.PerformanceFlowsView.as_view(),
        name="api-performance-flows",
    ),
    path(f"{portfolio}income/", performance_api.IncomeView.as_view(), name="api-income"),
    path(f"{portfolio}realized/", performance_api.RealizedView.as_view(), name="api-realized"),
]
