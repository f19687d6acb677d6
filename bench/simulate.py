"""Backtest speed: 20 years of weekday closes of 50 assets, rebalanced monthly, with a rule
re-run at each rebalance: the app's own weighting strategies as backtests run them
(`services.SIMULATION_METHODS`: inverse volatility, risk parity and momentum over the trailing
252 business days), and for comparison a minimal inverse-volatility rule written here.

Prints the time (best and median of 5 runs) and the peak memory the run allocates (tracemalloc,
a separate run) next to the size of the price matrix: the engine alone by default,

    .venv/bin/python bench/simulate.py

and with ``--db`` also the whole run as the service makes it (the price matrix and FX read from
the database by `selectors.backtests.simulation_market_load`, then the engine). ``--db`` migrates
the database named by DATABASE_URL and adds 50 assets ``BSIM00``.. with 20 years of closes the
first time (give it its own database):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_bench .venv/bin/python bench/simulate.py --db

Exits non-zero when the run takes 2 s or more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolia.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("MARKET_DATA_PROVIDER", "demo")

import django

django.setup()

from portfolios.engine.simulate import simulate  # noqa: E402
from portfolios.services.simulations import SIMULATION_METHODS  # noqa: E402

STRATEGIES = ("inverse_volatility", "risk_parity", "momentum")

ASSETS = 50
YEARS = 20
TARGET_SECONDS = 2.0
WINDOW = 252


def price_matrix(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Weekdays from 2005 (a year of history before the start) to 2025, random-walk closes
    with a few holes (NaN: no close that day)."""
    days = np.arange(
        np.datetime64("2004-01-01"), np.datetime64("2025-12-31"), dtype="datetime64[D]"
    )
    days = days[((days.astype(np.int64) + 3) % 7) < 5]
    steps = rng.normal(0.0003, rng.uniform(0.005, 0.03, ASSETS), (days.size, ASSETS))
    closes = 100.0 * np.exp(np.cumsum(steps, axis=0))
    closes[rng.random(closes.shape) < 0.01] = np.nan
    return days, closes


def inverse_volatility(day: dt.date, days: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """Weights proportional to 1 / the daily volatility of the last WINDOW rows."""
    window = closes[-WINDOW - 1 :]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.diff(np.log(window), axis=0)
    vol = np.nanstd(r, axis=0)
    inverse = np.where(vol > 0, 1.0 / vol, 0.0)
    return inverse / inverse.sum()


def once(days: np.ndarray, closes: np.ndarray, benchmark: np.ndarray | None, rule=None):
    return simulate(
        days=days,
        closes=closes,
        start=dt.date(2006, 1, 2),
        end=dt.date(2025, 12, 30),
        initial_amount=100_000.0,
        monthly_contribution=1_000.0,
        rule=rule or inverse_volatility,
        rebalance="monthly",
        fee=1.0,
        benchmark=benchmark,
    )


def measure(label: str, run, matrix_bytes: int) -> float:
    """Best and median of 5 timed runs, then the peak allocation of one more."""
    run()  # warm up (imports, caches)
    times = []
    for _ in range(5):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label}: best {min(times):.3f} s, median {statistics.median(times):.3f} s, peak "
        f"memory {peak / 1e6:.1f} MB ({peak / matrix_bytes:.2f}x the matrix)"
    )
    print(
        f"  rule re-run {result.rebalance_days.size} times, {len(result.trades)} trades, "
        f"TWR {result.metrics.twr:.4f}, max drawdown {result.metrics.max_drawdown:.4f}"
    )
    return min(times)


def from_database(days: np.ndarray, closes: np.ndarray):
    """The run as the service makes it: the matrix read from the database, then the engine."""
    import django

    django.setup()
    from django.core.management import call_command

    from market.models import Asset
    from market.services import price_upsert
    from market.services.prices import ManualPrice
    from portfolios.selectors.backtests import simulation_market_load

    call_command("migrate", verbosity=0)
    symbols = [f"BSIM{i:02d}" for i in range(ASSETS)]
    assets = list(Asset.objects.filter(symbol__in=symbols, owner=None).order_by("symbol"))
    if len(assets) < ASSETS:
        print("loading 20 years of closes for 50 assets (first time only) ...")
        for i, symbol in enumerate(symbols):
            asset, _ = Asset.objects.get_or_create(
                symbol=symbol, provider="demo", defaults={"name": symbol, "currency": "USD"}
            )
            column = closes[:, i]
            bars = [
                ManualPrice(date=day, open=None, high=None, low=None, close=float(c), volume=None)
                for day, c in zip(days.astype(object), column, strict=True)
                if np.isfinite(c)
            ]
            price_upsert(asset=asset, bars=bars)
        assets = list(Asset.objects.filter(symbol__in=symbols, owner=None).order_by("symbol"))

    def run():
        market = simulation_market_load(
            owner=None,
            assets=assets,
            currency="USD",
            benchmark=None,
            start=dt.date(2006, 1, 2),
            end=dt.date(2025, 12, 30),
        )
        return once(market.days, market.closes, market.benchmark_closes)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="store_true", help="also run through the database")
    options = parser.parse_args()
    rng = np.random.default_rng(11)
    days, closes = price_matrix(rng)
    benchmark = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, days.size)))
    print(
        f"price matrix: {closes.shape[0]} rows x {closes.shape[1]} assets = "
        f"{closes.nbytes / 1e6:.1f} MB; backtest {YEARS} years, monthly, inverse volatility"
    )
    best = measure(
        "engine, the rule written here", lambda: once(days, closes, benchmark), closes.nbytes
    )
    for method in STRATEGIES:
        rule = SIMULATION_METHODS[method]({})
        best = max(
            best,
            measure(
                f"engine, strategy {method}",
                lambda rule=rule: once(days, closes, benchmark, rule),
                closes.nbytes,
            ),
        )
    if options.db:
        best = max(best, measure("database + engine", from_database(days, closes), closes.nbytes))
    return 0 if best < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
