"""Yahoo's answers turned into the provider's values (pure functions, tested directly): a
history frame into bars and events with Yahoo's split adjustment undone, chart metadata into
quotes, quoteSummary into market caps, search quotes into results, and the currency a symbol
or exchange implies."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

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


SKIPPED_QUOTE_TYPES = frozenset({"OPTION", "NONE"})


MINOR_UNITS: dict[str, tuple[str, float]] = {
    "GBp": ("GBP", 0.01),
    "GBX": ("GBP", 0.01),
    "ZAc": ("ZAR", 0.01),
    "ILA": ("ILS", 0.01),
}


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


class HistoryFrame:
    """Bars and events of one fetch, already converted."""

    __slots__ = ("bars", "events")

    def __init__(self, *, bars: Sequence[Bar], events: Sequence[Event]) -> None:
        self.bars = tuple(bars)
        self.events = tuple(events)


def frame_from_history(symbol: str, data: pd.DataFrame, *, currency: str) -> HistoryFrame:
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
    return HistoryFrame(bars=bars, events=events)


def frames_from_download(
    symbols: Sequence[str], data: pd.DataFrame | None
) -> dict[str, HistoryFrame]:
    """Split ``yf.download(group_by="ticker", actions=True, auto_adjust=False)`` output (columns
    ``(ticker, field)``, tickers upper-cased, dates the union of every ticker's) into one
    ``frame_from_history`` per symbol asked for. Rows where a ticker has no close (another
    ticker's trading day) are dropped first; a ticker with no close at all is left out. The
    download carries no currency: these symbols are quoted in their main unit."""
    frames: dict[str, HistoryFrame] = {}
    if data is None or data.empty or not isinstance(data.columns, pd.MultiIndex):
        return frames
    tickers = set(data.columns.get_level_values(0))
    for symbol in symbols:
        key = symbol.upper()
        if key not in tickers:
            continue
        sub = data[key]
        if "Close" not in sub.columns:
            continue
        sub = sub[pd.to_numeric(sub["Close"], errors="coerce").notna()]
        if sub.empty:
            continue
        frames[symbol] = frame_from_history(symbol, sub, currency="")
    return frames


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


def _price(value: float, factor: float, *, fallback: float) -> float:
    return float((value if math.isfinite(value) else fallback) * factor)


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


RATE_LIMIT_RETRY_AFTER = 60.0
