"""Throttle and lockout for every form that takes credentials (pages and API alike).

Each credential form has a *scope*: ``login`` (the log-in page and the API token endpoint share
it, since they guard the same password, and so does a wrong current password on the password
change page), ``password_reset`` and ``signup`` (page and API). In a
scope, attempts are counted per account (the email typed, normalised) and per client address
over a window (``CREDENTIAL_THROTTLE["WINDOW_MINUTES"]``). When one count reaches its limit
(``ACCOUNT_ATTEMPTS``, ``IP_ATTEMPTS``), that account or address is locked for
``LOCK_MINUTES``: every attempt is then refused before any password is checked (a right one
too), with a message that says when to try again, until the lock ends.

A log-in counts its failures (a success clears the account's count); a password reset or a
sign-up counts every submission (they tell nothing on success that an attacker may not want).

Counts and locks live in the cache, so every web process shares them. The cache is an
accelerator: when it keeps nothing (Redis down, see ``portfolia.cache``) this fails open,
admitting every attempt, and logs that at most once a minute.

The client address is DRF's (``X-Forwarded-For`` when a proxy sets it, else ``REMOTE_ADDR``),
the same one the API's throttles use.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

LOGIN = "login"
API_KEY = "api_key"  # wrong API keys, counted per address (accounts.authentication)
PASSWORD_RESET = "password_reset"
SIGNUP = "signup"

_LOG_EVERY = 60.0
_last_logged = float("-inf")


def _config() -> dict[str, int]:
    return settings.CREDENTIAL_THROTTLE


def client_address(request: HttpRequest) -> str:
    """The client's address, as DRF's throttles identify it."""
    return BaseThrottle().get_ident(request) or "unknown"


def _account_subject(account: str | None) -> str:
    """The account's key part ("" when none was typed); emails are compared lower-cased."""
    account = (account or "").strip().lower()
    if not account:
        return ""
    return "account:" + hashlib.sha256(account.encode()).hexdigest()[:32]


def _subjects(request: HttpRequest, account: str | None) -> list[tuple[str, int]]:
    """(cache key part, limit) for the account (when one was typed) and the address."""
    config = _config()
    subjects = [(f"ip:{client_address(request)}", config["IP_ATTEMPTS"])]
    if subject := _account_subject(account):
        subjects.insert(0, (subject, config["ACCOUNT_ATTEMPTS"]))
    return subjects


def _key(scope: str, subject: str, what: str) -> str:
    return f"credentials:{scope}:{subject}:{what}"


def _fail_open(reason: str) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= _LOG_EVERY:
        _last_logged = now
        logger.warning("Credential throttling is off: %s (attempts are not counted).", reason)


def locked_for(*, scope: str, request: HttpRequest, account: str | None) -> int:
    """Seconds until the account or the address may try again in ``scope`` (0: not locked)."""
    now = time.time()
    until = cache.get_many(
        [_key(scope, subject, "lock") for subject, _ in _subjects(request, account)]
    )
    return max([0, *(math.ceil(value - now) for value in until.values())])


def attempt_record(*, scope: str, request: HttpRequest, account: str | None) -> int:
    """Count one attempt in ``scope``; answer the seconds of the lock it started (0: none)."""
    config = _config()
    window = config["WINDOW_MINUTES"] * 60
    lock = config["LOCK_MINUTES"] * 60
    locked = 0
    for subject, limit in _subjects(request, account):
        key = _key(scope, subject, "count")
        cache.add(key, 0, timeout=window)  # the window starts at its first attempt
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr, or the cache keeps nothing
            if not cache.add(key, 1, timeout=window):
                _fail_open("the cache is unavailable")
                return 0
            count = 1
        if count >= limit:
            cache.set(_key(scope, subject, "lock"), time.time() + lock, timeout=lock)
            cache.delete(key)
            locked = lock
    return locked


def attempts_clear(*, scope: str, account: str) -> None:
    """Forget the account's counted attempts in ``scope`` (after a successful log-in); a lock
    already set stays until it ends."""
    if subject := _account_subject(account):
        cache.delete(_key(scope, subject, "count"))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def locked_out_error(wait: int) -> exceptions.Throttled:
    """The API's 429 with the lockout message (and ``Retry-After``), as the pages say it."""
    error = exceptions.Throttled(wait=wait)
    error.detail = exceptions.ErrorDetail(lockout_message(wait), code="throttled")
    return error
