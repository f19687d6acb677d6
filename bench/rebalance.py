"""Benchmark a rebalance plan for 250 assets from the database (target: under 50 ms).

Loads (once per run, replacing the previous one) a portfolio of `bench-rebalance@portfolia.local`
holding --assets assets (a fifth of them in EUR, converted through `EURUSD=X`), each with 30 days
of closes and one buy, targets of equal weight for all of them and cash records. Then it times
`portfolios.selectors.rebalancing.rebalance_plan` end to end (holdings from the database, the
unheld-asset loader, the engine, the fingerprint) for a full plan, a buy-only plan with new cash
and a whole-units plan with a minimum trade: best and median of --rounds rounds, with the SQL
queries of one plan.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolia_targets \\
        .venv/bin/python bench/rebalance.py

It migrates the database it is given; it exits non-zero when the best full plan misses 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolia.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("MARKET_DATA_PROVIDER", "demo")

import django  # noqa: E402

TARGET_MS = 50.0
EMAIL = "bench-rebalance@portfolia.local"


def load(assets: int):
    from django.contrib.auth import get_user_model

    from market.models import Asset, Price
    from market.services import prices_changed
    from portfolios import services
    from portfolios.models import Portfolio, Transaction

    User = get_user_model()
    User.objects.filter(email=EMAIL).delete()
    Asset.objects.filter(symbol__startswith="RB-").delete()
    user = User.objects.create_user(email=EMAIL, password="bench-password-0123")
    portfolio = services.portfolio_create(
        owner=user, name="Rebalance bench", base_currency="USD", records_cash=True
    )
    today = dt.date.today()
    days = [today - dt.timedelta(days=offset) for offset in range(30, 0, -1)]
    fx, _ = Asset.objects.get_or_create(
        provider="demo",
        symbol="EURUSD=X",
        defaults={"name": "EUR/USD", "asset_class": "fx", "currency": "USD"},
    )
    Price.objects.filter(asset=fx).delete()
    Price.objects.bulk_create([Price(asset=fx, date=day, close=1.08) for day in days])
    prices_changed(asset_id=fx.pk, since=days[0])
    rows, buys = [], []
    for index in range(assets):
        currency = "EUR" if index % 5 == 0 else "USD"
        asset = Asset.objects.create(
            provider="demo",
            symbol=f"RB-{index:04d}",
            name=f"Bench {index}",
            asset_class="etf" if index % 3 else "stock",
            currency=currency,
        )
        close = 10.0 + index % 90
        rows += [
            Price(asset=asset, date=day, close=close + (i % 7) * 0.1) for i, day in enumerate(days)
        ]
        buys.append(
            Transaction(
                kind="buy",
                date=days[0],
                asset=asset,
                quantity=Decimal(1 + index % 40),
                price=Decimal(repr(close)),
                currency=currency,
                fx_rate=Decimal("1.08") if currency == "EUR" else None,
            )
        )
    Price.objects.bulk_create(rows, batch_size=5_000)
    for transaction in buys:
        prices_changed(asset_id=transaction.asset_id, since=days[0])
    deposit = Transaction(kind="deposit", date=days[0], amount=Decimal(400_000), currency="USD")
    services.transactions_load(portfolio=portfolio, transactions=[deposit, *buys])
    weight = Decimal(100) / assets
    services.targets_set(
        portfolio=portfolio,
        targets=[
            services.TargetInput(weight=weight, asset=asset)
            for asset in Asset.objects.filter(symbol__startswith="RB-")
        ],
    )
    return Portfolio.objects.get(pk=portfolio.pk)


def timed(function, rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    if 100 % options.assets and Decimal(100) / options.assets != round(
        Decimal(100) / options.assets, 4
    ):
        sys.exit("--assets must divide 100 into at most four decimals (e.g. 250, 200, 125).")

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portfolios.selectors.rebalancing import rebalance_plan

    call_command("migrate", verbosity=0)
    portfolio = load(options.assets)
    cases = {
        "full": {},
        "buy_only, new cash 10,000": {"cash": Decimal(10_000), "mode": "buy_only"},
        "whole units, min trade 50": {"whole_units": True, "min_trade": Decimal(50)},
    }
    print(
        f"rebalance_plan, {options.assets} assets ({connection.vendor}), best / median of "
        f"{options.rounds} rounds:"
    )
    failed = False
    for name, inputs in cases.items():
        rebalance_plan(portfolio, **inputs)  # warm
        best, median = timed(
            lambda inputs=inputs: rebalance_plan(portfolio, **inputs), options.rounds
        )
        with CaptureQueriesContext(connection) as queries:
            plan = rebalance_plan(portfolio, **inputs)
        print(
            f"  {name:28s} {best:7.1f} ms / {median:7.1f} ms   {len(plan.trades):3d} trades, "
            f"{len(queries)} queries"
        )
        if name == "full" and best > TARGET_MS:
            failed = True
    print(f"target: full plan under {TARGET_MS:.0f} ms — {'MISSED' if failed else 'met'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
