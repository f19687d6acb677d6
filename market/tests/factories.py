"""factory-boy factories for market data, and a scriptable fake provider for failure tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from market import services
from market.models import Asset, CorporateAction, FetchJob, Price, Quote
from market.providers.base import Bar, Event, MarketCap, QuoteResult, SearchResult


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    symbol = factory.Sequence(lambda n: f"SYM{n}")
    name = factory.LazyAttribute(lambda asset: f"{asset.symbol} Corporation")
    asset_class = "stock"
    currency = "USD"
    exchange = "NASDAQ"
    provider = "demo"
    owner = None


class ManualAssetFactory(AssetFactory):
    provider = "manual"
    owner = factory.SubFactory(UserFactory)
    exchange = ""


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    asset = factory.SubFactory(AssetFactory)
    date = factory.Sequence(lambda n: dt.date(2024, 1, 1) + dt.timedelta(days=n))
    open = 100.0
    high = 101.0
    low = 99.0
    close = 100.5
    volume = 1000

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        price = super()._create(model_class, *args, **kwargs)
        services.prices_changed(asset_id=price.asset_id, since=price.date)  # as writes must
        return price


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    asset = factory.SubFactory(AssetFactory)
    price = 101.25
    currency = "USD"
    timestamp = factory.LazyFunction(timezone.now)


class CorporateActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorporateAction

    asset = factory.SubFactory(AssetFactory)
    date = dt.date(2024, 6, 10)
    kind = "split"
    ratio = Decimal("4")
    amount = None


class FetchJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FetchJob

    asset = factory.SubFactory(AssetFactory)
    kind = FetchJob.Kind.BACKFILL
    status = FetchJob.Status.QUEUED
    start = dt.date(2024, 1, 1)


def weekday_bars(
    start: dt.date, end: dt.date, *, base: float = 100.0, step: float = 0.5
) -> list[Bar]:
    """Deterministic bars for every weekday in [start, end]."""
    bars: list[Bar] = []
    day = start
    index = 0
    while day <= end:
        if day.weekday() < 5:
            close = base + index * step
            bars.append(Bar(day, close - 0.25, close + 1.0, close - 1.0, close, 1_000 + index))
            index += 1
        day += dt.timedelta(days=1)
    return bars


class FakeProvider:
    """A provider whose answers and failures a test scripts.

    ``failures`` is a list of exceptions raised by successive ``history`` calls before it
    answers; ``bars`` and ``events`` are what it answers then.
    """

    def __init__(
        self,
        name: str = "demo",
        *,
        bars: Sequence[Bar] = (),
        events: Sequence[Event] = (),
        failures: Sequence[Exception] = (),
        search_results: Sequence[SearchResult] = (),
        quotes: dict[str, QuoteResult] | None = None,
        quote_failure: Exception | None = None,
        search_failure: Exception | None = None,
        market_caps: dict[str, MarketCap] | None = None,
    ) -> None:
        self.name = name
        self.bars = list(bars)
        self.events_ = list(events)
        self.failures = list(failures)
        self.search_results = list(search_results)
        self.quotes_ = quotes or {}
        self.quote_failure = quote_failure
        self.search_failure = search_failure
        self.market_caps_ = market_caps or {}
        self.calls: list[tuple] = []

    def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        self.calls.append(("search", query))
        if self.search_failure is not None:
            raise self.search_failure
        q = query.lower()
        return [r for r in self.search_results if q in r.symbol.lower() or q in r.name.lower()][
            :limit
        ]

    def history(self, symbol: str, start: dt.date, end: dt.date) -> list[Bar]:
        self.calls.append(("history", symbol, start, end))
        if self.failures:
            raise self.failures.pop(0)
        return [bar for bar in self.bars if start <= bar.date <= end]

    def quotes(self, symbols: Sequence[str]) -> dict[str, QuoteResult]:
        self.calls.append(("quotes", tuple(symbols)))
        if self.quote_failure is not None:
            raise self.quote_failure
        return {symbol: self.quotes_[symbol] for symbol in symbols if symbol in self.quotes_}

    def events(self, symbol: str, start: dt.date, end: dt.date) -> list[Event]:
        self.calls.append(("events", symbol, start, end))
        return [event for event in self.events_ if start <= event.date <= end]

    def market_caps(self, symbols: Sequence[str]) -> dict[str, MarketCap]:
        self.calls.append(("market_caps", tuple(symbols)))
        return {
            symbol: self.market_caps_[symbol] for symbol in symbols if symbol in self.market_caps_
        }
