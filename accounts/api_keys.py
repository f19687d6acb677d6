"""Personal API keys: the key format, making one, and checking one a request presents.

A key reads ``pfk_<prefix>_<secret>``: the prefix (12 hex digits) finds the row, the whole key's
SHA-256 must match the stored one (compared in constant time). Nothing else about a key is kept.
``key_check`` answers the usable key or ``None``; recording its use writes at most once a minute
per key (or when the address changes), not once per request.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.utils import timezone

from accounts.models import ApiKey

KEYWORD = "Api-Key"
_PREFIX = "pfk_"
# A use is recorded when the last one is older than this (or came from another address).
LAST_USED_EVERY = datetime.timedelta(minutes=1)
# Longest key text looked at: a longer header is refused before any hashing or query.
MAX_KEY_LENGTH = 100


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_new() -> tuple[str, str]:
    """A fresh (prefix, key)."""
    prefix = secrets.token_hex(6)
    return prefix, f"{_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def _prefix_of(key: str) -> str | None:
    if len(key) > MAX_KEY_LENGTH or not key.startswith(_PREFIX):
        return None
    prefix, sep, secret = key.removeprefix(_PREFIX).partition("_")
    if not sep or not secret or len(prefix) != 12:
        return None
    return prefix


def key_check(key: str, *, now: datetime.datetime | None = None) -> ApiKey | None:
    """The usable (not revoked, not expired) key ``key`` names, with its user; else ``None``."""
    prefix = _prefix_of(key)
    if prefix is None:
        return None
    row = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if row is None or not hmac.compare_digest(row.hashed_key, key_hash(key)):
        return None
    if not row.is_usable(now) or not row.user.is_active:
        return None
    return row


def use_record(api_key: ApiKey, *, ip: str | None, now: datetime.datetime | None = None) -> None:
    """Note that ``api_key`` was used from ``ip``, unless it was noted less than a minute ago
    from the same address (one UPDATE, no read)."""
    now = now or timezone.now()
    recent = api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_EVERY
    if recent and api_key.last_used_ip == ip:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_ip=ip)
    api_key.last_used_at, api_key.last_used_ip = now, ip
