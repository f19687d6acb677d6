"""Input checks shared by the asset and fetch-job writers."""

from __future__ import annotations

import math
import re

from django.core.exceptions import ValidationError

from portfolia.validators import (
    control_character_problem,
)

_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def clean_currency(currency: str) -> str:
    currency = (currency or "").strip().upper()
    if currency and not _CURRENCY_CODE.match(currency):
        raise ValidationError({"currency": [f"{currency!r} is not an ISO 4217 currency code."]})
    return currency


def check_plain_text(**texts: str) -> None:
    """Refuse typed text with a control character before it reaches a query or a row."""
    errors = {}
    for name, text in texts.items():
        problem = control_character_problem(text or "")
        if problem:
            errors[name] = [f"The {name} {problem}; remove it."]
    if errors:
        raise ValidationError(errors)


def finite(value) -> float | None:
    """The value as a float, or None when it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
