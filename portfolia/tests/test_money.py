"""The one rounding helper and the shared per-unit price format."""

from decimal import Decimal

import pytest

from portfolia.money import quantize, unit_price_text


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Decimal("2.345"), 2, Decimal("2.34")),  # half-even: to the even neighbour
        (Decimal("2.355"), 2, Decimal("2.36")),
        (0.1 + 0.2, 2, Decimal("0.30")),  # floats by their shortest spelling
        (Decimal("-0.001"), 2, Decimal("0.00")),  # no negative zero
    ],
)
def test_quantize_rounds_half_even(value, places, expected):
    assert quantize(value, places) == expected
    assert str(quantize(value, places)) == str(expected)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (187.4412, "USD", "187.44 USD"),
        (1234567.5, "", "1,234,567.50"),
        (0.05, "", "0.05"),
        (0.123456789, "", "0.123457"),
        (0.00012345, "BTC", "0.00012345 BTC"),
        (-3.5, "", "\u22123.50"),
        (None, "USD", "—"),
    ],
)
def test_unit_price_text_shows_as_many_decimals_as_the_size_needs(value, currency, expected):
    assert unit_price_text(value, currency) == expected
