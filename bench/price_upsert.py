"""Benchmark ``market.services.price_upsert`` against a raw psycopg COPY on PostgreSQL.

250 assets x 12 years of weekday bars (about 780,000 rows) go into an empty ``market_price``
through ``price_upsert`` (one call and one transaction per asset, as backfills make them), then
the same rows through one binary ``COPY`` into an empty table shaped like ``market_price`` (same
columns, indexes, checks and foreign key). Then the same bars are upserted again, unchanged:
that must write no row. For reference it also times the merge statement alone (the
``INSERT … ON CONFLICT`` path ``price_upsert`` takes when the range already holds prices).

Each measurement runs ``--rounds`` times (tables emptied in between) and the best round counts,
as ``timeit`` does: on a shared machine the minimum is the least disturbed figure.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_bench .venv/bin/python bench/price_upsert.py

The database is the script's own: it migrates it and empties the market tables first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolia.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("MARKET_DATA_PROVIDER", "demo")

import django  # noqa: E402

END = dt.date(2025, 12, 31)
TARGET_RATIO = 0.5
TARGET_ROWS_PER_SECOND = 50_000


def generate_bars(assets: int, years: int, seed: int = 7) -> list[list]:
    """Per asset, a random walk of weekday bars over ``years`` years up to END (deterministic)."""
    from market.providers.base import Bar

    start = dt.date(END.year - years + 1, 1, 1)
    days = np.arange(np.datetime64(start), np.datetime64(END + dt.timedelta(days=1)))
    days = days[np.is_busday(days)]
    dates = days.astype(dt.date).tolist()
    rng = np.random.default_rng(seed)
    series = []
    for _ in range(assets):
        level = rng.uniform(5, 500)
        closes = level * np.exp(np.cumsum(rng.normal(0.0002, 0.015, len(dates))))
        spread = closes * rng.uniform(0.001, 0.02, len(dates))
        opens = closes + rng.normal(0, 1, len(dates)) * spread / 2
        volumes = rng.integers(1_000, 5_000_000, len(dates))
        series.append(
            [
                Bar(day, float(o), float(c + s), float(c - s), float(c), float(v))
                for day, o, c, s, v in zip(
                    dates,
                    opens.tolist(),
                    closes.tolist(),
                    spread.tolist(),
                    volumes.tolist(),
                    strict=True,
                )
            ]
        )
    return series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=250)
    parser.add_argument("--years", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from market import services
    from market.models import Asset, Price
    from market.services import price_upsert

    if connection.vendor != "postgresql":
        sys.exit(
            "Set DATABASE_URL to a PostgreSQL database (the script empties its market tables)."
        )
    call_command("migrate", verbosity=0)
    table = Price._meta.db_table

    def execute(*statements: str) -> None:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    execute(
        "TRUNCATE market_price, market_quote, market_corporateaction, market_fetchjob, "
        "market_asset RESTART IDENTITY CASCADE",
        "DROP TABLE IF EXISTS bench_price_copy",
        # LIKE copies columns, defaults, indexes and checks but not foreign keys; add it, since
        # its deferred check is a good part of the cost of every inserted row.
        f"CREATE TABLE bench_price_copy (LIKE {table} INCLUDING ALL)",
        "ALTER TABLE bench_price_copy ADD FOREIGN KEY (asset_id) REFERENCES market_asset (id) "
        "DEFERRABLE INITIALLY DEFERRED",
    )

    print(f"Generating {options.assets} assets x {options.years} years of weekday bars…")
    series = generate_bars(options.assets, options.years)
    rows = sum(len(bars) for bars in series)
    assets = Asset.objects.bulk_create(
        Asset(
            symbol=f"BENCH{index:04d}",
            name=f"Bench asset {index}",
            asset_class="stock",
            currency="USD",
            provider="demo",
        )
        for index in range(options.assets)
    )
    pairs = list(zip(assets, series, strict=True))
    copy_rows = [
        (asset.pk, bar.date, bar.open, bar.high, bar.low, bar.close, round(bar.volume))
        for asset, bars in pairs
        for bar in bars
    ]
    print(f"{rows:,} rows, best of {options.rounds} rounds\n")

    def run_upsert() -> float:
        execute(f"TRUNCATE {table}", "CHECKPOINT")
        started = time.perf_counter()
        inserted = sum(price_upsert(asset=asset, bars=bars).inserted for asset, bars in pairs)
        seconds = time.perf_counter() - started
        assert inserted == rows, (inserted, rows)
        return seconds

    def run_copy() -> float:
        execute("TRUNCATE bench_price_copy", "CHECKPOINT")
        connection.ensure_connection()
        raw = connection.connection  # the psycopg connection under Django's
        started = time.perf_counter()
        with (
            raw.transaction(),
            raw.cursor() as cursor,
            cursor.copy(
                "COPY bench_price_copy (asset_id, date, open, high, low, close, volume) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(["int8", "date", "float8", "float8", "float8", "float8", "int8"])
            for row in copy_rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_price_copy")
            assert cursor.fetchone()[0] == rows
        return seconds

    def run_again() -> tuple[float, int, int]:
        # The table holds every row already (from run_upsert): nothing may be written.
        started = time.perf_counter()
        written = unchanged = 0
        for asset, bars in pairs:
            result = price_upsert(asset=asset, bars=bars)
            written += result.written
            unchanged += result.unchanged
        return time.perf_counter() - started, written, unchanged

    def run_merge() -> float:
        execute(f"TRUNCATE {table}", "CHECKPOINT")
        started = time.perf_counter()
        inserted = 0
        for asset, bars in pairs:
            with transaction.atomic():
                asset_rows, _ = services.prices._price_rows(bars)
                inserted += services.prices._upsert_postgresql(
                    asset.pk, asset_rows, allow_copy=False
                ).inserted
        seconds = time.perf_counter() - started
        assert inserted == rows
        return seconds

    upsert_times, copy_times, again_times, merge_times = [], [], [], []
    again_written = again_unchanged = 0
    for round_number in range(1, options.rounds + 1):
        copy_times.append(run_copy())
        upsert_times.append(run_upsert())
        seconds, written, unchanged = run_again()
        again_times.append(seconds)
        again_written += written
        again_unchanged = unchanged
        merge_times.append(run_merge())
        print(
            f"  round {round_number}: upsert {upsert_times[-1]:.2f} s, COPY {copy_times[-1]:.2f} s,"
            f" unchanged re-upsert {again_times[-1]:.2f} s, merge only {merge_times[-1]:.2f} s"
        )
    execute("DROP TABLE bench_price_copy")

    def line(label: str, times: list[float]) -> float:
        best = min(times)
        print(
            f"{label:<26}{best:7.2f} s {rows / best:>10,.0f} rows/s"
            f"   (median {statistics.median(times):.2f} s)"
        )
        return rows / best

    print()
    upsert_rate = line("price_upsert (insert)", upsert_times)
    copy_rate = line("COPY (binary, psycopg)", copy_times)
    ratio = upsert_rate / copy_rate
    print(f"{'ratio upsert / COPY':<26}{ratio:7.2f}   (target ≥ {TARGET_RATIO})")
    line("re-upsert unchanged", again_times)
    print(f"{'':<26}{again_written} rows written, {again_unchanged:,} unchanged per round")
    line("merge statement only", merge_times)
    ok = (
        ratio >= TARGET_RATIO
        and upsert_rate >= TARGET_ROWS_PER_SECOND
        and again_written == 0
        and again_unchanged == rows
    )
    print(
        "\ntargets met"
        if ok
        else f"\nTARGETS MISSED (need ratio ≥ {TARGET_RATIO}, ≥ {TARGET_ROWS_PER_SECOND:,} rows/s)"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
