"""The Yahoo provider against real recorded Yahoo responses, fed through yfinance 1.7.0.

Only the network is fake. ``FakeYahoo`` stands in for the curl_cffi session that ``YfData``
sends its requests through (``curl_cffi.requests.Session.get``), and ``YfData._get_cookie_and_crumb``
answers "no crumb" (the chart and search endpoints work without one). Everything between, from
``YfData.get`` / ``_make_request`` (status handling, HTTP 429 -> ``YFRateLimitError``) to
``Ticker.history`` and ``Search``, is yfinance's own code. The recordings and where they come
from are listed in ``fixtures/yahoo/README.md``. No test may reach the internet: an autouse
fixture makes every socket connect, DNS lookup and curl request fail.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import curl_cffi.requests
import numpy as np
import pandas as pd
import pytest
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from curl_cffi.requests.exceptions import HTTPError as CurlHTTPError
from curl_cffi.requests.exceptions import Timeout as CurlTimeout
from yfinance.data import YfData
from yfinance.exceptions import YFRateLimitError

import market.providers as providers
from market.providers import (
    Bar,
    Event,
    PermanentProviderError,
    Provider,
    TransientProviderError,
    get_provider,
)
from market.providers.yahoo import YahooProvider, classify_exception
from market.providers.yahoo_parsing import (
    RATE_LIMIT_RETRY_AFTER,
    frame_from_history,
    guess_currency,
    market_cap_from_quote_summary,
    ratio_decimal,
    status_error,
    unadjust_factors,
)

FIXTURES = Path(__file__).parent / "fixtures" / "yahoo"


# --- the fake network -------------------------------------------------------------------------


class NetworkRefused(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any real connection fails: Python sockets, DNS, and libcurl (which has its own sockets)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise NetworkRefused("tests must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(curl_cffi.requests.Session, "request", refuse)


class RecordedResponse:
    """The parts of a curl_cffi response that yfinance reads."""

    def __init__(self, url: str, status: int, text: str) -> None:
        self.url = url
        self.status_code = status
        self.text = text
        self.headers = {"content-type": "application/json;charset=utf-8"}

    def json(self) -> Any:
        return json.loads(self.text)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise CurlHTTPError(f"HTTP Error {self.status_code}", response=self)


def recording(name: str) -> tuple[int, str]:
    """(status, body text) of a recorded response in fixtures/yahoo."""
    response = json.loads((FIXTURES / name).read_text())["response"]
    if "bodyJson" in response:
        return response["status"], json.dumps(response["bodyJson"])
    return response["status"], response["bodyText"]


def recorded_timeout() -> CurlTimeout:
    recorded = json.loads((FIXTURES / "curl-28-timeout.json").read_text())
    return CurlTimeout(recorded["message"], code=recorded["curlCode"])


class FakeYahoo:
    """Answers yfinance's requests from recordings; any request it does not expect is an error."""

    def __init__(self) -> None:
        self.charts: dict[str, str | BaseException] = {}
        self.searches: dict[str, str | BaseException] = {}
        self.summaries: dict[str, str | BaseException] = {}
        self.search_delay = 0.0
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.unexpected: list[str] = []

    def get(self, url: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        self.requests.append((url, dict(params or {})))
        path = urlsplit(url).path
        route: str | BaseException | None = None
        if path.startswith("/v8/finance/chart/"):
            route = self.charts.get(unquote(path.rsplit("/", 1)[1]))
        elif path.startswith("/v10/finance/quoteSummary/"):
            route = self.summaries.get(unquote(path.rsplit("/", 1)[1]))
        elif path == "/v1/finance/search":
            time.sleep(self.search_delay)
            route = self.searches.get((params or {}).get("q", ""))
        if route is None:
            self.unexpected.append(url)
            raise NetworkRefused(f"no recording for {url}")
        if isinstance(route, BaseException):
            raise route
        status, text = recording(route)
        return RecordedResponse(url, status, text)

    def chart_requests(self, symbol: str) -> list[dict[str, Any]]:
        return [params for url, params in self.requests if url.endswith(f"/chart/{symbol}")]


@pytest.fixture(scope="session")
def yfinance_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yfinance-cache")


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch, no_network: None) -> Any:
    fake = FakeYahoo()
    monkeypatch.setattr(curl_cffi.requests.Session, "get", fake.get)
    monkeypatch.setattr(YfData, "_get_cookie_and_crumb", lambda self, timeout=30: (None, "basic"))
    YfData.cache_get.cache_clear()
    yield fake
    YfData.cache_get.cache_clear()
    assert fake.unexpected == [], "yfinance made requests no recording answers"


@pytest.fixture
def yahoo(fake_yahoo: FakeYahoo, yfinance_cache_dir: Path) -> YahooProvider:
    return YahooProvider(cache_dir=yfinance_cache_dir)


# --- history ----------------------------------------------------------------------------------


def test_stock_history_is_read_from_the_recorded_chart(yahoo, fake_yahoo):
    fake_yahoo.charts["AAPL"] = "chart-AAPL-2020-01-01-to-2020-01-03.json"

    bars = yahoo.history("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 3))

    assert bars == [
        Bar(
            date=dt.date(2020, 1, 2),
            open=74.05999755859375,
            high=75.1500015258789,
            low=73.79750061035156,
            close=75.0875015258789,
            volume=135480400.0,
        )
    ]
    probe, history = fake_yahoo.chart_requests("AAPL")
    assert probe == {"range": "1d", "interval": "1d"}
    assert history["interval"] == "1d"
    assert history["events"] == "div,splits,capitalGains"
    # Always fetched up to today, so that later splits can be undone.
    fetched_to = dt.datetime.fromtimestamp(history["period2"], dt.UTC).date()
    assert fetched_to >= dt.datetime.now(dt.UTC).date()


def test_crypto_trades_every_day_including_new_year(yahoo, fake_yahoo):
    fake_yahoo.charts["BTC-USD"] = "chart-BTC-USD-2020-01-01-to-2020-01-03.json"

    bars = yahoo.history("BTC-USD", dt.date(2020, 1, 1), dt.date(2020, 1, 3))

    assert [bar.date for bar in bars] == [
        dt.date(2020, 1, 1),
        dt.date(2020, 1, 2),
        dt.date(2020, 1, 3),
    ]
    assert [bar.close for bar in bars] == [7200.17431640625, 6985.47021484375, 7344.88427734375]
    assert bars[0].volume == 18565664997.0


def test_fx_pair_bars_are_dated_by_london_trading_day(yahoo, fake_yahoo):
    fake_yahoo.charts["EURUSD=X"] = "chart-EURUSD=X-2020-01-01-to-2020-01-03.json"

    bars = yahoo.history("EURUSD=X", dt.date(2020, 1, 2), dt.date(2020, 1, 3))

    assert [(bar.date, bar.close) for bar in bars] == [
        (dt.date(2020, 1, 2), 1.1220825910568237),
        (dt.date(2020, 1, 3), 1.1171437501907349),
    ]
    assert all(bar.volume == 0 for bar in bars)


def test_pence_prices_are_converted_to_pounds(yahoo, fake_yahoo):
    fake_yahoo.charts["OCDO.L"] = "chart-OCDO.L-2020-01-01-to-2020-01-03.json"

    (bar,) = yahoo.history("OCDO.L", dt.date(2020, 1, 1), dt.date(2020, 1, 3))

    assert bar.date == dt.date(2020, 1, 2)
    assert bar.close == pytest.approx(12.595)
    assert bar.open == pytest.approx(12.795)
    assert bar.low == pytest.approx(12.58)
    assert bar.volume == 728520.0


def test_split_and_dividend_are_reported_as_events(yahoo, fake_yahoo):
    fake_yahoo.charts["AAPL"] = "chart-AAPL-2020-08-31-to-2020-11-07.json"

    bars = yahoo.history("AAPL", dt.date(2020, 8, 31), dt.date(2020, 11, 6))
    events = yahoo.events("AAPL", dt.date(2020, 8, 31), dt.date(2020, 11, 6))

    assert events == [
        Event(symbol="AAPL", date=dt.date(2020, 8, 31), kind="split", ratio=Decimal(4)),
        Event(symbol="AAPL", date=dt.date(2020, 11, 6), kind="dividend", amount=Decimal("0.205")),
    ]
    assert len(bars) == 49
    # The ex-date's bar already trades after the split: it is left as Yahoo reports it.
    assert bars[0].date == dt.date(2020, 8, 31)
    assert bars[0].close == 129.0399932861328
    assert bars[-1].close == 118.69000244140625
    # history() and events() of one range share a fetch: one probe and one chart request.
    assert len(fake_yahoo.chart_requests("AAPL")) == 2


def test_prices_before_a_split_are_returned_as_traded(yahoo, fake_yahoo):
    fake_yahoo.charts["NVDA"] = "chart-NVDA-split-2021-07-12-to-2021-07-27.trimmed.json"

    bars = {
        bar.date: bar for bar in yahoo.history("NVDA", dt.date(2021, 7, 12), dt.date(2021, 7, 27))
    }

    before, on_split = bars[dt.date(2021, 7, 19)], bars[dt.date(2021, 7, 20)]
    # Yahoo back-adjusts for the 4:1 split of 2021-07-20; as traded, the day before was 4x.
    assert before.close == pytest.approx(18.77975082397461 * 4)
    assert before.open == pytest.approx(17.915250778198242 * 4)
    assert before.volume == 749060000 / 4
    assert on_split.close == 18.61199951171875
    assert on_split.volume == 434687000
    assert on_split.close / before.close == pytest.approx(0.2478, abs=1e-4)
    assert yahoo.events("NVDA", dt.date(2021, 7, 1), dt.date(2021, 7, 31)) == [
        Event(symbol="NVDA", date=dt.date(2021, 7, 20), kind="split", ratio=Decimal(4))
    ]


def test_a_split_after_the_requested_range_still_unadjusts_it(yahoo, fake_yahoo):
    fake_yahoo.charts["NVDA"] = "chart-NVDA-split-2021-07-12-to-2021-07-27.trimmed.json"

    bars = yahoo.history("NVDA", dt.date(2021, 7, 12), dt.date(2021, 7, 16))

    assert [bar.date for bar in bars] == [dt.date(2021, 7, d) for d in (12, 13, 14, 15, 16)]
    assert bars[-1].close == pytest.approx(18.160999298095703 * 4)
    assert yahoo.events("NVDA", dt.date(2021, 7, 12), dt.date(2021, 7, 16)) == []


# --- quotes -----------------------------------------------------------------------------------


def test_quotes_come_from_the_chart_meta_and_skip_unknown_symbols(yahoo, fake_yahoo):
    fake_yahoo.charts["BTC-USD"] = "chart-BTC-USD-2020-01-01-to-2020-01-03.json"
    fake_yahoo.charts["OCDO.L"] = "chart-OCDO.L-2020-01-01-to-2020-01-03.json"
    fake_yahoo.charts["INVALID.BO"] = "chart-INVALID.BO-404-not-found.json"

    quotes = yahoo.quotes(["BTC-USD", "OCDO.L", "INVALID.BO", "BTC-USD"])

    assert set(quotes) == {"BTC-USD", "OCDO.L"}
    btc = quotes["BTC-USD"]
    assert (btc.price, btc.currency) == (84613.16, "USD")
    assert btc.timestamp == dt.datetime.fromtimestamp(1791015434, dt.UTC)
    assert btc.timestamp.tzinfo is not None
    assert quotes["OCDO.L"].currency == "GBP"
    assert quotes["OCDO.L"].price == pytest.approx(2.604)
    assert len(fake_yahoo.chart_requests("BTC-USD")) == 1  # duplicates asked once


def test_rate_limited_quotes_raise_a_transient_error(yahoo, fake_yahoo):
    fake_yahoo.charts["BTC-USD"] = "http-429-edge-too-many-requests.json"

    with pytest.raises(TransientProviderError) as caught:
        yahoo.quotes(["BTC-USD"])

    assert caught.value.retry_after == RATE_LIMIT_RETRY_AFTER


# --- market caps ------------------------------------------------------------------------------


def test_market_caps_come_from_the_recorded_quote_summary(yahoo, fake_yahoo):
    fake_yahoo.summaries["AAPL"] = "quoteSummary-price-AAPL.json"
    fake_yahoo.summaries["BTC-USD"] = "quoteSummary-price-BTC-USD.json"

    caps = yahoo.market_caps(["AAPL", "BTC-USD", "AAPL"])

    assert caps["AAPL"].market_cap == 4869931925504  # the recorded price.marketCap
    assert caps["AAPL"].currency == "USD"
    assert caps["AAPL"].timestamp == dt.datetime.fromtimestamp(1790971201, dt.UTC)
    assert caps["BTC-USD"].market_cap == 1699590569984
    asked = [params for url, params in fake_yahoo.requests if "quoteSummary/AAPL" in url]
    assert asked == [{"modules": "price", "formatted": "false"}]  # once, the price module only


def test_a_pence_listing_has_its_market_cap_in_pounds(yahoo, fake_yahoo):
    # 260.4p a share and a cap of 2,178,442,496: about 837 million shares at £2.604, so the
    # cap is in pounds (in pence it would be a £21.8 million company).
    fake_yahoo.summaries["OCDO.L"] = "quoteSummary-price-OCDO.L.json"

    cap = yahoo.market_caps(["OCDO.L"])["OCDO.L"]

    assert (cap.market_cap, cap.currency) == (2178442496, "GBP")


def test_rate_limited_market_caps_raise_a_transient_error(yahoo, fake_yahoo):
    fake_yahoo.summaries["AAPL"] = "http-429-edge-too-many-requests.json"

    with pytest.raises(TransientProviderError):
        yahoo.market_caps(["AAPL"])


def test_a_quote_summary_without_a_cap_gives_none():
    payload = json.loads((FIXTURES / "quoteSummary-price-AAPL.json").read_text())
    price = payload["response"]["bodyJson"]["quoteSummary"]["result"][0]["price"]
    del price["marketCap"]
    assert market_cap_from_quote_summary("AAPL", payload["response"]["bodyJson"]) is None
    assert market_cap_from_quote_summary("AAPL", {"quoteSummary": {"result": None}}) is None


# --- search -----------------------------------------------------------------------------------


def test_search_maps_quote_types_and_leaves_out_options(yahoo, fake_yahoo):
    fake_yahoo.searches["AAPL"] = "search-AAPL.json"

    results = yahoo.search("AAPL")

    assert [(r.symbol, r.asset_class, r.currency, r.exchange) for r in results] == [
        ("AAPL", "stock", "USD", "NASDAQ"),
        ("AAPY.DE", "stock", "EUR", "XETRA"),
        ("AAPW", "etf", "USD", "BATS Trading"),
        ("AAPU", "etf", "USD", "NASDAQ"),
    ]
    assert results[0].name == "Apple Inc."
    assert results[3].name == "Direxion Daily AAPL Bull 2X Shares"
    assert {r.provider for r in results} == {"yahoo"}
    ((_url, params),) = fake_yahoo.requests
    assert params["newsCount"] == 0


def test_search_respects_the_limit(yahoo, fake_yahoo):
    fake_yahoo.searches["AAPL"] = "search-AAPL.json"

    assert [r.symbol for r in yahoo.search("AAPL", limit=2)] == ["AAPL", "AAPY.DE"]


def test_search_of_nothing_asks_nobody(yahoo, fake_yahoo):
    assert yahoo.search("   ") == []
    assert fake_yahoo.requests == []


def test_rate_limited_search_is_transient(yahoo, fake_yahoo):
    fake_yahoo.searches["AAPL"] = "http-429-edge-too-many-requests.json"

    with pytest.raises(TransientProviderError, match="HTTP 429"):
        yahoo.search("AAPL")


def test_search_gives_up_at_its_deadline(yahoo, fake_yahoo):
    fake_yahoo.searches["AAPL"] = recorded_timeout()  # a slow answer that ends in a timeout
    fake_yahoo.search_delay = 0.5
    yahoo.search_deadline = 0.1

    started = time.monotonic()
    with pytest.raises(TransientProviderError, match="did not answer within"):
        yahoo.search("AAPL")
    assert time.monotonic() - started < 0.45
    time.sleep(0.6)  # let the abandoned request finish before the next test


# --- recorded failures ------------------------------------------------------------------------


def test_http_429_is_transient_with_a_retry_delay(yahoo, fake_yahoo):
    fake_yahoo.charts["AAPL"] = "http-429-edge-too-many-requests.json"

    with pytest.raises(TransientProviderError) as caught:
        yahoo.history("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 3))

    assert caught.value.retry_after == RATE_LIMIT_RETRY_AFTER
    assert "HTTP 429" in str(caught.value)
    assert isinstance(caught.value.__cause__, YFRateLimitError)


def test_timeout_is_transient(yahoo, fake_yahoo):
    fake_yahoo.charts["AAPL"] = recorded_timeout()

    with pytest.raises(TransientProviderError, match="did not answer in time"):
        yahoo.history("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 3))


def test_connection_error_is_transient(yahoo, fake_yahoo):
    fake_yahoo.charts["AAPL"] = CurlConnectionError("Failed to perform, curl: (7)", code=7)

    with pytest.raises(TransientProviderError, match="Could not reach Yahoo Finance"):
        yahoo.history("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 3))


def test_unknown_symbol_is_permanent_with_yahoos_reason(yahoo, fake_yahoo):
    fake_yahoo.charts["INVALID.BO"] = "chart-INVALID.BO-404-not-found.json"

    with pytest.raises(PermanentProviderError) as caught:
        yahoo.history("INVALID.BO", dt.date(2020, 1, 1), dt.date(2020, 1, 3))

    assert "INVALID.BO" in str(caught.value)
    assert "No data found, symbol may be delisted" in str(caught.value)
    # Classified from the chart answer itself: no Ticker.info (quoteSummary) fallback.
    assert all("/v8/finance/chart/" in url for url, _ in fake_yahoo.requests)


def test_unknown_symbol_events_are_permanent_too(yahoo, fake_yahoo):
    fake_yahoo.charts["INVALID.BO"] = "chart-INVALID.BO-404-not-found.json"

    with pytest.raises(PermanentProviderError):
        yahoo.events("INVALID.BO", dt.date(2020, 1, 1), dt.date(2020, 1, 3))


@pytest.mark.parametrize(
    ("status", "transient"),
    [(429, True), (500, True), (502, True), (503, True), (401, True), (404, False), (400, False)],
)
def test_http_status_classification(status, transient):
    error = status_error(status, symbol="AAPL", what="fetching prices for AAPL")

    assert isinstance(error, TransientProviderError if transient else PermanentProviderError)
    assert f"HTTP {status}" in str(error) or status == 404


def test_exception_classification():
    what = "fetching prices for AAPL"
    assert isinstance(classify_exception(YFRateLimitError(), what=what), TransientProviderError)
    assert isinstance(classify_exception(recorded_timeout(), what=what), TransientProviderError)
    assert isinstance(
        classify_exception(json.JSONDecodeError("Expecting value", "<html>", 0), what=what),
        TransientProviderError,
    )
    not_found = CurlHTTPError("HTTP Error 404", response=RecordedResponse("u", 404, ""))
    assert isinstance(classify_exception(not_found, what=what), PermanentProviderError)


# --- conversions ------------------------------------------------------------------------------


def test_rows_without_a_close_are_dropped():
    index = pd.DatetimeIndex(["2024-03-01", "2024-03-04", "2024-03-05"]).tz_localize(
        "America/New_York"
    )
    data = pd.DataFrame(
        {
            "Open": [10.0, np.nan, 11.0],
            "High": [10.5, np.nan, 11.5],
            "Low": [9.5, np.nan, 10.5],
            "Close": [10.2, np.nan, 11.2],
            "Volume": [100, 0, 200],
            "Dividends": [0.0, 0.0, 0.0],
            "Stock Splits": [0.0, 0.0, 0.0],
        },
        index=index,
    )

    frame = frame_from_history("X", data, currency="USD")

    assert [bar.date for bar in frame.bars] == [dt.date(2024, 3, 1), dt.date(2024, 3, 5)]


def test_a_split_yahoo_left_unadjusted_is_not_undone():
    days = [dt.date(2024, 6, 6), dt.date(2024, 6, 7), dt.date(2024, 6, 10)]
    closes = np.array([1200.0, 1210.0, 121.0])  # already raw: falls tenfold on the ex-date
    opens = np.array([1190.0, 1205.0, 120.0])

    factors = unadjust_factors(days, opens, closes, [(dt.date(2024, 6, 10), 10.0)])

    assert factors.tolist() == [1.0, 1.0, 1.0]


def test_reverse_split_ratio_is_exact_enough():
    assert ratio_decimal(4.0) == Decimal(4)
    assert ratio_decimal(1.5) == Decimal("1.5")
    assert ratio_decimal(0.1) == Decimal("0.1")
    assert ratio_decimal(1 / 3) * 3 == pytest.approx(Decimal(1), abs=Decimal("1e-20"))


@pytest.mark.parametrize(
    ("symbol", "quote_type", "exchange", "currency"),
    [
        ("EURUSD=X", "CURRENCY", "CCY", "USD"),
        ("JPY=X", "CURRENCY", "CCY", "JPY"),
        ("BTC-EUR", "CRYPTOCURRENCY", "CCC", "EUR"),
        ("VWCE.DE", "ETF", "GER", "EUR"),
        ("SHEL.L", "EQUITY", "LSE", "GBP"),
        ("7203.T", "EQUITY", "JPX", "JPY"),
        ("GC=F", "FUTURE", "CMX", "USD"),
        ("MSFT", "EQUITY", "NMS", "USD"),
    ],
)
def test_search_results_currency_is_inferred(symbol, quote_type, exchange, currency):
    assert guess_currency(symbol, quote_type, exchange) == currency


# --- configuration ----------------------------------------------------------------------------


def test_yfinance_caches_stay_in_the_given_directory(yahoo, fake_yahoo, yfinance_cache_dir):
    fake_yahoo.charts["AAPL"] = "chart-AAPL-2020-01-01-to-2020-01-03.json"

    yahoo.history("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 3))

    if yahoo.cache_dir != yfinance_cache_dir:
        pytest.skip("another test module configured yfinance's cache directory first")
    assert (yfinance_cache_dir / "tkr-tz.db").exists()


def test_registry_returns_a_yahoo_provider(monkeypatch, yfinance_cache_dir):
    monkeypatch.setattr(providers, "_yfinance_cache_dir", lambda: yfinance_cache_dir)
    get_provider.cache_clear()
    try:
        provider = get_provider("yahoo")
        assert isinstance(provider, YahooProvider)
        assert isinstance(provider, Provider)
        assert provider.name == "yahoo"
    finally:
        get_provider.cache_clear()
