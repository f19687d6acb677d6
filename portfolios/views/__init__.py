"""Investor pages, one module per page group: `account_file` (the account file's download
and import), `portfolios` (dashboard, new portfolio, "Record a
buy", settings, deletion), `cash_records`, `overview`, `holding_detail`, `transactions`, `imports` (CSV import and
export), `performance` (with its CSV downloads), `reports` (income, realized gains),
`rebalancing` (targets and the rebalance plan), `strategy_weights` (the Strategies page) and
`backtests` (simulations) and `support` (support staff's read-only view of customers).

Each view authorizes (through `portfolio_get_for_user`, 404 for anyone else's portfolio),
parses, calls one service or selector and renders the page, or just the partial an HTMX
request asks for (`template#partial`). Writes answer HTMX with the fragment to swap plus an
`HX-Trigger` event (`holdings-changed`, `transaction-added`) the other parts listen to. The
performance pages parse a period or a year and call the same read model as the API. How a
page shows its figures is in `portfolios.presenters`; views import no API serializer. Links
keep their href, so every page works without JavaScript.
"""

from portfolios.views.account_file import account_export_download, account_import_page
from portfolios.views.backtests import simulation_detail, simulation_new, simulation_save
from portfolios.views.cash_records import portfolio_cash_records
from portfolios.views.holding_detail import holding_detail
from portfolios.views.imports import (
    transaction_export,
    transaction_import,
    transaction_import_job,
)
from portfolios.views.networth import net_worth_page
from portfolios.views.overview import portfolio_overview
from portfolios.views.performance import performance, performance_daily_csv, performance_flows_csv
from portfolios.views.portfolios import (
    dashboard,
    portfolio_delete,
    portfolio_new,
    portfolio_settings,
    record_buy,
)
from portfolios.views.rebalancing import rebalance_record, targets
from portfolios.views.reports import income, income_export, realized, realized_export
from portfolios.views.strategy_weights import strategies, strategy_use_as_targets
from portfolios.views.support import (
    support_customer,
    support_customers,
    support_performance,
    support_portfolio,
)
from portfolios.views.transactions import (
    asset_options,
    transaction_delete,
    transaction_detail,
    transaction_edit,
    transaction_list,
    transaction_new,
)

__all__ = [
    "account_export_download",
    "account_import_page",
    "asset_options",
    "dashboard",
    "holding_detail",
    "income",
    "income_export",
    "net_worth_page",
    "performance",
    "performance_daily_csv",
    "performance_flows_csv",
    "portfolio_cash_records",
    "portfolio_delete",
    "portfolio_new",
    "portfolio_overview",
    "portfolio_settings",
    "realized",
    "realized_export",
    "rebalance_record",
    "record_buy",
    "simulation_detail",
    "simulation_new",
    "simulation_save",
    "strategies",
    "strategy_use_as_targets",
    "support_customer",
    "support_customers",
    "support_performance",
    "support_portfolio",
    "targets",
    "transaction_delete",
    "transaction_detail",
    "transaction_edit",
    "transaction_export",
    "transaction_import",
    "transaction_import_job",
    "transaction_list",
    "transaction_new",
]
