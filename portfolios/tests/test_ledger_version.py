"""`Portfolio.ledger_version`: every transaction write through the services moves it one up
and records the earliest date it touched, in the same database transaction; the performance
read model trusts it instead of reading the transactions on every request."""

import datetime

import pytest
from django.core.cache import cache

from portfolios import services
from portfolios.importers import COLUMNS
from portfolios.models import Portfolio, Transaction
from portfolios.performance import loading
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory
from portfolios.tests.performance_builders import D, asset, report

pytestmark = pytest.mark.django_db


def ledger(pf):
    """The version and the earliest date the last write touched (the log's last entry)."""
    version, summary = Portfolio.objects.values_list("ledger_version", "ledger_summary").get(
        pk=pf.pk
    )
    changes = summary.get("changes", [])
    assert [entry[0] for entry in changes] == list(range(version - len(changes) + 1, version + 1))
    return version, datetime.date.fromisoformat(changes[-1][1]) if changes else None


def buy(pf, held, day, quantity=10):
    return services.transaction_create(
        portfolio=pf, kind="buy", date=day, asset=held, quantity=quantity, price=100
    )


def test_create_update_and_delete_move_the_version_and_record_the_earliest_date():
    pf = PortfolioFactory(base_currency="USD")
    held = AssetFactory(symbol="AAPL", currency="USD")
    assert ledger(pf) == (0, None)
    txn = buy(pf, held, D(2024, 3, 5))
    assert ledger(pf) == (1, D(2024, 3, 5))
    services.transaction_update(transaction=txn, data={"date": D(2024, 2, 1)})
    assert ledger(pf) == (2, D(2024, 2, 1))  # the new date is the earlier one
    services.transaction_update(transaction=txn, data={"date": D(2024, 4, 1)})
    assert ledger(pf) == (3, D(2024, 2, 1))  # the old date is the earlier one
    services.transaction_update(transaction=txn, data={"quantity": 3})
    assert ledger(pf) == (4, D(2024, 4, 1))
    services.transaction_delete(transaction=txn)
    assert ledger(pf) == (5, D(2024, 4, 1))


def test_an_import_moves_the_version_once_from_its_earliest_row_and_a_dry_run_not_at_all():
    pf = PortfolioFactory(base_currency="USD", records_cash=True)
    AssetFactory(symbol="AAPL", currency="USD")
    header = ",".join(COLUMNS)
    file = (
        "\n".join(
            [
                header,
                "2024-01-05,buy,AAPL,10,100,,,1,,,,B-1",
                "2024-01-02,deposit,,,,5000,,,,,Start,",
            ]
        )
        + "\n"
    ).encode()
    services.transaction_import(portfolio=pf, file=file, dry_run=True)
    assert ledger(pf) == (0, None)
    imported = services.transaction_import(portfolio=pf, file=file, dry_run=False)
    assert imported.created == 2
    assert ledger(pf) == (1, D(2024, 1, 2))


def test_a_refused_write_leaves_the_version_alone():
    pf = PortfolioFactory(base_currency="USD")
    held = AssetFactory(symbol="AAPL", currency="USD")
    buy(pf, held, D(2024, 1, 2))
    with pytest.raises(Exception):  # noqa: B017 - the ledger refuses to sell more than held
        services.transaction_create(
            portfolio=pf, kind="sell", date=D(2024, 1, 3), asset=held, quantity=99, price=1
        )
    assert ledger(pf) == (1, D(2024, 1, 2))


def test_saving_a_stale_portfolio_does_not_move_the_version_back():
    pf = PortfolioFactory(base_currency="USD")
    held = AssetFactory(symbol="AAPL", currency="USD")
    stale = Portfolio.objects.get(pk=pf.pk)
    buy(pf, held, D(2024, 1, 2))
    stale.name = "Renamed"
    stale.save()
    assert ledger(pf) == (1, D(2024, 1, 2))
    assert Portfolio.objects.get(pk=pf.pk).name == "Renamed"


def summary(pf):
    """The summary less its log of writes (which `ledger` reads)."""
    stored = Portfolio.objects.values_list("ledger_summary", flat=True).get(pk=pf.pk)
    return {name: value for name, value in stored.items() if name != "changes"}


def test_every_write_rewrites_the_ledger_summary_with_the_version():
    pf = PortfolioFactory(base_currency="USD")
    apple = AssetFactory(symbol="AAPL", currency="USD")
    sap = AssetFactory(symbol="SAP.DE", currency="EUR")
    assert summary(pf) == {}
    txn = buy(pf, apple, D(2024, 3, 5))
    services.transaction_create(
        portfolio=pf, kind="buy", date=D(2024, 4, 2), asset=sap, quantity=2, price=50
    )
    assert summary(pf) == {
        "count": 2,
        "first": "2024-03-05",
        "records_cash": False,
        "cash_per_currency": False,
        "assets": sorted([apple.pk, sap.pk]),
        "currencies": ["EUR", "USD"],
    }
    services.portfolio_cash_records_change(portfolio=pf, records_cash=True)
    assert summary(pf)["records_cash"] is True
    deposit = services.transaction_create(
        portfolio=pf, kind="deposit", date=D(2024, 1, 2), amount=1000, currency="USD"
    )
    assert summary(pf)["first"] == "2024-01-02"
    services.transaction_delete(transaction=deposit)
    services.transaction_update(transaction=txn, data={"date": D(2024, 5, 1)})
    # The portfolio's choice, not inferred: no deposit is left, and it still records cash.
    assert summary(pf) == {
        "count": 2,
        "first": "2024-04-02",
        "records_cash": True,
        "cash_per_currency": False,
        "assets": sorted([apple.pk, sap.pk]),
        "currencies": ["EUR", "USD"],
    }


def test_changing_the_cash_choice_moves_the_version_from_the_first_transaction():
    pf = PortfolioFactory(base_currency="USD")
    held = AssetFactory(symbol="AAPL", currency="USD")
    buy(pf, held, D(2024, 3, 5))
    buy(pf, held, D(2024, 6, 5))
    services.portfolio_cash_records_change(portfolio=pf, records_cash=True, cash_per_currency=True)
    assert ledger(pf) == (3, D(2024, 3, 5))
    stored = Portfolio.objects.get(pk=pf.pk)
    assert (stored.records_cash, stored.cash_per_currency) == (True, True)
    services.portfolio_cash_records_change(portfolio=pf, records_cash=True, cash_per_currency=True)
    assert ledger(pf)[0] == 3  # nothing changed: nothing moves


def test_the_cash_migration_keeps_the_numbers_of_portfolios_with_deposits():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("portfolios.migrations.0006_portfolio_cash_choices")
    with_cash = PortfolioFactory(base_currency="USD", records_cash=True)
    TransactionFactory(
        portfolio=with_cash, kind="deposit", asset=None, quantity=None, price=None, amount=100
    )
    without = PortfolioFactory(base_currency="USD")
    buy(without, AssetFactory(symbol="AAPL", currency="USD"), D(2024, 3, 5))
    Portfolio.objects.update(records_cash=False, cash_per_currency=False)
    migration.choose_from_ledgers(apps, None)
    with_cash.refresh_from_db()
    without.refresh_from_db()
    # It recorded cash per currency (what the engine inferred until now): the same numbers.
    assert (with_cash.records_cash, with_cash.cash_per_currency) == (True, True)
    assert summary(with_cash)["records_cash"] is True
    assert (without.records_cash, without.cash_per_currency) == (False, False)


def test_the_migration_fills_the_summary_of_existing_portfolios():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("portfolios.migrations.0003_portfolio_ledger_summary")
    pf = PortfolioFactory(base_currency="USD")
    empty = PortfolioFactory(base_currency="USD")
    held = AssetFactory(symbol="AAPL", currency="USD")
    buy(pf, held, D(2024, 3, 5))
    expected = summary(pf)
    del expected["cash_per_currency"]  # 0006 adds it
    Portfolio.objects.update(ledger_summary={})
    migration.fill(apps, None)
    assert summary(pf) == expected
    assert summary(empty) == {
        "count": 0,
        "first": None,
        "records_cash": False,
        "assets": [],
        "currencies": [],
    }


@pytest.fixture
def held_for_a_year(user):
    pf = PortfolioFactory(owner=user, base_currency="USD")
    closes = {}
    day = D(2023, 1, 2)
    while day <= D(2023, 12, 29):
        if day.weekday() < 5:
            closes[day] = 100 + (day.toordinal() % 17)
        day = day.fromordinal(day.toordinal() + 1)
    held = asset("ACME", closes=closes)
    buy(pf, held, D(2023, 1, 2), quantity=100)
    for month in range(2, 13):
        buy(pf, held, D(2023, month, 3), quantity=1)
    return pf, held


def test_an_edit_recomputes_from_its_date_and_equals_a_cold_computation(
    held_for_a_year, resumes, monkeypatch
):
    pf, _ = held_for_a_year
    today = D(2023, 12, 29)
    report(pf, today=today, period="MAX")
    loads = []
    original = loading.closes_with_previous
    monkeypatch.setattr(
        loading,
        "closes_with_previous",
        lambda *args, **kwargs: loads.append(1) or original(*args, **kwargs),
    )
    edited = Transaction.objects.get(portfolio=pf, date=D(2023, 9, 3))
    services.transaction_update(transaction=edited, data={"quantity": 5})
    incremental = report(pf, today=today, period="MAX")
    assert resumes[0] is None
    assert resumes[1] is not None and D(2023, 7, 31) <= resumes[1] < D(2023, 9, 3)
    assert loads == []  # the prices came from the cached state (they have not changed)
    cache.clear()
    cold = report(pf, today=today, period="MAX")
    assert resumes[-1] is None
    for name in ("end_value", "twr", "mwr", "gain", "price_gain", "fees"):
        assert getattr(incremental, name) == pytest.approx(getattr(cold, name), rel=1e-12), name


def test_an_unchanged_version_reads_no_transactions(held_for_a_year, resumes, monkeypatch):
    pf, _ = held_for_a_year
    today = D(2023, 12, 29)
    first = report(pf, today=today, period="MAX")

    def fail(*args, **kwargs):
        raise AssertionError("the transactions were read")

    monkeypatch.setattr(loading, "txn_rows", fail)
    assert report(pf, today=today, period="1Y").end_value == pytest.approx(first.end_value)
    assert resumes == [None]


def test_several_writes_between_two_requests_recompute_from_the_earliest(held_for_a_year, resumes):
    pf, held = held_for_a_year
    today = D(2023, 12, 29)
    report(pf, today=today, period="MAX")
    buy(pf, held, D(2023, 3, 1))
    buy(pf, held, D(2023, 11, 1))
    after = report(pf, today=today, period="MAX")
    assert resumes == [None, D(2023, 2, 28)]  # the last month end before 1 March
    cache.clear()
    cold = report(pf, today=today, period="MAX")
    for name in ("end_value", "twr", "mwr", "gain", "price_gain", "fees"):
        assert getattr(after, name) == pytest.approx(getattr(cold, name), rel=1e-12), name


def test_more_writes_than_the_log_holds_recompute_everything(held_for_a_year, resumes):
    from portfolia.changelog import LOG_LENGTH

    pf, held = held_for_a_year
    today = D(2023, 12, 29)
    report(pf, today=today, period="MAX")
    for _ in range(LOG_LENGTH + 1):
        buy(pf, held, D(2023, 12, 1), quantity=1)
    after = report(pf, today=today, period="MAX")
    assert resumes == [None, None]
    cache.clear()
    assert report(pf, today=today, period="MAX").end_value == pytest.approx(after.end_value)
