"""The demo provider's simulated prices, its catalogue search, and the registry and manual provider.

No Django and no network: the demo provider computes everything from the symbol itself.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from market.providers import (
    ASSET_CLASSES,
    PermanentProviderError,
    Provider,
    get_provider,
)
from market.providers.catalogue import BY_SYMBOL, CATALOGUE
from market.providers.demo import (
    ANCHOR_DATE,
    CLASS_VOLATILITY,
    EPOCH,
    DemoProvider,
    _series,
    demo_series,
    infer_asset_class,
    spec_for,
)
from market.providers.manual import ManualProvider

TODAY = dt.date(2026, 11, 20)  # a Friday


@pytest.fixture
def demo() -> DemoProvider:
    return DemoProvider(today=lambda: TODAY)


def closes(bars) -> dict[dt.date, float]:
    return {bar.date: bar.close for bar in bars}


# --- determinism and range independence -------------------------------------------------------


def test_same_symbol_gives_the_same_prices_every_time(demo):
    first = demo.history("AAPL", dt.date(2015, 1, 1), dt.date(2016, 1, 1))
    _series.cache_clear()
    second = DemoProvider(today=lambda: TODAY).history(
        "AAPL", dt.date(2015, 1, 1), dt.date(2016, 1, 1)
    )

    assert first == second
    assert len(first) > 250


def test_prices_do_not_depend_on_the_process_hash_seed(demo):
    """The seed comes from SHA-256 of the symbol, not from Python's randomised hash()."""
    here = demo.history("MSFT", dt.date(2010, 3, 1), dt.date(2010, 3, 5))
    program = (
        "import datetime as dt, json;"
        "from market.providers.demo import DemoProvider;"
        "bars = DemoProvider(today=lambda: dt.date(2026, 11, 20))"
        ".history('MSFT', dt.date(2010, 3, 1), dt.date(2010, 3, 5));"
        "print(json.dumps([b.close for b in bars]))"
    )
    for hash_seed in ("1", "2"):
        output = subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
            env={"PYTHONHASHSEED": hash_seed, "PATH": ""},
        ).stdout
        assert output.strip() == str([bar.close for bar in here]).replace("'", '"')


def test_a_dates_price_does_not_depend_on_the_range_asked_for(demo):
    wide = closes(demo.history("VWCE.DE", dt.date(2005, 1, 1), dt.date(2025, 12, 31)))
    narrow = closes(demo.history("VWCE.DE", dt.date(2018, 6, 1), dt.date(2018, 6, 30)))

    assert narrow
    assert all(wide[day] == price for day, price in narrow.items())


def test_past_prices_do_not_change_as_days_go_by():
    earlier = DemoProvider(today=lambda: dt.date(2025, 3, 3)).history(
        "ETH-USD", dt.date(2024, 12, 1), dt.date(2025, 3, 3)
    )
    later = DemoProvider(today=lambda: dt.date(2026, 8, 17)).history(
        "ETH-USD", dt.date(2024, 12, 1), dt.date(2025, 3, 3)
    )

    assert earlier == later


def test_the_walk_is_pinned_to_the_catalogue_level_at_the_anchor_date(demo):
    (bar,) = demo.history("AAPL", ANCHOR_DATE, ANCHOR_DATE)

    assert bar.close == BY_SYMBOL["AAPL"].level


def test_nothing_after_today_and_nothing_before_the_epoch(demo):
    bars = demo.history("SPY", dt.date(2026, 11, 16), dt.date(2027, 6, 1))

    assert bars[-1].date == TODAY
    assert demo.history("SPY", dt.date(1995, 1, 1), dt.date(1999, 12, 31)) == []
    assert demo.history("SPY", dt.date(1999, 12, 1), dt.date(2000, 1, 10))[0].date == EPOCH
    assert demo.history("SPY", dt.date(2020, 1, 10), dt.date(2020, 1, 1)) == []


# --- calendar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "symbol", ["AAPL", "EURUSD=X", "GC=F", "^GSPC", "VFIAX", "AGG", "ANY.THING"]
)
def test_non_crypto_trades_monday_to_friday_only(demo, symbol):
    bars = demo.history(symbol, dt.date(2023, 1, 1), dt.date(2023, 12, 31))

    assert {bar.date.weekday() for bar in bars} == {0, 1, 2, 3, 4}
    assert len(bars) == 260  # every weekday of 2023


@pytest.mark.parametrize("symbol", ["BTC-USD", "ETH-USD", "NEWCOIN-USD"])
def test_crypto_trades_every_day(demo, symbol):
    bars = demo.history(symbol, dt.date(2023, 12, 25), dt.date(2024, 1, 7))

    assert [bar.date for bar in bars] == [
        dt.date(2023, 12, 25) + dt.timedelta(days=n) for n in range(14)
    ]


def test_bars_are_consistent(demo):
    for symbol in ("AAPL", "BTC-USD", "USDJPY=X", "DOGE-USD", "SHY"):
        for bar in demo.history(symbol, dt.date(2001, 1, 1), TODAY):
            assert 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
            assert bar.volume >= 0


# --- realism ----------------------------------------------------------------------------------


VOLATILITY_SAMPLES = {
    "stock": ["DEMO-A", "DEMO-B", "DEMO-C", "DEMO-D", "ACME.DE", "WIDGET.L", "FOO", "BAR"],
    "etf": ["SPY", "VOO", "IVV", "VTI", "VEA", "VWO", "SCHD", "VWCE.DE"],
    "fund": ["VFIAX", "VTSAX", "FXAIX", "VTIAX"],
    "bond": ["AGG", "BND", "IEF", "VGEA.DE"],
    "crypto": ["BTC-USD", "ETH-USD", "XRP-USD", "ADA-USD", "NEWCOIN-USD", "OTHER-EUR"],
    "commodity": ["GC=F", "XX=F", "YY=F", "ZZ=F"],
    "fx": ["EURUSD=X", "GBPUSD=X", "USDJPY=X", "EURGBP=X", "EURSEK=X", "AUDNZD=X"],
    "index": ["^GSPC", "^DJI", "^STOXX50E", "^GDAXI", "^FTSE", "^N225"],
}


@pytest.mark.parametrize(("asset_class", "symbols"), VOLATILITY_SAMPLES.items())
def test_annual_volatility_matches_the_asset_class(asset_class, symbols):
    expected = CLASS_VOLATILITY[asset_class]
    periods_per_year = 365 if asset_class == "crypto" else 252
    returns = []
    for symbol in symbols:
        spec = spec_for(symbol)
        assert (spec.asset_class, spec.volatility) == (asset_class, expected), symbol
        series = demo_series(symbol, TODAY)
        window = series.window(dt.date(2004, 1, 1), dt.date(2025, 12, 31))
        log_returns = np.diff(np.log(series.close[window]))
        if spec.split is not None:  # the split day's drop is not market movement
            split_at = np.searchsorted(series.days[window], spec.split[0].toordinal())
            log_returns = np.delete(log_returns, split_at - 1)
        returns.append(log_returns)

    measured = float(np.std(np.concatenate(returns), ddof=1) * math.sqrt(periods_per_year))

    assert measured == pytest.approx(expected, rel=0.1)


@pytest.mark.parametrize(
    ("symbol", "level"),
    [
        ("EURUSD=X", 1.08),
        ("GBPUSD=X", 1.27),
        ("USDJPY=X", 150.0),
        ("USDCHF=X", 0.88),
        ("EURGBP=X", 0.85),
        ("EURSEK=X", 1.08 * 10.5),
    ],
)
def test_fx_pairs_stay_near_their_real_level(demo, symbol, level):
    (anchor,) = demo.history(symbol, ANCHOR_DATE, ANCHOR_DATE)
    recent = [bar.close for bar in demo.history(symbol, dt.date(2022, 1, 1), TODAY)]
    decades = [bar.close for bar in demo.history(symbol, EPOCH, TODAY)]

    assert anchor.close == pytest.approx(level, rel=1e-4)
    assert level * 0.8 < min(recent) and max(recent) < level * 1.25
    assert level * 0.5 < min(decades) and max(decades) < level * 2


def test_unknown_symbols_still_get_plausible_prices(demo):
    for symbol, asset_class in [
        ("ANYTHING123", "stock"),
        ("NOK=X", "fx"),
        ("NEWCOIN-USD", "crypto"),
        ("XX=F", "commodity"),
        ("^MADEUP", "index"),
    ]:
        assert infer_asset_class(symbol) == asset_class
        bars = demo.history(symbol, dt.date(2020, 1, 1), dt.date(2020, 12, 31))
        assert len(bars) >= 250
        assert all(math.isfinite(bar.close) and bar.close > 0 for bar in bars)
    (nok,) = demo.history("NOK=X", ANCHOR_DATE, ANCHOR_DATE)
    assert nok.close == pytest.approx(10.6)


# --- events -----------------------------------------------------------------------------------


def test_dividend_payers_pay_quarterly(demo):
    dividends = demo.events("KO", dt.date(2010, 1, 1), dt.date(2019, 12, 31))

    assert len(dividends) == 40
    assert {event.kind for event in dividends} == {"dividend"}
    assert all(event.amount is not None and event.amount > 0 for event in dividends)
    assert demo.events("KO", dt.date(2010, 1, 1), dt.date(2019, 12, 31)) == dividends
    # A quarter of the yearly yield on the price just before the ex-date.
    first = dividends[0]
    (before,) = demo.history(
        "KO", first.date - dt.timedelta(days=7), first.date - dt.timedelta(days=1)
    )[-1:]
    assert float(first.amount) == pytest.approx(
        BY_SYMBOL["KO"].dividend_yield / 4 * before.close, abs=1e-4
    )


def test_non_payers_have_no_dividends(demo):
    assert demo.events("AMZN", EPOCH, TODAY) == []
    assert demo.events("BTC-USD", EPOCH, TODAY) == []


def test_a_split_divides_the_price_on_its_ex_date(demo):
    splitting = next(
        symbol for symbol in (f"SPLIT{n}" for n in range(200)) if spec_for(symbol).split is not None
    )
    split_date, ratio = spec_for(splitting).split

    (event,) = [e for e in demo.events(splitting, EPOCH, TODAY) if e.kind == "split"]
    bars = demo.history(splitting, split_date - dt.timedelta(days=7), split_date)

    assert (event.date, event.ratio) == (split_date, Decimal(ratio))
    assert bars[-1].date == split_date
    assert bars[-1].close / bars[-2].close == pytest.approx(1 / ratio, rel=0.15)
    assert bars[-1].volume > bars[-2].volume / ratio / 5


def test_nvda_splits_10_for_1_on_10_june_2024_as_it_really_did(demo):
    splits = [e for e in demo.events("NVDA", EPOCH, TODAY) if e.kind == "split"]
    before, on = demo.history("NVDA", dt.date(2024, 6, 7), dt.date(2024, 6, 10))

    assert [(e.date, e.ratio) for e in splits] == [(dt.date(2024, 6, 10), Decimal(10))]
    assert on.close / before.close == pytest.approx(0.1, rel=0.15)
    (anchor,) = demo.history("NVDA", ANCHOR_DATE, ANCHOR_DATE)
    assert anchor.close == pytest.approx(480, rel=0.01)  # the catalogue's 48, as traded then


# --- quotes -----------------------------------------------------------------------------------


def test_quote_is_the_last_close(demo):
    quotes = demo.quotes(["AAPL", "BTC-USD", "EURUSD=X", "AAPL"])

    assert set(quotes) == {"AAPL", "BTC-USD", "EURUSD=X"}
    (last,) = demo.history("AAPL", TODAY, TODAY)
    assert quotes["AAPL"].price == last.close
    assert quotes["AAPL"].currency == "USD"
    assert quotes["EURUSD=X"].currency == "USD"
    assert quotes["AAPL"].timestamp == dt.datetime(2026, 11, 20, 21, tzinfo=dt.UTC)


def test_weekend_quote_is_fridays_close():
    saturday = DemoProvider(today=lambda: dt.date(2026, 11, 21))

    quote = saturday.quotes(["MSFT"])["MSFT"]

    (friday,) = saturday.history("MSFT", dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    assert quote.price == friday.close
    assert quote.timestamp.date() == dt.date(2026, 11, 20)


# --- catalogue search -------------------------------------------------------------------------


def test_catalogue_covers_every_asset_class_but_other():
    assert len(CATALOGUE) >= 60
    assert len(BY_SYMBOL) == len(CATALOGUE)
    assert {entry.asset_class for entry in CATALOGUE} == set(ASSET_CLASSES) - {"other"}
    for symbol in ("AAPL", "MSFT", "NVDA", "VWCE.DE", "IWDA.AS", "SPY", "VTI", "AGG", "BND", "TLT",
                   "BTC-USD", "ETH-USD", "EURUSD=X", "GBPUSD=X", "USDJPY=X", "EURGBP=X",
                   "GC=F", "SI=F", "CL=F", "^GSPC", "^IXIC", "^STOXX50E", "VFIAX"):  # fmt: skip
        assert symbol in BY_SYMBOL


@pytest.mark.parametrize(
    ("query", "first", "asset_class"),
    [
        ("AAPL", "AAPL", "stock"),
        ("apple", "AAPL", "stock"),
        ("vwce", "VWCE.DE", "etf"),
        ("btc", "BTC-USD", "crypto"),
        ("EURUSD", "EURUSD=X", "fx"),
        ("gold", "GLD", "etf"),
        ("crude", "CL=F", "commodity"),
        ("^gs", "^GSPC", "index"),
        ("treasury", "TLT", "bond"),
        ("admiral", "VFIAX", "fund"),
    ],
)
def test_search_finds_catalogue_entries_by_symbol_prefix_or_name(demo, query, first, asset_class):
    results = demo.search(query)

    assert results[0].symbol == first
    assert results[0].asset_class == asset_class
    assert {result.provider for result in results} == {"demo"}


def test_search_ranks_symbol_matches_before_name_matches(demo):
    symbols = [result.symbol for result in demo.search("EUR")]

    assert symbols[:4] == ["EURUSD=X", "EURGBP=X", "EURCHF=X", "EURJPY=X"]
    assert "^STOXX50E" in symbols  # "EURO STOXX 50" by name


def test_search_respects_the_limit_and_ignores_blank_queries(demo):
    assert len(demo.search("v", limit=3)) == 3
    assert demo.search("  ") == []
    assert demo.search("no such thing at all") == []


# --- speed ------------------------------------------------------------------------------------


def test_two_hundred_fifty_symbols_over_twelve_years_are_quick():
    """Not a timed assertion: generation is vectorised, so this runs in a fraction of a second."""
    _series.cache_clear()
    started = time.perf_counter()
    for n in range(250):
        series = demo_series(f"BENCH{n}", TODAY)
        assert len(series.close[series.window(dt.date(2014, 11, 20), TODAY)]) == 3132
    elapsed = time.perf_counter() - started
    print(f"generated 250 symbols in {elapsed:.2f}s")
    _series.cache_clear()


# --- registry and the manual provider ---------------------------------------------------------


def test_registry_knows_demo_and_manual():
    assert isinstance(get_provider("demo"), DemoProvider)
    assert isinstance(get_provider("manual"), ManualProvider)
    assert get_provider("demo") is get_provider("demo")
    assert isinstance(get_provider("demo"), Provider)
    assert isinstance(get_provider("manual"), Provider)
    with pytest.raises(ValueError, match="Unknown market-data provider"):
        get_provider("bloomberg")


def test_manual_provider_fetches_nothing():
    manual = ManualProvider()

    assert manual.search("AAPL") == []
    assert manual.quotes(["MY-HOUSE"]) == {}
    assert manual.events("MY-HOUSE", EPOCH, TODAY) == []
    with pytest.raises(PermanentProviderError, match="priced by their owner"):
        manual.history("MY-HOUSE", EPOCH, TODAY)
