"""Writes that race: the services lock the portfolio (and price writes the asset) row, so two
concurrent writes both land, one after the other, and each is counted in the version and the
write log. PostgreSQL only (SQLite serialises every write anyway); real threads, real
connections, committed data."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from market.providers.base import Bar
from market.services import price_upsert
from portfolios import services
from portfolios.models import Portfolio
from portfolios.tests.factories import AssetFactory, PortfolioFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def run_together(*jobs):
    """Run the jobs in threads released at the same moment; re-raise the first error."""
    start = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            start.wait()
            job()
        except Exception as error:  # handed to the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]


def test_two_transactions_added_at_once_both_count():
    pf = PortfolioFactory(base_currency="USD")
    held = AssetFactory(symbol="AAPL", currency="USD")

    def buy(day):
        return lambda: services.transaction_create(
            portfolio=Portfolio.objects.get(pk=pf.pk),
            kind="buy",
            date=day,
            asset=held,
            quantity=Decimal(1),
            price=Decimal(100),
        )

    run_together(buy(dt.date(2024, 3, 5)), buy(dt.date(2024, 1, 9)))
    version, summary = Portfolio.objects.values_list("ledger_version", "ledger_summary").get(
        pk=pf.pk
    )
    assert version == 2
    assert summary["count"] == 2 and summary["first"] == "2024-01-09"
    assert [entry[0] for entry in summary["changes"]] == [1, 2]
    assert sorted(entry[1] for entry in summary["changes"]) == ["2024-01-09", "2024-03-05"]


def test_two_price_writes_at_once_both_count():
    asset = AssetFactory()

    def write(day, close):
        return lambda: price_upsert(asset=asset, bars=[Bar(day, close, close, close, close, 0)])

    run_together(write(dt.date(2024, 3, 5), 10.0), write(dt.date(2024, 1, 9), 11.0))
    asset.refresh_from_db()
    assert asset.price_version == 2
    assert [entry[0] for entry in asset.price_changes] == [1, 2]
    assert sorted(entry[1] for entry in asset.price_changes) == ["2024-01-09", "2024-03-05"]
    assert (asset.first_price_date, asset.last_price_date) == (
        dt.date(2024, 1, 9),
        dt.date(2024, 3, 5),
    )
