"""Reads of accounts: a user's API keys."""

import uuid

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ApiKey, User


def api_keys_for_user(user: User) -> QuerySet[ApiKey]:
    """The user's API keys, newest first (revoked and expired ones too)."""
    return ApiKey.objects.filter(user=user).order_by("-created_at", "-id")


def api_key_get_for_user(user: User, key_id: uuid.UUID) -> ApiKey:
    """The user's key ``key_id``; another user's (or none) raises Http404."""
    return get_object_or_404(ApiKey, public_id=key_id, user=user)
