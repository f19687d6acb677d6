"""``manage.py seed_demo``: the demo user and two portfolios priced by the offline demo provider.

Idempotent: the user and each portfolio are created only when missing; prices are loaded on
every run (an idempotent upsert), so the demo works offline at once and stays current.

- "Growth & Income" (USD, FIFO, records cash): deposits, a withdrawal, stocks, a dividend ETF,
  a bond ETF (AGG), gold (GC=F) and bitcoin over the last three years, with dividends from the
  provider's own dividend events, trade and account fees, interest, a sale at a loss (TSLA,
  bought at a high and sold at a later low of the demo series) and an older Visa position
  that lived through the provider's 3-for-1 split (the demo provider only splits before 2023).
- "Euro Core" (EUR, average cost, securities only): a monthly ETF savings plan, SAP, bitcoin
  in EUR and a US stock bought in USD (converted with the EURUSD=X pair), with dividends and
  a yearly tax.

Every transaction goes through `portfolios.services`, like the investor's own.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.core.management.base import BaseCommand
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_create
from market.models import Asset
from market.providers import get_provider
from market.providers.base import SearchResult
from market.services import (
    asset_find_or_create,
    corporate_actions_upsert,
    price_upsert,
    quotes_refresh,
)
from portfolios import services
from portfolios.models import Portfolio

DEMO_EMAIL = "demo@portfolia.local"
DEMO_PASSWORD = "demo-portfolia-2026"

USD_NAME = "Growth & Income"
EUR_NAME = "Euro Core"
USD_SYMBOLS = ("V", "AAPL", "KO", "SCHD", "AGG", "GC=F", "BTC-USD", "TSLA")
EUR_SYMBOLS = ("VWCE.DE", "SAP.DE", "BTC-EUR", "MSFT")
MARKET_SYMBOLS = ("^GSPC", "^STOXX50E", "EURUSD=X")
CENT = Decimal("0.01")


# The USD demo's targets: asset class, weight in points, drift band in points (cash: 10 ± 5).
DEMO_CLASS_TARGETS = (
    ("stock", 40, Decimal(5)),
    ("etf", 20, Decimal(5)),
    ("bond", 20, Decimal(5)),
    ("commodity", 7, Decimal(3)),
    ("crypto", 3, Decimal(2)),
)


def _price(value: float) -> Decimal:
    places = Decimal("0.01") if value >= 1 else Decimal("0.000001")
    return Decimal(repr(value)).quantize(places)


def _units(budget: float, price: float, places: str = "1") -> Decimal:
    """How many units (whole, or to `places`) `budget` buys at `price`."""
    return Decimal(str(budget / price)).quantize(Decimal(places), rounding=ROUND_DOWN)


class Closes:
    """One symbol's demo closes, looked up on or before a day."""

    def __init__(self, bars) -> None:
        self.days = [bar.date for bar in bars]
        self.values = [bar.close for bar in bars]

    def on(self, day: dt.date) -> tuple[dt.date, float]:
        """The trading day on or after `day` (else the last) and its close."""
        index = min(bisect.bisect_left(self.days, day), len(self.days) - 1)
        return self.days[index], self.values[index]

    def between(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, float]]:
        lo, hi = bisect.bisect_left(self.days, start), bisect.bisect_right(self.days, end)
        return list(zip(self.days[lo:hi], self.values[lo:hi], strict=True))


@dataclass
class Plan:
    """Transactions to record, kept with the quantity held per symbol (for dividends)."""

    rows: list[dict] = field(default_factory=list)

    def add(self, **row) -> None:
        self.rows.append(row)

    def held(self, symbol: str, day: dt.date) -> Decimal:
        quantity = Decimal(0)
        for row in sorted(self.rows, key=lambda row: row["date"]):
            if row["date"] > day or row.get("symbol") != symbol:
                continue
            if row["kind"] == "buy":
                quantity += row["quantity"]
            elif row["kind"] == "sell":
                quantity -= row["quantity"]
            elif row["kind"] == "split":
                quantity *= row["ratio"]
        return quantity


class Command(BaseCommand):
    help = "Create the demo user and its two demo portfolios if missing, load demo prices, print the login."

    def handle(self, *args, **options) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = user_create(
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                name="Demo Investor",
                base_currency="USD",
                email_verified=True,
            )
            self.stdout.write(self.style.SUCCESS("Created the demo user."))

        self.provider = get_provider("demo")
        self.today = timezone.localdate()
        self.start = self.today - dt.timedelta(days=3 * 365)
        self.assets: dict[str, Asset] = {}
        self.closes: dict[str, Closes] = {}
        split = next(
            event
            for event in self.provider.events("V", dt.date(2000, 1, 1), self.today)
            if event.kind == "split"
        )
        self.v_split = split
        self.v_buy = split.date - dt.timedelta(days=250)
        earliest = {symbol: self.start - dt.timedelta(days=10) for symbol in self._symbols()}
        earliest["V"] = self.v_buy - dt.timedelta(days=10)
        earliest["^GSPC"] = earliest["V"]  # the USD portfolio's benchmark, from its first day
        rows = self._load_prices(earliest)
        self.stdout.write(f"Loaded demo prices: {rows} new or changed daily closes.")
        # Quotes and market caps through the refresh the workers run (offline, instant here),
        # so market-cap weights work from the first page view.
        refreshed = quotes_refresh(asset_ids=[asset.pk for asset in self.assets.values()])
        self.stdout.write(
            f"Refreshed demo quotes: {refreshed.updated}; market caps: "
            f"{refreshed.market_caps_updated}."
        )

        for name, build in ((USD_NAME, self._usd_portfolio), (EUR_NAME, self._eur_portfolio)):
            if Portfolio.objects.filter(owner=user, name=name).exists():
                continue
            with db_transaction.atomic():
                count = build(user)
            self.stdout.write(self.style.SUCCESS(f"Created “{name}” with {count} transactions."))
        self.stdout.write(
            f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}  →  http://127.0.0.1:8000/accounts/login/"
        )

    # --- market data ------------------------------------------------------------------------

    def _symbols(self) -> tuple[str, ...]:
        return USD_SYMBOLS + EUR_SYMBOLS + MARKET_SYMBOLS

    def _asset(self, symbol: str) -> Asset:
        results = [r for r in self.provider.search(symbol, limit=5) if r.symbol == symbol]
        result = results[0] if results else SearchResult(symbol, symbol, "other", "USD", "", "demo")
        return asset_find_or_create(result=result)

    def _load_prices(self, earliest: dict[str, dt.date]) -> int:
        written = 0
        for symbol, since in earliest.items():
            asset = self.assets[symbol] = self._asset(symbol)
            bars = self.provider.history(symbol, since, self.today)
            self.closes[symbol] = Closes(bars)
            written += price_upsert(asset=asset, bars=bars).written
            # Its splits and dividends too, as a fetch job stores them: the asset page lists
            # them, and a split recorded by hand is checked against them.
            corporate_actions_upsert(
                asset=asset, events=self.provider.events(symbol, since, self.today)
            )
        return written

    def _dividends(self, plan: Plan, symbol: str, currency: str) -> None:
        """A dividend transaction for each of the provider's ex-dates while the plan holds."""
        first = min(row["date"] for row in plan.rows if row.get("symbol") == symbol)
        for event in self.provider.events(symbol, first, self.today):
            if event.kind != "dividend" or not event.amount:
                continue
            held = plan.held(symbol, event.date)
            amount = (held * event.amount).quantize(CENT)
            if amount > 0:
                plan.add(
                    kind="dividend",
                    date=event.date,
                    symbol=symbol,
                    amount=amount,
                    currency=currency,
                    note=f"{event.amount} per share",
                )

    def _buy(self, plan: Plan, symbol: str, day: dt.date, budget: float, places="1", fee="1"):
        traded, close = self.closes[symbol].on(day)
        quantity = _units(budget, close, places)
        plan.add(
            kind="buy",
            date=traded,
            symbol=symbol,
            quantity=quantity,
            price=_price(close),
            fee=Decimal(fee),
        )
        return traded, quantity

    def _record(self, portfolio: Portfolio, plan: Plan) -> int:
        rows = sorted(enumerate(plan.rows), key=lambda item: (item[1]["date"], item[0]))
        for _index, row in rows:
            row = dict(row)
            symbol = row.pop("symbol", None)
            services.transaction_create(
                portfolio=portfolio, asset=self.assets[symbol] if symbol else None, **row
            )
        return len(rows)

    def _months(self, start: dt.date):
        day = start
        while day <= self.today:
            yield day
            month = day.month % 12 + 1
            day = day.replace(year=day.year + (day.month == 12), month=month, day=1)

    # --- the portfolios ---------------------------------------------------------------------

    def _usd_portfolio(self, user) -> int:
        portfolio = services.portfolio_create(
            owner=user,
            name=USD_NAME,
            description="Demo: US stocks, a dividend ETF, bonds, gold and bitcoin, with cash.",
            base_currency="USD",
            cost_basis_method="fifo",
            benchmark=self.assets["^GSPC"],
            records_cash=True,
        )
        plan = Plan()
        # An older position that went through the provider's split.
        plan.add(kind="deposit", date=self.v_buy, amount=Decimal(6000), note="Opening balance")
        self._buy(plan, "V", self.v_buy, 5000)
        plan.add(kind="split", date=self.v_split.date, symbol="V", ratio=self.v_split.ratio)

        start = self.start
        plan.add(kind="deposit", date=start, amount=Decimal(40000), note="Transfer from savings")
        day = start + dt.timedelta(days=1)
        for symbol, budget in (
            ("AAPL", 6000),
            ("KO", 4000),
            ("SCHD", 5000),
            ("AGG", 6000),
            ("GC=F", 4500),
        ):
            self._buy(plan, symbol, day, budget)
        self._buy(plan, "BTC-USD", day, 3000, places="0.0001", fee="3")

        for month in list(self._months(start + dt.timedelta(days=31)))[:-1]:
            plan.add(kind="deposit", date=month, amount=Decimal(500), note="Monthly saving")
            if month.month in (3, 9) and month + dt.timedelta(days=7) <= self.today:
                self._buy(plan, "SCHD", month + dt.timedelta(days=2), 2500)
        for year in range(1, 4):
            anniversary = start + dt.timedelta(days=365 * year - 5)
            if anniversary <= self.today:
                plan.add(kind="fee", date=anniversary, amount=Decimal(25), note="Account fee")
                plan.add(kind="interest", date=anniversary, amount=Decimal("38.40"))
        plan.add(
            kind="withdrawal",
            date=start + dt.timedelta(days=500),
            amount=Decimal(2000),
            note="Holiday",
        )

        # A sale at a loss: bought at the highest close of its first year, sold at the lowest
        # close of the year after.
        window = self.closes["TSLA"].between(
            start + dt.timedelta(days=30), start + dt.timedelta(days=400)
        )
        high_day, high = max(window, key=lambda item: item[1])
        later = self.closes["TSLA"].between(
            high_day + dt.timedelta(days=1), high_day + dt.timedelta(days=365)
        )
        low_day, low = min(later, key=lambda item: item[1])
        quantity = _units(4000, high)
        plan.add(
            kind="buy",
            date=high_day,
            symbol="TSLA",
            quantity=quantity,
            price=_price(high),
            fee=Decimal(1),
        )
        plan.add(
            kind="sell",
            date=low_day,
            symbol="TSLA",
            quantity=quantity,
            price=_price(low),
            fee=Decimal(1),
            note="Cut the loss",
        )

        for symbol in ("V", "AAPL", "KO", "SCHD", "AGG"):
            self._dividends(plan, symbol, "USD")
        recorded = self._record(portfolio, plan)
        # Targets by asset class, so the Targets page shows drift and a plan from the start.
        services.targets_set(
            portfolio=portfolio,
            targets=[
                services.TargetInput(asset_class=asset_class, weight=Decimal(weight), band=band)
                for asset_class, weight, band in DEMO_CLASS_TARGETS
            ]
            + [services.TargetInput(cash=True, weight=Decimal(10), band=Decimal(5))],
        )
        return recorded

    def _eur_portfolio(self, user) -> int:
        portfolio = services.portfolio_create(
            owner=user,
            name=EUR_NAME,
            description="Demo: a monthly ETF savings plan and a few stocks, without cash records.",
            base_currency="EUR",
            cost_basis_method="average",
            benchmark=self.assets["^STOXX50E"],
        )
        plan = Plan()
        start = self.start + dt.timedelta(days=14)
        self._buy(plan, "VWCE.DE", start, 6000, fee="4.90")
        self._buy(plan, "SAP.DE", start, 3000, fee="4.90")
        self._buy(plan, "BTC-EUR", start, 1500, places="0.0001", fee="1.50")
        traded, close = self.closes["MSFT"].on(start)
        plan.add(
            kind="buy",
            date=traded,
            symbol="MSFT",
            quantity=_units(3000, close),
            price=_price(close),
            fee=Decimal(2),
            currency="USD",
            note="Bought in dollars",
        )
        for month in list(self._months(start + dt.timedelta(days=20)))[:-1]:
            self._buy(plan, "VWCE.DE", month + dt.timedelta(days=1), 250, places="0.0001", fee="0")
        self._dividends(plan, "SAP.DE", "EUR")
        self._dividends(plan, "MSFT", "USD")
        for year in range(start.year + 1, self.today.year + 1):
            if dt.date(year, 1, 15) > self.today:
                break
            plan.add(
                kind="tax",
                date=dt.date(year, 1, 15),
                amount=Decimal("18.60"),
                note="Advance tax on fund gains",
            )
        return self._record(portfolio, plan)
