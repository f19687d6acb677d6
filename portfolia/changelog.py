"""Short logs of writes, for caches that must learn what changed since they were computed.

A versioned row (a portfolio's ledger, an asset's prices) keeps, beside its version, the last
`LOG_LENGTH` writes as `[version, earliest date the write touched]` pairs (JSON-ready). A cache
built at version v asks `changed_since(log, v, current)` for the earliest date touched by the
writes after it: when the log still holds each of them it can recompute from that date, however
many writes there were; when some have dropped off (or v is from the future) it gets None and
must assume that everything changed.
"""

from __future__ import annotations

import datetime

__all__ = ["LOG_LENGTH", "changed_since", "log_append"]

LOG_LENGTH = 32


def log_append(log: list | None, version: int, since: datetime.date) -> list[list]:
    """The log with the write that made `version`, which touched dates from `since` on, added
    (the oldest writes drop off beyond LOG_LENGTH)."""
    entries = [entry for entry in (log or []) if entry[0] < version]
    entries.append([version, since.isoformat()])
    return entries[-LOG_LENGTH:]


def changed_since(log: list | None, version: int, current: int) -> datetime.date | None:
    """The earliest date touched by the writes that took the row from `version` to `current`,
    or None when the log does not hold every one of them."""
    if current <= version or current - version > LOG_LENGTH:
        return None
    touched = {entry[0]: entry[1] for entry in (log or [])}
    days = [touched.get(made) for made in range(version + 1, current + 1)]
    if any(day is None for day in days):
        return None
    return min(datetime.date.fromisoformat(day) for day in days)
