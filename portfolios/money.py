"""The one place numbers are rounded: for display on pages and in the API, never in the ledger."""

from decimal import ROUND_HALF_EVEN, Decimal

MONEY_PLACES = 2
PRICE_PLACES = 6
RATIO_PLACES = 6


def to_decimal(value: float | Decimal | int | None) -> Decimal | None:
    """A float as the Decimal of its shortest spelling (0.1 → Decimal("0.1")); None stays None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def quantize(value: float | Decimal | None, places: int) -> Decimal | None:
    """Round half-even to ``places`` decimals (banker's rounding, so sums do not drift)."""
    number = to_decimal(value)
    if number is None:
        return None
    if not number.is_finite():
        return number
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return rounded + 0  # turns -0.00 into 0.00


def plain(value: Decimal | None) -> str:
    """An exact Decimal without trailing zeros or exponent ("10", "0.5"); "" for None."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text
