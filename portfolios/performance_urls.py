"""Performance, Income and Realized-gains page URLs (portfolio ids are public UUIDs)."""

from django.urls import path

from portfolios import performance_views as views

portfolio = "portfolios/<uuid:public_id>/"

urlpatterns = [
    path(f"{portfolio}performance/", views.performance, name="portfolio-performance"),
    path(
        f"{portfolio}performance/daily.csv",
        views.performance_daily_csv,
        name="portfolio-performance-daily-csv",
    ),
    path(
        f"{portfolio}performance/flows.csv",
        views.performance_flows_csv,
        name="portfolio-performance-flows-csv",
    ),
    path(f"{portfolio}income/", views.income, name="portfolio-income"),
    path(f"{portfolio}income/export.csv", views.income_export, name="portfolio-income-csv"),
    path(f"{portfolio}realized/", views.realized, name="portfolio-realized"),
    path(f"{portfolio}realized/export.csv", views.realized_export, name="portfolio-realized-csv"),
]
