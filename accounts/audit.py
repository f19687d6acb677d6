"""The audit log's writing side: which door a write came through, who made it, and one entry per
write (``audit_record``), called by the one service each audited write goes through.

The door and the request live in context variables: ``AuditDoorMiddleware`` sets them per
request (``api`` under ``/api/``, ``admin`` under ``/admin/``, else ``page``); the admin's
hooks, the CSV import, Celery tasks (``task_prerun``) and the support pages narrow it with
``door(...)``. Outside all of these (a shell, a management command) the door is ``system``.

The actor is read from the request when the entry is written, so the API's authenticator (JWT
or API key, which DRF puts on the Django request) has run by then. Entries keep ids and texts,
never foreign keys: they outlive the user and the object they name. Values are plain JSON:
decimals as strings, dates ISO 8601, a related object as its text.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from celery import signals
from django.db import models
from django.http import HttpRequest, HttpResponse

from accounts.models import AuditDoor, AuditEntry
from portfolia import logs, money

_door: contextvars.ContextVar[str] = contextvars.ContextVar("audit_door", default=AuditDoor.SYSTEM)
_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)


def door_now() -> str:
    """The door the current code runs behind."""
    return _door.get()


@contextlib.contextmanager
def door(name: str) -> Iterator[None]:
    """Run the block behind door ``name`` (one of ``AuditDoor``)."""
    token = _door.set(AuditDoor(name))
    try:
        yield
    finally:
        _door.reset(token)


def door_of_path(path: str) -> str:
    """The door a request path comes through."""
    if path.startswith("/api/"):
        return AuditDoor.API
    if path.startswith("/admin/"):
        return AuditDoor.ADMIN
    return AuditDoor.PAGE


class AuditDoorMiddleware:
    """Sets the door and the request for every audit entry the request writes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        door_token = _door.set(door_of_path(request.path))
        request_token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(request_token)
            _door.reset(door_token)


@signals.task_prerun.connect
def _task_door(task_id=None, task=None, **kwargs) -> None:
    """Writes a Celery task makes come through the ``task`` door (reset after the task)."""
    if task is not None:
        task.request.audit_door_token = _door.set(AuditDoor.TASK)


@signals.task_postrun.connect
def _task_door_reset(task_id=None, task=None, **kwargs) -> None:
    token = getattr(getattr(task, "request", None), "audit_door_token", None)
    if token is not None:
        _door.reset(token)


def plain(value: Any) -> Any:
    """``value`` as plain JSON: decimals as strings without padding zeros, dates ISO
    8601, objects as their text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal):
        return money.plain(value) if value.is_finite() else str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return str(value)


def fields_of(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as plain JSON."""
    return {name: plain(getattr(obj, name)) for name in names}


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the fields whose value differs, before and after."""
    names = [name for name in after if before.get(name) != after[name]]
    return {name: before.get(name) for name in names}, {name: after[name] for name in names}


def _actor() -> tuple[int | None, str]:
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk, user.get_username()
    return None, ""


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: object = "",
    object_repr: str = "",
    owner_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Write one entry about ``obj`` (or the type, id and text given), whose data belongs to
    user ``owner_id``: the actor and the door from the context, the change as plain JSON."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or getattr(obj, "public_id", None) or obj.pk
        object_repr = object_repr or str(obj)
    actor_id, actor_email = _actor()
    return AuditEntry.objects.create(
        actor_user_id=actor_id,
        actor_email=actor_email,
        owner_user_id=owner_id,
        door=door_now(),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        before=plain(before) if before is not None else None,
        after=plain(after) if after is not None else None,
        request_id=logs.request_id.get() or "",
    )
