"""The Redis cache backend: Django's ``RedisCache`` that treats an unreachable Redis as empty.

The cache is an accelerator (read-model results, the dashboard, throttle and lockout counters,
the market-data rate limit), never the only copy of anything. When Redis cannot be reached or
does not answer within its socket timeout, the backend answers as an empty cache that keeps
nothing: reads miss (``get`` answers the default, ``get_many`` nothing), writes and deletes do
nothing, ``add`` answers False (nothing was stored) and ``incr`` raises ``ValueError`` as for a
missing key. Pages and the API then serve uncached, and throttles admit every request.

After a failure the backend does not try Redis again for ``retry_after`` seconds (a small
circuit breaker per process), so a Redis that hangs costs one socket timeout every few seconds,
not one per call; it logs one warning at most every ``log_every`` seconds, and one line when
Redis answers again. ``ping()`` always asks Redis and raises: the readiness check uses it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


@dataclass
class _Outage:
    """What one process knows of one Redis location: since when it failed, and when it said so."""

    down_until: float = 0.0
    logged_at: float = float("-inf")
    down: bool = False


_outages: dict[str, _Outage] = {}
_lock = threading.Lock()


def _connection_errors() -> tuple[type[Exception], ...]:
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class FailSoftRedisCache(RedisCache):
    """``RedisCache`` whose connection failures become misses and no-ops (see the module)."""

    retry_after = 5.0  # seconds without trying Redis after a failure
    log_every = 60.0  # seconds between two warnings of one outage

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._location = ",".join(self._servers)
        self._errors = _connection_errors()

    # --- outage bookkeeping ------------------------------------------------------------------

    def _outage(self) -> _Outage:
        with _lock:
            return _outages.setdefault(self._location, _Outage())

    def _skipping(self) -> bool:
        return time.monotonic() < self._outage().down_until

    def _failed(self, error: Exception) -> None:
        outage, now = self._outage(), time.monotonic()
        outage.down_until = now + self.retry_after
        outage.down = True
        if now - outage.logged_at >= self.log_every:
            outage.logged_at = now
            logger.warning(
                "Cache unreachable (%s: %s); serving uncached and not throttling until it "
                "answers (next warning in %d s at the earliest).",
                type(error).__name__,
                error,
                self.log_every,
            )

    def _answered(self) -> None:
        outage = self._outage()
        if outage.down:
            outage.down = False
            outage.logged_at = float("-inf")
            logger.warning("Cache reachable again.")

    def _call(self, method, *args, fallback, **kwargs):
        if self._skipping():
            return fallback()
        try:
            result = method(*args, **kwargs)
        except self._errors as error:
            self._failed(error)
            return fallback()
        self._answered()
        return result

    # --- the cache API -----------------------------------------------------------------------

    def ping(self) -> None:
        """Ask Redis itself (never the breaker): raise when it does not answer."""
        self._cache.get_client(write=True).ping()
        self._answered()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, key, value, timeout, version, fallback=_false)

    def get(self, key, default=None, version=None):
        return self._call(super().get, key, default, version, fallback=lambda: default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, key, value, timeout, version, fallback=_none)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, key, timeout, version, fallback=_false)

    def delete(self, key, version=None):
        return self._call(super().delete, key, version, fallback=_false)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, keys, version, fallback=dict)

    def has_key(self, key, version=None):
        return self._call(super().has_key, key, version, fallback=_false)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")

        return self._call(super().incr, key, delta, version, fallback=missing)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, data, timeout, version, fallback=lambda: list(data))

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, keys, version, fallback=_none)

    def clear(self):
        return self._call(super().clear, fallback=_false)


def _false() -> bool:
    return False


def _none() -> None:
    return None
