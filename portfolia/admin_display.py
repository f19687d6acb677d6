"""Decimals in the admin as people read them: "39,736.6", not the column's "39736.6000000000".

`readable(Model, *names)` turns the DecimalField names among `names` into display callables for
`list_display`, `fields` and `readonly_fields`; `ReadableDecimalsMixin` does the same for the
inputs of change forms. Stored values are untouched: this is display only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from portfolia.money import plain


def decimal_text(value: Decimal | None) -> str | None:
    """39736.6000000000 → "39,736.6"; 10.0000000000 → "10"; None stays None (the admin's "-")."""
    if value is None:
        return None
    if not value.is_finite():
        return str(value)
    normalized = value.normalize()
    if normalized == 0:
        return "0"
    return f"{normalized:,f}"


def _decimal_column(field: models.DecimalField) -> Callable[[models.Model], str | None]:
    @admin.display(description=field.verbose_name, ordering=field.name)
    def column(obj: models.Model) -> str | None:
        return decimal_text(getattr(obj, field.name))

    column.__name__ = field.name  # the admin's CSS class for the column stays column-<name>
    return column


def readable(model: type[models.Model], *names: str) -> tuple:
    """`names`, with each DecimalField of `model` among them shown readable."""
    shown: list = []
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        shown.append(_decimal_column(field) if isinstance(field, models.DecimalField) else name)
    return tuple(shown)


class ReadableDecimalField(forms.DecimalField):
    """A decimal input that shows its stored value without the column's padding zeros."""

    def prepare_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            return plain(value)
        return value


class ReadableDecimalsMixin:
    """For a ModelAdmin or an inline: decimal inputs without padding zeros."""

    formfield_overrides = {models.DecimalField: {"form_class": ReadableDecimalField}}
