"""Logging: one line per request, a request id that follows the request into Celery, and the
two formats (JSON in production, plain text in development).

The request id is taken from ``X-Request-ID`` when it is a safe token (1 to 128 of letters,
digits and ``-_.:``), else made (a UUID's 32 hex digits). It lives in a context variable for the
request (``request_id``): ``RequestIdFilter`` stamps it on every log record a handler writes,
``_publish_request_id`` puts it into the headers of every task the request sends (one id from
a click into the worker), and ``_task_request_id`` sets it again in the worker while the task
runs (a task run eagerly keeps the request's).

Each record is printed once: ``LOGGING`` in the settings names ``django`` with no handler of its
own, so its records reach the root's only (Django's default config gave it a second console
handler, which printed every warning twice under DEBUG); the worker uses the same config
(``setup_logging``) rather than Celery's, so its lines carry the ids too.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import logging.config
import re
import uuid

from celery import signals

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
HEADER = "X-Request-ID"
TASK_HEADER = "request_id"

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_from(value: str | None) -> str:
    """``value`` if it is a safe request id, else a new one."""
    if value and _SAFE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamps ``request_id`` (``-`` outside a request or task) and, in a task, ``task_name``
    and ``task_id`` on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        from celery._state import get_current_task

        task = get_current_task()
        if task is not None and not hasattr(record, "task_name"):
            record.task_name = task.name
            record.task_id = task.request.id
        return True


# A LogRecord's own attributes; anything else on a record came through ``extra=``. Django
# passes the request object itself (``request``, ``server_time``): never printed, since its
# text is the raw path.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request",
    "server_time",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the exception
    if any, and every ``extra`` field (the request id among them)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, default=str)


def logging_config(*, json_lines: bool, level: str) -> dict:
    """The ``LOGGING`` dict: one console handler on the root, every logger propagating to it."""
    plain = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portfolia.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": plain},
            "json": {"()": "portfolia.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # No handlers of their own (this removes Django's defaults): the root prints them.
            "django": {"handlers": [], "level": level, "propagate": True},
            # runserver's own access line: ours replaces it (its errors stay).
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
            "yfinance": {"level": "WARNING"},
        },
    }


# --- Celery: carry the id into tasks, and log the worker with the same config ----------------


@signals.before_task_publish.connect
def _publish_request_id(headers: dict | None = None, **kwargs) -> None:
    current = request_id.get()
    if current and headers is not None:
        headers.setdefault(TASK_HEADER, current)


_tokens: dict[str, contextvars.Token] = {}


def task_request_id(task) -> str | None:
    """The request id a task was sent with (a worker's message header; an eager run's
    ``headers=``), else ``None``."""
    value = getattr(task.request, TASK_HEADER, None) or (task.request.headers or {}).get(
        TASK_HEADER
    )
    return value if isinstance(value, str) and _SAFE_ID.fullmatch(value) else None


@signals.task_prerun.connect
def _task_request_id(task_id: str | None = None, task=None, **kwargs) -> None:
    if task is None or task_id is None:
        return
    sent_with = task_request_id(task)
    if sent_with:
        _tokens[task_id] = request_id.set(sent_with)


@signals.task_postrun.connect
def _task_request_id_reset(task_id: str | None = None, **kwargs) -> None:
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        request_id.reset(token)


@signals.setup_logging.connect
def _worker_logging(**kwargs) -> None:
    """Workers and beat log with ``LOGGING`` (not Celery's own config)."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
