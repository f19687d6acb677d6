"""The transactions export neutralises formulas in notes and ids, and still imports back to
exactly the same transactions (portfolia.csv_text)."""

import datetime as dt
from decimal import Decimal

import pytest

from portfolios import selectors, services
from portfolios.models import Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db

NOTES = ['=HYPERLINK("http://evil.example","click me")', "+1 call", "@SUM(A1)", "'=x", "-", ""]


def test_formula_notes_are_exported_inert_and_import_back_exactly():
    aapl = AssetFactory(symbol="AAPL", currency="USD")
    source = PortfolioFactory(base_currency="USD", records_cash=True)
    for index, note in enumerate(NOTES):
        TransactionFactory(
            portfolio=source,
            kind="deposit",
            asset=None,
            quantity=None,
            price=None,
            amount=Decimal("100"),
            date=dt.date(2024, 1, 2) + dt.timedelta(days=index),
            note=note,
            external_id=f"-{index}x",
        )
    TransactionFactory(portfolio=source, asset=aapl, date=dt.date(2024, 2, 1), note="=1+1")
    exported = selectors.transactions_export_csv(portfolio=source)
    lines = exported.splitlines()
    # date,kind,symbol,quantity,price,amount,ratio,fee,currency,fx_rate,note,external_id
    assert lines[1] == (
        "2024-01-02,deposit,,,,100,,0,USD,,"
        '"\'=HYPERLINK(""http://evil.example"",""click me"")",\'-0x'
    )
    assert lines[4].endswith(",''=x,'-3x")  # one apostrophe more than the note has
    assert not any(cell.startswith(("=", "+", "@")) for line in lines for cell in line.split(","))

    target = PortfolioFactory(base_currency="USD", records_cash=True)
    report = services.transaction_import(portfolio=target, file=exported.encode(), dry_run=False)
    assert report.is_valid, [(row.line, row.errors) for row in report.rows]
    imported = Transaction.objects.filter(portfolio=target).order_by("date")
    assert [t.note for t in imported] == [*NOTES, "=1+1"]
    assert [t.external_id for t in imported][:2] == ["-0x", "-1x"]
    assert selectors.transactions_export_csv(portfolio=target) == exported
