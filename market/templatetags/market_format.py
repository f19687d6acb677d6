"""How market numbers look on pages: prices with as many decimals as their size needs."""

from django import template

from market.models import AssetClass

register = template.Library()

EMPTY = "—"


@register.filter
def price(value, currency: str = "") -> str:
    """187.4412 → "187.44"; 0.00012345 → "0.00012345"; with the currency when given."""
    if value is None:
        return EMPTY
    number = float(value)
    size = abs(number)
    places = 2 if size >= 1 or size == 0 else 4 if size >= 0.01 else 8
    text = f"{number:,.{places}f}".replace("-", "\u2212")
    return f"{text} {currency}".strip()


@register.filter
def asset_class_label(value: str) -> str:
    """ "etf" → "ETF": the display name of an asset class code."""
    return dict(AssetClass.choices).get(value, str(value).capitalize())
