"""How numbers look on pages: money with its currency and thousands separators, signed gains,
percentages with a sign, quantities with as many decimals as they need. NaN and infinities show
as "—", like a missing figure.

Rounding goes through `portfolia.money.quantize`, the one rounding helper.
"""

from decimal import Decimal

from django import template

from portfolia.money import EMPTY, MINUS, MONEY_PLACES, quantize, to_decimal, unit_price_text

register = template.Library()


def _finite(value) -> Decimal | None:
    """The value as a Decimal; None (shown as "—") for None, NaN and infinities."""
    number = to_decimal(value)
    return number if number is not None and number.is_finite() else None


def _grouped(value: Decimal, places: int) -> str:
    rounded = quantize(value, places)
    return f"{abs(rounded):,.{places}f}"


def _sign(value: Decimal, places: int) -> str:
    rounded = quantize(value, places)
    if rounded > 0:
        return "+"
    if rounded < 0:
        return MINUS
    return ""


@register.filter
def money(value, currency: str = "") -> str:
    """12345.678, "USD" → "12,345.68 USD"; negative with a minus sign; None → "—"."""
    number = _finite(value)
    if number is None:
        return EMPTY
    sign = MINUS if quantize(number, MONEY_PLACES) < 0 else ""
    text = f"{sign}{_grouped(number, MONEY_PLACES)}"
    return f"{text} {currency}" if currency else text


@register.filter
def signed_money(value, currency: str = "") -> str:
    """Like `money` with an explicit sign: "+1,234.50 USD", "-12.00 USD" (with a real minus), "0.00 USD"."""
    number = _finite(value)
    if number is None:
        return EMPTY
    text = f"{_sign(number, MONEY_PLACES)}{_grouped(number, MONEY_PLACES)}"
    return f"{text} {currency}" if currency else text


@register.filter
def percent(value) -> str:
    """A fraction as a signed percentage: 0.12345 → "+12.35%"."""
    number = _finite(value)
    if number is None:
        return EMPTY
    pct = number * 100
    return f"{_sign(pct, 2)}{_grouped(pct, 2)}%"


@register.filter
def weight(value) -> str:
    """A share of the whole as a percentage, signed only when negative (negative cash):
    0.25 → "25.00%", -0.5 → "-50.00%" (with a real minus sign)."""
    number = _finite(value)
    if number is None:
        return EMPTY
    pct = number * 100
    sign = MINUS if quantize(pct, 2) < 0 else ""
    return f"{sign}{_grouped(pct, 2)}%"


@register.filter
def gain_class(value) -> str:
    """The CSS class `gain` or `loss` (always shown beside a sign); empty for zero or None."""
    number = _finite(value)
    if number is None:
        return ""
    rounded = quantize(number, MONEY_PLACES)
    return "gain" if rounded > 0 else "loss" if rounded < 0 else ""


@register.filter
def quantity(value) -> str:
    """Units held: up to 8 decimals, trailing zeros dropped, thousands separated."""
    number = _finite(value)
    if number is None:
        return EMPTY
    rounded = quantize(number, 8).normalize()
    places = max(0, -rounded.as_tuple().exponent)
    sign = MINUS if rounded < 0 else ""
    return f"{sign}{abs(rounded):,.{places}f}"


@register.filter
def unit_price(value, currency: str = "") -> str:
    """A per-unit price: two decimals, more (up to 8) when it is below 1 or needs them."""
    return unit_price_text(value, currency)
