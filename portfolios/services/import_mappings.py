"""Saved column mappings of the transactions import (`portfolios.brokers.mapping`): saved
under a name (checked exactly as the import reads them, replacing one of the same name) and
deleted."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from portfolia.validators import control_character_problem
from portfolios.brokers.mapping import preset_from_mapping
from portfolios.importers import CsvFormatError
from portfolios.models import SavedMapping

MAX_SAVED_MAPPINGS = 100


@transaction.atomic
def saved_mapping_save(*, owner, name: str, mapping: Mapping) -> SavedMapping:
    """Save `mapping` as the owner's mapping `name` (the one of that name replaced); raises
    ValidationError naming what is wrong with the name or the mapping."""
    name = (name or "").strip()
    problem = control_character_problem(name)
    if not name or len(name) > 100 or problem:
        raise ValidationError({"name": [problem or "A name of 1 to 100 characters."]})
    try:
        preset_from_mapping(mapping)
    except CsvFormatError as error:
        raise ValidationError({"mapping": [str(error)]}) from error
    saved = SavedMapping.objects.filter(owner=owner, name=name).first()
    if saved is None:
        if SavedMapping.objects.filter(owner=owner).count() >= MAX_SAVED_MAPPINGS:
            raise ValidationError(
                {"name": [f"At most {MAX_SAVED_MAPPINGS} saved mappings: delete one first."]}
            )
        saved = SavedMapping(owner=owner, name=name)
    saved.mapping = dict(mapping)
    saved.full_clean()
    saved.save()
    return saved


@transaction.atomic
def saved_mapping_delete(*, saved: SavedMapping) -> None:
    saved.delete()
