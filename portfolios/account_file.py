"""The account file: one JSON document with everything a user keeps (portfolios with their
settings and cash choices, transactions, targets, manual assets with their prices, remembered
broker symbols). Its shape lives here, shared by the export (`selectors.account_export`) and
the import (`services.account_import`), so they cannot drift apart.

Assets are named by a reference "provider:SYMBOL" ("yahoo:AAPL", "manual:MINE"): catalogue
assets are listed in `catalogue_assets` (found, or created from the listing, on import), manual
ones in `manual_assets` with their prices. Stored decimals travel as exact strings, closes as
JSON numbers (floats, as stored), dates as ISO 8601.
"""

from __future__ import annotations

from market.models import Asset, ProviderName
from market.services.prices import MAX_MANUAL_ROWS
from portfolios.importers import MAX_ROWS
from portfolios.models import TRANSACTION_FIELDS

FORMAT = "portfolia-account"
VERSION = 1

TOP_KEYS = (
    "format",
    "version",
    "exported_at",
    "catalogue_assets",
    "manual_assets",
    "portfolios",
    "instrument_symbols",
)
CATALOGUE_ASSET_KEYS = ("provider", "symbol", "name", "asset_class", "currency", "exchange")
MANUAL_ASSET_KEYS = ("symbol", "name", "asset_class", "currency", "exchange", "prices")
PRICE_KEYS = ("date", "open", "high", "low", "close", "volume")
PORTFOLIO_KEYS = (
    "name",
    "description",
    "base_currency",
    "cost_basis_method",
    "benchmark",
    "records_cash",
    "cash_per_currency",
    "transactions",
    "targets",
)
# A transaction's keys are the one transaction column list (the CSV's, the API's, the form's).
TRANSACTION_KEYS = TRANSACTION_FIELDS
DECIMAL_KEYS = frozenset({"quantity", "price", "amount", "ratio", "fee", "fx_rate"})
TARGET_KEYS = ("asset", "asset_class", "cash", "weight", "band")
SYMBOL_KEYS = ("identifier", "symbol")

# How much one file may hold (beyond its size in bytes, DATA_UPLOAD_MAX_MEMORY_SIZE, which the
# API's JSON parser and the page's upload both enforce).
MAX_PORTFOLIOS = 200
MAX_TRANSACTIONS = 10 * MAX_ROWS  # per portfolio: ten CSV imports' worth
MAX_ASSETS = 5_000
MAX_PRICES = MAX_MANUAL_ROWS  # per manual asset
MAX_TARGETS = 500
MAX_SYMBOLS = 10_000

MANUAL = ProviderName.MANUAL.value


def asset_ref(asset: Asset) -> str:
    """How the file names an asset: "provider:SYMBOL"."""
    return f"{asset.provider}:{asset.symbol}"
