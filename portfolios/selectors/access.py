"""Object access: the user's portfolios and their transactions (scoped by owner, Http404
otherwise), the assets a user may use and the asset picker's suggestions."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from market import selectors as market_selectors
from market.models import Asset, AssetClass
from portfolios.models import Portfolio, Transaction

# --- Access --------------------------------------------------------------------------------------


def _parse_uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as error:
        raise Http404("No such object.") from error


# The same rule under a public name, for the other selector modules (a malformed id is a 404).
parse_uuid = _parse_uuid


def portfolio_queryset_for_user(user) -> QuerySet[Portfolio]:
    """The user's portfolios (none for an anonymous user)."""
    if not getattr(user, "is_authenticated", False):
        return Portfolio.objects.none()
    return Portfolio.objects.filter(owner=user).select_related("benchmark")


def portfolio_get_for_user(user, public_id: object) -> Portfolio:
    """The user's portfolio with this public id; Http404 for anyone else's or a malformed id."""
    try:
        return portfolio_queryset_for_user(user).get(public_id=_parse_uuid(public_id))
    except Portfolio.DoesNotExist as error:
        raise Http404("No such portfolio.") from error


def transaction_queryset(*, portfolio: Portfolio) -> QuerySet[Transaction]:
    """The portfolio's transactions in entry order, assets preloaded."""
    return (
        Transaction.objects.filter(portfolio=portfolio)
        .select_related("asset")
        .order_by("date", "id")
    )


def transaction_list(
    *,
    portfolio: Portfolio,
    asset: Asset | None = None,
    kind: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    newest_first: bool = True,
) -> QuerySet[Transaction]:
    """The portfolio's transactions, filtered; newest first for lists by default."""
    queryset = transaction_queryset(portfolio=portfolio)
    if asset is not None:
        queryset = queryset.filter(asset=asset)
    if kind:
        queryset = queryset.filter(kind=kind)
    if start is not None:
        queryset = queryset.filter(date__gte=start)
    if end is not None:
        queryset = queryset.filter(date__lte=end)
    return queryset.order_by("-date", "-id") if newest_first else queryset


def transaction_get_for_portfolio(*, portfolio: Portfolio, public_id: object) -> Transaction:
    """A transaction of this (already owner-checked) portfolio; Http404 otherwise."""
    try:
        return transaction_queryset(portfolio=portfolio).get(public_id=_parse_uuid(public_id))
    except Transaction.DoesNotExist as error:
        raise Http404("No such transaction.") from error


def asset_queryset_for_user(user) -> QuerySet[Asset]:
    """Assets a user may use: the shared catalogue and their own manual assets."""
    if not getattr(user, "is_authenticated", False):
        return Asset.objects.filter(owner__isnull=True)
    return market_selectors.assets_visible(user=user)


@dataclass(frozen=True)
class AssetOption:
    """A suggestion of the transaction form's asset picker."""

    symbol: str
    name: str
    asset_class: str
    currency: str
    is_new: bool  # known to the data provider, added to the catalogue when first used


def asset_options_for_user(*, user, query: str, limit: int = 12) -> list[AssetOption]:
    """Assets matching a typed symbol or name: the catalogue's and the user's own first, then
    the data provider's (its cached search with a short timeout: the one provider call a page
    may make)."""
    query = query.strip()
    if not query:
        return []
    found = market_selectors.asset_search(user=user, query=query, limit=limit)
    options = [
        AssetOption(
            asset.symbol, asset.name, asset.get_asset_class_display(), asset.currency, False
        )
        for asset in found.local
        if asset.asset_class != AssetClass.FX
    ]
    labels = dict(AssetClass.choices)
    options += [
        AssetOption(
            result.symbol,
            result.name,
            labels.get(result.asset_class, result.asset_class),
            result.currency,
            True,
        )
        for result in found.remote
    ]
    return options[:limit]


def portfolio_assets(*, portfolio: Portfolio) -> list[Asset]:
    """The assets the portfolio has transactions in, by symbol: those of its `ledger_summary`
    (which every transaction write rewrites), so one query without a join over the
    transactions."""
    asset_ids = sorted(portfolio.ledger_summary.get("assets", ()))
    if not asset_ids:
        return []
    return list(Asset.objects.filter(pk__in=asset_ids).order_by("symbol", "pk"))
