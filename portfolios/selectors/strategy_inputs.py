"""Reads behind the weighting strategies: the chosen assets (the user's own visible ones), their
closes as a business days x assets matrix, their market caps in one currency, and the engine's
weights (`engine.strategies.strategy_weights`) with the inputs it used.

Choices (the README states them):
- Rows are business days (Monday to Friday) up to the as-of date, each asset's close
  forward-filled over days without a bar (a holiday repeats the last close, a return of 0), as
  `engine.risk` measures returns; crypto is sampled on weekdays too. Only closes on or before
  the as-of date are read.
- Returns, volatilities, covariances and momentum are in each asset's own currency: the
  weights answer "how risky, how strong is this asset" as its own market quotes it, without a
  currency's moves mixed in (index providers weight local-currency risk the same way).
- Market caps are the latest the provider reported (`Asset.market_cap`, refreshed daily with
  the quotes), not caps as of a past date, converted into the user's base currency at the FX
  close in force on the day each was fetched.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from market.models import Asset
from portfolios.engine.market import FxTable, MissingFxRate, business_day_range
from portfolios.engine.strategies import (
    StrategyError,
    StrategyWeights,
    rows_needed,
    strategy_weights,
)
from portfolios.errors import StrategyInputError
from portfolios.performance.loading import closes_load
from portfolios.selectors import asset_queryset_for_user, market_data_load

__all__ = [
    "MAX_STRATEGY_ASSETS",
    "MAX_WINDOW",
    "PRICED_METHODS",
    "StrategyResult",
    "strategy_assets",
    "strategy_closes",
    "strategy_market_caps",
    "strategy_weights_for",
]

MAX_STRATEGY_ASSETS = 100
MAX_WINDOW = 2520  # ten years of trading days
PRICED_METHODS = frozenset({"inverse_volatility", "risk_parity", "momentum"})
# Calendar days loaded before the window's first business day: the close in force on it may
# be a week older (a long holiday), and forward-filling needs it.
_LEAD_DAYS = 10


@dataclass(frozen=True)
class StrategyResult:
    """The weights of the chosen assets, in their order, with what the engine used."""

    assets: tuple[Asset, ...]
    weights: StrategyWeights
    market_cap_currency: str | None = None
    market_cap_days: tuple[datetime.date | None, ...] | None = None


def strategy_assets(*, user, asset_ids: Sequence[uuid.UUID]) -> list[Asset]:
    """The assets by public id, in the order given, among those the user may use (the
    catalogue and their own manual assets); an unknown or another user's id is a 400 naming
    it, as is a repeated one."""
    if not asset_ids:
        raise StrategyInputError("Choose at least one asset.", fields={"assets": ["Required."]})
    if len(asset_ids) > MAX_STRATEGY_ASSETS:
        message = f"At most {MAX_STRATEGY_ASSETS} assets."
        raise StrategyInputError(message, fields={"assets": [message]})
    if len(set(asset_ids)) != len(asset_ids):
        message = "An asset is listed twice."
        raise StrategyInputError(message, fields={"assets": [message]})
    found = {
        asset.public_id: asset
        for asset in asset_queryset_for_user(user).filter(public_id__in=list(asset_ids))
    }
    unknown = [str(public_id) for public_id in asset_ids if public_id not in found]
    if unknown:
        message = f"No such asset: {', '.join(unknown)}."
        raise StrategyInputError(message, fields={"assets": [message]})
    return [found[public_id] for public_id in asset_ids]


def strategy_closes(
    *, assets: Sequence[Asset], as_of: datetime.date, rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Business days ending on or before `as_of` (at least `rows` of them) and each asset's
    forward-filled close on them (NaN before its first close), from closes on or before
    `as_of` only."""
    calendar_days = rows * 7 // 5 + 7
    first = as_of - datetime.timedelta(days=calendar_days)
    days = business_day_range(first, as_of)
    loaded = closes_load(
        {asset.pk: first - datetime.timedelta(days=_LEAD_DAYS) for asset in assets}
    )
    matrix = np.full((days.size, len(assets)), np.nan)
    for column, asset in enumerate(assets):
        closes = loaded.get(asset.pk)
        if closes is not None:
            # The close in force on each day: the last bar on or before it, so never one
            # after `as_of` (the last day).
            matrix[:, column] = closes.over(days)
    return days, matrix


def strategy_market_caps(
    *, user, assets: Sequence[Asset]
) -> tuple[list[float | None], str, list[datetime.date | None]]:
    """Each asset's market cap in the user's base currency (None when it has none), the
    currency, and the day each cap was fetched."""
    base = getattr(user, "base_currency", "") or "USD"
    fetched = [
        timezone.localdate(asset.market_cap_at) if asset.market_cap_at else None for asset in assets
    ]
    with_cap = [
        (asset, day) for asset, day in zip(assets, fetched, strict=True) if asset.market_cap
    ]
    currencies = {asset.currency for asset, day in with_cap if day is not None}
    fx: FxTable | None = None
    if currencies - {base}:
        day = max(day for _asset, day in with_cap if day is not None)
        fx = market_data_load(
            owner=user, asset_ids=(), currencies_by_base={base: currencies}, day=day
        ).fx[base]
    caps: list[float | None] = []
    for asset, day in zip(assets, fetched, strict=True):
        if asset.market_cap is None or day is None:
            caps.append(None)
            continue
        rate = 1.0
        if fx is not None and asset.currency != base:
            try:
                rate = fx.rate(asset.currency, day)
            except MissingFxRate as missing:
                raise StrategyInputError(
                    f"{asset.symbol}'s market cap is in {asset.currency}: {missing.message}.",
                    fields={"assets": [missing.message]},
                ) from missing
        caps.append(float(asset.market_cap) * rate)
    return caps, base, fetched


def _needed_rows(params: Mapping[str, object]) -> int:
    """Closes to load: what the method reads, at most MAX_WINDOW's (a longer window then finds
    too few closes and says so)."""
    return min(rows_needed(params), MAX_WINDOW + 1)


def strategy_weights_for(
    *,
    user,
    asset_ids: Sequence[uuid.UUID],
    method: str,
    params: Mapping[str, object] | None = None,
    as_of: datetime.date | None = None,
) -> StrategyResult:
    """Weights of the assets by `method` on `as_of` (default: today), with their inputs.
    Every refusal is a StrategyInputError (400) that names the assets concerned by symbol."""
    params = dict(params or {})
    as_of = as_of or timezone.localdate()
    assets = strategy_assets(user=user, asset_ids=asset_ids)
    labels = [asset.symbol for asset in assets]
    caps = currency = fetched = None
    if method in PRICED_METHODS:
        days, closes = strategy_closes(assets=assets, as_of=as_of, rows=_needed_rows(params))
    else:
        days, closes = np.array([], dtype="datetime64[D]"), np.empty((0, len(assets)))
    if method == "market_cap":
        caps, currency, fetched = strategy_market_caps(user=user, assets=assets)
    try:
        weights = strategy_weights(
            method, days=days, closes=closes, as_of=as_of, params=params, market_caps=caps
        )
    except StrategyError as error:
        message = error.message_for(labels)
        without_cap: list[int] = []
        if method == "market_cap" and error.columns:
            concerned = [assets[i] for i in error.columns]
            without_cap = [asset.pk for asset in concerned if not asset.is_manual]
            if len(without_cap) < len(concerned):
                message += " Manual assets have no market cap."
        field = error.field or ("assets" if error.columns else None)
        refusal = StrategyInputError(message, fields={field: [message]} if field else None)
        refusal.assets_without_market_cap = without_cap
        raise refusal from error
    return StrategyResult(
        assets=tuple(assets),
        weights=weights,
        market_cap_currency=currency,
        market_cap_days=tuple(fetched) if fetched is not None else None,
    )
