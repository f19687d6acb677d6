"""Every write to market data: catalogue and manual assets, price upserts, fetch jobs and the
provider calls that feed them (backfills, nightly closes, quotes).

One module per sub-domain: ``assets`` (catalogue and manual assets), ``prices`` (upserts and the
price version), ``jobs`` (fetch jobs and the backfill a worker runs), ``refresh`` (nightly closes,
quotes, staff's "refresh now"). This module names the public functions; the rest stay private.

Provider prices are fetched only here, called from Celery tasks (``market.tasks``); web requests
at most queue a job, on commit. A failed fetch records why on its ``FetchJob`` and never deletes
or changes stored prices: prices are written only after the provider answered in full.
"""

from market.services.assets import (
    PendingAsset,
    asset_add_from_provider,
    asset_create_manual,
    asset_find_or_create,
    asset_for_symbol,
    asset_materialise,
    assets_resolve,
    fx_pair_asset_ensure,
)
from market.services.closes_batch import ClosesBatchResult, daily_closes_refresh_batched
from market.services.errors import (
    AssetNotManualError,
    ProviderUnavailableError,
    SymbolNotFoundError,
)
from market.services.jobs import (
    ACTIVE_STATUSES,
    HISTORY_LOOKBACK,
    MAX_JOB_ATTEMPTS,
    MIN_HISTORY,
    REFRESH_OVERLAP,
    backfill_request,
    backfill_run,
    ensure_history,
    fetch_job_fail,
    fetch_jobs_sweep,
)
from market.services.prices import (
    MAX_MANUAL_ROWS,
    BarLike,
    ManualPrice,
    UpsertResult,
    corporate_actions_upsert,
    corporate_actions_upsert_many,
    manual_prices_check,
    price_upsert,
    prices_changed,
    prices_changed_many,
    prices_upsert_manual,
    prices_upsert_many,
)
from market.services.refresh import (
    QuotesRefreshResult,
    asset_refresh_request,
    benchmark_history_ensure,
    benchmark_history_request,
    daily_closes_refresh,
    quotes_refresh,
    refresh_request,
)

__all__ = [
    "ACTIVE_STATUSES",
    "HISTORY_LOOKBACK",
    "MAX_JOB_ATTEMPTS",
    "MAX_MANUAL_ROWS",
    "MIN_HISTORY",
    "REFRESH_OVERLAP",
    "AssetNotManualError",
    "BarLike",
    "ClosesBatchResult",
    "ManualPrice",
    "PendingAsset",
    "ProviderUnavailableError",
    "QuotesRefreshResult",
    "SymbolNotFoundError",
    "UpsertResult",
    "asset_add_from_provider",
    "asset_create_manual",
    "asset_find_or_create",
    "asset_for_symbol",
    "asset_materialise",
    "asset_refresh_request",
    "assets_resolve",
    "backfill_request",
    "backfill_run",
    "benchmark_history_ensure",
    "benchmark_history_request",
    "corporate_actions_upsert",
    "corporate_actions_upsert_many",
    "daily_closes_refresh",
    "daily_closes_refresh_batched",
    "ensure_history",
    "fetch_job_fail",
    "fetch_jobs_sweep",
    "fx_pair_asset_ensure",
    "manual_prices_check",
    "price_upsert",
    "prices_changed",
    "prices_changed_many",
    "prices_upsert_manual",
    "prices_upsert_many",
    "quotes_refresh",
    "refresh_request",
]
