"""Reads shared by the pages, the API, the admin and tasks, one module per job:

- `access`: object access (`portfolio_get_for_user`, scoped by owner, 404 otherwise; the
  transactions of a portfolio; the assets a user may use and the asset picker's options).
- `transactions`: a portfolio's transactions as engine values, and their CSV export.
- `market_data`: the closes and FX tables a valuation on a day needs (`market_data_load`).
- `positions`: a portfolio on a day (`Holdings`): positions, values, gains and allocation,
  from a ledger replay with lots.
- `holdings_model`: the holdings read model (`holdings`), cached under the ledger and price
  versions, resumed from saved lot states.
- `cash`: what changing the cash choices would change, and the negative cash of a set of
  transactions (import previews).
- `dashboard`: every portfolio's headline figures (`portfolio_list_with_summary`), cached.
- `networth`: all of a user's portfolios together in their base currency (`net_worth`), cached.
- `refresh`: what the market app keeps fresh for the portfolios.
- `warnings`: what to check about a transaction saved as entered (recorded splits).
- `rebalancing`, `strategy_inputs`, `backtests`: the reads of targets and rebalance plans, of
  strategy weights and of backtests. They build on the names above, so they are imported as
  modules (`from portfolios.selectors.rebalancing import rebalance_plan`), not re-exported.

Valuations load the transactions, the assets and the price and FX closes they need in a bounded
number of queries, whatever the number of holdings or portfolios, and hand plain values to
`portfolios.engine`. `portfolio_performance` is the one function behind the Performance page and
its API twin (the read model, with its caching, lives in `portfolios.performance`). Callers use
the names re-exported here: `from portfolios import selectors; selectors.holdings(...)`.
"""

# The performance read model's entry point, re-exported: the pages and the API call it here.
from portfolios.performance import portfolio_performance
from portfolios.selectors.access import (
    AssetOption,
    asset_options_for_user,
    asset_queryset_for_user,
    portfolio_assets,
    portfolio_get_for_user,
    portfolio_queryset_for_user,
    transaction_get_for_portfolio,
    transaction_list,
    transaction_queryset,
)
from portfolios.selectors.cash import (
    CASH_MODES,
    CashChoiceFigures,
    CashRecordsPreview,
    cash_mode,
    cash_records_preview,
    negative_cash_with,
)
from portfolios.selectors.dashboard import PortfolioSummary, portfolio_list_with_summary
from portfolios.selectors.holdings_model import holdings
from portfolios.selectors.market_data import MarketData, market_data_load
from portfolios.selectors.networth import NetWorth, net_worth
from portfolios.selectors.positions import (
    ALLOCATION_KINDS,
    STALE_AFTER_DAYS,
    AllocationSlice,
    HoldingRow,
    Holdings,
    share,
)
from portfolios.selectors.refresh import benchmark_asset_ids, fx_pair_asset_ids, held_asset_ids
from portfolios.selectors.support import portfolio_get_for_support, portfolios_of_customer
from portfolios.selectors.transactions import (
    transactions_export_csv,
    txn_from_values,
    txns_by_portfolio,
)
from portfolios.selectors.warnings import SPLIT_MATCH_DAYS, split_warnings, transaction_warnings

__all__ = [
    "ALLOCATION_KINDS",
    "CASH_MODES",
    "SPLIT_MATCH_DAYS",
    "STALE_AFTER_DAYS",
    "AllocationSlice",
    "AssetOption",
    "CashChoiceFigures",
    "CashRecordsPreview",
    "HoldingRow",
    "Holdings",
    "MarketData",
    "NetWorth",
    "PortfolioSummary",
    "asset_options_for_user",
    "asset_queryset_for_user",
    "benchmark_asset_ids",
    "cash_mode",
    "cash_records_preview",
    "fx_pair_asset_ids",
    "held_asset_ids",
    "holdings",
    "market_data_load",
    "negative_cash_with",
    "net_worth",
    "portfolio_assets",
    "portfolio_get_for_support",
    "portfolio_get_for_user",
    "portfolio_list_with_summary",
    "portfolio_performance",
    "portfolio_queryset_for_user",
    "portfolios_of_customer",
    "share",
    "split_warnings",
    "transaction_get_for_portfolio",
    "transaction_list",
    "transaction_queryset",
    "transaction_warnings",
    "transactions_export_csv",
    "txn_from_values",
    "txns_by_portfolio",
]
