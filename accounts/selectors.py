"""Reads of accounts: a user's API keys, the audit entries about a user's data, the users
support staff may look at."""

import uuid

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ApiKey, AuditEntry, User


def api_keys_for_user(user: User) -> QuerySet[ApiKey]:
    """The user's API keys, newest first (revoked and expired ones too)."""
    return ApiKey.objects.filter(user=user).order_by("-created_at", "-id")


def api_key_get_for_user(user: User, key_id: uuid.UUID) -> ApiKey:
    """The user's key ``key_id``; another user's (or none) raises Http404."""
    return get_object_or_404(ApiKey, public_id=key_id, user=user)


def audit_entries_for_user(user: User) -> QuerySet[AuditEntry]:
    """The audit entries about ``user``'s own data, newest first (whoever wrote them: the
    user, staff in the admin, support looking)."""
    return AuditEntry.objects.filter(owner_user_id=user.pk).order_by("-created_at", "-id")


def customers_for_support(*, query: str = "") -> QuerySet[User]:
    """Active users support may look at, by email; ``query`` narrows to emails containing it."""
    users = User.objects.filter(is_active=True).order_by("email")
    return users.filter(email__icontains=query) if query else users


def customer_for_support(user_id: int) -> User:
    """The active user ``user_id``; Http404 when there is none."""
    return get_object_or_404(User, pk=user_id, is_active=True)
