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
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    Bar,
    Event,
    MarketCap,
    PermanentProviderError,
    ProviderError,
    QuoteResult,
    RecentHistory,
    SearchResult,
    TransientProviderError,
    currency_for_suffix,
)
from .yahoo_parsing import (
    MINOR_UNITS,
    HistoryFrame,
    frame_from_history,
    frames_from_download,
    market_cap_from_quote_summary,
    meta_from_chart_response,
    quote_from_meta,
    search_result_from_quote,
    status_error,
)

logger = logging.getLogger(__name__)

CHART_URL = "https://query2.finance.yahoo.com/v8/finance/chart/{symbol}"
# The quoteSummary API: its `price` module holds the `marketCap` that `Ticker.info` flattens.
QUOTE_SUMMARY_URL = "https://query2.finance.yahoo.com/v10/finance/quoteSummary/{symbol}"
# Yahoo does not say how long to back off; its edge typically lifts a block within minutes.
# A known symbol with no bar at all over a window longer than this is treated as "no history"
# (a permanent failure); over a shorter window (a weekend, a holiday) it simply has no bar yet.
EMPTY_WINDOW_DAYS = 7
FRAME_MEMO_SECONDS = 300.0
# Listings on exchanges where Yahoo may quote in minor units (pence, cents, agorot): only the
# per-symbol chart probe tells which unit a symbol's prices are in, so they take that path.
MINOR_UNIT_MAIN_CURRENCIES = frozenset(main for main, _ in MINOR_UNITS.values())

# Derivatives and odd listings are left out of search results.

# Yahoo quotes some markets in minor units; bars and quotes are converted to the main unit.

# Search results carry no currency; it is inferred from the symbol or the exchange.

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
        self._frames: OrderedDict[tuple[str, dt.date, dt.date], tuple[float, HistoryFrame]] = (
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

    def _frame(self, symbol: str, start: dt.date) -> HistoryFrame:
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

    def _fetch_frame(self, symbol: str, start: dt.date, today: dt.date) -> HistoryFrame:
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
            return HistoryFrame(bars=(), events=())
        return frame_from_history(symbol, data, currency=str(meta.get("currency") or ""))

    def recent_histories(
        self, symbols: Sequence[str], start: dt.date, end: dt.date
    ) -> dict[str, RecentHistory | ProviderError]:
        """Bars and events of many symbols from one ``yf.download`` (threads inside yfinance),
        parsed as ``history`` parses one symbol's frame (split adjustment undone); listings
        that may be quoted in minor units take the per-symbol path. A symbol the download
        answers nothing for gets a ``ProviderError``; the whole download failing, or answering
        nothing for any symbol (yfinance logs a rate limit and answers an empty frame), raises."""
        answers: dict[str, RecentHistory | ProviderError] = {}
        batched: list[str] = []
        for symbol in dict.fromkeys(symbols):
            if currency_for_suffix(symbol) in MINOR_UNIT_MAIN_CURRENCIES:
                try:
                    frame = self._frame(symbol, start)
                except ProviderError as exc:
                    answers[symbol] = exc
                    continue
                answers[symbol] = _window(frame, start, end)
            else:
                batched.append(symbol)
        if not batched or end < start:
            answers.update({symbol: RecentHistory(bars=(), events=()) for symbol in batched})
            return answers
        today = dt.datetime.now(dt.UTC).date()
        try:
            data = yf.download(
                tickers=batched,
                start=start,
                end=today + dt.timedelta(days=2),  # to today, for every later split; exclusive
                interval="1d",
                group_by="ticker",
                auto_adjust=False,
                back_adjust=False,
                actions=True,
                repair=False,
                keepna=False,
                threads=True,
                progress=False,
                multi_level_index=True,
                timeout=self.timeout,
            )
        except Exception as exc:
            raise classify_exception(
                exc, what=f"fetching prices for {len(batched)} symbols"
            ) from exc
        frames = frames_from_download(batched, data)
        if not frames:
            # yfinance's download logs each ticker's failure (a rate limit too) and answers an
            # empty frame: nothing tells "all unknown" from "blocked", so it is worth retrying.
            raise TransientProviderError(
                f"Yahoo Finance answered no prices for any of {len(batched)} symbols.",
            )
        for symbol in batched:
            frame = frames.get(symbol)
            if frame is None:
                answers[symbol] = ProviderError(
                    f"Yahoo Finance answered no prices for {symbol} in a batched download.",
                    symbol=symbol,
                )
            else:
                answers[symbol] = _window(frame, start, end)
        return answers

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


def _window(frame: HistoryFrame, start: dt.date, end: dt.date) -> RecentHistory:
    return RecentHistory(
        bars=tuple(bar for bar in frame.bars if start <= bar.date <= end),
        events=tuple(event for event in frame.events if start <= event.date <= end),
    )


# --- error classification -------------------------------------------------------------------


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


def _search_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _search_pool
    with _config_lock:
        if _search_pool is None:
            _search_pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=4, thread_name_prefix="yahoo-search"
            )
        return _search_pool
