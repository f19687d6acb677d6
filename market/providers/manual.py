"""The manual provider: prices that users enter or upload themselves, so there is nothing to fetch.

Manual assets live in the database with their owner's prices. Search finds nothing here (the
asset search looks in the database first), quotes, events and market caps are empty, and a history fetch
fails permanently with a reason the job page can show, since a backfill should never be queued
for a manual asset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .base import (
    Bar,
    Event,
    MarketCap,
    PermanentProviderError,
    ProviderError,
    QuoteResult,
    RecentHistory,
    SearchResult,
    recent_histories_looped,
)

NOTHING_TO_FETCH = "Manual assets are priced by their owner; there is nothing to fetch."


class ManualProvider:
    name = "manual"

    def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        return []

    def history(self, symbol: str, start: dt.date, end: dt.date) -> list[Bar]:
        raise PermanentProviderError(NOTHING_TO_FETCH, symbol=symbol)

    def quotes(self, symbols: Sequence[str]) -> dict[str, QuoteResult]:
        return {}

    def events(self, symbol: str, start: dt.date, end: dt.date) -> list[Event]:
        return []

    def market_caps(self, symbols: Sequence[str]) -> dict[str, MarketCap]:
        return {}

    def recent_histories(
        self, symbols: Sequence[str], start: dt.date, end: dt.date
    ) -> dict[str, RecentHistory | ProviderError]:
        return recent_histories_looped(self, symbols, start, end)
