"""Benchmark the nightly refresh of recent daily closes: per asset (a fetch job each, as before)
against batched (``daily_closes_refresh_batched``), for 1,000 held demo assets.

Each asset is seeded with its demo closes of the last five weeks up to four days ago; the
refresh then re-reads a week before that and brings the days since. The per-asset path queues
the jobs (``daily_closes_refresh``) and runs each (``backfill_run``) in this process; the
batched path is what the nightly task now runs. Between the two, the rows and corporate actions
the first wrote are deleted, so both do the same work; the stored closes must then be the same.
Provider calls are counted on the demo provider's methods, queries with an execute wrapper
(every statement sent, savepoints included).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_bench .venv/bin/python bench/refresh_batch.py

The database is the script's own: it migrates it and empties the market tables first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolia.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("MARKET_DATA_PROVIDER", "demo")

import django  # noqa: E402

PROVIDER_METHODS = ("history", "events", "quotes", "recent_histories")


class Counter:
    def __init__(self) -> None:
        self.queries = 0
        self.calls = 0
        self.depth = 0  # the demo's recent_histories calls its own history: one call

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=1000)
    args = parser.parse_args()
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from market import providers, services
    from market.models import Asset, CorporateAction, FetchJob, Price
    from market.services import jobs as jobs_module

    call_command("migrate", verbosity=0)
    FetchJob.objects.all().delete()
    CorporateAction.objects.all().delete()
    Price.objects.all().delete()
    Asset.objects.filter(owner__isnull=True).delete()

    provider = providers.get_provider("demo")
    counter = Counter()
    for name in PROVIDER_METHODS:
        original = getattr(provider, name)

        def counted(*a, _original=original, **kw):
            counter.calls += counter.depth == 0
            counter.depth += 1
            try:
                return _original(*a, **kw)
            finally:
                counter.depth -= 1

        setattr(provider, name, counted)

    today = timezone.localdate()
    seeded_to = today - dt.timedelta(days=4)
    assets = Asset.objects.bulk_create(
        Asset(
            symbol=f"HB{n:04d}",
            name=f"Held {n}",
            asset_class="stock",
            currency="USD",
            exchange="NASDAQ",
            provider="demo",
        )
        for n in range(args.assets)
    )
    ids = [asset.pk for asset in assets]
    services.prices_upsert_many(
        bars_by_asset={
            asset.pk: provider.history(asset.symbol, today - dt.timedelta(days=35), seeded_to)
            for asset in assets
        }
    )
    seeded = set(Price.objects.values_list("id", flat=True))

    def snapshot():
        return sorted(
            Price.objects.filter(asset_id__in=ids).values_list(
                "asset_id", "date", "open", "high", "low", "close", "volume"
            )
        )

    def measure(run) -> tuple[int, int, float]:
        counter.calls = counter.queries = 0
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
        return counter.calls, counter.queries, elapsed

    def per_asset() -> None:
        jobs_module._job_enqueue = lambda job_id: None  # run here, not through the broker
        for job in services.daily_closes_refresh(asset_ids=ids):
            services.backfill_run(job_id=job.pk)

    def batched() -> None:
        outcome = services.daily_closes_refresh_batched(asset_ids=ids)
        assert not outcome.failed, outcome.failed

    before = measure(per_asset)
    closes_before = snapshot()
    Price.objects.filter(asset_id__in=ids).exclude(id__in=seeded).delete()
    CorporateAction.objects.all().delete()
    after = measure(batched)
    same = snapshot() == closes_before

    print(f"{args.assets} held demo assets on {connection.vendor}, {len(closes_before)} rows after")
    print(f"{'path':<10} {'provider calls':>15} {'queries':>9} {'seconds':>9}")
    for label, (calls, queries, seconds) in (("per asset", before), ("batched", after)):
        print(f"{label:<10} {calls:>15,} {queries:>9,} {seconds:>9.2f}")
    print(f"same stored closes: {same}")
    # The query target is PostgreSQL's (one merge per batch); elsewhere the portable path's
    # bulk inserts split at the driver's parameter limit (999 on SQLite).
    ok = same and after[0] <= 20 and (after[1] < 100 or connection.vendor != "postgresql")
    print("target (<= 20 provider calls, < 100 queries on PostgreSQL, same closes):", end=" ")
    print("met" if ok else "MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
