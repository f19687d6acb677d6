"""Reads of saved import mappings, scoped to their owner (someone else's is not found)."""

from __future__ import annotations

from django.db.models import QuerySet

from portfolios.models import SavedMapping


def saved_mappings_for_user(user) -> QuerySet[SavedMapping]:
    return SavedMapping.objects.filter(owner=user).order_by("name")


def saved_mapping_named(user, name: str) -> SavedMapping | None:
    """The user's mapping of that name, or None."""
    return SavedMapping.objects.filter(owner=user, name=(name or "").strip()).first()
