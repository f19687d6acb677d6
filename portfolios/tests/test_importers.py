"""The CSV format itself: reading every line with its format errors, and writing it back."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portfolios.importers import (
    COLUMNS,
    CsvFormatError,
    parse_transactions_csv,
    transactions_to_csv,
)

HEADER = ",".join(COLUMNS)


def test_a_well_formed_file_parses_into_typed_rows():
    text = (
        f"{HEADER}\n"
        "2024-01-15,buy,AAPL,10,185.5,,,1,usd,,First buy,BRK-1\n"
        "2024-02-01,Deposit,,,,5000,,,,,,\n"
    )
    buy, deposit = parse_transactions_csv(text.encode())
    assert (buy.line, buy.date, buy.kind, buy.symbol) == (2, dt.date(2024, 1, 15), "buy", "AAPL")
    assert (buy.quantity, buy.price, buy.fee, buy.currency) == (10, Decimal("185.5"), 1, "USD")
    assert (buy.note, buy.external_id, buy.errors) == ("First buy", "BRK-1", {})
    assert (deposit.kind, deposit.amount, deposit.fee, deposit.currency) == ("deposit", 5000, 0, "")


def test_columns_may_come_in_any_order_and_only_date_and_kind_are_required():
    [row] = parse_transactions_csv("kind,amount,date\ninterest,3.5,2024-03-01\n")
    assert (row.kind, row.amount, row.date) == ("interest", Decimal("3.5"), dt.date(2024, 3, 1))


def test_each_bad_cell_is_reported_on_its_row_and_column():
    text = f"{HEADER}\n2024-13-01,purchase,AAPL,ten,1.234.5,,,,XXX,,,\n"
    [row] = parse_transactions_csv(text)
    assert set(row.errors) == {"date", "kind", "quantity", "price", "currency"}
    assert "is not a date" in row.errors["date"][0]


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    text = (
        f"{HEADER}\n\n2024-01-15,deposit,,,,1,,,,,,\n,,,,,,,,,,,\n2024-01-16,deposit,,,,2,,,,,,\n"
    )
    rows = parse_transactions_csv(text)
    assert [row.line for row in rows] == [3, 5]


def test_a_byte_order_mark_is_ignored():
    [row] = parse_transactions_csv(b"\xef\xbb\xbfdate,kind,amount\n2024-01-02,deposit,1\n")
    assert row.kind == "deposit"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"date,kind,colour\n", "Unknown column"),
        (b"date,symbol\n", "lacks the column"),
        (b"date,kind,kind\n", "named twice"),
        ("date,kind\n2024-01-02,buy\n".encode("utf-16"), "not UTF-8"),
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(content, message):
    with pytest.raises(CsvFormatError, match=message):
        parse_transactions_csv(content)


def test_the_writer_quotes_what_needs_quoting_and_reads_back_the_same_values():
    txn = SimpleNamespace(
        date=dt.date(2024, 5, 1),
        kind="buy",
        asset_id=1,
        asset=SimpleNamespace(symbol="BRK-B"),
        quantity=Decimal("1.5000000000"),
        price=Decimal("410.2500000000"),
        amount=None,
        ratio=None,
        fee=Decimal("0.0000"),
        currency="USD",
        fx_rate=None,
        note='Said "hold", then, later,\nsold',
        external_id="X,1",
    )
    text = transactions_to_csv([txn])
    assert text.splitlines()[0] == HEADER
    [row] = parse_transactions_csv(text)
    assert row.errors == {}
    assert (row.quantity, row.price, row.fee) == (Decimal("1.5"), Decimal("410.25"), 0)
    assert (row.note, row.external_id, row.symbol) == (txn.note, "X,1", "BRK-B")
    assert "1.5,410.25,,,0,USD" in text  # exact, no trailing zeros
