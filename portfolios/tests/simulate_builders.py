"""Shared data of the backtest tests: two assets with hand-checkable closes."""

from __future__ import annotations

import datetime as dt

from market.models import Asset
from portfolios.tests.factories import AssetFactory, prices
from portfolios.tests.performance_builders import business_days


def two_assets() -> tuple[Asset, Asset]:
    """AAA: 10 through January 2024, 20 from 1 Feb; BBB: 50 throughout (2 Jan - 29 Feb)."""
    a, b = AssetFactory(symbol="AAA"), AssetFactory(symbol="BBB")
    days = business_days(dt.date(2024, 1, 2), dt.date(2024, 2, 29))
    prices(a, {day: 10.0 if day.month == 1 else 20.0 for day in days})
    prices(b, dict.fromkeys(days, 50.0))
    a.refresh_from_db()
    b.refresh_from_db()
    return a, b
