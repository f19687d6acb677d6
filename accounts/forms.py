"""HTML input parsing for sign-up and profile; the writes happen in ``accounts.services``."""

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm

from accounts.models import User


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
