"""Reading an uploaded file as text: the size limits, the encoding (UTF-8 with or without BOM,
UTF-16 with a BOM or recognisable by its NUL bytes, else Windows-1252) and the delimiter."""

from __future__ import annotations

import codecs
import csv
from typing import IO

from portfolios.importers import MAX_BYTES, CsvFormatError, file_size_problem

DELIMITERS = ",;\t|"


def read_text(file: IO[bytes] | IO[str] | bytes | str) -> str:
    """The file's text, whatever of the supported encodings it uses (raises CsvFormatError
    when it is larger than MAX_BYTES or binary)."""
    data = file if isinstance(file, bytes | str) else file.read(MAX_BYTES + 1)
    problem = file_size_problem(len(data))
    if problem:
        raise CsvFormatError(problem)
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    return decode(data)


def decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16")
    head = data[:200]
    if head and head.count(0) * 3 >= len(head):  # UTF-16 without a BOM: every other byte NUL
        return _strict(data, "utf-16-le" if head[1:2] == b"\0" else "utf-16-be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\0" in data:
        raise CsvFormatError("The file is not text (it holds NUL bytes); export it as CSV.")
    # Windows-1252 decodes almost any byte: what Excel writes on Western European systems.
    return data.decode("cp1252", errors="replace")


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise CsvFormatError(f"The file is not valid {encoding.upper()} text.") from error


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the candidate that splits it into most cells outside
    quotes (comma when none does)."""
    header = text.split("\n", 1)[0]
    best, best_cells = ",", 1
    for delimiter in DELIMITERS:
        try:
            cells = len(next(csv.reader([header], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            continue
        if cells > best_cells:
            best, best_cells = delimiter, cells
    return best
