"""Investor page URLs. Every portfolio URL carries its public id (a UUID), never a database id."""

from django.urls import path

from portfolios import views

portfolio = "portfolios/<uuid:public_id>/"
transaction = f"{portfolio}transactions/<uuid:transaction_id>/"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("net-worth/", views.net_worth_page, name="net-worth"),
    path("portfolios/new/", views.portfolio_new, name="portfolio-new"),
    path("portfolios/record-buy/", views.record_buy, name="record-buy"),
    path("account/export.json", views.account_export_download, name="account-export"),
    path("account/import/", views.account_import_page, name="account-import"),
    path("strategies/", views.strategies, name="strategies"),
    path("strategies/targets/", views.strategy_use_as_targets, name="strategy-use-as-targets"),
    path(portfolio, views.portfolio_overview, name="portfolio-overview"),
    path(f"{portfolio}holdings/<uuid:asset_id>/", views.holding_detail, name="holding-detail"),
    path(f"{portfolio}settings/", views.portfolio_settings, name="portfolio-settings"),
    path(f"{portfolio}cash-records/", views.portfolio_cash_records, name="portfolio-cash-records"),
    path(f"{portfolio}delete/", views.portfolio_delete, name="portfolio-delete"),
    path(f"{portfolio}transactions/", views.transaction_list, name="portfolio-transactions"),
    path(f"{portfolio}transactions/new/", views.transaction_new, name="transaction-new"),
    path(f"{portfolio}transactions/import/", views.transaction_import, name="transaction-import"),
    path(
        f"{portfolio}transactions/import/<uuid:job_id>/",
        views.transaction_import_job,
        name="transaction-import-job",
    ),
    path(
        f"{portfolio}transactions/export.csv", views.transaction_export, name="transaction-export"
    ),
    path(f"{portfolio}assets/options/", views.asset_options, name="portfolio-asset-options"),
    path(transaction, views.transaction_detail, name="transaction-detail"),
    path(f"{transaction}edit/", views.transaction_edit, name="transaction-edit"),
    path(f"{transaction}delete/", views.transaction_delete, name="transaction-delete"),
    # Support staff, read only (portfolios/views/support.py).
    path("support/", views.support_customers, name="support-customers"),
    path("support/users/<int:user_id>/", views.support_customer, name="support-customer"),
    path(f"support/{portfolio}", views.support_portfolio, name="support-portfolio"),
    path(
        f"support/{portfolio}performance/",
        views.support_performance,
        name="support-performance",
    ),
    # Performance and reports (portfolios/views/performance.py, views/reports.py).
    path(
        f"{portfolio}performance/",
        views.performance,
        name="portfolio-performance",
    ),
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
    path(f"{portfolio}targets/", views.targets, name="portfolio-targets"),
    path(
        f"{portfolio}targets/record/",
        views.rebalance_record,
        name="portfolio-rebalance-record",
    ),
    path(f"{portfolio}income/", views.income, name="portfolio-income"),
    path(
        f"{portfolio}income/export.csv",
        views.income_export,
        name="portfolio-income-csv",
    ),
    path(f"{portfolio}realized/", views.realized, name="portfolio-realized"),
    path(
        f"{portfolio}realized/export.csv",
        views.realized_export,
        name="portfolio-realized-csv",
    ),
    # Backtests (portfolios/views/backtests.py).
    path("simulations/", views.simulation_new, name="simulation-new"),
    path("simulations/<uuid:run_id>/", views.simulation_detail, name="simulation-detail"),
    path(
        "simulations/<uuid:run_id>/portfolio/",
        views.simulation_save,
        name="simulation-save",
    ),
]
