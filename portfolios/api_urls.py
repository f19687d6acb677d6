"""Portfolio API URLs under /api/v1/: ids in paths are public UUIDs."""

from django.urls import path

from portfolios.api import (
    account,
    holding_detail,
    import_jobs,
    import_mappings,
    networth,
    simulations,
    strategies,
    targets,
)
from portfolios.api import portfolios as api

portfolio_list = api.PortfolioViewSet.as_view({"get": "list", "post": "create"})
portfolio_detail = api.PortfolioViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)
transaction_list = api.TransactionViewSet.as_view({"get": "list", "post": "create"})
transaction_detail = api.TransactionViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)

portfolio = "portfolios/<uuid:public_id>/"

urlpatterns = [
    path("net-worth/", networth.NetWorthView.as_view(), name="api-net-worth"),
    # The account file (portfolios/api/account.py).
    path("me/export/", account.AccountExportView.as_view(), name="api-account-export"),
    path("me/import/", account.AccountImportView.as_view(), name="api-account-import"),
    path("portfolios/", portfolio_list, name="api-portfolio-list"),
    path(portfolio, portfolio_detail, name="api-portfolio-detail"),
    path(
        f"{portfolio}cash-records/",
        api.CashRecordsView.as_view(),
        name="api-portfolio-cash-records",
    ),
    path(f"{portfolio}transactions/", transaction_list, name="api-transaction-list"),
    path(
        f"{portfolio}transactions/import/",
        api.TransactionImportView.as_view(),
        name="api-transaction-import",
    ),
    path(
        f"{portfolio}import-jobs/<uuid:job_id>/",
        import_jobs.ImportJobView.as_view(),
        name="api-import-job",
    ),
    path(
        f"{portfolio}transactions/<uuid:transaction_id>/",
        transaction_detail,
        name="api-transaction-detail",
    ),
    path(f"{portfolio}holdings/", api.HoldingsView.as_view(), name="api-holdings"),
    path(
        f"{portfolio}holdings/<uuid:asset_id>/",
        holding_detail.HoldingDetailView.as_view(),
        name="api-holding-detail",
    ),
    path(f"{portfolio}allocation/", api.AllocationView.as_view(), name="api-allocation"),
    # Performance and reports (portfolios/api/portfolios.py).
    path(
        f"{portfolio}performance/",
        api.PerformanceView.as_view(),
        name="api-performance",
    ),
    path(
        f"{portfolio}performance/flows/",
        api.PerformanceFlowsView.as_view(),
        name="api-performance-flows",
    ),
    path(f"{portfolio}targets/", targets.TargetsView.as_view(), name="api-targets"),
    path(
        f"{portfolio}targets/from-strategy/",
        targets.TargetsFromStrategyView.as_view(),
        name="api-targets-from-strategy",
    ),
    path(f"{portfolio}rebalance/", targets.RebalanceView.as_view(), name="api-rebalance"),
    path(f"{portfolio}income/", api.IncomeView.as_view(), name="api-income"),
    path(f"{portfolio}realized/", api.RealizedView.as_view(), name="api-realized"),
    path(
        "strategies/weights/",
        strategies.StrategyWeightsView.as_view(),
        name="api-strategy-weights",
    ),
]

# Backtests (portfolios/simulations.py).
urlpatterns += [
    path("simulations/", simulations.SimulationListView.as_view(), name="api-simulation-list"),
    path(
        "simulations/<uuid:run_id>/",
        simulations.SimulationDetailView.as_view(),
        name="api-simulation-detail",
    ),
    path(
        "simulations/<uuid:run_id>/portfolio/",
        simulations.SimulationSaveView.as_view(),
        name="api-simulation-save",
    ),
]

# Saved import mappings (portfolios/api/import_mappings.py).
urlpatterns += [
    path(
        "import-mappings/",
        import_mappings.SavedMappingListView.as_view(),
        name="api-import-mapping-list",
    ),
    path(
        "import-mappings/<uuid:mapping_id>/",
        import_mappings.SavedMappingDetailView.as_view(),
        name="api-import-mapping-detail",
    ),
]
