"""The import page's mapping editor (the `mapping` format without JavaScript): the mapping read
from the form's inputs (`map::<field>` → a column, `action::<value>` → a kind or "skip",
`date_format`, `decimal`; or the JSON a previous step carried in `mapping`), a first guess from
the file's header, and what the editor shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.http import QueryDict

from portfolios import brokers
from portfolios.brokers.mapping import FIELDS, SKIP
from portfolios.models import TransactionKind

COLUMN_PREFIX = "map::"
ACTION_PREFIX = "action::"
SAVED_PREFIX = "saved:"
# Header names commonly used for each field (lower-cased), for the editor's first guess.
GUESSES = {
    "date": ("date", "trade date", "time", "datetime", "booking date", "settlement date"),
    "action": ("action", "type", "transaction type", "activity", "side", "kind", "operation"),
    "isin": ("isin",),
    "ticker": ("symbol", "ticker", "code"),
    "name": ("name", "description", "security", "instrument", "product"),
    "quantity": ("quantity", "qty", "shares", "units", "amount of shares"),
    "price": ("price", "unit price", "price per share", "rate"),
    "amount": ("amount", "total", "net amount", "value", "total amount"),
    "fee": ("fee", "fees", "commission", "commissions"),
    "currency": ("currency", "ccy"),
    "external_id": ("id", "reference", "transaction id", "order id"),
    "note": ("note", "notes", "comment", "memo"),
}


def mapping_from_post(data: QueryDict) -> dict | None:
    """The mapping the editor's inputs (or a carried `mapping` JSON) describe; None when the
    form holds none. Not checked here: the import checks it and says what is wrong."""
    columns = {
        key.removeprefix(COLUMN_PREFIX): value
        for key, value in data.items()
        if key.startswith(COLUMN_PREFIX) and value.strip()
    }
    if columns or any(key.startswith(COLUMN_PREFIX) for key in data):
        actions = {
            key.removeprefix(ACTION_PREFIX): value
            for key, value in list(data.items())[:1000]
            if key.startswith(ACTION_PREFIX) and value.strip()
        }
        mapping: dict = {"columns": columns, "actions": actions}
        for name in ("date_format", "decimal"):
            if data.get(name, "").strip():
                mapping[name] = data[name].strip()
        return mapping
    carried = data.get("mapping", "")
    if carried.strip() and len(carried) <= 20_000:
        try:
            mapping = json.loads(carried)
        except ValueError:
            return None
        return mapping if isinstance(mapping, dict) else None
    return None


def guess_columns(columns: list[str]) -> dict[str, str]:
    """Each field's column when the header names it in a common way."""
    by_name = {column.strip().lower(): column for column in columns}
    guessed: dict[str, str] = {}
    for name, candidates in GUESSES.items():
        found = next((by_name[c] for c in candidates if c in by_name), None)
        if found and found not in guessed.values():
            guessed[name] = found
    return guessed


@dataclass
class MappingEditor:
    """What the editor shows: the file's columns, each field's chosen column, the action
    values found in the file with their chosen kinds."""

    columns: list[str]
    chosen: dict[str, str]
    actions: list[tuple[str, str]]  # (value in the file, chosen kind or "")
    date_format: str = ""
    decimal: str = "."
    fields: tuple[str, ...] = FIELDS
    kinds: tuple[str, ...] = (*TransactionKind.values, SKIP)
    problems: list[str] = field(default_factory=list)

    decimal_marks: tuple[tuple[str, str], ...] = (
        (".", "1,234.56 (dot)"),
        (",", "1.234,56 (comma)"),
        ("auto", "either (read each number)"),
    )

    @property
    def field_choices(self) -> list[tuple[str, str]]:
        """Each field with the column chosen for it ("" when none)."""
        return [(name, self.chosen.get(name, "")) for name in self.fields]

    def mapping(self) -> dict:
        mapping: dict = {
            "columns": dict(self.chosen),
            "actions": {value: kind for value, kind in self.actions if kind},
        }
        if self.date_format:
            mapping["date_format"] = self.date_format
        if self.decimal != ".":
            mapping["decimal"] = self.decimal
        return mapping


def mapping_editor(raw: bytes, mapping: dict | None) -> MappingEditor | None:
    """The editor for a file (None when its text cannot be read at all), filled from `mapping`
    or, without one, from a guess at its header."""
    mapping = mapping if isinstance(mapping, dict) else {}
    chosen = mapping.get("columns") if isinstance(mapping.get("columns"), dict) else None
    try:
        header = brokers.outline(raw).columns
        chosen = {
            str(name): str(column)
            for name, column in (guess_columns(header) if chosen is None else chosen).items()
            if name in FIELDS and column in header
        }
        found = brokers.outline(raw, action_column=chosen.get("action", "")).action_values
    except brokers.CsvFormatError:
        return None
    given = mapping.get("actions") if isinstance(mapping.get("actions"), dict) else {}
    given = {str(value).lower(): str(kind) for value, kind in given.items()}
    kinds = (*TransactionKind.values, SKIP)
    actions = []
    for value in found:
        kind = given.get(value.lower()) or (value.lower() if value.lower() in kinds else "")
        actions.append((value, kind if kind in kinds else ""))
    decimal = mapping.get("decimal") if mapping.get("decimal") in (".", ",", "auto") else "."
    date_format = mapping.get("date_format")
    return MappingEditor(
        columns=header,
        chosen=chosen,
        actions=actions,
        date_format=date_format if isinstance(date_format, str) else "",
        decimal=decimal,
    )
