"""The closes and FX tables a valuation on a day needs (`market_data_load`), read through the
one FX-pair rule and the one closes loader."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from market import selectors as market_selectors
from market.models import Asset
from portfolios.engine.market import (
    Closes,
    FxTable,
    PriceTable,
    fx_pair_symbols,
)
from portfolios.engine.types import Txn
from portfolios.models import Portfolio
from portfolios.performance.loading import closes_with_previous

# Closes are read for this many days before the valuation day in one query; assets without
# one in that window get their latest earlier close from a second query.
PRICE_WINDOW_DAYS = 14


# --- Market data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketData:
    """Closes for a valuation: prices per asset id and one FX table per base currency."""

    prices: PriceTable
    fx: dict[str, FxTable]


def market_data_load(
    *,
    owner,
    asset_ids: Iterable[int],
    currencies_by_base: dict[str, set[str]],
    day: datetime.date,
    fx_candidates: Iterable[Asset] | None = None,
) -> MarketData:
    """Closes up to `day` for the assets (a recent window, enough for `day` and the day
    before) and full FX histories for the currency pairs, in at most three queries (the FX
    pair assets, the closes and the latest older closes of assets with none in the window).
    With `fx_candidates` (assets loaded already that include every FX asset that may serve) the
    FX pairs are chosen among them, without their query."""
    asset_ids = set(asset_ids)
    pairs = {
        (currency, base): fx_pair_symbols(currency, base)
        for base, currencies in currencies_by_base.items()
        for currency in FxTable.required_pairs(currencies, base)
    }
    fx_asset_by_symbol: dict[str, int] = {}
    if pairs:
        # The one FX-pair rule (`market.selectors.fx_pair_assets`): the owner's priced manual pair
        # before the catalogue's, the direct pair before the inverse (the engine takes the first
        # of them with a close).
        choices = market_selectors.fx_pair_assets(
            owner_id=getattr(owner, "pk", owner), pairs=pairs, candidates=fx_candidates
        )
        for assets in choices.values():
            for asset in assets:
                fx_asset_by_symbol[asset.symbol] = asset.pk
    fx_ids = set(fx_asset_by_symbol.values())

    # A recent window of each asset's closes (its latest earlier close too when the window has
    # none before `day`: forward-filling needs one for `day - 1` and, lacking later bars, `day`)
    # and the FX pairs' whole histories, up to `day`.
    window_start = day - datetime.timedelta(days=PRICE_WINDOW_DAYS)
    requests: dict[int, datetime.date | None] = dict.fromkeys(sorted(asset_ids), window_start)
    requests.update(dict.fromkeys(sorted(fx_ids)))
    closes = closes_with_previous(
        requests, previous_before=dict.fromkeys(sorted(asset_ids - fx_ids), day), until=day
    )
    prices = PriceTable(closes)
    fx_tables: dict[str, FxTable] = {}
    for base in currencies_by_base:
        pairs: dict[str, Closes] = {}
        for symbol, asset_id in fx_asset_by_symbol.items():
            series = prices.series(asset_id)
            if series is not None:
                pairs[symbol] = series
        fx_tables[base] = FxTable(base, pairs)
    return MarketData(prices=prices, fx=fx_tables)


def currencies_needed(
    portfolios: Iterable[Portfolio], txns: dict[int, list[Txn]]
) -> dict[str, set[str]]:
    """The currencies of each base currency's portfolios' transactions (what to convert)."""
    needed: dict[str, set[str]] = defaultdict(set)
    for portfolio in portfolios:
        needed[portfolio.base_currency].update(txn.currency for txn in txns.get(portfolio.pk, []))
    return needed
