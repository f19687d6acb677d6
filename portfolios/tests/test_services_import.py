"""transaction_import (all or nothing, duplicates, symbols, the ledger) and the CSV export's
exact round trip."""

import datetime as dt
from decimal import Decimal

import pytest

from market.models import Asset
from portfolios import selectors, services
from portfolios.importers import COLUMNS
from portfolios.models import Transaction
from portfolios.tests.factories import (
    AssetFactory,
    FxAssetFactory,
    ManualAssetFactory,
    PortfolioFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def csv(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


@pytest.fixture
def portfolio():
    # It records cash: the files below have deposits.
    return PortfolioFactory(base_currency="USD", records_cash=True)


@pytest.fixture
def aapl():
    return AssetFactory(symbol="AAPL", currency="USD")


def test_a_valid_file_is_saved_in_file_order(portfolio, aapl):
    report = services.transaction_import(
        portfolio=portfolio,
        file=csv(
            "2024-01-02,deposit,,,,5000,,,,,Start,",
            "2024-01-03,buy,AAPL,10,100,,,1,,,,B-1",
            "2024-01-03,sell,aapl,4,110,,,1,,,,B-2",
        ),
        dry_run=False,
    )
    assert report.is_valid and report.saved
    assert (report.created, report.new_count, report.duplicate_count) == (3, 3, 0)
    kinds = list(
        Transaction.objects.order_by("id").values_list("kind", "asset__symbol", "currency")
    )
    assert kinds == [("deposit", None, "USD"), ("buy", "AAPL", "USD"), ("sell", "AAPL", "USD")]


def test_a_dry_run_reports_every_row_and_saves_nothing(portfolio, aapl):
    report = services.transaction_import(
        portfolio=portfolio, file=csv("2024-01-03,buy,AAPL,10,100,,,,,,,"), dry_run=True
    )
    assert report.is_valid and not report.saved
    assert [row.status for row in report.rows] == ["new"]
    assert not Transaction.objects.exists()


def test_one_bad_row_saves_nothing_and_is_reported_on_its_line(portfolio, aapl):
    report = services.transaction_import(
        portfolio=portfolio,
        file=csv(
            "2024-01-02,buy,AAPL,10,100,,,,,,,",
            "2024-01-03,buy,AAPL,-1,100,,,,,,,",
            "2024-01-04,deposit,,,,50,,,,,,",
        ),
        dry_run=False,
    )
    assert not report.is_valid and not report.saved
    assert [(row.line, row.status) for row in report.rows] == [
        (2, "new"),
        (3, "error"),
        (4, "new"),
    ]
    assert report.rows[1].errors == {"quantity": ["The quantity must be above zero."]}
    assert not Transaction.objects.exists()


def test_selling_more_than_the_file_bought_is_reported_on_the_sell(portfolio, aapl):
    report = services.transaction_import(
        portfolio=portfolio,
        file=csv(
            "2024-01-02,buy,AAPL,10,100,,,,,,,",
            "2024-01-03,sell,AAPL,15,100,,,,,,,",
            "2024-01-04,sell,AAPL,3,100,,,,,,,",
            "2024-01-05,sell,AAPL,9,100,,,,,,,",
        ),
        dry_run=False,
    )
    statuses = [(row.line, row.status, row.message) for row in report.rows]
    assert statuses[1] == (3, "error", "Sell of 15 on 3 Jan 2024 exceeds the 10 held.")
    assert statuses[2][1] == "new"
    # With the first bad sell left out, the last one is checked too: 10 - 3 < 9.
    assert statuses[3] == (5, "error", "Sell of 9 on 5 Jan 2024 exceeds the 7 held.")
    assert not Transaction.objects.exists()


def test_rows_that_would_break_a_stored_sell_are_refused(portfolio, aapl):
    TransactionFactory(portfolio=portfolio, asset=aapl, date=dt.date(2024, 1, 2), quantity=10)
    TransactionFactory(
        portfolio=portfolio, asset=aapl, kind="sell", date=dt.date(2024, 3, 1), quantity=10
    )
    report = services.transaction_import(
        portfolio=portfolio, file=csv("2024-02-01,sell,AAPL,5,100,,,,,,,"), dry_run=False
    )
    assert not report.saved and not report.is_valid
    assert report.file_errors[0].startswith(
        "Importing these rows would make the sell of 10 AAPL on 1 Mar 2024 impossible"
    )
    assert Transaction.objects.count() == 2


def test_duplicates_by_external_id_or_by_content_are_skipped_and_counted(portfolio, aapl):
    TransactionFactory(
        portfolio=portfolio,
        asset=aapl,
        date=dt.date(2024, 1, 2),
        quantity=10,
        price=100,
        external_id="B-1",
    )
    TransactionFactory(
        portfolio=portfolio, asset=aapl, date=dt.date(2024, 1, 9), quantity=2, price=90
    )
    report = services.transaction_import(
        portfolio=portfolio,
        file=csv(
            "2024-01-05,buy,AAPL,1,1,,,,,,,B-1",  # same external id, other content
            "2024-01-09,buy,AAPL,2,90.00,,,,,,,",  # same date, kind, asset, quantity and price
            "2024-01-09,buy,AAPL,2,90,,,,,,,",  # a second identical row: a real second buy
            "2024-01-10,buy,AAPL,1,95,,,,,,,B-7",
            "2024-01-11,buy,AAPL,1,95,,,,,,,B-7",  # repeated within the file
        ),
        dry_run=False,
    )
    assert [row.status for row in report.rows] == [
        "duplicate",
        "duplicate",
        "new",
        "new",
        "duplicate",
    ]
    assert (report.duplicate_count, report.created) == (3, 2)
    assert Transaction.objects.count() == 4


def test_importing_the_same_file_twice_adds_nothing_the_second_time(portfolio, aapl):
    file = csv("2024-01-02,deposit,,,,100,,,,,,", "2024-01-03,buy,AAPL,1,50,,,,,,,")
    services.transaction_import(portfolio=portfolio, file=file, dry_run=False)
    again = services.transaction_import(portfolio=portfolio, file=file, dry_run=False)
    assert (again.duplicate_count, again.created, again.is_valid) == (2, 0, True)
    assert Transaction.objects.count() == 2


def test_an_unknown_symbol_is_found_with_the_data_provider_and_added_on_import(portfolio):
    # The demo provider's catalogue knows MSFT; the local catalogue does not yet.
    file = csv("2024-01-03,buy,MSFT,2,370,,,,,,,")
    preview = services.transaction_import(portfolio=portfolio, file=file, dry_run=True)
    assert preview.is_valid and preview.new_assets == ["MSFT"]
    assert not Asset.objects.filter(symbol="MSFT").exists()
    report = services.transaction_import(portfolio=portfolio, file=file, dry_run=False)
    assert report.saved
    msft = Asset.objects.get(symbol="MSFT")
    assert (msft.provider, msft.currency, msft.owner) == ("demo", "USD", None)
    assert Transaction.objects.get().asset == msft


def test_a_symbol_nobody_knows_is_reported_per_row(portfolio):
    report = services.transaction_import(
        portfolio=portfolio, file=csv("2024-01-03,buy,NOPE-XYZ-123,2,1,,,,,,,"), dry_run=True
    )
    [row] = report.rows
    assert row.status == "error" and "NOPE-XYZ-123" in row.errors["symbol"][0]


def test_the_owners_manual_asset_is_preferred_and_others_are_invisible(portfolio, other_user):
    mine = ManualAssetFactory(owner=portfolio.owner, symbol="FARM")
    ManualAssetFactory(owner=other_user, symbol="SECRET")
    report = services.transaction_import(
        portfolio=portfolio,
        file=csv("2024-01-03,buy,FARM,1,10,,,,USD,,,", "2024-01-03,buy,SECRET,1,10,,,,USD,,,"),
        dry_run=True,
    )
    assert report.rows[0].status == "new" and report.rows[0].asset_name == mine.name
    assert report.rows[1].status == "error"


def test_a_file_level_problem_is_reported_and_nothing_saved(portfolio):
    report = services.transaction_import(portfolio=portfolio, file=b"when,what\n", dry_run=False)
    assert report.file_errors and not report.rows and not report.saved


def test_the_export_round_trips_exactly(aapl):
    source = PortfolioFactory(base_currency="USD", records_cash=True)
    sap = AssetFactory(symbol="SAP.DE", currency="EUR")
    FxAssetFactory()
    rows = [
        {
            "kind": "deposit",
            "asset": None,
            "quantity": None,
            "price": None,
            "amount": Decimal("2500.5"),
        },
        {
            "kind": "buy",
            "quantity": Decimal("1.25"),
            "price": Decimal("185.123456"),
            "fee": Decimal("1"),
        },
        {
            "kind": "buy",
            "quantity": Decimal("1.25"),
            "price": Decimal("185.123456"),
            "fee": Decimal("1"),
        },
        {"kind": "split", "quantity": None, "price": None, "ratio": Decimal(4)},
        {
            "kind": "buy",
            "asset": sap,
            "currency": "EUR",
            "quantity": Decimal(3),
            "price": Decimal("140"),
            "fx_rate": Decimal("1.0871"),
        },
        {
            "kind": "dividend",
            "quantity": None,
            "price": None,
            "amount": Decimal("0.88"),
            "note": 'Q1, "net"',
        },
        {"kind": "sell", "quantity": Decimal("2"), "price": Decimal("50"), "external_id": "S-1"},
        {"kind": "fee", "asset": None, "quantity": None, "price": None, "amount": Decimal("4.99")},
    ]
    for index, row in enumerate(rows):
        TransactionFactory(
            portfolio=source,
            date=dt.date(2024, 1, 2) + dt.timedelta(days=index // 3),
            **{"asset": aapl, **row},
        )
    exported = selectors.transactions_export_csv(portfolio=source)

    target = PortfolioFactory(base_currency="USD", records_cash=True)
    report = services.transaction_import(portfolio=target, file=exported.encode(), dry_run=False)
    assert report.is_valid, [(row.line, row.errors) for row in report.rows]
    assert report.created == len(rows)
    assert selectors.transactions_export_csv(portfolio=target) == exported
    assert exported.splitlines()[1] == "2024-01-02,deposit,,,,2500.5,,0,USD,,,"
