"""The demo provider: deterministic, offline prices for any symbol, for ``make run``, tests and benches.

Each symbol gets its own seeded random walk (the seed is a SHA-256 of the symbol, so it is the
same in every process and on every machine). The walk starts at a fixed epoch and runs to today;
a request only slices it, so the price on a date never depends on the range asked for. It is
pinned at ``ANCHOR_DATE`` to a plausible level (the catalogue's, or one derived from the symbol),
moves day to day with a realistic annual volatility for its asset class and trades Monday to
Friday (crypto every day). Over years the log price reverts slowly towards a trend line through
that level, so prices stay plausible decades away and FX pairs stay near their real rates
(within about 6%, one standard deviation).

Stocks may split once (deterministically, before 2023, or on the real date a catalogue entry
gives, as NVDA's 10-for-1 of 10 June 2024) and dividend payers pay quarterly;
``events`` reports both and ``history`` prices are as traded, like the Yahoo provider's.
Stocks and coins have a market cap: the latest close times a plausible share count.

Generation is vectorised numpy: one symbol's 25 years take about a millisecond, and series are
kept in a small per-process cache.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from .base import (
    AssetClass,
    Bar,
    Event,
    MarketCap,
    ProviderError,
    QuoteResult,
    RecentHistory,
    SearchResult,
    currency_for_suffix,
    decimal_from_float,
    fx_pair,
)
from .catalogue import BY_SYMBOL, CATALOGUE, CatalogueEntry

EPOCH = dt.date(2000, 1, 3)  # a Monday; the first date with a price
ANCHOR_DATE = dt.date(2024, 1, 2)  # where each walk equals its level
SPLIT_WINDOW = (dt.date(2004, 1, 1), dt.date(2022, 12, 31))
TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365
CLOSE_HOUR_UTC = 21  # quotes of a past day are stamped at its (US) close

CLASS_VOLATILITY: dict[AssetClass, float] = {
    "stock": 0.25,
    "etf": 0.15,
    "fund": 0.14,
    "bond": 0.06,
    "crypto": 0.70,
    "commodity": 0.15,
    "fx": 0.08,
    "index": 0.16,
    "other": 0.20,
}
CLASS_DRIFT: dict[AssetClass, float] = {
    "stock": 0.07,
    "etf": 0.06,
    "fund": 0.06,
    "bond": 0.02,
    "crypto": 0.20,
    "commodity": 0.02,
    "fx": 0.0,
    "index": 0.06,
    "other": 0.03,
}
# Pull of the log price back to its trend, per year (deviations halve in ln 2 / rate years).
MEAN_REVERSION: dict[AssetClass, float] = {
    "stock": 0.3,
    "etf": 0.3,
    "fund": 0.3,
    "bond": 0.5,
    "crypto": 0.3,
    "commodity": 0.3,
    "fx": 1.0,
    "index": 0.3,
    "other": 0.3,
}
# Typical daily volume is 10 ** (low + span * u) for a symbol-specific u; FX and funds have none.
CLASS_VOLUME: dict[AssetClass, tuple[float, float] | None] = {
    "stock": (5.5, 2.0),
    "etf": (5.0, 1.5),
    "fund": None,
    "bond": (5.0, 1.5),
    "crypto": (8.5, 2.0),
    "commodity": (4.5, 1.5),
    "fx": None,
    "index": (8.0, 1.5),
    "other": (4.0, 2.0),
}
# Rough US dollars per unit at the anchor date, to price FX pairs outside the catalogue.
USD_PER_UNIT: dict[str, float] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CHF": 1 / 0.88,
    "JPY": 1 / 150,
    "CAD": 1 / 1.35,
    "AUD": 0.67,
    "NZD": 0.61,
    "SEK": 1 / 10.5,
    "NOK": 1 / 10.6,
    "DKK": 1 / 6.9,
    "PLN": 1 / 4.0,
    "CZK": 1 / 22.5,
    "HUF": 1 / 355,
    "HKD": 1 / 7.8,
    "SGD": 1 / 1.33,
    "CNY": 1 / 7.1,
    "INR": 1 / 83,
    "KRW": 1 / 1300,
    "BRL": 1 / 4.9,
    "MXN": 1 / 17,
    "ZAR": 1 / 18.5,
    "ILS": 1 / 3.65,
    "TRY": 1 / 30,
}
# Rough shares outstanding (coins in circulation for crypto) in 2024, so a demo market cap is
# its latest close times a plausible count; other stocks and coins get a count from their symbol.
DEMO_SHARES: dict[str, float] = {
    "AAPL": 15.4e9,
    "MSFT": 7.43e9,
    "NVDA": 24.5e9,
    "AMZN": 10.4e9,
    "GOOGL": 12.4e9,
    "META": 2.55e9,
    "TSLA": 3.19e9,
    "BRK-B": 2.16e9,
    "JPM": 2.87e9,
    "V": 2.0e9,
    "JNJ": 2.41e9,
    "XOM": 4.4e9,
    "KO": 4.31e9,
    "PG": 2.36e9,
    "ASML.AS": 0.393e9,
    "SAP.DE": 1.17e9,
    "SIE.DE": 0.79e9,
    "MC.PA": 0.5e9,
    "NESN.SW": 2.63e9,
    "NOVO-B.CO": 4.45e9,
    "SHEL.L": 6.4e9,
    "HSBA.L": 18.5e9,
    "AZN.L": 1.55e9,
    "7203.T": 13.5e9,
    "0700.HK": 9.4e9,
    "RY.TO": 1.41e9,
    "BTC-USD": 19.8e6,
    "BTC-EUR": 19.8e6,
    "ETH-USD": 120.5e6,
    "SOL-USD": 470e6,
    "XRP-USD": 57e9,
    "ADA-USD": 35.5e9,
    "DOGE-USD": 146e9,
}
# Only these classes have a market cap (as on Yahoo: FX pairs, indices and funds have none).
MARKET_CAP_CLASSES = frozenset({"stock", "crypto"})
CRYPTO_QUOTES = frozenset({"USD", "EUR", "GBP", "USDT", "USDC", "BTC", "ETH", "JPY", "CHF"})


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """Everything that shapes one symbol's simulated prices."""

    symbol: str
    name: str
    asset_class: AssetClass
    currency: str
    exchange: str
    level: float
    volatility: float
    drift: float
    dividend_yield: float
    split: tuple[dt.date, int] | None


@dataclass(frozen=True, slots=True)
class DemoSeries:
    """A symbol's whole simulated history up to a horizon, as parallel numpy arrays."""

    spec: DemoSpec
    days: np.ndarray  # proleptic ordinals of the trading days
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    dividend_days: np.ndarray
    dividend_amounts: np.ndarray

    def window(self, start: dt.date, end: dt.date) -> slice:
        lo = int(np.searchsorted(self.days, start.toordinal(), side="left"))
        hi = int(np.searchsorted(self.days, end.toordinal(), side="right"))
        return slice(lo, hi)


class DemoProvider:
    """Simulated market data; ``today`` can be injected to pin the clock in tests."""

    name = "demo"

    def __init__(self, *, today: Callable[[], dt.date] | None = None) -> None:
        self._today = today or (lambda: dt.datetime.now(dt.UTC).date())

    def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        """Catalogue entries whose symbol starts with, or whose name contains, the query."""
        needle = query.strip().lower()
        if not needle or limit <= 0:
            return []
        ranked: list[tuple[int, int, CatalogueEntry]] = []
        for position, entry in enumerate(CATALOGUE):
            symbol = entry.symbol.lower()
            if symbol == needle:
                rank = 0
            elif symbol.startswith(needle):
                rank = 1
            elif needle in entry.name.lower():
                rank = 2
            else:
                continue
            ranked.append((rank, position, entry))
        ranked.sort(key=lambda item: item[:2])
        return [
            SearchResult(
                symbol=entry.symbol,
                name=entry.name,
                asset_class=entry.asset_class,
                currency=entry.currency,
                exchange=entry.exchange,
                provider=self.name,
            )
            for _, _, entry in ranked[:limit]
        ]

    def history(self, symbol: str, start: dt.date, end: dt.date) -> list[Bar]:
        today = self._today()
        end = min(end, today)
        if end < start:
            return []
        series = demo_series(symbol, today)
        window = series.window(start, end)
        days = [dt.date.fromordinal(day) for day in series.days[window].tolist()]
        return list(
            map(
                Bar,
                days,
                series.open[window].tolist(),
                series.high[window].tolist(),
                series.low[window].tolist(),
                series.close[window].tolist(),
                series.volume[window].tolist(),
            )
        )

    def quotes(self, symbols: Sequence[str]) -> dict[str, QuoteResult]:
        today = self._today()
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        results: dict[str, QuoteResult] = {}
        for symbol in dict.fromkeys(symbols):
            series = demo_series(symbol, today)
            last = int(np.searchsorted(series.days, today.toordinal(), side="right")) - 1
            if last < 0:
                continue
            day = dt.date.fromordinal(int(series.days[last]))
            closed = dt.datetime.combine(day, dt.time(CLOSE_HOUR_UTC), tzinfo=dt.UTC)
            results[symbol] = QuoteResult(
                symbol=symbol,
                price=float(series.close[last]),
                currency=series.spec.currency,
                timestamp=min(closed, now) if day == now.date() else closed,
            )
        return results

    def market_caps(self, symbols: Sequence[str]) -> dict[str, MarketCap]:
        """Latest close times ``DEMO_SHARES`` (or 10^8 to 10^10 shares from the symbol), for
        stocks and crypto, stamped like the quote of that close."""
        results: dict[str, MarketCap] = {}
        for symbol, quote in self.quotes(symbols).items():
            if spec_for(symbol).asset_class not in MARKET_CAP_CLASSES:
                continue
            shares = DEMO_SHARES.get(symbol) or 10 ** (8 + 2 * _unit(symbol, "shares"))
            results[symbol] = MarketCap(
                symbol=symbol,
                market_cap=round(quote.price * shares),
                currency=quote.currency,
                timestamp=quote.timestamp,
            )
        return results

    def recent_histories(
        self, symbols: Sequence[str], start: dt.date, end: dt.date
    ) -> dict[str, RecentHistory | ProviderError]:
        """Every symbol's bars and events in one call (local computation: it never fails)."""
        return {
            symbol: RecentHistory(
                bars=tuple(self.history(symbol, start, end)),
                events=tuple(self.events(symbol, start, end)),
            )
            for symbol in dict.fromkeys(symbols)
        }

    def events(self, symbol: str, start: dt.date, end: dt.date) -> list[Event]:
        today = self._today()
        end = min(end, today)
        if end < start:
            return []
        series = demo_series(symbol, today)
        events: list[Event] = []
        split = series.spec.split
        if split is not None and start <= split[0] <= end:
            events.append(
                Event(symbol=symbol, date=split[0], kind="split", ratio=Decimal(split[1]))
            )
        lo = int(np.searchsorted(series.dividend_days, start.toordinal(), side="left"))
        hi = int(np.searchsorted(series.dividend_days, end.toordinal(), side="right"))
        for day, amount in zip(
            series.dividend_days[lo:hi].tolist(),
            series.dividend_amounts[lo:hi].tolist(),
            strict=True,
        ):
            events.append(
                Event(
                    symbol=symbol,
                    date=dt.date.fromordinal(day),
                    kind="dividend",
                    amount=decimal_from_float(amount, 4),
                )
            )
        events.sort(key=lambda event: (event.date, event.kind))
        return events


# --- the simulation ---------------------------------------------------------------------------


def demo_series(symbol: str, today: dt.date) -> DemoSeries:
    """The symbol's series from ``EPOCH`` to ``today`` (cached; past values never change)."""
    return _series(symbol, max(today, ANCHOR_DATE).toordinal())


def spec_for(symbol: str) -> DemoSpec:
    """The catalogue's description of a symbol, or one derived from how the symbol looks."""
    entry = BY_SYMBOL.get(symbol)
    split = None
    if entry is not None:
        asset_class = entry.asset_class
        name, currency, exchange, level = entry.name, entry.currency, entry.exchange, entry.level
        dividend_yield = entry.dividend_yield
        volatility = entry.volatility or CLASS_VOLATILITY[asset_class]
        split = entry.split
    else:
        asset_class = infer_asset_class(symbol)
        name, exchange = symbol, "Demo"
        currency, level = _derived_currency_and_level(symbol, asset_class)
        dividend_yield = _derived_dividend_yield(symbol, asset_class)
        volatility = CLASS_VOLATILITY[asset_class]
    return DemoSpec(
        symbol=symbol,
        name=name,
        asset_class=asset_class,
        currency=currency,
        exchange=exchange,
        level=level,
        volatility=volatility,
        drift=CLASS_DRIFT[asset_class],
        dividend_yield=dividend_yield,
        split=split or (_derived_split(symbol) if asset_class == "stock" else None),
    )


def infer_asset_class(symbol: str) -> AssetClass:
    """Yahoo's conventions: ``EURUSD=X`` fx, ``GC=F`` futures, ``^GSPC`` index, ``BTC-USD`` crypto."""
    upper = symbol.upper()
    if fx_pair(upper) is not None:
        return "fx"
    if upper.endswith("=F"):
        return "commodity"
    if upper.startswith("^"):
        return "index"
    if "-" in upper and "." not in upper and upper.rsplit("-", 1)[1] in CRYPTO_QUOTES:
        return "crypto"
    return "stock"


@functools.lru_cache(maxsize=4)
def _calendar(every_day: bool, horizon: int) -> np.ndarray:
    days = np.arange(EPOCH.toordinal(), horizon + 1, dtype=np.int64)
    if not every_day:
        days = days[(days - 1) % 7 < 5]  # ordinal 1 (0001-01-01) was a Monday
    days.setflags(write=False)
    return days


@functools.lru_cache(maxsize=128)
def _series(symbol: str, horizon: int) -> DemoSeries:
    spec = spec_for(symbol)
    every_day = spec.asset_class == "crypto"
    days = _calendar(every_day, horizon)
    count = len(days)
    years_per_step = 1 / (CALENDAR_DAYS_PER_YEAR if every_day else TRADING_DAYS_PER_YEAR)
    step_sigma = spec.volatility * math.sqrt(years_per_step)
    # Two streams: daily shocks, and uniforms shaping each bar (row-major, four per day). Each
    # stream's prefix is the same whatever the horizon, so past prices never change.
    shocks = np.random.default_rng([_seed(symbol), 0]).standard_normal(count)
    shape = np.random.default_rng([_seed(symbol), 1]).random((count, 4))

    anchor = min(int(np.searchsorted(days, ANCHOR_DATE.toordinal())), count - 1)
    # The log price wanders around a straight trend through the anchor level: an
    # Ornstein-Uhlenbeck deviation x_t = a x_(t-1) + e_t, solved in closed form with one
    # cumulative sum. Daily moves keep the class's volatility; over decades the price stays
    # within a plausible band of its level (FX pairs within about 6% of theirs).
    steps = np.arange(count, dtype=float)
    powers = np.exp(-MEAN_REVERSION[spec.asset_class] * years_per_step * steps)
    deviation = powers * np.cumsum(step_sigma * shocks / powers)
    walk = spec.drift * years_per_step * steps + deviation
    close = spec.level * np.exp(walk - walk[anchor])

    previous = np.concatenate((close[:1], close[:-1]))
    open_ = previous * np.exp(0.5 * step_sigma * (shape[:, 0] - 0.5))
    # Intraday excursions beyond open and close: exponential, about half a daily sigma.
    high = np.maximum(open_, close) * np.exp(-0.5 * step_sigma * np.log1p(-shape[:, 1]))
    low = np.minimum(open_, close) * np.exp(0.5 * step_sigma * np.log1p(-shape[:, 2]))
    volume_shape = CLASS_VOLUME[spec.asset_class]
    if volume_shape is None:
        volume = np.zeros(count)
    else:
        base = 10 ** (volume_shape[0] + volume_shape[1] * _unit(symbol, "volume"))
        volume = np.round(base * np.exp(1.4 * (shape[:, 3] - 0.5)))

    if spec.split is not None:
        before = days < spec.split[0].toordinal()
        for prices in (open_, high, low, close):
            prices[before] *= spec.split[1]
        volume[before] = np.round(volume[before] / spec.split[1])

    significant = 6 if spec.asset_class == "fx" else 5
    decimals = np.clip(significant - 1 - np.floor(np.log10(close)), 2, 8)
    scale = 10.0**decimals
    open_, high, low, close = (np.round(p * scale) / scale for p in (open_, high, low, close))
    high = np.maximum(high, np.maximum(open_, close))
    low = np.minimum(low, np.minimum(open_, close))

    dividend_days, dividend_amounts = _dividends(symbol, spec, days, close)
    for array in (open_, high, low, close, volume, dividend_days, dividend_amounts):
        array.setflags(write=False)
    return DemoSeries(spec, days, open_, high, low, close, volume, dividend_days, dividend_amounts)


def _dividends(
    symbol: str, spec: DemoSpec, days: np.ndarray, close: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quarterly ex-dates on fixed, symbol-specific days; each pays a quarter of the yield."""
    if spec.dividend_yield <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    first_month = 1 + int(_unit(symbol, "dividend-month") * 3)
    day_of_month = 5 + int(_unit(symbol, "dividend-day") * 20)
    last_year = dt.date.fromordinal(int(days[-1])).year
    candidates = [
        dt.date(year, month, day_of_month).toordinal()
        for year in range(EPOCH.year, last_year + 1)
        for month in range(first_month, 13, 3)
    ]
    positions = np.searchsorted(days, np.array(candidates, dtype=np.int64), side="left")
    positions = np.unique(positions[(positions > 0) & (positions < len(days))])
    amounts = np.round(spec.dividend_yield / 4 * close[positions - 1], 4)
    return days[positions], amounts


def _derived_currency_and_level(symbol: str, asset_class: AssetClass) -> tuple[str, float]:
    u = _unit(symbol, "level")
    if asset_class == "fx":
        base, quote = fx_pair(symbol) or ("USD", "USD")
        if base in USD_PER_UNIT and quote in USD_PER_UNIT:
            return quote, USD_PER_UNIT[base] / USD_PER_UNIT[quote]
        return quote, 0.5 + 1.5 * u
    if asset_class == "crypto":
        return symbol.upper().rsplit("-", 1)[1], 10 ** (-1 + 4 * u)
    if asset_class == "commodity":
        return "USD", 10 ** (1 + 2 * u)
    if asset_class == "index":
        return "USD", 10 ** (3 + 1.3 * u)
    return currency_for_suffix(symbol) or "USD", 10 ** (1 + 2 * u)


def _derived_dividend_yield(symbol: str, asset_class: AssetClass) -> float:
    u = _unit(symbol, "dividend-yield")
    if asset_class == "stock":
        return 0.0 if u < 0.5 else round(0.005 + 0.06 * (u - 0.5), 4)
    return {"etf": 0.015, "fund": 0.015, "bond": 0.03}.get(asset_class, 0.0)


def _derived_split(symbol: str) -> tuple[dt.date, int] | None:
    """About one stock in four splits once, 2-, 3- or 4-for-1, on a weekday before 2023."""
    if _unit(symbol, "split") >= 0.25:
        return None
    first, last = (day.toordinal() for day in SPLIT_WINDOW)
    day = first + int(_unit(symbol, "split-day") * (last - first))
    while (day - 1) % 7 >= 5:
        day += 1
    return dt.date.fromordinal(day), 2 + int(_unit(symbol, "split-ratio") * 3)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _seed(symbol: str) -> int:
    return int.from_bytes(_digest(f"portfolia-demo/{symbol}")[:8], "big")


def _unit(symbol: str, purpose: str) -> float:
    """A stable number in [0, 1) for this symbol and purpose."""
    return int.from_bytes(_digest(f"portfolia-demo/{purpose}/{symbol}")[:8], "big") / 2**64
