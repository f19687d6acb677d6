"""A service's ValidationError shown on the HTML form that called it (one rule for every app)."""

from django import forms
from django.core.exceptions import ValidationError


def form_apply_errors(
    form: forms.Form, error: ValidationError, renames: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: each message on its field when the form has
    it (after `renames`, model field → form field), else at the top of the form."""
    renames = renames or {}
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, messages in error.message_dict.items():
        field = renames.get(name, name)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
