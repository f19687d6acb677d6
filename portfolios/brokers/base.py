"""What a broker preset is, and the reading every preset shares.

A preset is declarative: the header columns that identify its export (`signature`), which of
its columns hold which field (`columns`), its action names mapped to Portfolia kinds
(`actions`, matched case-insensitively; `skipped` gives the reason a non-transaction action is
left out), its number and date formats. `row` is code only where the format needs it (it
may set any field, skip the row with a reason or fail it with a message); `rows` is code over
the whole file (e.g. DEGIRO's trade lines joined with their fee lines).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from portfolia.validators import control_character_problem
from portfolios.importers import MAX_ROWS, CsvFormatError, CsvRow

TRADE = ("buy", "sell")
# The decimal places Portfolia stores (portfolios.models.Transaction).
PLACES = {
    "quantity": Decimal("1e-10"),
    "price": Decimal("1e-10"),
    "amount": Decimal("1e-4"),
    "fee": Decimal("1e-4"),
}
# Minor currency units brokers quote in: code → (major code, units per major unit).
MINOR_UNITS = {
    "GBX": ("GBP", 100),
    "GBP_PENCE": ("GBP", 100),
    "ZAC": ("ZAR", 100),
    "ILA": ("ILS", 100),
}


@dataclass
class BrokerRow(CsvRow):
    """A file row as a broker wrote it, turned into Portfolia's fields; `skipped` is the reason
    it is not a transaction, `identifier` what names its instrument (ISIN, else ticker, else
    name)."""

    isin: str = ""
    ticker: str = ""
    exchange: str = ""
    name: str = ""
    skipped: str = ""
    cells: list[str] = field(default_factory=list)
    # The export gives money in the account's currency without naming it (XTB): the
    # portfolio's base currency is taken for it.
    in_account_currency: bool = False
    # When in the day (if the export says): same-day rows are saved in time order, so a
    # newest-first file's buy comes before the sell it allows.
    moment: datetime.datetime | None = None

    @property
    def identifier(self) -> str:
        return self.isin or self.ticker or self.name

    def fail(self, message: str) -> None:
        self.add_error("line", message)

    def cell(self, column: str) -> str:
        return self.raw.get(column, "")


RowCode = Callable[[BrokerRow, "Preset"], None]


@dataclass(frozen=True)
class Preset:
    name: str  # the `format` value
    label: str  # the broker as users know it
    signature: tuple[str, ...]  # header columns that all appear in this export (exact names)
    columns: Mapping[str, str]  # field → column: date, action, isin, ticker, name, quantity,
    # price, currency, amount, amount_currency, fee, external_id, note
    actions: Mapping[str, str] = field(default_factory=dict)  # lower-cased action → kind
    skipped: Mapping[str, str] = field(default_factory=dict)  # lower-cased action → reason
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal: str = "."  # "," for decimal commas, "auto" when a file mixes both
    match: Callable[[list[str]], bool] | None = None  # in place of `signature` (headers
    # that change with the export's language)
    currency: str = ""  # the export's one currency, when it names none (Schwab: USD)
    # A signed amount that reverses the kind: a "deposit" taking money out is a withdrawal.
    if_negative: Mapping[str, str] = field(default_factory=dict)
    if_positive: Mapping[str, str] = field(default_factory=dict)
    footers: tuple[str, ...] = ()  # first cells of summary lines ("Transactions Total")
    row: RowCode | None = None
    rows: Callable[[list[BrokerRow]], list[BrokerRow]] | None = None

    def matches(self, header: list[str]) -> bool:
        if self.match is not None:
            return self.match(header_names(header))
        names = {name.strip() for name in header}
        return all(column in names for column in self.signature)

    def kind_of(self, action: str) -> str | None:
        return _lookup(self.actions, action)

    def skip_reason(self, action: str) -> str | None:
        return _lookup(self.skipped, action)


def _lookup(table: Mapping[str, str], action: str) -> str | None:
    """The value for a lower-cased action; keys ending in * match as prefixes."""
    key = action.strip().lower()
    if key in table:
        return table[key]
    for prefix, value in table.items():
        if prefix.endswith("*") and key.startswith(prefix[:-1]):
            return value
    return None


_CURRENCY_MARKS = re.compile(r"[$€£¥\s\u00a0]")


def number(text: str, decimal: str = ".") -> Decimal | None:
    """A broker's number: currency marks and thousands separators removed ("$1,234.50",
    "-€597.49", "1.234,5" with decimal=","); None when empty; raises ValueError when not a
    number."""
    text = _CURRENCY_MARKS.sub("", text or "")
    if text in ("", "-", "--", "Not available", "N/A"):
        return None
    negative = text.startswith("(") and text.endswith(")")  # accounting negatives
    text = text.strip("()")
    if decimal == "auto":
        decimal = (
            "," if "," in text and ("." not in text or text.rfind(",") > text.rfind(".")) else "."
        )
    text = text.replace(".", "").replace(",", ".") if decimal == "," else text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"“{text}” is not a number.") from error
    if not value.is_finite():
        raise ValueError(f"“{text}” is not a number.")
    return -value if negative else value


def parse_moment(text: str, formats: tuple[str, ...]) -> datetime.datetime:
    """A date (and time, when the export gives one) in one of `formats` or ISO 8601;
    "07/15/2024 as of 07/12/2024" (Schwab: booked on the 15th for a trade of the 12th) is the
    "as of" date."""
    text = text.strip().rsplit(" as of ", 1)[-1]
    for fmt in formats:
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:  # ISO 8601 timestamps ("2023-09-22T13:30:10.514Z", "2025-01-17 16:57:02 UTC")
        moment = datetime.datetime.fromisoformat(text.removesuffix(" UTC").replace("Z", "+00:00"))
        return moment.replace(tzinfo=None)
    except ValueError:
        pass
    raise ValueError(f"“{text}” is not a date this export writes.")


def parse_date(text: str, formats: tuple[str, ...]) -> datetime.date:
    return parse_moment(text, formats).date()


def header_names(cells: list[str]) -> list[str]:
    """Header names, stripped; unnamed ones "column N" (1-based) so every cell keeps a key."""
    return [cell.strip() or f"column {index + 1}" for index, cell in enumerate(cells)]


def read_rows(text: str, delimiter: str) -> tuple[list[str], list[BrokerRow]]:
    """The header and every non-empty data line as a BrokerRow with its raw cells."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = header_names(next(reader))
    except StopIteration as error:
        raise CsvFormatError("The file is empty: it needs a header line.") from error
    rows: list[BrokerRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvFormatError(f"The file has more than {MAX_ROWS:,} rows; split it.")
            raw = {
                name: (cells[index].strip() if index < len(cells) else "")
                for index, name in enumerate(header)
            }
            row = BrokerRow(line=reader.line_num, raw=raw, cells=[cell.strip() for cell in cells])
            if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
                row.fail("The line has more cells than the header.")
            elif len(cells) < len(header):  # exports write every cell: a cut-short file
                row.fail(
                    f"The line has {len(cells)} cells, the header {len(header)}: "
                    "is the file cut short?"
                )
            rows.append(row)
    except csv.Error as error:
        raise CsvFormatError(f"Line {reader.line_num} is not valid CSV: {error}.") from error
    return header, rows


def apply_preset(preset: Preset, row: BrokerRow) -> None:
    """Fill the row's fields from its cells by the preset's declaration, then its row code."""
    for column, text in row.raw.items():
        problem = control_character_problem(text)
        if problem:
            row.fail(f"The {column} {problem}; remove it.")
            return
    if row.errors:
        return
    columns = preset.columns
    action = row.cell(columns.get("action", ""))
    kind = preset.kind_of(action) if "action" in columns else None
    row.kind = kind or ""
    if kind is None and preset.skip_reason(action):
        row.skipped = preset.skip_reason(action) or ""
    elif row.cells and row.cells[0] in preset.footers:
        row.skipped = "the export's summary line"
    row.isin = row.cell(columns.get("isin", "")).upper()
    row.ticker = row.cell(columns.get("ticker", "")).upper()
    row.name = row.cell(columns.get("name", ""))
    row.currency = row.cell(columns.get("currency", "")).upper()
    row.note = row.cell(columns.get("note", ""))[:500]
    row.external_id = row.cell(columns.get("external_id", ""))[:100]
    if row.skipped:  # not a transaction: its cells are not read further
        return
    try:
        if "date" in columns:
            row.moment = parse_moment(row.cell(columns["date"]), preset.date_formats)
            row.date = row.moment.date()
        for name in ("quantity", "price", "amount", "fee"):
            if name in columns:
                value = number(row.cell(columns[name]), preset.decimal)
                if name == "fee":
                    row.fee = abs(value) if value is not None else Decimal(0)
                else:
                    setattr(row, name, value)
    except ValueError as error:
        row.fail(str(error))
        return
    if not row.currency:
        row.currency = preset.currency
    if preset.row is not None:
        preset.row(row, preset)
    if row.errors or row.skipped:
        return
    if row.amount:
        flips = preset.if_negative if row.amount < 0 else preset.if_positive
        row.kind = flips.get(row.kind, row.kind)
    if not row.kind:
        known = ", ".join(sorted({*preset.actions, *preset.skipped}))
        row.fail(f"“{action}” is not an action this preset knows ({known}).")
        return
    finish(row)


def finish(row: BrokerRow) -> None:
    """Portfolia's sign conventions: quantities, prices, amounts and fees positive; minor units
    (GBX pence) as their major currency."""
    for name in ("quantity", "price", "amount", "fee"):
        value = getattr(row, name)
        if value is not None:
            setattr(row, name, abs(value))
    if row.kind in ("deposit", "withdrawal"):  # cash only: no instrument to match
        row.isin = row.ticker = row.name = ""
    if row.kind in TRADE:
        row.amount = None
    elif row.kind != "split":
        row.quantity = row.price = None
    major = MINOR_UNITS.get(row.currency.upper()) if row.currency else None
    if major is not None:
        code, units = major
        row.currency = code
        for name in ("price", "amount", "fee"):
            value = getattr(row, name)
            if value:
                setattr(row, name, value / units)
    # To the places Portfolia stores (sub-cent digits of "€0.12649" style exports).
    for name, places in PLACES.items():
        value = getattr(row, name)
        if value is not None and value.as_tuple().exponent < places.as_tuple().exponent:
            setattr(row, name, value.quantize(places))
