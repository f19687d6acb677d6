"""Reads of saved import mappings and of import jobs, scoped to their owner (someone else's is
not found)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from portfolios.models import ImportJob, SavedMapping


def saved_mappings_for_user(user) -> QuerySet[SavedMapping]:
    return SavedMapping.objects.filter(owner=user).order_by("name")


def saved_mapping_named(user, name: str) -> SavedMapping | None:
    """The user's mapping of that name, or None."""
    return SavedMapping.objects.filter(owner=user, name=(name or "").strip()).first()


def import_job_get(user, portfolio, public_id) -> ImportJob:
    """The user's import job into `portfolio`; someone else's, or a malformed id, is a 404."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError as error:
        raise Http404("No such import.") from error
    job = ImportJob.objects.filter(owner=user, portfolio=portfolio, public_id=public_id).first()
    if job is None:
        raise Http404("No such import.")
    return job
