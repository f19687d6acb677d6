"""Benchmark the net worth (`selectors.networth.net_worth`, ISSUE 12 "The whole picture"): one
user with 10 portfolios of workload M (bench/workload.py, seeds 1..10; the user's base
currency EUR, so each USD portfolio's series is converted), read through the API
(`GET /api/v1/net-worth/?period=1Y`), the net-worth page and the dashboard, each with an empty
cache ("cold": every portfolio's daily series and holdings computed) and then opened again
("warm", best of --rounds), with their SQL query counts; and the selector alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_networth \\
        .venv/bin/python bench/networth.py

It migrates its database and loads the portfolios when missing (--reload forces it), and pins
itself to one CPU core (--all-cores to not). With REDIS_URL set the cache is Redis. Exits
non-zero when a target is missed: the API warm < 50 ms, cold < 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import workload as workloads  # noqa: E402

PORTFOLIOS = 10
SIZE = "M"
EMAIL = "bench-networth@portfolia.local"
TARGET_WARM_MS = 50.0
TARGET_COLD_MS = 1000.0


def _user(reload: bool):
    """The bench user with its 10 portfolios of workload M, loaded when missing or stale."""
    from accounts.models import User
    from portfolios.models import Portfolio

    user = User.objects.filter(email=EMAIL).first()
    today = dt.date.today()
    names = [f"Bench {SIZE} #{seed}" for seed in range(1, PORTFOLIOS + 1)]
    existing = Portfolio.objects.filter(owner=user, name__in=names) if user else None
    if (
        reload
        or user is None
        or existing.count() != PORTFOLIOS
        or any(p.created_at.date() != today for p in existing)
    ):
        if user is None:
            user = User.objects.create_user(email=EMAIL, password="bench-portfolia-password")
        Portfolio.objects.filter(owner=user).delete()
        began = time.perf_counter()
        for seed, name in enumerate(names, start=1):
            portfolio, _ = workloads.load(SIZE, seed=seed, owner=user)
            Portfolio.objects.filter(pk=portfolio.pk).update(name=name)
        print(
            f"  loaded {PORTFOLIOS} portfolios of workload {SIZE} ({time.perf_counter() - began:.1f} s)"
        )
    User.objects.filter(pk=user.pk).update(base_currency="EUR")
    return User.objects.get(pk=user.pk)


def _timed(call) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    gc.collect()
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        call()
        elapsed = time.perf_counter() - began
    return elapsed, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--all-cores", action="store_true")
    args = parser.parse_args()
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    workloads.setup_django()
    import logging

    logging.disable(logging.INFO)  # the request log lines would drown the figures
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from portfolios import selectors
    from portfolios.models import Transaction

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0, interactive=False)
    user = _user(args.reload)
    count = Transaction.objects.filter(portfolio__owner=user).count()
    print(
        f"Portfolia net-worth benchmark · {dt.datetime.now():%Y-%m-%d %H:%M} · {connection.vendor}"
        f" · cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]} · {PORTFOLIOS} x "
        f"{SIZE} ({count:,} transactions), base EUR · load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    client = Client()
    client.force_login(user)

    def get(url: str):
        def call():
            response = client.get(url, HTTP_HOST="localhost")
            assert response.status_code == 200, (url, response.status_code)

        return call

    reads = {
        "API ?period=1Y": get("/api/v1/net-worth/?period=1Y"),
        "net-worth page": get("/net-worth/"),
        "dashboard": get("/"),
        "selector (1Y)": lambda: selectors.net_worth(user, period="1Y"),
    }
    for call in reads.values():  # templates, URL resolver and imports warmed once
        call()
    print(f"\n   {'read':<18} {'cold':>10} {'q':>3} {'warm':>10} {'q':>3}")
    figures = {}
    for name, call in reads.items():
        cache.clear()
        cold = _timed(call)
        warm = min(_timed(call) for _ in range(args.rounds))
        figures[name] = (cold, warm)
        print(
            f"   {name:<18} {cold[0] * 1000:7.1f} ms {cold[1]:>3} {warm[0] * 1000:7.1f} ms "
            f"{warm[1]:>3}"
        )
    (cold, _), (warm, _) = figures["API ?period=1Y"]
    ok = warm * 1000 < TARGET_WARM_MS and cold * 1000 < TARGET_COLD_MS
    print(
        f"\n   [{'met' if ok else 'MISSED'}] API warm < {TARGET_WARM_MS:.0f} ms "
        f"({warm * 1000:.1f} ms), cold < {TARGET_COLD_MS:.0f} ms ({cold * 1000:.1f} ms)"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
