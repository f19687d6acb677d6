"""HTML input parsing for sign-up, profile and API keys; the writes happen in
``accounts.services``."""

import datetime

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm

from accounts.models import ApiKeyScope, User
from accounts.services import API_KEY_LONGEST


class SignUpForm(BaseUserCreationForm):
    """Email, name, base currency and a password typed twice (strength checked)."""

    class Meta:
        model = User
        fields = ("email", "name", "base_currency")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email address already exists.")
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("name", "base_currency")


class ApiKeyForm(forms.Form):
    """A new API key: its name, scope and optional last day (it expires at that day's end, UTC)."""

    name = forms.CharField(max_length=100, help_text="What uses it, e.g. “nightly export script”.")
    scope = forms.ChoiceField(choices=ApiKeyScope.choices, initial=ApiKeyScope.READ)
    expires_on = forms.DateField(
        required=False,
        label="Expires after",
        help_text="Optional: the last day it works.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("expires_on")
        if day is not None and day > datetime.date.today() + API_KEY_LONGEST:
            raise forms.ValidationError(f"Choose a day within {API_KEY_LONGEST.days} days.")
        return day

    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time(), datetime.UTC
        )


class EmailChangeForm(forms.Form):
    """A new address, and the current password (a borrowed session must not move the account)."""

    email = forms.EmailField(label="New email address")
    password = forms.CharField(label="Current password", widget=forms.PasswordInput)


class AccountDeleteForm(forms.Form):
    """The password, typed again to delete the account."""

    password = forms.CharField(label="Current password", widget=forms.PasswordInput)
