"""HTML input parsing for market pages: the manual-asset form and CSV price uploads.

The CSV parser only reads: it turns each line into a ``ManualPrice`` or the reasons it cannot;
the rules about prices themselves (close > 0, no future dates, no duplicate dates) live in
``market.services.manual_prices_check``, shared with the API.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms

from market.models import AssetClass
from market.services import MAX_MANUAL_ROWS, ManualPrice
from portfolia.currencies import CURRENCY_CHOICES

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
TOO_LARGE = f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; split it."
CSV_COLUMNS = ("date", "open", "high", "low", "close", "volume")
REQUIRED_COLUMNS = ("date", "close")


class ManualAssetForm(forms.Form):
    symbol = forms.CharField(
        max_length=32, help_text="Your own short code, e.g. HOUSE or MYFUND-A. Must be unique."
    )
    name = forms.CharField(max_length=200)
    asset_class = forms.ChoiceField(label="Asset class", choices=AssetClass.choices)
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES, initial="USD")
    exchange = forms.CharField(max_length=32, required=False, help_text="Optional.")


class PriceCsvForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns date, open, high, low, close, volume (date and close required); "
        "dates as YYYY-MM-DD.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(TOO_LARGE)
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError("The file is not UTF-8 text.") from error


@dataclass
class CsvRow:
    """One data line of an upload: what it said, and the price or the reasons it is wrong."""

    line: int
    values: dict[str, str]
    price: ManualPrice | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class CsvParse:
    rows: list[CsvRow]
    errors: list[str]  # problems of the file as a whole (header, empty)

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows) and not any(row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def prices(self) -> list[ManualPrice]:
        return [row.price for row in self.rows if row.price is not None]


def _number(text: str, name: str, errors: list[str], *, required: bool) -> float | None:
    text = text.strip()
    if not text:
        if required:
            errors.append(f"{name.capitalize()} is missing.")
        return None
    try:
        value = float(Decimal(text))
    except InvalidOperation:
        errors.append(f"{name.capitalize()} “{text}” is not a number (use a dot for decimals).")
        return None
    if not math.isfinite(value):
        errors.append(f"{name.capitalize()} “{text}” is not a number.")
        return None
    return value


def price_csv_parse(text: str) -> CsvParse:
    """Read a price CSV (a header naming the columns, then one line per date), of at most
    MAX_UPLOAD_BYTES and MAX_MANUAL_ROWS prices (the confirmation of a preview sends the text
    back, so the bounds are checked here, not only on the upload)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_UPLOAD_BYTES:
        return CsvParse([], [TOO_LARGE])
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return CsvParse([], ["The file is empty."])
    except csv.Error as error:
        return CsvParse([], [f"The file is not a readable CSV: {error}."])
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name and name not in CSV_COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"Missing column(s): {', '.join(missing)}.")
        if unknown:
            problems.append(f"Unknown column(s): {', '.join(unknown)}.")
        problems.append(f"Expected the header {','.join(CSV_COLUMNS)}.")
        return CsvParse([], problems)

    rows: list[CsvRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_MANUAL_ROWS:
                return CsvParse(
                    [], [f"The file has more than {MAX_MANUAL_ROWS:,} prices; split it."]
                )
            line = reader.line_num
            values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns)}
            row = CsvRow(line=line, values=values)
            if len(cells) > len(columns):
                row.errors.append(f"{len(cells)} values for {len(columns)} columns.")
            day = None
            date_text = values.get("date", "").strip()
            try:
                day = dt.date.fromisoformat(date_text)
            except ValueError:
                row.errors.append(
                    f"Date “{date_text}” is not a date like 2024-01-31."
                    if date_text
                    else "Date is missing."
                )
            numbers = {
                name: _number(values.get(name, ""), name, row.errors, required=name == "close")
                for name in ("open", "high", "low", "close", "volume")
            }
            volume = numbers["volume"]
            if volume is not None and volume != int(volume):
                row.errors.append("Volume must be a whole number.")
            if not row.errors and day is not None and numbers["close"] is not None:
                row.price = ManualPrice(
                    date=day,
                    close=numbers["close"],
                    open=numbers["open"],
                    high=numbers["high"],
                    low=numbers["low"],
                    volume=volume,
                )
            rows.append(row)
    except csv.Error as error:
        return CsvParse(rows, [f"Line {reader.line_num} is not readable CSV: {error}."])
    if not rows:
        return CsvParse([], ["The file has a header but no prices."])
    return CsvParse(rows, [])
