"""Small builders shared by the performance and report tests: assets with closes, transactions
written straight to the table (no ledger check), and the read model called with a fixed today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from market.models import Asset, Price
from market.services import prices_changed
from portfolios.models import Portfolio, Transaction
from portfolios.performance import PerformanceReport, portfolio_performance
from portfolios.services import transactions_load
from portfolios.tests.factories import AssetFactory, FxAssetFactory, PortfolioFactory

D = dt.date


def asset(symbol: str, currency: str = "USD", closes: dict | None = None, **fields) -> Asset:
    made = AssetFactory(symbol=symbol, currency=currency, **fields)
    if closes:
        set_closes(made, closes)
    return made


def fx_pair(symbol: str, closes: dict, quote: str = "USD") -> Asset:
    made = FxAssetFactory(symbol=symbol, name=symbol, currency=quote)
    set_closes(made, closes)
    return made


def set_closes(target: Asset, closes: dict[dt.date, float]) -> None:
    Price.objects.bulk_create(
        [Price(asset=target, date=day, close=float(close)) for day, close in closes.items()]
    )
    if closes:
        prices_changed(asset_id=target.pk, since=min(closes))  # written around price_upsert


def portfolio(**fields) -> Portfolio:
    return PortfolioFactory(**fields)


def txn(target: Portfolio, kind: str, day: dt.date, held: Asset | None = None, **fields):
    """A transaction of any kind; numbers as Decimal (strings and ints are converted)."""
    values = {
        name: Decimal(str(value)) if value is not None else None
        for name, value in fields.items()
        if name in ("quantity", "price", "amount", "ratio", "fee", "fx_rate")
    }
    values.setdefault("fee", Decimal(0))
    currency = fields.get("currency") or (held.currency if held else target.base_currency)
    row = Transaction(kind=kind, date=day, asset=held, currency=currency, **values)
    return transactions_load(portfolio=target, transactions=[row])[0]


def report(target: Portfolio, *, today: dt.date, **params) -> PerformanceReport:
    """The read model for a freshly read portfolio (as a request would have it)."""
    fresh = Portfolio.objects.select_related("benchmark").get(pk=target.pk)
    return portfolio_performance(portfolio=fresh, today=today, **params)


def business_days(start: dt.date, end: dt.date) -> list[dt.date]:
    days = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days
