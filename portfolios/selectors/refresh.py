"""What the market app keeps fresh for the portfolios (registered in `PortfoliosConfig.ready`)."""

from __future__ import annotations

from django.db.models import F, QuerySet

from market.models import Asset
from portfolios.engine.market import (
    fx_pair_symbols,
)
from portfolios.models import Portfolio, Transaction

# --- What the market app keeps fresh (registered in `PortfoliosConfig.ready`) --------------------


def held_asset_ids() -> QuerySet:
    """Every asset some portfolio has a transaction in (a subquery of asset ids)."""
    return Transaction.objects.filter(asset__isnull=False).values("asset_id")


def benchmark_asset_ids() -> QuerySet:
    """Every asset some portfolio uses as its benchmark."""
    return Portfolio.objects.filter(benchmark__isnull=False).values("benchmark_id")


def fx_pair_asset_ids() -> list[int]:
    """The catalogue FX assets that convert a currency some portfolio trades in into its base."""
    pairs = set(
        Transaction.objects.exclude(currency=F("portfolio__base_currency"))
        .values_list("currency", "portfolio__base_currency")
        .distinct()
    )
    pairs |= set(
        Transaction.objects.filter(asset__isnull=False)
        .exclude(asset__currency=F("portfolio__base_currency"))
        .values_list("asset__currency", "portfolio__base_currency")
        .distinct()
    )
    symbols = {symbol for currency, base in pairs for symbol in fx_pair_symbols(currency, base)}
    if not symbols:
        return []
    return list(
        Asset.objects.filter(symbol__in=sorted(symbols), owner__isnull=True).values_list(
            "id", flat=True
        )
    )
