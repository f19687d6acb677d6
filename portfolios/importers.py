"""Portfolia's own CSV format for transactions: parsing (for imports) and writing (for exports).

The format, one transaction per line after a header line, UTF-8, comma-separated, quoted as
Python's `csv` module does (RFC 4180):

    date,kind,symbol,quantity,price,amount,ratio,fee,currency,fx_rate,note,external_id
    2024-01-02,deposit,,,,5000,,,USD,,,
    2024-01-15,buy,AAPL,10,185.5,,,1,USD,,First buy,BRK-0001
    2024-03-01,buy,NVDA,5,518.1,,,1,USD,,,BRK-0002
    2024-05-10,dividend,AAPL,,,2.4,,,USD,,,
    2024-06-10,split,NVDA,,,,10,,,,,

- date: ISO 8601 (YYYY-MM-DD), from 1900-01-01 to a week from today. kind: buy, sell, dividend, interest, fee, tax, deposit,
  withdrawal or split.
- symbol: the asset's ticker as the data provider spells it (AAPL, VWCE.DE, BTC-USD); empty for
  deposits, withdrawals and portfolio-wide interest, fees and taxes.
- quantity and price (per unit, in `currency`) for buys and sells; amount (total cash) for the
  cash kinds; ratio (new units per old unit: 4 for a 4-for-1 split) for splits.
- fee: optional, 0 when empty. currency: ISO 4217; empty means the asset's currency, else the
  portfolio's. fx_rate: optional, base-currency units per unit of `currency`.
- note: free text. external_id: the broker's reference; a row whose external_id the portfolio
  already has is skipped as a duplicate.

Numbers use a dot for decimals and no thousands separators, and stay below what their column
holds (`portfolios.models.number_limits`); no cell holds a control character (a NUL, which
PostgreSQL cannot store, above all). Columns may come in any order;
only date and kind are required in the header. The export writes exactly these columns, so an
exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO

from portfolia.csv_text import cell_restored, csv_text
from portfolia.currencies import CURRENCIES
from portfolia.money import plain
from portfolia.validators import control_character_problem
from portfolios.models import KIND_VALUES, TRANSACTION_FIELDS, TransactionKind

# The CSV columns: the transaction fields, the date first and the asset as its symbol.
COLUMNS = ("date", "kind", "symbol", *TRANSACTION_FIELDS[3:])
REQUIRED_COLUMNS = ("date", "kind")
DECIMAL_COLUMNS = ("quantity", "price", "amount", "ratio", "fee", "fx_rate")
# Raised from 10,000 rows / 5 MB when big imports moved to a Celery task (services.import_jobs):
# a preview of up to MAX_ROWS rows is read in the request and pages its rows; a save of more
# than settings.IMPORT_TASK_ROWS rows runs in a worker. The size is checked before the file is
# read in full (the upload's size, then at most MAX_BYTES + 1 bytes read).
MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024


class CsvFormatError(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""


def file_size_problem(size: int | None) -> str | None:
    """Why an upload of `size` bytes is refused before it is read (larger than MAX_BYTES)."""
    if size is not None and size > MAX_BYTES:
        return f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."
    return None


@dataclass
class CsvRow:
    """One data line: `line` is its line number in the file (the header is line 1)."""

    line: int
    raw: dict[str, str]
    date: datetime.date | None = None
    kind: str = ""
    symbol: str = ""
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal | None = None
    ratio: Decimal | None = None
    fee: Decimal = Decimal(0)
    currency: str = ""
    fx_rate: Decimal | None = None
    note: str = ""
    external_id: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add_error(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)


def _read_text(file: IO[bytes] | IO[str] | bytes | str) -> str:
    data = file if isinstance(file, bytes | str) else file.read(MAX_BYTES + 1)
    problem = file_size_problem(len(data))
    if problem:
        raise CsvFormatError(problem)
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CsvFormatError("The file is not UTF-8 text.") from error
    return data.removeprefix("\ufeff")


def _decimal(row: CsvRow, column: str, text: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        row.add_error(column, f"“{text}” is not a number (use a dot for decimals, no separators).")
        return None
    if not value.is_finite():
        row.add_error(column, f"“{text}” is not a number.")
        return None
    return value


def parse_transactions_csv(file: IO[bytes] | IO[str] | bytes | str) -> list[CsvRow]:
    """Read every data line into a `CsvRow`, collecting per-column format errors on the row.

    Raises CsvFormatError when the file itself is unreadable (not UTF-8, no header, unknown or
    missing columns, too many rows). Rows with nothing in any cell are skipped.
    """
    text = _read_text(file)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as error:
        raise CsvFormatError("The file is empty: it needs a header line.") from error
    except csv.Error as error:
        raise CsvFormatError(f"The file is not valid CSV: {error}.") from error
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name and name not in COLUMNS]
    if unknown:
        raise CsvFormatError(
            f"Unknown column(s): {', '.join(unknown)}. The columns are: {', '.join(COLUMNS)}."
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise CsvFormatError(f"The header lacks the column(s): {', '.join(missing)}.")
    duplicated = sorted({name for name in columns if name and columns.count(name) > 1})
    if duplicated:
        raise CsvFormatError(f"Column(s) named twice: {', '.join(duplicated)}.")

    rows: list[CsvRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvFormatError(f"The file has more than {MAX_ROWS:,} rows; split it.")
            raw = {  # the export's apostrophe against formulas comes off (portfolia.csv_text)
                name: (cell_restored(cells[index].strip()) if index < len(cells) else "")
                for index, name in enumerate(columns)
                if name
            }
            row = CsvRow(line=line, raw=raw)
            if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
                row.add_error("line", "The line has more cells than the header.")
            _parse_row(row)
            rows.append(row)
    except csv.Error as error:
        raise CsvFormatError(f"Line {reader.line_num} is not valid CSV: {error}.") from error
    return rows


def _parse_row(row: CsvRow) -> None:
    raw = dict(row.raw)
    for column, text in row.raw.items():
        problem = control_character_problem(text)
        if problem:
            # Nothing of such a cell goes on (PostgreSQL cannot even compare a NUL).
            row.add_error(column, f"The {column.replace('_', ' ')} {problem}; remove it.")
            raw[column] = ""
    date_text = raw.get("date", "")
    if not date_text and "date" not in row.errors:
        row.add_error("date", "Enter the date (YYYY-MM-DD).")
    elif date_text:
        try:
            row.date = datetime.date.fromisoformat(date_text)
        except ValueError:
            row.add_error("date", f"“{date_text}” is not a date (YYYY-MM-DD).")
    kind = raw.get("kind", "").lower()
    if kind not in KIND_VALUES and "kind" not in row.errors:
        row.add_error(
            "kind",
            f"“{raw.get('kind', '')}” is not a kind: use {', '.join(TransactionKind.values)}.",
        )
    row.kind = kind
    row.symbol = raw.get("symbol", "")
    for column in DECIMAL_COLUMNS:
        value = _decimal(row, column, raw.get(column, ""))
        if column == "fee":
            row.fee = value if value is not None else Decimal(0)
        else:
            setattr(row, column, value)
    currency = raw.get("currency", "").upper()
    if currency and currency not in CURRENCIES:
        row.add_error("currency", f"“{raw.get('currency')}” is not a supported currency code.")
    row.currency = currency
    row.note = raw.get("note", "")
    row.external_id = raw.get("external_id", "")
    if len(row.note) > 500:
        row.add_error("note", "The note is longer than 500 characters.")
    if len(row.external_id) > 100:
        row.add_error("external_id", "The external ID is longer than 100 characters.")


def _csv_cell(txn, column: str) -> str:
    if column == "symbol":
        return txn.asset.symbol if txn.asset_id else ""
    value = getattr(txn, column)
    if column == "date":
        return value.isoformat()
    return plain(value) if column in DECIMAL_COLUMNS else value


def transactions_to_csv(transactions: Iterable) -> str:
    """Write transactions (with `asset` preloaded) in the import format; numbers exact, without
    trailing zeros, so the file imports back to the same values."""
    return csv_text(
        COLUMNS, ([_csv_cell(txn, column) for column in COLUMNS] for txn in transactions)
    )
