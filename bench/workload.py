"""Seeded, offline benchmark workloads: S, M and L portfolios priced by the demo provider.

    S:    200 transactions,  15 assets,  3 years, USD only, securities only
    M:  2,000 transactions,  60 assets,  8 years, USD + EUR, with cash records
    L: 15,000 transactions, 250 assets, 12 years, USD + EUR + GBP, with cash records

Every size has buys, sells (never more than held), dividends paid on the demo provider's own
dividend dates for the quantity held, splits on its split dates for assets held then (its
prices are as traded, so the value does not jump), standalone fees and yearly taxes; M and L
also monthly deposits in the base currency. `generate` is pure (numpy's seeded generator and
the demo provider's deterministic series); `load` writes a workload into the database: assets
(and the FX pairs and ^GSPC benchmark) in the catalogue, prices through
`market.services.price_upsert` (a binary COPY on PostgreSQL), and the transactions with one
bulk insert (they were checked by replaying the ledger, so the services' per-row checks would
only slow the set-up down).

    .venv/bin/python bench/workload.py L      # generate and load L into DATABASE_URL
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BASE_CURRENCY = "USD"
BENCHMARK = "^GSPC"
SUFFIX = {"USD": "", "EUR": ".DE", "GBP": ".L"}
FX_PAIRS = {"EUR": "EURUSD=X", "GBP": "GBPUSD=X"}
CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")
QUANTITY_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Size:
    name: str
    transactions: int
    assets: int
    years: int
    currencies: tuple[str, ...]
    records_cash: bool


SIZES: dict[str, Size] = {
    "S": Size("S", 200, 15, 3, ("USD",), False),
    "M": Size("M", 2_000, 60, 8, ("USD", "EUR"), True),
    "L": Size("L", 15_000, 250, 12, ("USD", "EUR", "GBP"), True),
}
# Share of assets per currency, in the order of Size.currencies.
CURRENCY_SHARES = {1: (1.0,), 2: (0.7, 0.3), 3: (0.6, 0.25, 0.15)}


@dataclass
class Workload:
    """A portfolio's assets (symbol → currency) and transactions (dicts of Transaction fields,
    in entry order, `symbol` naming the asset)."""

    size: Size
    start: dt.date
    end: dt.date
    assets: dict[str, str]
    transactions: list[dict] = field(default_factory=list)

    @property
    def symbols(self) -> list[str]:
        """Every symbol whose prices the portfolio needs: its assets, FX pairs, the benchmark."""
        fx = [FX_PAIRS[c] for c in self.size.currencies if c != BASE_CURRENCY]
        return [*self.assets, *fx, BENCHMARK]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.transactions:
            counts[row["kind"]] += 1
        return dict(sorted(counts.items()))


class _Series:
    """One symbol's demo closes, looked up on or before a day."""

    def __init__(self, symbol: str, today: dt.date) -> None:
        from market.providers.demo import demo_series

        series = demo_series(symbol, today)
        self.ordinals = series.days
        self.close = series.close
        self.split = series.spec.split
        self.dividend_days = series.dividend_days
        self.dividend_amounts = series.dividend_amounts

    def close_on(self, day: dt.date) -> float:
        index = int(np.searchsorted(self.ordinals, day.toordinal(), side="right")) - 1
        return float(self.close[max(index, 0)])


def _money(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(CENT)


def generate(size: Size | str, *, seed: int = 7, today: dt.date | None = None) -> Workload:
    """The workload of a size (deterministic for a seed and a day)."""
    if isinstance(size, str):
        size = SIZES[size]
    today = today or dt.date.today()
    rng = np.random.default_rng([seed, size.transactions])
    start = today.replace(year=today.year - size.years)
    business = np.arange(np.datetime64(start), np.datetime64(today + dt.timedelta(days=1)))
    business = business[np.is_busday(business)]
    shares = CURRENCY_SHARES[len(size.currencies)]
    assets: dict[str, str] = {}
    for index in range(size.assets):
        currency = size.currencies[
            int(np.searchsorted(np.cumsum(shares), (index + 0.5) / size.assets))
        ]
        assets[f"WL{size.name}{index:03d}{SUFFIX[currency]}"] = currency
    symbols = list(assets)
    series = {symbol: _Series(symbol, today) for symbol in symbols}
    workload = Workload(size, start, today, assets)

    months = size.years * 12
    n_deposits = months * len(size.currencies) if size.records_cash else 0
    n_fees = size.years * 4
    n_taxes = size.years
    n_dividends = round(size.transactions * 0.15)
    n_splits_guess = max(1, size.assets // 20)
    n_trades = size.transactions - n_deposits - n_fees - n_taxes - n_dividends - n_splits_guess

    # Trades on random business days; popular assets trade more (a Zipf-like weight).
    weights = 1.0 / np.arange(1, size.assets + 1) ** 0.6
    weights /= weights.sum()
    trade_days = np.sort(rng.choice(business, size=n_trades)).astype(dt.date)
    trade_assets = rng.choice(size.assets, size=n_trades, p=weights)
    # Every asset is bought at least once, early on.
    trade_assets[: size.assets] = rng.permutation(size.assets)

    held: dict[str, Decimal] = defaultdict(Decimal)
    timeline: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    pending_splits = {
        symbol: s.split for symbol, s in series.items() if s.split and s.split[0] >= start
    }
    rows: list[dict] = []

    def apply_splits(until: dt.date) -> None:
        for symbol, (day, ratio) in list(pending_splits.items()):
            if day <= until:
                del pending_splits[symbol]
                if held[symbol] > 0:
                    held[symbol] *= ratio
                    timeline[symbol].append((day, held[symbol]))
                    rows.append(
                        {"kind": "split", "date": day, "symbol": symbol, "ratio": Decimal(ratio)}
                    )

    for day, asset_index in zip(trade_days.tolist(), trade_assets.tolist(), strict=True):
        apply_splits(day)
        symbol = symbols[asset_index]
        price = Decimal(repr(series[symbol].close_on(day))).quantize(PRICE_PLACES)
        fee = _money(float(rng.uniform(0.5, 9.5))) if rng.random() < 0.7 else Decimal(0)
        currency = assets[symbol]
        if held[symbol] > 0 and rng.random() < 0.3:
            fraction = Decimal(repr(float(rng.choice([0.25, 0.5, 1.0]))))
            quantity = (held[symbol] * fraction).quantize(QUANTITY_PLACES, rounding=ROUND_DOWN)
            if quantity <= 0:
                continue
            held[symbol] -= quantity
            kind = "sell"
        else:
            budget = float(rng.uniform(300, 6000))
            quantity = Decimal(repr(budget / float(price))).quantize(
                QUANTITY_PLACES, rounding=ROUND_DOWN
            )
            if quantity <= 0:
                continue
            held[symbol] += quantity
            kind = "buy"
        timeline[symbol].append((day, held[symbol]))
        rows.append(
            {
                "kind": kind,
                "date": day,
                "symbol": symbol,
                "quantity": quantity,
                "price": price,
                "fee": fee,
                "currency": currency,
            }
        )
    apply_splits(today)

    # Dividends: the provider's dividend dates on which something was held, sampled to budget.
    candidates: list[dict] = []
    for symbol, s in series.items():
        events = timeline[symbol]
        if not events:
            continue
        event_days = [day.toordinal() for day, _ in events]
        for ordinal, per_share in zip(
            s.dividend_days.tolist(), s.dividend_amounts.tolist(), strict=True
        ):
            position = int(np.searchsorted(event_days, ordinal, side="left")) - 1
            if ordinal > today.toordinal() or position < 0 or events[position][1] <= 0:
                continue
            amount = (events[position][1] * Decimal(repr(per_share))).quantize(CENT)
            if amount > 0:
                candidates.append(
                    {
                        "kind": "dividend",
                        "date": dt.date.fromordinal(ordinal),
                        "symbol": symbol,
                        "amount": amount,
                        "currency": assets[symbol],
                        "fee": Decimal(0),
                    }
                )
    room = size.transactions - len(rows) - n_deposits - n_fees - n_taxes
    if candidates and room > 0:
        picked = rng.choice(len(candidates), size=min(room, len(candidates)), replace=False)
        rows += [candidates[i] for i in sorted(picked.tolist())]

    # Cash records (M, L): on the first day of each month (the start in the first), a deposit
    # per currency of what that month's trades in it will cost net, plus a margin, so that
    # cash stays near or above zero and the value is mostly securities.
    if n_deposits:
        net_by_month: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
        for row in rows:
            if row["kind"] in ("buy", "sell"):
                sign = 1 if row["kind"] == "buy" else -1
                cost = sign * row["quantity"] * row["price"] + row["fee"]
                net_by_month[row["date"].year, row["date"].month, row["currency"]] += cost
        deposits = []
        budget = n_deposits
        for month in range(months + 1):
            year, month_index = divmod(start.month - 1 + month, 12)
            day = max(start, dt.date(start.year + year, month_index + 1, 1))
            for currency in size.currencies:
                net = net_by_month.get((day.year, day.month, currency), Decimal(0))
                if net > 0 and budget > 0:
                    amount = (net * Decimal("1.02") + 100).quantize(CENT)
                    deposits.append(
                        {"kind": "deposit", "date": day, "amount": amount, "currency": currency}
                    )
                    budget -= 1
        rows += deposits
    filler = size.transactions - len(rows) - n_taxes
    for index in range(max(filler, n_fees)):
        day = start + dt.timedelta(days=int(rng.integers(1, (today - start).days)))
        rows.append(
            {
                "kind": "fee",
                "date": day,
                "amount": _money(float(rng.uniform(1, 25))),
                "currency": BASE_CURRENCY,
                "note": f"account fee {index}",
            }
        )
    for year in range(start.year + 1, today.year + 1):
        rows.append(
            {
                "kind": "tax",
                "date": dt.date(year, 3, 15),
                "amount": _money(float(rng.uniform(20, 400))),
                "currency": BASE_CURRENCY,
            }
        )
    rows = rows[: size.transactions] if len(rows) > size.transactions else rows
    rows.sort(key=lambda row: row["date"])  # stable: same-day rows keep their entry order
    workload.transactions = rows
    return workload


# --- Into the database -----------------------------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolia.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdef")
    os.environ.setdefault("MARKET_DATA_PROVIDER", "demo")
    os.environ.setdefault("HTTPS", "0")
    os.environ.setdefault("STATICFILES_MANIFEST", "0")
    import django

    django.setup()


def _catalogue_assets(symbols: list[str], today: dt.date) -> dict[str, int]:
    """Catalogue (demo provider) assets for the symbols, created when missing: symbol → id."""
    from market.models import Asset
    from market.providers.demo import spec_for

    existing = dict(
        Asset.objects.filter(symbol__in=symbols, provider="demo", owner__isnull=True).values_list(
            "symbol", "id"
        )
    )
    missing = [symbol for symbol in symbols if symbol not in existing]
    new = []
    for symbol in missing:
        spec = spec_for(symbol)
        new.append(
            Asset(
                symbol=symbol,
                name=spec.name if spec.name != symbol else f"{symbol} (bench)",
                asset_class=spec.asset_class,
                currency=spec.currency,
                exchange=spec.exchange[:32],
                provider="demo",
            )
        )
    Asset.objects.bulk_create(new)
    return dict(
        Asset.objects.filter(symbol__in=symbols, provider="demo", owner__isnull=True).values_list(
            "symbol", "id"
        )
    )


def _load_prices(ids: dict[str, int], start: dt.date, today: dt.date) -> int:
    """Demo bars from a month before `start` to today, for assets not yet covering it."""
    from django.db.models import Max, Min

    from market.models import Asset, Price
    from market.providers.demo import DemoProvider
    from market.services import price_upsert

    since = start - dt.timedelta(days=31)
    coverage = {
        row["asset_id"]: (row["first"], row["last"])
        for row in Price.objects.filter(asset_id__in=ids.values())
        .values("asset_id")
        .annotate(first=Min("date"), last=Max("date"))
    }
    provider = DemoProvider(today=lambda: today)
    written = 0
    assets = Asset.objects.in_bulk(list(ids.values()))
    for symbol, asset_id in ids.items():
        first, last = coverage.get(asset_id, (None, None))
        if first is not None and first <= since + dt.timedelta(days=5) and last >= today:
            continue
        bars = provider.history(symbol, since, today)
        written += price_upsert(asset=assets[asset_id], bars=bars).written
    return written


def load(size: Size | str, *, seed: int = 7, today: dt.date | None = None, owner=None):
    """Generate a workload and store it as a portfolio "Bench <size>" of `owner` (by default
    the size's own bench user, bench-<size>@portfolia.local, so each dashboard shows one
    portfolio), replacing an earlier one. Answers (portfolio, workload)."""
    from django.db import connection, transaction

    from accounts.models import User
    from market.models import Asset
    from portfolios.models import Portfolio, Transaction
    from portfolios.services import transactions_load

    workload = generate(size, seed=seed, today=today)
    today = workload.end
    if owner is None:
        email = f"bench-{workload.size.name.lower()}@portfolia.local"
        owner = User.objects.filter(email=email).first()
        if owner is None:
            owner = User.objects.create_user(email=email, password="bench-portfolia-password")
    ids = _catalogue_assets(workload.symbols, today)
    _load_prices(ids, workload.start, today)
    with transaction.atomic():
        name = f"Bench {workload.size.name}"
        Portfolio.objects.filter(owner=owner, name=name).delete()
        portfolio = Portfolio.objects.create(
            owner=owner,
            name=name,
            base_currency=BASE_CURRENCY,
            cost_basis_method="fifo",
            benchmark=Asset.objects.get(pk=ids[BENCHMARK]),
            # Its deposits come in each of its currencies: a multi-currency account.
            records_cash=workload.size.records_cash,
            cash_per_currency=workload.size.records_cash,
        )
        # Checked beforehand by replaying the ledger: loaded in bulk, the version moved once.
        transactions_load(
            portfolio=portfolio,
            transactions=[
                Transaction(
                    portfolio=portfolio,
                    kind=row["kind"],
                    date=row["date"],
                    asset_id=ids[row["symbol"]] if row.get("symbol") else None,
                    quantity=row.get("quantity"),
                    price=row.get("price"),
                    amount=row.get("amount"),
                    ratio=row.get("ratio"),
                    fee=row.get("fee") or Decimal(0),
                    currency=row.get("currency")
                    or workload.assets.get(row.get("symbol"), BASE_CURRENCY),
                    note=row.get("note", ""),
                )
                for row in workload.transactions
            ],
        )
    if connection.vendor == "postgresql":
        # As autovacuum would after a load this size: the planner needs the new row counts.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE portfolios_transaction, market_asset, market_price")
    return portfolio, workload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", default=["S", "M", "L"], choices=list(SIZES))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    for name in args.sizes:
        began = time.perf_counter()
        portfolio, workload = load(name, seed=args.seed)
        print(
            f"{name}: {len(workload.transactions):,} transactions {workload.counts()}, "
            f"{len(workload.assets)} assets, {workload.start} to {workload.end} "
            f"→ portfolio {portfolio.public_id} ({time.perf_counter() - began:.1f} s)"
        )


if __name__ == "__main__":
    main()
