"""The Yahoo provider's batched recent histories: recorded chart responses fed through
yfinance 1.7.0's own ``yf.download(group_by="ticker")`` (only the network is fake, as in
``test_providers_yahoo``), parsed with the per-symbol path's guarantees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from market.providers import Event, ProviderError, TransientProviderError
from market.providers.base import RecentHistory
from market.providers.yahoo_parsing import frames_from_download
from market.tests import test_providers_yahoo as recorded

# The recorded-network fixtures of the per-symbol tests.
no_network = recorded.no_network
fake_yahoo = recorded.fake_yahoo
yfinance_cache_dir = recorded.yfinance_cache_dir
yahoo = recorded.yahoo

START, END = dt.date(2020, 8, 31), dt.date(2021, 7, 27)


def test_one_download_answers_many_symbols_as_traded_with_their_events(yahoo, fake_yahoo):
    fake_yahoo.charts["NVDA"] = "chart-NVDA-split-2021-07-12-to-2021-07-27.trimmed.json"
    fake_yahoo.charts["AAPL"] = "chart-AAPL-2020-08-31-to-2020-11-07.json"
    fake_yahoo.charts["INVALID.BO"] = "chart-INVALID.BO-404-not-found.json"
    # yfinance's download, finding no timezone, falls back to quoteSummary: Yahoo's recorded
    # 404 for the unknown symbol's chart stands in for that answer too.
    fake_yahoo.summaries["INVALID.BO"] = "chart-INVALID.BO-404-not-found.json"
    fake_yahoo.charts["OCDO.L"] = "chart-OCDO.L-2020-01-01-to-2020-01-03.json"

    answers = yahoo.recent_histories(["NVDA", "AAPL", "INVALID.BO", "OCDO.L"], START, END)

    nvda, aapl = answers["NVDA"], answers["AAPL"]
    assert isinstance(nvda, RecentHistory) and isinstance(aapl, RecentHistory)
    bars = {bar.date: bar for bar in nvda.bars}
    # Yahoo back-adjusts for NVDA's 4:1 split of 2021-07-20; as traded, the day before was 4x
    # (18.7797... x 4) with a quarter of the volume (749,060,000 / 4).
    before, on_split = bars[dt.date(2021, 7, 19)], bars[dt.date(2021, 7, 20)]
    assert before.close == pytest.approx(18.77975082397461 * 4)
    assert before.volume == 749060000 / 4
    assert on_split.close == 18.61199951171875
    assert nvda.events == (
        Event(symbol="NVDA", date=dt.date(2021, 7, 20), kind="split", ratio=Decimal(4)),
    )
    # The two tickers trade on different days of the joined frame: no day of one leaks into
    # the other (AAPL's recording ends in November 2020, NVDA's starts in July 2021).
    assert min(bars) == dt.date(2021, 7, 12)
    assert len(aapl.bars) == 49 and aapl.bars[0].close == 129.0399932861328
    assert aapl.events == (
        Event(symbol="AAPL", date=dt.date(2020, 8, 31), kind="split", ratio=Decimal(4)),
        Event(symbol="AAPL", date=dt.date(2020, 11, 6), kind="dividend", amount=Decimal("0.205")),
    )
    # An unknown symbol fails alone.
    assert isinstance(answers["INVALID.BO"], ProviderError)
    assert "INVALID.BO" in str(answers["INVALID.BO"])
    # A London listing takes the per-symbol path (only its chart says pence): outside the window.
    assert answers["OCDO.L"] == RecentHistory(bars=(), events=())


def test_the_batched_answers_equal_the_per_symbol_history(yahoo, fake_yahoo):
    fake_yahoo.charts["NVDA"] = "chart-NVDA-split-2021-07-12-to-2021-07-27.trimmed.json"
    fake_yahoo.charts["AAPL"] = "chart-AAPL-2020-08-31-to-2020-11-07.json"

    answers = yahoo.recent_histories(["NVDA", "AAPL"], START, END)

    for symbol in ("NVDA", "AAPL"):
        assert answers[symbol].bars == tuple(yahoo.history(symbol, START, END))
        assert answers[symbol].events == tuple(yahoo.events(symbol, START, END))


def test_a_downloaded_frame_splits_per_ticker_dropping_the_other_tickers_days():
    # The shape of yf.download(group_by="ticker", actions=True, auto_adjust=False): columns
    # (Ticker, Price), the union of the tickers' dates, NaN where a ticker did not trade.
    days = pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-04"])
    fields = ["Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits"]
    nan = np.nan
    data = pd.DataFrame(
        [
            [10, 11, 9, 10.5, 10.5, 100, 0, 0, 50_000, 51_000, 49_000, 50_500, 50_500, 7, 0, 0],
            [nan] * 8 + [50_600, 51_600, 49_600, 51_000, 51_000, 8, 0, 0],
            [10.5, 12, 10, 11, 11, 200, 0.25, 0, 51_000, 52_000, 50_000, 51_500, 51_500, 9, 0, 0],
        ],
        index=days,
        columns=pd.MultiIndex.from_product([["KO", "BTC-USD"], fields], names=["Ticker", "Price"]),
    )

    frames = frames_from_download(["KO", "btc-usd", "GONE"], data)

    assert set(frames) == {"KO", "btc-usd"}
    assert [(bar.date, bar.close) for bar in frames["KO"].bars] == [
        (dt.date(2024, 3, 1), 10.5),
        (dt.date(2024, 3, 4), 11.0),
    ]
    assert [bar.close for bar in frames["btc-usd"].bars] == [50_500.0, 51_000.0, 51_500.0]
    assert frames["KO"].events == (
        Event(symbol="KO", date=dt.date(2024, 3, 4), kind="dividend", amount=Decimal("0.25")),
    )


def test_a_download_that_answers_nothing_at_all_is_worth_retrying(yahoo, fake_yahoo):
    fake_yahoo.charts["INVALID.BO"] = "chart-INVALID.BO-404-not-found.json"
    fake_yahoo.summaries["INVALID.BO"] = "chart-INVALID.BO-404-not-found.json"

    with pytest.raises(TransientProviderError, match="any of 1 symbols"):
        yahoo.recent_histories(["INVALID.BO"], START, END)
