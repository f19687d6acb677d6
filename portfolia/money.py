"""The one place numbers are rounded, for display on pages and in the API (never in the ledger),
and the per-unit price format that market and portfolio pages share."""

from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal, getcontext

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
    """Round half-even to ``places`` decimals (banker's rounding, so sums do not drift).

    Never raises on a finite number, however large: the precision grows with its digits (the
    default 28 would refuse 1e18 at ten places). Infinities and NaN come back as they are."""
    number = to_decimal(value)
    if number is None:
        return None
    if not number.is_finite():
        return number
    digits = max(number.adjusted(), 0) + places + 2
    context = Context(
        prec=max(getcontext().prec, digits), rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN
    )
    rounded = number.quantize(Decimal(1).scaleb(-places), context=context)
    return context.add(rounded, 0)  # turns -0.00 into 0.00


def plain(value: Decimal | None) -> str:
    """An exact Decimal without trailing zeros or exponent ("10", "0.5"); "" for None."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


MINUS = "\u2212"  # a real minus sign, as wide as the plus
EMPTY = "—"


def unit_price_text(value: float | Decimal | None, currency: str = "") -> str:
    """A per-unit price: two decimals, more (up to 8) when it is below 1 or needs them:
    187.4412 → "187.44"; 0.00012345 → "0.00012345"; with the currency when given."""
    number = to_decimal(value)
    if number is None or not number.is_finite():
        return EMPTY
    places = MONEY_PLACES
    if abs(number) < 1:
        places = 6
    if abs(number) < Decimal("0.01"):
        places = 8
    rounded = quantize(number, places)
    if places > MONEY_PLACES:
        rounded = rounded.normalize()
        places = max(MONEY_PLACES, -rounded.as_tuple().exponent)
    sign = MINUS if rounded < 0 else ""
    text = f"{sign}{abs(rounded):,.{places}f}"
    return f"{text} {currency}" if currency else text
