"""The input bounds every path shares: the date range, the number limits derived from the
columns, and text without control characters."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from market.models import Price
from portfolia.validators import (
    MAX_VOLUME,
    PRICE_LIMIT,
    control_character_problem,
    date_problem,
    decimal_limit,
    number_problem,
    readable_date,
    validate_no_control_characters,
    validate_transaction_date,
)
from portfolios.models import Transaction, number_limits

TODAY = dt.date(2026, 3, 10)


def test_dates_from_1900_to_a_week_ahead_are_accepted():
    assert date_problem(dt.date(1900, 1, 1), days_ahead=7, today=TODAY) is None
    assert date_problem(dt.date(2026, 3, 17), days_ahead=7, today=TODAY) is None


def test_a_date_out_of_range_is_named_readably_with_the_range():
    early = date_problem(dt.date(1, 1, 1), days_ahead=7, today=TODAY)
    late = date_problem(dt.date(9999, 12, 31), days_ahead=1, today=TODAY)

    assert early == "1 Jan 0001 is too early: dates go from 1 Jan 1900 to 17 Mar 2026."
    assert late == "31 Dec 9999 is too far in the future: dates go from 1 Jan 1900 to 11 Mar 2026."


def test_the_transaction_date_validator_raises_a_validation_error():
    with pytest.raises(ValidationError, match="too early"):
        validate_transaction_date(dt.date(1899, 12, 31))


def test_number_limits_stay_one_digit_below_each_column():
    limits = number_limits()

    assert limits["quantity"] == limits["price"] == limits["fx_rate"] == Decimal(10) ** 17
    assert limits["amount"] == limits["fee"] == Decimal(10) ** 15
    # A value just below the limit, rounded to SQLite's 15 significant digits, still fits.
    assert len(str(int(float(limits["quantity"] - 1)))) <= 28 - 10


def test_the_price_limit_is_the_transaction_price_columns():
    assert decimal_limit(Transaction._meta.get_field("price")) == PRICE_LIMIT


def test_the_volume_limit_is_the_volume_columns():
    assert Price._meta.get_field("volume").get_internal_type() == "BigIntegerField"
    assert MAX_VOLUME == 2**63 - 1


@pytest.mark.parametrize(
    "value, expected",
    [
        (Decimal("1e17"), "must be below 100,000,000,000,000,000"),
        (Decimal("-1e17"), "must be below 100,000,000,000,000,000"),
        (Decimal("NaN"), "must be a finite number"),
        (float("inf"), "must be a finite number"),
        (Decimal("99999999999999999.9999999999"), None),
    ],
)
def test_number_problem_names_the_bound(value, expected):
    assert number_problem(value, Decimal(10) ** 17) == expected


def test_nul_and_other_control_characters_are_found_with_their_position():
    assert control_character_problem("a\x00b") == "contains a NUL character (U+0000) at character 2"
    assert control_character_problem("ab\x1b") == (
        "contains a control character (U+001B) at character 3"
    )
    assert control_character_problem("a\x85") is not None  # C1 control


def test_tabs_newlines_and_ordinary_unicode_are_plain_text():
    assert control_character_problem("first line\n\tsecond, café ✓") is None


def test_the_text_validator_raises_a_validation_error():
    with pytest.raises(ValidationError, match="NUL character"):
        validate_no_control_characters("x\x00")


@pytest.mark.parametrize(
    "day", [dt.date(1900, 1, 1), dt.date(2024, 3, 1), dt.date(2026, 12, 31), dt.date(1, 1, 1)]
)
def test_messages_of_both_apps_print_dates_as_the_tables_do(day):
    """The engine cannot import Django, so it spells the format itself (`format_date`); both
    must print what the templates' `date:"j M Y"` prints."""
    from django.template import Context, Template

    from portfolios.engine.types import format_date

    table = Template('{{ day|date:"j M Y" }}').render(Context({"day": day}))
    assert readable_date(day) == format_date(day) == table
