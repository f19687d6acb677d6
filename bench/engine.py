"""Benchmark the performance read model on the S, M and L workloads (bench/workload.py).

Prints, in one run:

1. Full recompute of each size (MAX period, caches empty): the time through
   `portfolio_performance`, split into loading from the database, the cache (storing the state)
   and computing (engine + read model), the best of --rounds rounds. The split is measured from
   outside (`phase_timings` wraps the read model's loaders, the cache and the engine's daily
   series for the block): nothing in the request path keeps timers.
2. A one-transaction edit six months back (a buy's quantity changed) on a warm state: the time
   of the next `portfolio_performance` call (it recomputes from the last checkpoint before the
   change) relative to a full recompute; the edit is undone between rounds.
3. Our XIRR (`engine.returns.xirr_arrays`) against pyxirr on the same flows: each size's MWR cash
   flows and a synthetic set of 10,000 flows; rates and times.
4. Peak memory of a full L recompute (tracemalloc, Python allocations) and the process's
   maximum resident set size (ru_maxrss, everything: Python, Django, numpy, the caches).
5. SQL queries of the dashboard page and the performance page for S and L (Django's test client
   with CaptureQueriesContext), with empty caches and again warm.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_bench6 \\
        .venv/bin/python bench/engine.py

The database is the script's own: it migrates it and loads the workloads that are missing (or
all of them with --reload). The process pins itself to one CPU core (--all-cores to not).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gc
import logging
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import workload as workloads  # noqa: E402

TARGET_FULL_L = 1.0
TARGET_EDIT_RATIO = 0.1
TARGET_MEMORY_MB = 512
TARGET_QUERIES = 10


# What `phase_timings` counts as loading: the read model's database reads.
LOADERS = (
    "ledger_version_load",
    "txn_rows",
    "market_meta",
    "closes_load",
    "closes_with_previous",
    "price_change_logs",
)
CACHE_CALLS = ("get", "set", "set_many")


@contextlib.contextmanager
def phase_timings():
    """Seconds spent inside the block loading from the database ("load"), in the cache ("cache",
    pickling included) and in the engine's daily series ("engine", a part of the computation),
    by wrapping those functions from outside for the block's duration (a loader called by
    another one counts once)."""
    from django.core.cache import caches

    from portfolios.performance import loading, series

    totals: dict[str, float] = {"load": 0.0, "cache": 0.0, "engine": 0.0}
    depth = {"load": 0, "cache": 0, "engine": 0}

    def timed(phase, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            depth[phase] += 1
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                depth[phase] -= 1
                if not depth[phase]:
                    totals[phase] += time.perf_counter() - began

        return wrapper

    backend = caches["default"]
    originals = [(loading, name, getattr(loading, name)) for name in LOADERS]
    originals.append((series, "daily_series", series.daily_series))
    try:
        for module, name, function in originals:
            setattr(module, name, timed("engine" if name == "daily_series" else "load", function))
        for name in CACHE_CALLS:
            setattr(backend, name, timed("cache", getattr(backend, name)))
        yield totals
    finally:
        for module, name, function in originals:
            setattr(module, name, function)
        for name in CACHE_CALLS:
            vars(backend).pop(name, None)


@contextlib.contextmanager
def resume_days():
    """The resume day of every daily-series computation in the block (None for a full one), from
    the read model's debug log."""
    seen: list = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if hasattr(record, "resume_day"):
                seen.append(record.resume_day)

    logger = logging.getLogger("portfolios.performance.series")
    handler, level, propagate = Recorder(logging.DEBUG), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _portfolio(size: str, reload: bool):
    from portfolios.models import Portfolio

    name = f"Bench {size}"
    expected = workloads.SIZES[size].transactions
    existing = Portfolio.objects.filter(name=name).select_related("benchmark", "owner").first()
    today = dt.date.today()
    # A workload ends today: regenerate it when it is missing, from another day or changed.
    if (
        reload
        or existing is None
        or existing.created_at.date() != today
        or existing.transactions.count() != expected
    ):
        began = time.perf_counter()
        workloads.load(size)
        print(f"  loaded workload {size} ({time.perf_counter() - began:.1f} s)")
    return Portfolio.objects.select_related("benchmark", "owner").get(name=name)


def full_recompute(portfolio, rounds: int) -> dict:
    from django.core.cache import cache

    from portfolios.performance import portfolio_performance

    best = None
    for _ in range(rounds):
        cache.clear()
        gc.collect()
        with phase_timings() as phases:
            began = time.perf_counter()
            report = portfolio_performance(portfolio=portfolio, period="MAX")
            total = time.perf_counter() - began
        run = {
            "total": total,
            "load": phases.get("load", 0.0),
            "cache": phases.get("cache", 0.0),
            "engine": phases.get("engine", 0.0),
            "report": report,
        }
        run["compute"] = total - run["load"] - run["cache"]
        if best is None or run["total"] < best["total"]:
            best = run
    return best


def edit_recompute(portfolio, rounds: int) -> dict:
    """Warm state, then one buy six months back edited; the next call's time (best round)."""
    from django.core.cache import cache

    from portfolios import services
    from portfolios.models import Transaction
    from portfolios.performance import portfolio_performance

    today = dt.date.today()
    target = (
        Transaction.objects.filter(
            portfolio=portfolio,
            kind="buy",
            date__gte=today - dt.timedelta(days=190),
            date__lte=today - dt.timedelta(days=170),
        )
        .order_by("date")
        .first()
    )
    best = None
    with resume_days() as resumes:
        cache.clear()
        portfolio_performance(portfolio=portfolio, period="MAX")
        for sign in [1, -1] * rounds:
            edited = Transaction.objects.get(pk=target.pk)
            services.transaction_update(
                transaction=edited, data={"quantity": edited.quantity + sign}
            )
            gc.collect()
            with phase_timings() as phases:
                began = time.perf_counter()
                portfolio_performance(portfolio=portfolio, period="MAX")
                total = time.perf_counter() - began
            run = {
                "total": total,
                "load": phases.get("load", 0.0),
                "cache": phases.get("cache", 0.0),
                "resume": resumes[-1],
            }
            run["compute"] = total - run["load"] - run["cache"]
            if best is None or run["total"] < best["total"]:
                best = run
    best["edited"] = target.date
    return best


def xirr_comparison(reports: dict, repeat: int = 20) -> list[tuple]:
    import pyxirr

    from portfolios.engine.returns import mwr_cash_flows, xirr_arrays

    cases = []
    for size, report in reports.items():
        series = report.series
        dates, amounts = mwr_cash_flows(
            series.days, series.value, series.inflow, series.outflow, series.start_value
        )
        cases.append((f"{size} MWR flows", dates, amounts))
    rng = np.random.default_rng(11)
    days = np.sort(rng.choice(np.arange(0, 3650), size=10_000)).astype("datetime64[D]")
    days = days + np.datetime64("2015-01-01", "D").astype(np.int64)
    amounts = -rng.uniform(100, 5000, size=10_000)
    amounts[-1] = -amounts[:-1].sum() * 1.6
    cases.append(("synthetic 10,000 flows", days, amounts))
    rows = []
    for name, dates, values in cases:
        py_dates = dates.astype("datetime64[D]").astype(object).tolist()
        py_values = values.tolist()
        ours = xirr_arrays(dates, values)
        theirs = pyxirr.xirr(py_dates, py_values)
        began = time.perf_counter()
        for _ in range(repeat):
            xirr_arrays(dates, values)
        ours_time = (time.perf_counter() - began) / repeat
        began = time.perf_counter()
        for _ in range(repeat):
            pyxirr.xirr(py_dates, py_values)
        theirs_time = (time.perf_counter() - began) / repeat
        rows.append((name, len(values), ours, theirs, ours_time, theirs_time))
    return rows


def memory_of_full_recompute(portfolio) -> float:
    from django.core.cache import cache

    from portfolios.performance import portfolio_performance

    cache.clear()
    gc.collect()
    tracemalloc.start()
    portfolio_performance(portfolio=portfolio, period="MAX")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def query_counts(portfolio) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(portfolio.owner)
    out = {}
    pages = {
        "dashboard": "/",
        "performance": f"/portfolios/{portfolio.public_id}/performance/",
    }
    for name, url in pages.items():
        for state in ("cold", "warm"):
            if state == "cold":
                cache.clear()
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url, HTTP_HOST="localhost")
                elapsed = time.perf_counter() - began
            assert response.status_code == 200, (url, response.status_code)
            out[name, state] = (len(queries), elapsed)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="*", default=["S", "M", "L"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reload", action="store_true", help="regenerate every workload")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    args = parser.parse_args()

    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    workloads.setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0, interactive=False)
    print(
        f"Portfolia read-model benchmark · {dt.datetime.now():%Y-%m-%d %H:%M} · "
        f"{connection.vendor} · cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
    )
    print(
        f"Python {platform.python_version()} · numpy {np.__version__} · "
        f"{platform.machine()} · cores available {os.cpu_count()}, "
        f"pinned to {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}"
        f" · load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    portfolios = {size: _portfolio(size, args.reload) for size in args.sizes}

    print(f"\n1. Full recompute (MAX, empty caches; best of {args.rounds})")
    print(
        f"   {'size':<4} {'txns':>7} {'total':>11} {'load':>11} {'cache':>11} {'compute':>11}"
        f"  {'(of which engine)':>17}"
    )
    full: dict[str, dict] = {}
    edits: dict[str, dict] = {}
    for size, portfolio in portfolios.items():
        run = full_recompute(portfolio, args.rounds)
        full[size] = run
        print(
            f"   {size:<4} {portfolio.transactions.count():>7,} {_fmt(run['total'])} "
            f"{_fmt(run['load'])} {_fmt(run['cache'])} {_fmt(run['compute'])}"
            f"  {_fmt(run['engine']):>17}"
        )

    print("\n2. One transaction edited six months back, then the next request")
    for size, portfolio in portfolios.items():
        run = edits[size] = edit_recompute(portfolio, args.rounds)
        ratio = run["total"] / full[size]["total"]
        print(
            f"   {size:<4} edit dated {run['edited']} → resumed after {run['resume']}: "
            f"{_fmt(run['total'])} (load {_fmt(run['load']).strip()}, cache "
            f"{_fmt(run['cache']).strip()}, compute {_fmt(run['compute']).strip()}) = "
            f"{ratio:.3f} x full; compute alone {run['compute'] / full[size]['compute']:.3f} x"
        )

    print("\n3. XIRR: ours against pyxirr on the same flows")
    for name, count, ours, theirs, ours_time, theirs_time in xirr_comparison(
        {size: run["report"] for size, run in full.items()}
    ):
        diff = abs(ours - theirs) if ours is not None and theirs is not None else float("nan")
        print(
            f"   {name:<24} {count:>6,} flows: ours {ours!s:<22} pyxirr {theirs!s:<22} "
            f"|Δ| {diff:.1e} · {ours_time * 1e6:8.1f} µs vs {theirs_time * 1e6:8.1f} µs"
        )

    print("\n4. Memory")
    largest = list(portfolios)[-1]
    peak = memory_of_full_recompute(portfolios[largest])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   full recompute of {largest}: tracemalloc peak {peak:.1f} MB")
    print(f"   process ru_maxrss after the whole run: {rss:.1f} MB")

    print("\n5. SQL queries per page (Django test client, CaptureQueriesContext)")
    counts = {}
    for size in [s for s in ("S", "L") if s in portfolios]:
        counts[size] = query_counts(portfolios[size])
        for (page, state), (number, elapsed) in counts[size].items():
            print(f"   {size} {page:<12} {state:<5} {number:>3} queries  {_fmt(elapsed)}")

    print("\nTargets")
    checks = []
    if "L" in full:
        run = full["L"]
        checks.append(("L full recompute < 1 s", run["total"] < TARGET_FULL_L, _fmt(run["total"])))
        checks.append(
            (
                "L compute no slower than loading",
                run["compute"] <= run["load"],
                f"compute {_fmt(run['compute']).strip()} vs load {_fmt(run['load']).strip()}",
            )
        )
    if "L" in portfolios:
        # Best edit against best full recompute, both over --rounds rounds (section 2's line).
        ratio = edits["L"]["total"] / full["L"]["total"]
        checks.append(("L edit < 0.1 x full", ratio < TARGET_EDIT_RATIO, f"{ratio:.3f} x"))
    checks.append((f"memory < {TARGET_MEMORY_MB} MB", rss < TARGET_MEMORY_MB, f"{rss:.0f} MB RSS"))
    worst = max((number for size in counts.values() for number, _ in size.values()), default=0)
    checks.append(
        (f"pages ≤ {TARGET_QUERIES} queries", worst <= TARGET_QUERIES, f"at most {worst}")
    )
    for name, ok, detail in checks:
        print(f"   [{'met' if ok else 'MISSED'}] {name}: {detail}")
    print(f"   load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
