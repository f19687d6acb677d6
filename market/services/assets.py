"""Catalogue and manual assets: found, created from a provider's answer, or typed in; and the
asset a typed symbol means (local first, then the provider's search), as forms, the API and the
CSV import resolve it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from market import selectors
from market.models import Asset, AssetClass, ProviderName
from market.providers.base import (
    SearchResult,
)
from market.services.checks import check_plain_text, clean_currency
from market.services.errors import ProviderUnavailableError, SymbolNotFoundError
from market.services.jobs import MIN_HISTORY, ensure_history
from portfolia.errors import DomainError


@transaction.atomic
def asset_find_or_create(*, result: SearchResult) -> Asset:
    """The catalogue asset for a provider's search result, created on first use.

    A provider may not know an instrument's currency from search alone (it answers ""); the
    first backfill then learns it from a quote. Catalogue currencies are the provider's truth, so
    any ISO code is kept, not only the ones offered as base currencies.
    """
    symbol = result.symbol.strip().upper()
    existing = Asset.objects.filter(
        provider=result.provider, symbol=symbol, owner__isnull=True
    ).first()
    if existing is not None:
        return existing
    asset_class = result.asset_class if result.asset_class in AssetClass.values else "other"
    asset = Asset(
        symbol=symbol,
        name=(result.name or symbol)[:200],
        asset_class=asset_class,
        currency=clean_currency(result.currency),
        exchange=(result.exchange or "")[:32],
        provider=result.provider,
    )
    asset.full_clean(exclude=["currency"], validate_constraints=False)
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:  # created concurrently by another request
        return Asset.objects.get(provider=result.provider, symbol=symbol, owner__isnull=True)
    return asset


@transaction.atomic
def asset_create_manual(
    *,
    owner,
    symbol: str,
    name: str,
    asset_class: str,
    currency: str,
    exchange: str = "",
) -> Asset:
    """A private asset the owner prices by hand (API or CSV)."""
    check_plain_text(symbol=symbol, name=name, exchange=exchange)
    symbol = symbol.strip().upper()
    if Asset.objects.filter(owner=owner, symbol=symbol).exists():
        # A value that must be unique among the owner's: a field error (400), as for names.
        raise ValidationError({"symbol": [f"You already have a manual asset {symbol}."]})
    asset = Asset(
        symbol=symbol,
        name=name.strip(),
        asset_class=asset_class,
        currency=currency.strip().upper(),
        exchange=exchange.strip(),
        provider=ProviderName.MANUAL,
        owner=owner,
    )
    asset.full_clean()
    asset.save()
    return asset


def asset_add_from_provider(*, symbol: str, provider_name: str | None = None) -> Asset:
    """Add a provider's instrument to the catalogue (or find it there) and queue its history.

    The instrument's details come from the provider's search (cached, short timeout: the one
    provider call allowed in a web request), never from the client.
    """
    provider_name = provider_name or settings.MARKET_DATA_PROVIDER
    if provider_name == ProviderName.MANUAL:
        raise DomainError("Manual assets are created with their name, class and currency.")
    check_plain_text(symbol=symbol)
    symbol = symbol.strip().upper()
    asset = Asset.objects.filter(provider=provider_name, symbol=symbol, owner__isnull=True).first()
    if asset is None:
        result = selectors.provider_search_result(symbol=symbol, provider_name=provider_name)
        if result is None:
            search = selectors.provider_search(query=symbol, provider_name=provider_name)
            if search.error:
                raise ProviderUnavailableError(search.error)
            raise SymbolNotFoundError(
                f"{selectors.provider_label(provider_name)} does not know the symbol {symbol}.",
                fields={"symbol": [f"No instrument {symbol} at this provider."]},
            )
        asset = asset_find_or_create(result=result)
    with transaction.atomic():
        ensure_history(asset=asset, since=timezone.localdate() - MIN_HISTORY)
    return asset


# At most this many unknown symbols of one import are looked up with the data provider.
MAX_PROVIDER_LOOKUPS = 25


@dataclass(frozen=True)
class PendingAsset:
    """An asset the data provider knows but the catalogue does not have yet."""

    result: SearchResult

    @property
    def symbol(self) -> str:
        return self.result.symbol

    @property
    def name(self) -> str:
        return self.result.name

    @property
    def currency(self) -> str:
        return self.result.currency


def _local_assets_for_symbols(owner, symbols: Iterable[str]) -> dict[str, Asset]:
    """Visible assets by upper-cased symbol (one query): the owner's manual asset first, then
    the configured provider's, then any other provider's."""
    wanted = sorted({symbol.upper() for symbol in symbols if symbol})
    if not wanted:
        return {}
    found: dict[str, Asset] = {}
    candidates = (
        selectors.assets_visible(user=owner)
        .annotate(symbol_upper=Upper("symbol"))
        .filter(symbol_upper__in=wanted)
    )

    def rank(asset: Asset) -> tuple[int, str]:
        if asset.owner_id is not None:
            return (0, asset.provider)
        return (1 if asset.provider == settings.MARKET_DATA_PROVIDER else 2, asset.provider)

    for asset in sorted(candidates, key=rank):
        found.setdefault(asset.symbol.upper(), asset)
    return found


def _search_provider(symbol: str) -> tuple[Any | None, str | None]:
    """The provider's result whose symbol is exactly `symbol` (its cached search, short
    timeout), or an error message when the provider could not answer."""
    provider_name = settings.MARKET_DATA_PROVIDER
    result = selectors.provider_search_result(symbol=symbol, provider_name=provider_name)
    if result is not None:
        return result, None
    search = selectors.provider_search(query=symbol, provider_name=provider_name)
    return None, search.error


def assets_resolve(*, owner, symbols: Iterable[str], search: bool = True):
    """Assets for symbols: local (catalogue or the owner's manual ones) first, then the data
    provider's search for an exact symbol match (`PendingAsset`, created on use).

    Returns {SYMBOL: Asset | PendingAsset} and {SYMBOL: error message} for the unknown ones.
    """
    symbols = sorted({symbol.strip() for symbol in symbols if symbol and symbol.strip()})
    found: dict[str, Asset | PendingAsset] = dict(_local_assets_for_symbols(owner, symbols))
    errors: dict[str, str] = {}
    lookups = 0
    for symbol in symbols:
        key = symbol.upper()
        if key in found:
            continue
        if not search or lookups >= MAX_PROVIDER_LOOKUPS:
            errors[key] = f"Unknown symbol “{symbol}”: add the asset first."
            continue
        lookups += 1
        result, problem = _search_provider(symbol)
        if result is not None:
            found[key] = PendingAsset(result)
        else:
            errors[key] = (
                problem or f"Unknown symbol “{symbol}”: the data provider does not know it."
            )
    return found, errors


def asset_materialise(*, asset: Asset | PendingAsset) -> Asset:
    if isinstance(asset, Asset):
        return asset
    return asset_find_or_create(result=asset.result)


def asset_for_symbol(*, owner, symbol: str) -> Asset:
    """The asset a typed symbol means (see `assets_resolve`), added to the catalogue from the
    data provider when it is new there. Raises ValidationError on "asset" when unknown."""
    symbol = (symbol or "").strip()
    if not symbol:
        raise ValidationError({"asset": ["Enter the asset's symbol."]})
    found, errors = assets_resolve(owner=owner, symbols=[symbol])
    asset = found.get(symbol.upper())
    if asset is None:
        raise ValidationError({"asset": [errors.get(symbol.upper(), "Unknown symbol.")]})
    return asset_materialise(asset=asset)


def fx_pair_asset_ensure(*, owner, currency: str, base: str, symbols: Sequence[str]) -> Asset:
    """The FX asset converting `currency` into `base` for `owner`, chosen by
    `selectors.fx_pair_asset` among the stored ones (priced or not, so a new one's history is
    queued), or else the provider's direct pair `symbols[0]` (`AB=X`), created in the catalogue."""
    asset = selectors.fx_pair_asset(owner_id=owner.pk, symbols=symbols, priced=False)
    if asset is not None:
        return asset
    result = SearchResult(
        symbol=symbols[0],
        name=f"{currency}/{base}",
        asset_class=AssetClass.FX.value,
        currency=base,
        exchange="CCY",
        provider=settings.MARKET_DATA_PROVIDER,
    )
    return asset_find_or_create(result=result)
