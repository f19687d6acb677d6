"""Percent-point figures of the targets page, through the house's weight formats:
50 → "50.00%" (`points`), 2.5 → "+2.50%" (`signed_points`, a drift)."""

from decimal import Decimal

from django import template

from portfolios.templatetags.portfolio_format import percent, weight

register = template.Library()
HUNDRED = Decimal(100)


def _fraction(value):
    return None if value is None else Decimal(value) / HUNDRED


@register.filter
def points(value) -> str:
    return weight(_fraction(value))


@register.filter
def signed_points(value) -> str:
    return percent(_fraction(value))
