"""A per-provider call rate limit shared by every worker, kept in Django's cache.

Each provider gets a budget of ``calls`` per ``period`` seconds, counted in fixed windows with the
cache's atomic ``incr``. With ``REDIS_URL`` set the cache is Redis, so all workers on all machines
draw from one budget; without it the cache is local memory and the limit holds per process (the
embedded setup runs one worker).

Without the cache (Redis unreachable: ``portfolia.cache`` then stores nothing) the budget cannot
be shared, so each process counts its own calls against the same budget: fetches go on, at up to
the budget per worker process instead of per deployment, until the cache answers again.

``MARKET_PROVIDER_RATE_LIMITS`` in the settings (``{"yahoo": (calls, period_seconds)}``) overrides
the defaults below; a provider without a limit (``None``) is never throttled.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from market.providers.base import TransientProviderError

# Yahoo publishes no limit; a couple of calls a second across all workers stays well clear of
# the blocks it hands out to bursty clients. The demo provider is local computation.
DEFAULT_RATE_LIMITS: dict[str, tuple[int, float] | None] = {
    "yahoo": (2, 1.0),
    "demo": None,
    "manual": None,
}
# A caller waits this long at most for a free slot before giving up (and retrying later).
DEFAULT_MAX_WAIT = 10.0


# Per-process counts, used only while the cache keeps nothing: provider → (window, calls).
_local_windows: dict[str, tuple[int, int]] = {}
_local_lock = threading.Lock()


class RateLimited(TransientProviderError):
    """No slot within the caller's patience: try again after ``retry_after`` seconds."""


@dataclass
class RateLimiter:
    """Fixed-window counter in the cache: at most ``calls`` acquisitions per ``period`` window."""

    name: str
    calls: int
    period: float
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def _key(self, window: int) -> str:
        return f"market:ratelimit:{self.name}:{window}"

    def _count_locally(self, window: int) -> int:
        """This process's acquisitions in ``window`` (the cache being unavailable)."""
        with _local_lock:
            counted_window, used = _local_windows.get(self.name, (window, 0))
            used = used + 1 if counted_window == window else 1
            _local_windows[self.name] = (window, used)
        return used

    def try_acquire(self) -> float:
        """Take a slot if one is free and answer 0, else the seconds until the next window."""
        now = self.clock()
        window = math.floor(now / self.period)
        key = self._key(window)
        timeout = math.ceil(self.period * 2) + 1
        # add() is a no-op when the key exists; incr() is atomic in Redis and in locmem.
        cache.add(key, 0, timeout=timeout)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr, or the cache keeps nothing
            used = 1 if cache.add(key, 1, timeout=timeout) else self._count_locally(window)
        if used <= self.calls:
            return 0.0
        return max((window + 1) * self.period - now, 0.001)

    def acquire(self, *, max_wait: float = DEFAULT_MAX_WAIT) -> None:
        """Block until a slot is free; raise ``RateLimited`` when that would take too long."""
        waited = 0.0
        while True:
            wait = self.try_acquire()
            if wait == 0.0:
                return
            if waited + wait > max_wait:
                raise RateLimited(
                    f"Too many requests to the {self.name} provider right now; "
                    "the fetch will be retried shortly.",
                    retry_after=wait,
                )
            self.sleep(wait)
            waited += wait


def rate_limit_for(name: str) -> tuple[int, float] | None:
    """The (calls, period) budget of a provider, from the settings or the defaults."""
    limits = {**DEFAULT_RATE_LIMITS, **getattr(settings, "MARKET_PROVIDER_RATE_LIMITS", {})}
    return limits.get(name)


def provider_slot_acquire(name: str, *, max_wait: float = DEFAULT_MAX_WAIT) -> None:
    """Wait for the right to make one call to provider ``name`` (no-op for unlimited ones)."""
    limit = rate_limit_for(name)
    if limit is None:
        return
    calls, period = limit
    RateLimiter(name=name, calls=calls, period=period).acquire(max_wait=max_wait)
