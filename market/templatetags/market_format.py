"""How market numbers look on pages: prices with as many decimals as their size needs."""

from django import template

from market.models import AssetClass
from portfolia.money import unit_price_text

register = template.Library()


@register.filter
def price(value, currency: str = "") -> str:
    """187.4412 → "187.44"; 0.00012345 → "0.00012345"; with the currency when given."""
    return unit_price_text(value, currency)


@register.filter
def asset_class_label(value: str) -> str:
    """ "etf" → "ETF": the display name of an asset class code."""
    return dict(AssetClass.choices).get(value, str(value).capitalize())
