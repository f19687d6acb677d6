"""Backtest speed: 20 years of weekday closes of 50 assets, rebalanced monthly, with a rule
re-run at each rebalance (inverse volatility over the trailing 252 rows, written here).

Prints the time (best and median of 5 runs) and the peak memory the run allocates (tracemalloc,
a separate run) next to the size of the price matrix. No database: the engine alone.

    .venv/bin/python bench/simulate.py

Exits non-zero when the run takes 2 s or more.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portfolios.engine.simulate import simulate

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


def once(days: np.ndarray, closes: np.ndarray, benchmark: np.ndarray):
    return simulate(
        days=days,
        closes=closes,
        start=dt.date(2006, 1, 2),
        end=dt.date(2025, 12, 30),
        initial_amount=100_000.0,
        monthly_contribution=1_000.0,
        rule=inverse_volatility,
        rebalance="monthly",
        fee=1.0,
        benchmark=benchmark,
    )


def main() -> int:
    rng = np.random.default_rng(11)
    days, closes = price_matrix(rng)
    benchmark = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, days.size)))
    once(days, closes, benchmark)  # warm up (imports, caches)
    times = []
    for _ in range(5):
        began = time.perf_counter()
        result = once(days, closes, benchmark)
        times.append(time.perf_counter() - began)
    tracemalloc.start()
    once(days, closes, benchmark)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    matrix_mb = closes.nbytes / 1e6
    print(f"price matrix: {closes.shape[0]} rows x {closes.shape[1]} assets = {matrix_mb:.1f} MB")
    print(
        f"backtest {YEARS} years, monthly, rule re-run {result.rebalance_days.size} times, "
        f"{len(result.trades)} trades"
    )
    print(f"time: best {min(times):.3f} s, median {statistics.median(times):.3f} s")
    print(f"peak memory allocated: {peak / 1e6:.1f} MB ({peak / closes.nbytes:.2f}x the matrix)")
    print(f"TWR {result.metrics.twr:.4f}, max drawdown {result.metrics.max_drawdown:.4f}")
    return 0 if min(times) < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
