"""Benchmark the holdings reads on the L workload (bench/workload.py): the overview page, the
transactions page, the holdings API and the allocation API, each with an empty cache ("cold")
and then opened again ("warm", best of --rounds), with their SQL query counts; then the next read
after a transaction is added today, and after a new close of a held asset (the cache entry is
gone in both cases: what it costs to bring it up to date).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_readmodel \\
        .venv/bin/python bench/holdings.py

Like engine.py it migrates its database and loads the workload when missing (--reload forces
it), and pins itself to one CPU core (--all-cores to not). With REDIS_URL set the cache is Redis.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import workload as workloads  # noqa: E402

TARGET_WARM_MS = 30.0


def _reads(portfolio) -> dict[str, str]:
    base = f"/portfolios/{portfolio.public_id}/"
    api = f"/api/v1/portfolios/{portfolio.public_id}/"
    return {
        "overview page": base,
        "transactions page": f"{base}transactions/",
        "holdings API": f"{api}holdings/",
        "allocation API": f"{api}allocation/?by=asset_class",
        "holdings API ?date=": f"{api}holdings/?date={dt.date.today() - dt.timedelta(days=200)}",
    }


def _get(client, url: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    gc.collect()
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        response = client.get(url, HTTP_HOST="localhost")
        elapsed = time.perf_counter() - began
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries)


def _transaction_added(portfolio):
    """A small buy of a held asset today, through the services (the ledger version moves);
    answers how to delete it again."""
    from portfolios import selectors, services

    row = max(selectors.holdings(portfolio=portfolio).rows, key=lambda row: row.market_value)
    made = services.transaction_create(
        portfolio=portfolio,
        kind="buy",
        date=dt.date.today(),
        asset=row.asset,
        quantity=Decimal("1"),
        price=row.price.quantize(Decimal("0.0001")),
        fee=Decimal("0"),
        currency=row.currency,
        note="bench holdings",
    )
    return lambda: services.transaction_delete(transaction=made)


def _close_added(portfolio):
    """Today's close of the largest holding rewritten, through market.services (its price
    version moves); answers how to put the stored close back."""
    from market.models import Price
    from market.providers.base import Bar
    from market.services import price_upsert
    from portfolios import selectors

    row = max(selectors.holdings(portfolio=portfolio).rows, key=lambda row: row.market_value)
    stored = Price.objects.filter(asset=row.asset).order_by("-date").first()

    def bar(close: float) -> Bar:
        return Bar(stored.date, close, close, close, close, 0.0)

    price_upsert(asset=row.asset, bars=[bar(stored.close * 1.001)])
    return lambda: price_upsert(asset=row.asset, bars=[bar(stored.close)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="L")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--all-cores", action="store_true")
    args = parser.parse_args()
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    workloads.setup_django()
    import engine
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0, interactive=False)
    portfolio = engine._portfolio(args.size, args.reload)
    print(
        f"Portfolia holdings benchmark · {dt.datetime.now():%Y-%m-%d %H:%M} · {connection.vendor}"
        f" · cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]} · size {args.size}"
        f" ({portfolio.transactions.count():,} transactions) · load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    client = Client()
    client.force_login(portfolio.owner)
    reads = _reads(portfolio)
    for url in reads.values():  # templates, URL resolver and imports warmed once
        _get(client, url)
    print(f"\n   {'read':<22} {'cold':>10} {'q':>3} {'warm':>10} {'q':>3}")
    worst = 0.0
    for name, url in reads.items():
        cache.clear()
        cold, cold_queries = _get(client, url)
        warm_runs = [_get(client, url) for _ in range(args.rounds)]
        warm, warm_queries = min(warm_runs)
        worst = max(worst, warm)
        print(
            f"   {name:<22} {cold * 1000:7.1f} ms {cold_queries:>3} {warm * 1000:7.1f} ms "
            f"{warm_queries:>3}"
        )

    print("\n   after a change, the next read of the overview page (the cache warm before it)")
    url = reads["overview page"]
    for label, change in (
        ("transaction added today", _transaction_added),
        ("close of a holding rewritten", _close_added),
    ):
        times = []
        for _ in range(max(1, args.rounds // 2)):
            _get(client, url)
            undo = change(portfolio)
            portfolio.refresh_from_db()
            times.append(_get(client, url))
            undo()
        elapsed, queries = min(times)
        print(f"   {label:<32} {elapsed * 1000:7.1f} ms {queries:>3} queries")
    met = "met" if worst * 1000 < TARGET_WARM_MS else "MISSED"
    print(f"\n   [{met}] every warm read < {TARGET_WARM_MS:.0f} ms: worst {worst * 1000:.1f} ms")


if __name__ == "__main__":
    main()
