"""The market-data provider interface: plain dataclasses in and out, and the errors providers raise.

Nothing here knows about Django or the database. A provider turns a symbol into search results,
daily bars, latest quotes and corporate actions; the services in ``market.services`` store them.

Errors carry a message written for the person reading a job page. A ``TransientProviderError``
(timeout, rate limit, server error, no connection) is worth retrying later; a
``PermanentProviderError`` (unknown symbol, delisted, no history at all) is not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

AssetClass = Literal["stock", "etf", "fund", "crypto", "fx", "commodity", "bond", "index", "other"]
ASSET_CLASSES: tuple[AssetClass, ...] = (
    "stock",
    "etf",
    "fund",
    "crypto",
    "fx",
    "commodity",
    "bond",
    "index",
    "other",
)

EventKind = Literal["split", "dividend"]


# --- Yahoo-style symbols, which every provider here uses -----------------------------------------

# The trading currency of a listing, by the exchange suffix of its symbol (VWCE.DE, SHEL.L, 7203.T).
SUFFIX_CURRENCIES: dict[str, str] = {
    "L": "GBP",
    "IL": "USD",
    "DE": "EUR",
    "F": "EUR",
    "BE": "EUR",
    "DU": "EUR",
    "HM": "EUR",
    "MU": "EUR",
    "SG": "EUR",
    "PA": "EUR",
    "AS": "EUR",
    "BR": "EUR",
    "MI": "EUR",
    "MC": "EUR",
    "LS": "EUR",
    "HE": "EUR",
    "VI": "EUR",
    "IR": "EUR",
    "AT": "EUR",
    "SW": "CHF",
    "CO": "DKK",
    "ST": "SEK",
    "OL": "NOK",
    "IC": "ISK",
    "TO": "CAD",
    "V": "CAD",
    "NE": "CAD",
    "CN": "CAD",
    "AX": "AUD",
    "NZ": "NZD",
    "T": "JPY",
    "HK": "HKD",
    "SS": "CNY",
    "SZ": "CNY",
    "KS": "KRW",
    "KQ": "KRW",
    "TW": "TWD",
    "TWO": "TWD",
    "NS": "INR",
    "BO": "INR",
    "SI": "SGD",
    "JK": "IDR",
    "KL": "MYR",
    "BK": "THB",
    "SA": "BRL",
    "MX": "MXN",
    "JO": "ZAR",
    "TA": "ILS",
    "IS": "TRY",
    "WA": "PLN",
    "PR": "CZK",
    "BD": "HUF",
}


def currency_for_suffix(symbol: str) -> str | None:
    """The currency of the exchange a Yahoo-style symbol's suffix names, if it names one."""
    if "." not in symbol:
        return None
    return SUFFIX_CURRENCIES.get(symbol.rsplit(".", 1)[1].upper())


def fx_pair(symbol: str) -> tuple[str, str] | None:
    """``EURUSD=X`` -> ("EUR", "USD"): one EUR costs so many USD. ``JPY=X`` is USD/JPY."""
    upper = symbol.upper()
    if not upper.endswith("=X"):
        return None
    pair = upper[:-2]
    if len(pair) == 6 and pair.isalpha():
        return pair[:3], pair[3:]
    if len(pair) == 3 and pair.isalpha():
        return "USD", pair
    return None


def decimal_from_float(value: float, places: int = 8) -> Decimal:
    """A float price or amount as a Decimal rounded to ``places`` decimals, trailing zeros dropped."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return Decimal(text if text not in ("", "-0") else "0")


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One instrument a provider knows, as the asset search shows it."""

    symbol: str
    name: str
    asset_class: AssetClass
    currency: str
    exchange: str
    provider: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One daily bar, dated by the exchange's own trading date.

    Prices are as traded on that date, in the asset's currency (pence and cents quotes are
    converted to pounds, rand and shekels): not adjusted for later splits or dividends. Volume is
    in shares (or units) as traded on that date.
    """

    date: dt.date
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class QuoteResult:
    """The latest price a provider reports, and when it was observed (an aware datetime)."""

    symbol: str
    price: float
    currency: str
    timestamp: dt.datetime

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None or self.timestamp.utcoffset() is None:
            raise ValueError("QuoteResult.timestamp must be timezone-aware")


@dataclass(frozen=True, slots=True)
class MarketCap:
    """A company's (or a coin's) market capitalisation as the provider reports it, in
    ``currency`` (its main unit: pounds, not pence), observed at ``timestamp`` (aware)."""

    symbol: str
    market_cap: float
    currency: str
    timestamp: dt.datetime

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None or self.timestamp.utcoffset() is None:
            raise ValueError("MarketCap.timestamp must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Event:
    """A corporate action on its ex-date.

    A split has ``ratio`` = new shares per old share (4 for a 4-for-1 split, 0.1 for a 1-for-10
    reverse split). A dividend has ``amount`` = cash per share as held on that date, in the
    asset's currency.
    """

    symbol: str
    date: dt.date
    kind: EventKind
    ratio: Decimal | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        if self.kind == "split":
            if self.ratio is None or self.ratio <= 0 or self.amount is not None:
                raise ValueError("a split needs a positive ratio and no amount")
        elif self.kind == "dividend":
            if self.amount is None or self.amount < 0 or self.ratio is not None:
                raise ValueError("a dividend needs a non-negative amount and no ratio")
        else:
            raise ValueError(f"unknown event kind {self.kind!r}")


class ProviderError(Exception):
    """A provider could not answer. ``message`` is readable by the user on a job page."""

    def __init__(self, message: str, *, symbol: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.symbol = symbol

    def __str__(self) -> str:
        return self.message


class TransientProviderError(ProviderError):
    """Worth retrying: timeout, rate limit (HTTP 429), server error (5xx), no connection.

    ``retry_after`` is the number of seconds the provider asked us to wait, when it said so.
    """

    def __init__(
        self, message: str, *, symbol: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, symbol=symbol)
        self.retry_after = retry_after


class PermanentProviderError(ProviderError):
    """Not worth retrying: unknown symbol, delisted, no history at all, nothing to fetch."""


@runtime_checkable
class Provider(Protocol):
    """What every market-data provider offers.

    ``search`` is the only call allowed inside a web request; it must answer quickly.
    ``history`` returns the bars dated within ``[start, end]`` (both included), oldest first, and
    ``[]`` when the symbol is known but has no bar there (a weekend, a holiday, before listing).
    ``quotes`` leaves out symbols the provider does not know; a transient failure raises.
    ``events`` returns the splits and dividends whose ex-date is within ``[start, end]``.
    ``market_caps`` answers the symbols it has a market cap for (stocks, crypto) and leaves out
    the rest (FX pairs, indices, most funds); a transient failure raises.
    ``recent_histories`` answers ``history`` and ``events`` of many symbols at once (in as few
    calls as the provider can), each symbol its ``RecentHistory`` or the ``ProviderError`` that
    stopped it; ``recent_histories_looped`` is the symbol-by-symbol way.
    """

    name: str

    def search(self, query: str, *, limit: int = 10) -> list[SearchResult]: ...

    def history(self, symbol: str, start: dt.date, end: dt.date) -> list[Bar]: ...

    def quotes(self, symbols: Sequence[str]) -> dict[str, QuoteResult]: ...

    def events(self, symbol: str, start: dt.date, end: dt.date) -> list[Event]: ...

    def market_caps(self, symbols: Sequence[str]) -> dict[str, MarketCap]: ...

    def recent_histories(
        self, symbols: Sequence[str], start: dt.date, end: dt.date
    ) -> dict[str, RecentHistory | ProviderError]: ...


@dataclass(frozen=True, slots=True)
class RecentHistory:
    """One symbol's answer in a batch: its bars and its splits and dividends within the range,
    with the guarantees of ``history`` and ``events`` (as traded, main currency unit)."""

    bars: tuple[Bar, ...]
    events: tuple[Event, ...]


def recent_histories_looped(
    provider: Provider, symbols: Sequence[str], start: dt.date, end: dt.date
) -> dict[str, RecentHistory | ProviderError]:
    """The default ``recent_histories``: ``history`` and ``events`` symbol by symbol. Every
    symbol gets an answer: its history, or the ``ProviderError`` that stopped it (a transient
    one too), so one symbol's failure never fails the others."""
    answers: dict[str, RecentHistory | ProviderError] = {}
    for symbol in dict.fromkeys(symbols):
        try:
            answers[symbol] = RecentHistory(
                bars=tuple(provider.history(symbol, start, end)),
                events=tuple(provider.events(symbol, start, end)),
            )
        except ProviderError as exc:
            answers[symbol] = exc
    return answers
