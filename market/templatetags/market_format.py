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


@register.filter
def job_age(value) -> str:
    """A duration as staff read a job's age: "40 s", "12 min", "3 h 05 min", "2 days"."""
    if value is None:
        return "—"
    seconds = max(0, int(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


@register.filter
def job_took(job) -> str:
    """How long a finished job took from being queued to its end."""
    if job.finished_at is None or job.created_at is None:
        return "—"
    return job_age(job.finished_at - job.created_at)
