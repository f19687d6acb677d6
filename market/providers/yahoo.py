"""Yahoo Finance, through yfinance 1.7.0: symbol search, daily history with splits and dividends, quotes, market caps.

How a history fetch goes (``YahooProvider.history`` / ``events``):

1. A probe of the chart API for the last day (``YfData.get``, the same call yfinance makes to learn
   a symbol's timezone) tells apart "unknown symbol" (HTTP 404 / ``chart.error``), rate limiting
   (yfinance raises ``YFRateLimitError`` on HTTP 429) and server trouble before any price is read.
   yfinance itself would log these and hand back an empty frame, or fall back to scraping
   ``Ticker.info``; the probe keeps the verdict exact. Its timezone goes into yfinance's tz cache.
2. ``Ticker.history(start, today + 2 days, auto_adjust=False, actions=True)`` returns the daily
   frame. We always fetch up to today because Yahoo back-adjusts prices and dividends for every
   split up to now: to give prices *as traded* on each date we need every split after it.
3. The frame becomes ``Bar``s: exchange-local dates, rows without a close dropped, pence/cents
   quotes (``GBp``, ``ZAc``, ``ILA``) converted to their main unit, Yahoo's split adjustment
   undone (unless Yahoo visibly did not apply it: the price already jumps by the split ratio).

yfinance is configured once per process: ``hide_exceptions = False`` so failures raise instead of
being logged, and its tz/cookie/ISIN caches live in ``cache_dir`` (never the home directory; a
fresh temporary directory when none is given).

``search`` is the only call made inside a web request: it runs with a short timeout and a hard
deadline, and maps Yahoo's ``quoteType`` to our asset classes.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import math
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yfinance as yf
from yfinance import cache as yf_cache
from yfinance.data import YfData
from yfinance.exceptions import (
    YFException,
    YFPricesMissingError,
    YFRateLimitError,
    YFTzMissingError,
)

from .base import (
    AssetClass,
    Bar,
    Event,
    MarketCap,
    PermanentProviderError,
    ProviderError,
    QuoteResult,
    SearchResult,
    TransientProviderError,
    currency_for_suffix,
    decimal_from_float,
    fx_pair,
)

logger = logging.getLogger(__name__)

CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/{symbol}"
# The quoteSummary API: its `price` module holds the `marketCap` that `Ticker.info` flattens.
QUOTE_SUMMARY_URL = "https://query2.finance.yahoo.com/v10/finance/quoteSummary/{symbol}"
# Yahoo does not say how long to back off; its edge typically lifts a block within minutes.
RATE_LIMIT_RETRY_AFTER = 60.0
# A known symbol with no bar at all over a window longer than this is treated as "no history"
# (a permanent failure); over a shorter window (a weekend, a holiday) it simply has no bar yet.
EMPTY_WINDOW_DAYS = 7
FRAME_MEMO_SECONDS = 300.0

QUOTE_TYPE_CLASSES: dict[str, AssetClass] = {
    "EQUITY": "stock",
    "ETF": "etf",
    "MUTUALFUND": "fund",
    "MONEYMARKET": "fund",
    "CRYPTOCURRENCY": "crypto",
    "CURRENCY": "fx",
    "FUTURE": "commodity",
    "INDEX": "index",
    "BOND": "bond",
}
# Derivatives and odd listings are left out of search results.
SKIPPED_QUOTE_TYPES = frozenset({"OPTION", "NONE"})

# Yahoo quotes some markets in minor units; bars and quotes are converted to the main unit.
MINOR_UNITS: dict[str, tuple[str, float]] = {
    "GBp": ("GBP", 0.01),
    "GBX": ("GBP", 0.01),
    "ZAc": ("ZAR", 0.01),
    "ILA": ("ILS", 0.01),
}

# Search results carry no currency; it is inferred from the symbol or the exchange.
EXCHANGE_CURRENCIES: dict[str, str] = {
    **dict.fromkeys(
        [
            "NMS",
            "NGM",
            "NCM",
            "NYQ",
            "ASE",
            "PCX",
            "BTS",
            "NAS",
            "PNK",
            "OQB",
            "OQX",
            "NIM",
            "CBO",
            "CME",
            "CMX",
            "NYM",
            "CBT",
            "NYB",
            "WCB",
            "DJI",
            "SNP",
        ],
        "USD",
    ),
    **dict.fromkeys(
        [
            "GER",
            "FRA",
            "STU",
            "BER",
            "MUN",
            "DUS",
            "HAM",
            "HAN",
            "AMS",
            "PAR",
            "BRU",
            "MIL",
            "MCE",
            "LIS",
            "HEL",
            "VIE",
            "ISE",
        ],
        "EUR",
    ),
    "LSE": "GBP",
    "EBS": "CHF",
    "VTX": "CHF",
    "CPH": "DKK",
    "STO": "SEK",
    "OSL": "NOK",
    "TOR": "CAD",
    "VAN": "CAD",
    "CNQ": "CAD",
    "NEO": "CAD",
    "ASX": "AUD",
    "NZE": "NZD",
    "JPX": "JPY",
    "TYO": "JPY",
    "HKG": "HKD",
    "SHH": "CNY",
    "SHZ": "CNY",
    "KSC": "KRW",
    "KOE": "KRW",
    "TAI": "TWD",
    "TWO": "TWD",
    "NSI": "INR",
    "BSE": "INR",
    "SES": "SGD",
    "JKT": "IDR",
    "KLS": "MYR",
    "SET": "THB",
    "SAO": "BRL",
    "MEX": "MXN",
    "JNB": "ZAR",
    "TLV": "ILS",
    "IST": "TRY",
    "WSE": "PLN",
    "PRA": "CZK",
    "BUD": "HUF",
}

_config_lock = threading.Lock()
_configured_cache_dir: str | None = None
_search_pool: concurrent.futures.ThreadPoolExecutor | None = None


def configure_yfinance(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Point yfinance's caches away from the home directory and make it raise, once per process.

    yfinance opens its SQLite caches lazily and keeps them open, so only the first location
    given in a process takes effect; a later, different one is ignored with a warning.
    """
    global _configured_cache_dir
    with _config_lock:
        if _configured_cache_dir is None:
            path = (
                Path(cache_dir)
                if cache_dir is not None
                else Path(tempfile.mkdtemp(prefix="portfolia-yfinance-"))
            )
            path.mkdir(parents=True, exist_ok=True)
            yf.set_tz_cache_location(str(path))  # the tz, cookie and ISIN caches together
            yf.config.debug.hide_exceptions = False
            _configured_cache_dir = str(path)
        elif cache_dir is not None and str(cache_dir) != _configured_cache_dir:
            logger.warning(
                "yfinance caches already live in %s; ignoring %s", _configured_cache_dir, cache_dir
            )
        return Path(_configured_cache_dir)


class YahooProvider:
    """Market data from Yahoo Finance. See the module docstring for how errors are classified."""

    name = "yahoo"

    def __init__(
        self,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        timeout: float = 15.0,
        search_timeout: float = 3.0,
    ) -> None:
        self.timeout = timeout
        self.search_timeout = search_timeout
        # yfinance's cookie fetch ignores our timeout, so search also has a hard deadline.
        self.search_deadline = search_timeout + 1.0
        self.cache_dir = configure_yfinance(cache_dir)
        self._frames: OrderedDict[tuple[str, dt.date, dt.date], tuple[float, _Frame]] = (
            OrderedDict()
        )
        self._frames_lock = threading.Lock()

    # --- search -----------------------------------------------------------------------------

    def search(self, query: str, *, limit: int = 10) -> list[SearchResult]:
        query = query.strip()
        if not query or limit <= 0:
            return []
        future = _search_executor().submit(self._search_now, query, limit)
        try:
            return future.result(timeout=self.search_deadline)
        except TimeoutError:
            future.cancel()
            raise TransientProviderError(
                f"Yahoo Finance search did not answer within {self.search_deadline:g} seconds."
            ) from None

    def _search_now(self, query: str, limit: int) -> list[SearchResult]:
        what = f"searching for {query!r}"
        try:
            search = yf.Search(
                query,
                max_results=min(limit + 5, 25),
                news_count=0,
                lists_count=0,
                include_cb=False,
                include_nav_links=False,
                include_research=False,
                include_cultural_assets=False,
                enable_fuzzy_query=False,
                recommended=0,
                timeout=self.search_timeout,
                raise_errors=True,
            )
        except Exception as exc:
            YfData.cache_get.cache_clear()  # never keep a failed answer in yfinance's memo
            raise classify_exception(exc, what=what) from exc
        error = (search.response.get("finance") or {}).get("error")
        if error:
            YfData.cache_get.cache_clear()
            raise TransientProviderError(
                f"Yahoo Finance search failed: {error.get('description') or error}."
            )
        results: list[SearchResult] = []
        for quote in search.quotes:
            result = search_result_from_quote(quote)
            if result is not None:
                results.append(result)
            if len(results) >= limit:
                break
        return results

    # --- history and events -----------------------------------------------------------------

    def history(self, symbol: str, start: dt.date, end: dt.date) -> list[Bar]:
        if end < start:
            return []
        frame = self._frame(symbol, start)
        return [bar for bar in frame.bars if start <= bar.date <= end]

    def events(self, symbol: str, start: dt.date, end: dt.date) -> list[Event]:
        if end < start:
            return []
        frame = self._frame(symbol, start)
        return [event for event in frame.events if start <= event.date <= end]

    def _frame(self, symbol: str, start: dt.date) -> _Frame:
        """Bars and events from ``start`` to today; history() and events() share one fetch."""
        today = dt.datetime.now(dt.UTC).date()
        key = (symbol, start, today)
        now = time.monotonic()
        with self._frames_lock:
            memo = self._frames.get(key)
            if memo is not None and now - memo[0] < FRAME_MEMO_SECONDS:
                return memo[1]
        frame = self._fetch_frame(symbol, start, today)
        with self._frames_lock:
            self._frames[key] = (now, frame)
            while len(self._frames) > 16:
                self._frames.popitem(last=False)
        return frame

    def _fetch_frame(self, symbol: str, start: dt.date, today: dt.date) -> _Frame:
        what = f"fetching prices for {symbol}"
        meta = self._chart_meta(symbol, what=what)
        timezone = meta.get("exchangeTimezoneName")
        if timezone:
            # Spares yfinance its own timezone request (and its Ticker.info fallback).
            yf_cache.get_tz_cache().store(symbol.upper(), timezone)
        try:
            data = yf.Ticker(symbol).history(
                start=start,
                # Asian exchanges' "today" is ahead of UTC; yfinance's end is exclusive.
                end=today + dt.timedelta(days=2),
                interval="1d",
                auto_adjust=False,
                back_adjust=False,
                actions=True,
                repair=False,
                keepna=False,
                timeout=self.timeout,
            )
        except YFPricesMissingError as exc:
            reason = exc.yahoo_reason
            if reason and not _means_no_data(reason):
                raise TransientProviderError(
                    f"Yahoo Finance could not return prices for {symbol}: {reason}.", symbol=symbol
                ) from exc
            data = pd.DataFrame()
        except Exception as exc:
            if isinstance(exc, YFTzMissingError):
                YfData.cache_get.cache_clear()  # yfinance memoises its timezone request
            raise classify_exception(exc, symbol=symbol, what=what) from exc
        if data.empty or "Close" not in data.columns or data["Close"].isna().all():
            if (today - start).days > EMPTY_WINDOW_DAYS:
                raise PermanentProviderError(
                    f"Yahoo Finance has no prices for {symbol} since {start.day} {start:%b %Y}; "
                    "the symbol may be delisted.",
                    symbol=symbol,
                )
            return _Frame(bars=(), events=())
        return frame_from_history(symbol, data, currency=str(meta.get("currency") or ""))

    # --- quotes -----------------------------------------------------------------------------

    def quotes(self, symbols: Sequence[str]) -> dict[str, QuoteResult]:
        results: dict[str, QuoteResult] = {}
        for symbol in dict.fromkeys(symbols):
            try:
                meta = self._chart_meta(symbol, what=f"fetching the quote for {symbol}")
            except PermanentProviderError as exc:
                logger.info("no Yahoo quote for %s: %s", symbol, exc)
                continue
            quote = quote_from_meta(symbol, meta)
            if quote is None:
                logger.info("Yahoo returned no price for %s", symbol)
                continue
            results[symbol] = quote
        return results

    # --- market caps --------------------------------------------------------------------------

    def market_caps(self, symbols: Sequence[str]) -> dict[str, MarketCap]:
        """Market caps from the quoteSummary API's ``price`` module, the ``marketCap`` that
        yfinance's ``Ticker.info`` reports (asked for alone: ``info`` would send three requests
        a symbol). Symbols Yahoo does not know, or gives no cap for, are left out."""
        results: dict[str, MarketCap] = {}
        for symbol in dict.fromkeys(symbols):
            what = f"fetching the market cap of {symbol}"
            try:
                response = YfData().get(
                    QUOTE_SUMMARY_URL.format(symbol=symbol),
                    params={"modules": "price", "formatted": "false"},
                    timeout=self.timeout,
                )
                status = int(getattr(response, "status_code", 200) or 200)
                if status >= 400:
                    raise status_error(status, symbol=symbol, what=what)
                cap = market_cap_from_quote_summary(symbol, response.json())
            except PermanentProviderError as exc:
                logger.info("no Yahoo market cap for %s: %s", symbol, exc)
                continue
            except Exception as exc:
                raise classify_exception(exc, symbol=symbol, what=what) from exc
            if cap is not None:
                results[symbol] = cap
        return results

    # --- the chart probe --------------------------------------------------------------------

    def _chart_meta(self, symbol: str, *, what: str) -> dict[str, Any]:
        """The chart API's ``meta`` for the last day: currency, timezone, price, quote time."""
        try:
            response = YfData().get(
                CHART_URL.format(symbol=symbol),
                params={"range": "1d", "interval": "1d"},
                timeout=self.timeout,
            )
        except Exception as exc:
            raise classify_exception(exc, symbol=symbol, what=what) from exc
        return meta_from_chart_response(response, symbol=symbol, what=what)


class _Frame:
    """Bars and events of one fetch, already converted."""

    __slots__ = ("bars", "events")

    def __init__(self, *, bars: Sequence[Bar], events: Sequence[Event]) -> None:
        self.bars = tuple(bars)
        self.events = tuple(events)


# --- conversions (pure functions, tested directly) ------------------------------------------


def frame_from_history(symbol: str, data: pd.DataFrame, *, currency: str) -> _Frame:
    """Turn ``Ticker.history(auto_adjust=False, actions=True)`` output into bars and events."""
    data = data.sort_index()
    index = pd.DatetimeIndex(data.index)
    # Daily rows are stamped at midnight exchange time: their date is the trading date.
    dates = [ts.date() for ts in index]
    scale = MINOR_UNITS.get(currency, (currency, 1.0))[1]

    def column(name: str, default: float = math.nan) -> np.ndarray:
        if name in data.columns:
            return pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
        return np.full(len(data), default)

    opens, highs, lows, closes = (column(c) for c in ("Open", "High", "Low", "Close"))
    volumes = np.nan_to_num(column("Volume", 0.0), nan=0.0)
    dividends = np.nan_to_num(column("Dividends", 0.0), nan=0.0)
    split_ratios = np.nan_to_num(column("Stock Splits", 0.0), nan=0.0)

    splits = [
        (dates[i], float(split_ratios[i]))
        for i in np.flatnonzero(split_ratios > 0)
        if float(split_ratios[i]) != 1.0
    ]
    factors = unadjust_factors(dates, opens, closes, splits)

    bars = [
        Bar(
            date=dates[i],
            open=_price(opens[i], factors[i] * scale, fallback=closes[i]),
            high=_price(highs[i], factors[i] * scale, fallback=closes[i]),
            low=_price(lows[i], factors[i] * scale, fallback=closes[i]),
            close=float(closes[i] * factors[i] * scale),
            volume=float(round(volumes[i] / factors[i])),
        )
        for i in range(len(dates))
        if math.isfinite(closes[i])
    ]
    events = [
        Event(symbol=symbol, date=day, kind="split", ratio=ratio_decimal(ratio))
        for day, ratio in splits
    ]
    events += [
        Event(
            symbol=symbol,
            date=dates[i],
            kind="dividend",
            amount=decimal_from_float(dividends[i] * factors[i] * scale),
        )
        for i in np.flatnonzero(dividends > 0)
    ]
    events.sort(key=lambda event: (event.date, event.kind))
    return _Frame(bars=bars, events=events)


def unadjust_factors(
    dates: Sequence[dt.date],
    opens: np.ndarray,
    closes: np.ndarray,
    splits: Sequence[tuple[dt.date, float]],
) -> np.ndarray:
    """Per-row multipliers that turn Yahoo's split-adjusted prices into prices as traded.

    A row dated before a split's ex-date is multiplied by its ratio (volume divided by it).
    Yahoo occasionally leaves a split unadjusted; then the price already falls by about the
    ratio across the ex-date and that split is left alone.
    """
    day_numbers = np.array([day.toordinal() for day in dates], dtype=np.int64)
    factors = np.ones(len(dates))
    for split_date, ratio in splits:
        before = day_numbers < split_date.toordinal()
        if not before.any():
            continue
        previous = closes[before]
        previous = previous[np.isfinite(previous)]
        after = np.flatnonzero(~before)
        if previous.size and after.size:
            first = after[0]
            reference = opens[first] if math.isfinite(opens[first]) else closes[first]
            if math.isfinite(reference) and reference > 0 and previous[-1] > 0:
                gap = math.log(previous[-1] / reference)
                if abs(gap - math.log(ratio)) < abs(gap):
                    continue  # the raw price already drops by the ratio: not adjusted
        factors[before] *= ratio
    return factors


def meta_from_chart_response(response: Any, *, symbol: str, what: str) -> dict[str, Any]:
    """The ``meta`` of a chart-API response, or the right ProviderError for a failed one."""
    status = int(getattr(response, "status_code", 200) or 200)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    chart = payload.get("chart") if isinstance(payload, dict) else None
    error = chart.get("error") if isinstance(chart, dict) else None
    description = error.get("description") if isinstance(error, dict) else None
    if status >= 400 or error:
        code = error.get("code") if isinstance(error, dict) else None
        if status < 400:  # an error in a 200 answer: read Yahoo's code instead
            server_side = any(word in str(code) for word in ("Server", "Unavailable", "Timeout"))
            status = 404 if code == "Not Found" else 503 if server_side else 400
        raise status_error(status, symbol=symbol, what=what, description=description)
    if not isinstance(chart, dict):
        raise TransientProviderError(
            f"Yahoo Finance sent an unreadable answer while {what}.", symbol=symbol
        )
    result = chart.get("result") or []
    meta = result[0].get("meta") if result and isinstance(result[0], dict) else None
    if not meta:
        raise PermanentProviderError(f"Yahoo Finance has no data for {symbol}.", symbol=symbol)
    return dict(meta)


def quote_from_meta(symbol: str, meta: dict[str, Any]) -> QuoteResult | None:
    price = meta.get("regularMarketPrice")
    stamp = meta.get("regularMarketTime")
    if price is None or stamp is None or not math.isfinite(float(price)):
        return None
    currency, scale = MINOR_UNITS.get(str(meta.get("currency") or ""), (None, 1.0))
    return QuoteResult(
        symbol=symbol,
        price=float(price) * scale,
        currency=currency or str(meta.get("currency") or ""),
        timestamp=dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC),
    )


def market_cap_from_quote_summary(symbol: str, payload: Any) -> MarketCap | None:
    """The ``marketCap`` of a quoteSummary answer's ``price`` module (a number, or with
    ``formatted=true`` ``{"raw": ...}``), in the main unit of its currency (Yahoo gives a pence
    listing's cap in pounds), stamped with ``regularMarketTime``; None when there is none."""
    summary = payload.get("quoteSummary") if isinstance(payload, dict) else None
    result = (summary or {}).get("result") or []
    price = result[0].get("price") if result and isinstance(result[0], dict) else None
    if not isinstance(price, dict):
        return None
    raw = price.get("marketCap")
    raw = raw.get("raw") if isinstance(raw, dict) else raw
    stamp = price.get("regularMarketTime")
    stamp = stamp.get("raw") if isinstance(stamp, dict) else stamp
    if not isinstance(raw, int | float) or not math.isfinite(raw) or raw <= 0:
        return None
    currency = str(price.get("currency") or "")
    currency = MINOR_UNITS.get(currency, (currency, 1.0))[0]
    observed = (
        dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
        if isinstance(stamp, int | float)
        else dt.datetime.now(dt.UTC).replace(microsecond=0)
    )
    return MarketCap(symbol=symbol, market_cap=float(raw), currency=currency, timestamp=observed)


def search_result_from_quote(quote: dict[str, Any]) -> SearchResult | None:
    symbol = quote.get("symbol")
    quote_type = str(quote.get("quoteType") or "").upper()
    if not symbol or quote_type in SKIPPED_QUOTE_TYPES:
        return None
    exchange_code = str(quote.get("exchange") or "")
    return SearchResult(
        symbol=symbol,
        name=str(quote.get("longname") or quote.get("shortname") or symbol).strip(),
        asset_class=QUOTE_TYPE_CLASSES.get(quote_type, "other"),
        currency=guess_currency(symbol, quote_type, exchange_code),
        exchange=str(quote.get("exchDisp") or exchange_code),
        provider="yahoo",
    )


def guess_currency(symbol: str, quote_type: str, exchange_code: str) -> str:
    """Best guess of the trading currency, which Yahoo's search results leave out ("" if unsure)."""
    pair = fx_pair(symbol)
    if pair is not None:  # EURUSD=X is priced in USD; JPY=X (USD/JPY) in JPY
        return pair[1]
    if quote_type == "CRYPTOCURRENCY" and "-" in symbol:
        quote_currency = symbol.upper().rsplit("-", 1)[1]
        return quote_currency if quote_currency.isalpha() else ""
    suffix_currency = currency_for_suffix(symbol)
    if suffix_currency is not None:
        return suffix_currency
    if exchange_code in EXCHANGE_CURRENCIES:
        return EXCHANGE_CURRENCIES[exchange_code]
    return "USD" if "." not in symbol else ""


def ratio_decimal(ratio: float) -> Decimal:
    """4.0 -> 4, 1.5 -> 1.5, 0.333.. (1-for-3) -> 1/3 to 28 significant digits."""
    fraction = Fraction(ratio).limit_denominator(10_000)
    if fraction.denominator == 1:
        return Decimal(fraction.numerator)
    return Decimal(fraction.numerator) / Decimal(fraction.denominator)


# --- error classification -------------------------------------------------------------------


def status_error(
    status: int, *, symbol: str | None = None, what: str, description: str | None = None
) -> ProviderError:
    """The error for an HTTP status from Yahoo: 429, 5xx, 401/403/408 retry; 404 and 4xx do not."""
    detail = f" ({description})" if description else ""
    if status == 429:
        return TransientProviderError(
            f"Yahoo Finance is limiting our requests (HTTP 429) while {what}; will try again later.",
            symbol=symbol,
            retry_after=RATE_LIMIT_RETRY_AFTER,
        )
    if status >= 500:
        return TransientProviderError(
            f"Yahoo Finance had a server error (HTTP {status}) while {what}{detail}.", symbol=symbol
        )
    if status in (401, 403, 408):
        return TransientProviderError(
            f"Yahoo Finance refused the request (HTTP {status}) while {what}; will try again later.",
            symbol=symbol,
        )
    if status == 404:
        return PermanentProviderError(
            f"Yahoo Finance has no data for the symbol {symbol}: it may be mistyped or "
            f"delisted{detail}.",
            symbol=symbol,
        )
    return PermanentProviderError(
        f"Yahoo Finance rejected the request (HTTP {status}) while {what}{detail}.", symbol=symbol
    )


def classify_exception(
    exc: BaseException, *, symbol: str | None = None, what: str
) -> ProviderError:
    """Sort an exception from yfinance or its HTTP client into transient or permanent."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, YFRateLimitError):
        return status_error(429, symbol=symbol, what=what)
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and status >= 400:
        return status_error(status, symbol=symbol, what=what)
    name = type(exc).__name__
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return TransientProviderError(
            f"Yahoo Finance did not answer in time while {what}; will try again later.",
            symbol=symbol,
        )
    if isinstance(exc, (ConnectionError, OSError)) or "Connection" in name:
        return TransientProviderError(
            f"Could not reach Yahoo Finance while {what}; will try again later.", symbol=symbol
        )
    if isinstance(exc, YFTzMissingError):
        return TransientProviderError(
            f"Yahoo Finance did not return the exchange timezone while {what}; "
            "will try again later.",
            symbol=symbol,
        )
    if isinstance(exc, ValueError):  # JSONDecodeError: an HTML error page instead of JSON
        return TransientProviderError(
            f"Yahoo Finance sent an unreadable answer while {what}; will try again later.",
            symbol=symbol,
        )
    if isinstance(exc, YFException):
        return TransientProviderError(f"Yahoo Finance failed while {what}: {exc}.", symbol=symbol)
    return TransientProviderError(
        f"Unexpected error from Yahoo Finance while {what}: {type(exc).__name__}: {exc}.",
        symbol=symbol,
    )


def _means_no_data(reason: str) -> bool:
    lowered = reason.lower()
    return "doesn't exist" in lowered or "no data" in lowered or "no price" in lowered


def _price(value: float, factor: float, *, fallback: float) -> float:
    return float((value if math.isfinite(value) else fallback) * factor)


def _search_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _search_pool
    with _config_lock:
        if _search_pool is None:
            _search_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=4, thread_name_prefix="yahoo-search"
            )
        return _search_pool
