"""What every input must respect before it is stored or queried, for both apps and every path
(pages, API, CSV imports and price uploads): the dates a transaction or a price may carry, the
largest number a ledger column holds, and text without control characters.

One home per rule: `portfolios.models` (the transaction's fields and per-kind rules),
`portfolios.importers`, `market.services.manual_prices_check` and the query serializers and
forms call these functions; nothing else spells a bound.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import dateformat, timezone

# --- Dates ---------------------------------------------------------------------------------------

EARLIEST_DATE = dt.date(1900, 1, 1)
# A trade may be entered a few days before it settles; a price is never ahead of the server's
# today by more than the time zones between the server and the market.
TRANSACTION_DAYS_AHEAD = 7
PRICE_DAYS_AHEAD = 1


def readable_date(day: dt.date) -> str:
    """A date as the tables print it: "10 Jan 2026"."""
    return dateformat.format(day, "j M Y")


def date_range(*, days_ahead: int, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last date accepted: 1 Jan 1900 to `days_ahead` days after today."""
    today = today or timezone.localdate()
    return EARLIEST_DATE, today + dt.timedelta(days=days_ahead)


def date_problem(
    day: dt.date, *, days_ahead: int = TRANSACTION_DAYS_AHEAD, today: dt.date | None = None
) -> str | None:
    """Why `day` is refused (outside `date_range`), or None when it is fine."""
    first, last = date_range(days_ahead=days_ahead, today=today)
    if first <= day <= last:
        return None
    why = "is too far in the future" if day > last else "is too early"
    return (
        f"{readable_date(day)} {why}: dates go from {readable_date(first)} "
        f"to {readable_date(last)}."
    )


def validate_transaction_date(day: dt.date) -> None:
    """Field validator of transaction dates."""
    problem = date_problem(day, days_ahead=TRANSACTION_DAYS_AHEAD)
    if problem:
        raise ValidationError(problem, code="date_out_of_range")


def validate_query_date(day: dt.date) -> None:
    """Field validator of the dates a query takes (as of, start, end): the widest range any
    stored date has, a transaction's."""
    validate_transaction_date(day)


def validate_price_date(day: dt.date) -> None:
    """Field validator of price dates."""
    problem = date_problem(day, days_ahead=PRICE_DAYS_AHEAD)
    if problem:
        raise ValidationError(problem, code="date_out_of_range")


# --- Numbers -------------------------------------------------------------------------------------

# The largest volume a price row holds (its column is a BigIntegerField).
MAX_VOLUME = models.BigIntegerField.MAX_BIGINT
# A unit price (a transaction's, or a daily open, high, low or close) stays below what a
# transaction's price column holds: `decimal_limit` of 28 digits with 10 places (a test keeps
# the two equal). Prices are floats in the market app, so it cannot read that column itself.
PRICE_LIMIT = Decimal(10) ** 17


def decimal_limit(field: models.DecimalField) -> Decimal:
    """The bound the size of a value of `field` must stay below: one integer digit short of
    its column, so that a value rounded on the way in (SQLite keeps about 15 significant
    digits) still fits it when read back. 28 digits with 10 places → 10^17."""
    return Decimal(10) ** (field.max_digits - field.decimal_places - 1)


def number_problem(value: Decimal | float | int, limit: Decimal | float | int) -> str | None:
    """Why a number is refused (not finite, or not below `limit` in size), or None."""
    number = Decimal(value) if not isinstance(value, Decimal) else value
    if not number.is_finite():
        return "must be a finite number"
    if abs(number) >= limit:
        return f"must be below {Decimal(limit):,f}"
    return None


def validate_price_number(value: float) -> None:
    """Field validator of a daily open, high, low or close (the admin's price form, say): a
    finite number of zero or more below PRICE_LIMIT, as uploads and provider bars are held to."""
    problem = number_problem(value, PRICE_LIMIT)
    if problem is None and value < 0:
        problem = "must be zero or more"
    if problem:
        raise ValidationError(f"A price {problem}.", code="price_out_of_range")


# --- Text ----------------------------------------------------------------------------------------

# Tab, line feed and carriage return are ordinary in free text; every other C0 or C1 control
# character (NUL above all, which PostgreSQL refuses to store) is refused.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _is_control(char: str) -> bool:
    code = ord(char)
    return (code < 0x20 or 0x7F <= code <= 0x9F) and char not in _ALLOWED_CONTROLS


def control_character_problem(text: str) -> str | None:
    """Why text is refused ("contains a NUL character (U+0000) at character 3"), or None."""
    for index, char in enumerate(text):
        if _is_control(char):
            name = "a NUL character" if char == "\x00" else "a control character"
            return f"contains {name} (U+{ord(char):04X}) at character {index + 1}"
    return None


def validate_no_control_characters(text: str) -> None:
    """Field validator of text that is stored."""
    problem = control_character_problem(text or "")
    if problem:
        raise ValidationError(f"The text {problem}; remove it.", code="control_character")
