"""The one way the CSV downloads are written (transactions, income, realized gains, performance
exports): a header row then the rows, comma-separated, `\\n` line ends, quoted only as needed.

Formula injection: a spreadsheet runs a cell starting with = + - @, tab or CR as a formula
(`=HYPERLINK(…)` in a note). Such a text cell is written with a leading apostrophe, which a
spreadsheet shows as text and does not display; numbers (-12.5, +3) stay as they are. Portfolia's
own import takes the apostrophe off again (`cell_restored`), so its export imports back exactly:
a text that itself starts with apostrophes before such a character gets one more, so restoring
always removes exactly the one the export added."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _needs_apostrophe(text: str) -> bool:
    """A spreadsheet would run ``text`` (or, for ``'…``, the text the import would restore)."""
    stripped = text.lstrip("'")
    return stripped.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(stripped)


def cell_neutralised(value):
    """``value`` as written to a CSV: a text a spreadsheet would run, with an apostrophe first."""
    if isinstance(value, str) and _needs_apostrophe(value):
        return "'" + value
    return value


def cell_restored(text: str) -> str:
    """The text ``cell_neutralised`` was given (one apostrophe off the cells it added one to)."""
    if text.startswith("'") and _needs_apostrophe(text[1:]):
        return text[1:]
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """The CSV text of `header` and `rows`, text cells neutralised against formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell_neutralised(cell) for cell in row] for row in rows)
    return out.getvalue()
