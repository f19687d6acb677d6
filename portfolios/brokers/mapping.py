"""The `mapping` format: any CSV read through a column mapping the user gives (the API takes it
as JSON), turned into the same declarative `Preset` a broker module writes.

    {"columns": {"date": "Date", "action": "Type", "ticker": "Symbol", "quantity": "Qty",
                 "price": "Price", "currency": "Currency", "fee": "Fee"},
     "actions": {"BUY": "buy", "SELL": "sell", "FX": "skip"},
     "date_format": "%d/%m/%Y", "decimal": ","}

`columns` maps Portfolia's fields to the file's header names (date and action required);
`actions` maps the file's action values to kinds, or to "skip" (the row is skipped, saying
so). `date_format` (strftime codes, optional: ISO 8601 is always tried) and `decimal` ("."
default, "," or "auto") say how the file writes dates and numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

from portfolios.importers import CsvFormatError
from portfolios.models import TransactionKind

from .base import Preset

FIELDS = (
    "date",
    "action",
    "isin",
    "ticker",
    "name",
    "quantity",
    "price",
    "amount",
    "fee",
    "currency",
    "external_id",
    "note",
)
REQUIRED = ("date", "action")
SKIP = "skip"
MAX_ENTRIES = 200
MAX_TEXT = 100


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise CsvFormatError(f"The mapping's {what} must be a text of 1 to {MAX_TEXT} characters.")
    if any(ord(char) < 32 for char in value):
        raise CsvFormatError(f"The mapping's {what} holds a control character.")
    return value.strip()


def preset_from_mapping(mapping: Mapping | None) -> Preset:
    """The preset a mapping describes; raises CsvFormatError saying what is wrong with it."""
    if not isinstance(mapping, Mapping):
        raise CsvFormatError("The mapping format needs a mapping: columns and actions.")
    unknown = sorted(set(mapping) - {"columns", "actions", "date_format", "decimal"})
    if unknown:
        raise CsvFormatError(f"Unknown mapping key(s): {', '.join(map(str, unknown))}.")
    columns, actions = mapping.get("columns"), mapping.get("actions")
    if not isinstance(columns, Mapping) or not isinstance(actions, Mapping):
        raise CsvFormatError("The mapping needs `columns` and `actions` objects.")
    if len(columns) > len(FIELDS) or len(actions) > MAX_ENTRIES:
        raise CsvFormatError(f"The mapping has too many entries (at most {MAX_ENTRIES} actions).")
    bad = sorted(str(name) for name in columns if name not in FIELDS)
    if bad:
        raise CsvFormatError(
            f"Unknown field(s) {', '.join(bad)}: the fields are {', '.join(FIELDS)}."
        )
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise CsvFormatError(f"The mapping lacks the column(s) for: {', '.join(missing)}.")
    kinds = (*TransactionKind.values, SKIP)
    table: dict[str, str] = {}
    for value, kind in actions.items():
        if kind not in kinds:
            raise CsvFormatError(f"“{kind}” is not a kind: use {', '.join(kinds)}.")
        table[_text(value, "action value").lower()] = kind
    date_format = mapping.get("date_format") or "%Y-%m-%d"
    decimal = mapping.get("decimal") or "."
    if decimal not in (".", ",", "auto"):
        raise CsvFormatError('The mapping\'s decimal is ".", "," or "auto".')
    names = {field: _text(column, f"column for {field}") for field, column in columns.items()}
    return Preset(
        name="mapping",
        label="Column mapping",
        signature=tuple(dict.fromkeys(names.values())),
        columns=names,
        actions={value: kind for value, kind in table.items() if kind != SKIP},
        skipped={value: "skipped by the mapping" for value, kind in table.items() if kind == SKIP},
        date_formats=(_text(date_format, "date format"),),
        decimal=decimal,
    )
