"""Every write to accounts: creating users, updating profiles, making and revoking API keys,
and the audit entry of a support view."""

import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from accounts import api_keys, audit
from accounts.audit import audit_record, fields_of
from accounts.models import ApiKey, AuditDoor, AuditEntry, User


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    name: str = "",
    base_currency: str = "USD",
    is_staff: bool = False,
    email_verified: bool = False,
) -> User:
    """Create an active user after validating the email, currency and password strength; its
    address is unverified unless ``email_verified`` (the demo's, which no one reads)."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["A user with this email address already exists."]})
    user = User(
        email=email,
        name=name,
        base_currency=base_currency,
        is_staff=is_staff,
        email_verified=email_verified,
    )
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


# The furthest expiry a key may have.
API_KEY_LONGEST = datetime.timedelta(days=3650)


@transaction.atomic
def api_key_create(
    *,
    user: User,
    name: str,
    scope: str = "read",
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Make a personal API key for ``user``; answer the row and the key, which is never
    retrievable again (only its hash is stored)."""
    if not user.email_verified:
        raise ValidationError(
            "Confirm your email address first (follow the link we mailed you) to make API keys."
        )
    now = timezone.now()
    if expires_at is not None and not now < expires_at <= now + API_KEY_LONGEST:
        raise ValidationError(
            {
                "expires_at": [
                    f"The expiry must be in the future, within {API_KEY_LONGEST.days} days."
                ]
            }
        )
    prefix, key = api_keys.key_new()
    row = ApiKey(
        user=user,
        name=name.strip(),
        scope=scope,
        expires_at=expires_at,
        prefix=prefix,
        hashed_key=api_keys.key_hash(key),
    )
    row.full_clean()
    row.save()
    audit_record(
        action="create",
        obj=row,
        owner_id=user.pk,
        after=fields_of(row, ("name", "prefix", "scope", "expires_at")),
    )
    return row, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke ``api_key`` from now on (a revoked key stays listed; revoking again is a no-op)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            action="revoke",
            obj=api_key,
            owner_id=api_key.user_id,
            before={"revoked_at": None},
            after=fields_of(api_key, ("revoked_at",)),
        )
    return api_key


@transaction.atomic
def support_view_record(*, viewed: models.Model, owner_id: int, page: str) -> AuditEntry:
    """Note in the audit log that support staff looked at ``viewed`` (a customer's data) on
    ``page``: every support view is one entry, door ``support``, that the customer sees too."""
    with audit.door(AuditDoor.SUPPORT):
        return audit_record(action="view", obj=viewed, owner_id=owner_id, after={"page": page})
