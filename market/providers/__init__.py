"""Market-data providers and their registry: ``get_provider("yahoo" | "demo" | "manual")``.

Providers know nothing of Django models: plain dataclasses in and out (see ``base``). The Yahoo
provider is imported only when asked for, so the demo never pays for importing yfinance.
"""

from __future__ import annotations

import functools
from pathlib import Path

from .base import (
    ASSET_CLASSES,
    AssetClass,
    Bar,
    Event,
    MarketCap,
    PermanentProviderError,
    Provider,
    ProviderError,
    QuoteResult,
    SearchResult,
    TransientProviderError,
)

PROVIDER_NAMES: tuple[str, ...] = ("yahoo", "demo", "manual")

__all__ = [
    "ASSET_CLASSES",
    "PROVIDER_NAMES",
    "AssetClass",
    "Bar",
    "Event",
    "MarketCap",
    "PermanentProviderError",
    "Provider",
    "ProviderError",
    "QuoteResult",
    "SearchResult",
    "TransientProviderError",
    "get_provider",
]


@functools.cache
def get_provider(name: str) -> Provider:
    """The process-wide provider called ``name``; raises ``ValueError`` for an unknown name."""
    if name == "demo":
        from .demo import DemoProvider

        return DemoProvider()
    if name == "manual":
        from .manual import ManualProvider

        return ManualProvider()
    if name == "yahoo":
        from .yahoo import YahooProvider

        return YahooProvider(cache_dir=_yfinance_cache_dir())
    raise ValueError(f"Unknown market-data provider {name!r}; expected one of {PROVIDER_NAMES}.")


def _yfinance_cache_dir() -> Path | None:
    """``settings.YFINANCE_CACHE_DIR``, else ``VAR_DIR/yfinance``, when Django is configured."""
    from django.conf import settings

    if not settings.configured:
        return None
    explicit = getattr(settings, "YFINANCE_CACHE_DIR", None)
    if explicit:
        return Path(explicit)
    var_dir = getattr(settings, "VAR_DIR", None)
    return Path(var_dir) / "yfinance" if var_dir else None
