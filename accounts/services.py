"""Every write to accounts: creating users and updating profiles."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User


@transaction.atomic
def user_create(
    *, email: str, password: str, name: str = "", base_currency: str = "USD", is_staff: bool = False
) -> User:
    """Create an active user after validating the email, currency and password strength."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["A user with this email address already exists."]})
    user = User(email=email, name=name, base_currency=base_currency, is_staff=is_staff)
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def user_update(*, user: User, name: str | None = None, base_currency: str | None = None) -> User:
    """Change a user's profile fields; omitted fields stay as they are."""
    if name is not None:
        user.name = name
    if base_currency is not None:
        user.base_currency = base_currency
    user.full_clean(exclude=["password"])
    user.save(update_fields=["name", "base_currency"])
    return user
