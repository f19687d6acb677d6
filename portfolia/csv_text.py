"""The one way the CSV downloads are written (transactions, income, realized gains, performance
exports): a header row then the rows, comma-separated, `\\n` line ends, quoted only as needed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """The CSV text of `header` and `rows`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
