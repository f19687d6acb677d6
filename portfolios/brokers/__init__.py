"""Broker exports as import formats: one small module per broker (its preset), detection from
the header, and the reading of a file into rows for `portfolios.services.imports`.

A package of its own (not `portfolios.importers`, which is Portfolia's own CSV format and
stays a module) so that adding a broker means adding one file here and one sample-based test.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import IO

from portfolios import importers
from portfolios.importers import CsvFormatError, CsvRow

from . import coinbase, degiro, etoro, freetrade, ghostfolio, ibkr, revolut, schwab, trading212, xtb
from .base import BrokerRow, Preset, apply_preset, read_rows
from .mapping import MAX_ENTRIES as MAX_ACTION_VALUES
from .mapping import preset_from_mapping
from .text import read_text, sniff_delimiter

PORTFOLIA = "portfolia"
AUTO = "auto"
MAPPING = "mapping"
PRESETS: tuple[Preset, ...] = (
    *trading212.PRESETS,
    *ibkr.PRESETS,
    *schwab.PRESETS,
    *revolut.PRESETS,
    *freetrade.PRESETS,
    *degiro.PRESETS,
    *ghostfolio.PRESETS,
    *xtb.PRESETS,
    *etoro.PRESETS,
    *coinbase.PRESETS,
)
# Every format name the import takes (presets planned but not written yet are refused by name).
PRESET_NAMES = tuple(dict.fromkeys(preset.name for preset in PRESETS))
FORMATS = (AUTO, PORTFOLIA, *PRESET_NAMES, MAPPING)


@dataclass
class ParsedFile:
    format: str  # the format used: "portfolia" or a preset name
    rows: list[CsvRow]  # BrokerRow for the presets
    detected: bool = False  # True when `auto` chose it
    label: str = "Portfolia CSV"


def known_formats_sentence() -> str:
    return f"Known formats: {', '.join((PORTFOLIA, *PRESET_NAMES))}."


def _header(text: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []


def detect(text: str) -> tuple[str, Preset | None]:
    """The format of a file's text: a preset whose signature columns its header has, else
    Portfolia's own (a header naming date and kind); raises CsvFormatError naming the known
    formats when neither."""
    delimiter = sniff_delimiter(text)
    header = _header(text, delimiter)
    for preset in PRESETS:
        if preset.matches(header):
            return preset.name, preset
    names = [cell.strip().lower() for cell in _header(text, ",")]
    ours = [name for name in names if name in importers.COLUMNS]
    # Portfolia's own: a header naming its kind column, or mostly its columns (its checks
    # then say what is wrong); an empty file gets Portfolia's message too.
    if not text.strip() or "kind" in names or 2 * len(ours) > len(names):
        return PORTFOLIA, None
    raise CsvFormatError(
        "This file is not in a format Portfolia knows (its header: "
        f"{', '.join(cell.strip() for cell in header[:8]) or 'empty'}). {known_formats_sentence()}"
    )


def parse_file(
    file: IO[bytes] | IO[str] | bytes | str, *, format: str = AUTO, mapping: dict | None = None
) -> ParsedFile:
    """Read a file in `format` (or the detected one; `mapping` for the mapping format) into
    rows; raises CsvFormatError when the file as a whole cannot be read in it."""
    text = read_text(file)
    if format not in FORMATS:
        raise CsvFormatError(f"“{format}” is not a format. {known_formats_sentence()}")
    detected = format == AUTO
    if detected:
        format, _preset = detect(text)
    if format == PORTFOLIA:
        return ParsedFile(PORTFOLIA, importers.parse_transactions_csv(text), detected)
    delimiter = sniff_delimiter(text)
    header = _header(text, delimiter)
    if format == MAPPING:
        preset = preset_from_mapping(mapping)
        missing = [name for name in preset.signature if name not in {c.strip() for c in header}]
        if missing:
            raise CsvFormatError(f"The file has no column(s) {', '.join(missing)}.")
        return _parsed(preset, text, delimiter, detected=False)
    candidates = [preset for preset in PRESETS if preset.name == format]
    preset = next((preset for preset in candidates if preset.matches(header)), None)
    if preset is None:
        expected = " or ".join(", ".join(p.signature) for p in candidates)
        raise CsvFormatError(
            f"This is not a {candidates[0].label} export: its header lacks {expected}."
        )
    return _parsed(preset, text, delimiter, detected)


@dataclass
class FileOutline:
    """What the mapping editor offers: a file's columns, and the values of its action column."""

    columns: list[str]
    action_values: list[str]


def outline(file: IO[bytes] | IO[str] | bytes | str, *, action_column: str = "") -> FileOutline:
    """The header of a file and the distinct values (at most MAX_ACTION_VALUES, in the order
    they first appear) of its `action_column`; raises CsvFormatError when it cannot be read."""
    text = read_text(file)
    delimiter = sniff_delimiter(text)
    header, rows = read_rows(text, delimiter)
    values: dict[str, None] = {}
    if action_column in header:
        for row in rows:
            value = row.cell(action_column)
            if value and len(values) < MAX_ACTION_VALUES:
                values.setdefault(value, None)
    return FileOutline(header, list(values))


def _parsed(preset: Preset, text: str, delimiter: str, detected: bool) -> ParsedFile:
    _header_names, rows = read_rows(text, delimiter)
    for row in rows:
        apply_preset(preset, row)
    if preset.rows is not None:
        rows = preset.rows(rows)
    return ParsedFile(preset.name, list(rows), detected, preset.label)


__all__ = [
    "AUTO",
    "FORMATS",
    "MAPPING",
    "PORTFOLIA",
    "PRESETS",
    "BrokerRow",
    "CsvFormatError",
    "FileOutline",
    "ParsedFile",
    "detect",
    "known_formats_sentence",
    "outline",
    "parse_file",
]
