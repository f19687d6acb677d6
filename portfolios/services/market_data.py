"""Market data a portfolio needs, ensured after the commit of a write: each asset's history from
its first transaction, the benchmark's, and the FX pair (with its history) of each foreign
currency. Queued only; the market app fetches."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence

from django.db import transaction as db_transaction
from django.utils import timezone

from market import services as market_services
from market.models import Asset
from market.services import ensure_history
from portfolios.engine.market import fx_pair_symbols
from portfolios.models import (
    Portfolio,
    Transaction,
)

logger = logging.getLogger(__name__)

BENCHMARK_HISTORY = datetime.timedelta(days=365)


def _history_ensure(asset: Asset, since: datetime.date) -> None:
    ensure_history(asset=asset, since=since)


def _on_commit_market_data(portfolio: Portfolio, txns: Sequence[Transaction]) -> None:
    """After the commit: history for each asset from its earliest date here, and the FX pair
    (with its history) for each foreign currency."""
    since_by_asset: dict[int, tuple[Asset, datetime.date]] = {}
    since_by_currency: dict[str, datetime.date] = {}
    for txn in txns:
        if txn.asset_id is not None:
            known = since_by_asset.get(txn.asset_id)
            if known is None or txn.date < known[1]:
                since_by_asset[txn.asset_id] = (txn.asset, txn.date)
        currencies = {txn.currency}
        if txn.asset_id is not None:
            currencies.add(txn.asset.currency)
        for currency in currencies - {portfolio.base_currency}:
            if currency not in since_by_currency or txn.date < since_by_currency[currency]:
                since_by_currency[currency] = txn.date
    base, owner = portfolio.base_currency, portfolio.owner
    if portfolio.benchmark_id is not None and txns:
        # The benchmark is compared from the first transaction on.
        first = min(txn.date for txn in txns)
        known = since_by_asset.get(portfolio.benchmark_id)
        if known is None or first < known[1]:
            since_by_asset[portfolio.benchmark_id] = (portfolio.benchmark, first)

    def ensure() -> None:
        try:
            for asset, since in since_by_asset.values():
                _history_ensure(asset, since)
            for currency, since in since_by_currency.items():
                pair = market_services.fx_pair_asset_ensure(
                    owner=owner,
                    currency=currency,
                    base=base,
                    symbols=fx_pair_symbols(currency, base),
                )
                _history_ensure(pair, since)
        except Exception:  # the write is committed; a queueing problem must not fail it
            logger.exception("Could not ensure market data for portfolio %s", portfolio.pk)

    db_transaction.on_commit(ensure)


def _on_commit_benchmark_history(portfolio: Portfolio) -> None:
    """After the commit: the benchmark's history from the portfolio's first transaction (or
    a year back when it has none yet; the market app never fetches less than that)."""
    benchmark = portfolio.benchmark
    first = Transaction.objects.filter(portfolio=portfolio).order_by("date").values("date")[:1]
    since = next(iter(first), {}).get("date") or timezone.localdate() - BENCHMARK_HISTORY

    def ensure() -> None:
        try:
            _history_ensure(benchmark, since)
        except Exception:
            logger.exception("Could not ensure history for benchmark %s", benchmark.pk)

    db_transaction.on_commit(ensure)
