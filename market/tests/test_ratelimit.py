"""The per-provider rate limit: a budget per window, shared through the cache."""

import pytest

from market.ratelimit import RateLimited, RateLimiter, provider_slot_acquire, rate_limit_for


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_calls_beyond_the_budget_wait_for_the_next_window():
    clock = Clock(1_000.25)
    limiter = RateLimiter(name="p", calls=2, period=1.0, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        limiter.acquire()

    # 2 in [1000, 1001), 2 in [1001, 1002), 1 in [1002, 1003): two waits to window boundaries
    assert clock.now == pytest.approx(1_002.0)


def test_a_wait_longer_than_the_caller_accepts_raises_with_retry_after():
    clock = Clock(0.0)
    limiter = RateLimiter(name="q", calls=1, period=60.0, clock=clock, sleep=clock.sleep)
    limiter.acquire()

    with pytest.raises(RateLimited) as error:
        limiter.acquire(max_wait=5)

    assert error.value.retry_after == pytest.approx(60.0)
    assert clock.now == 0.0


def test_two_limiters_for_one_provider_share_the_budget():
    """Workers are separate processes with separate limiters; the cache is what they share."""
    clock = Clock(50.0)
    worker_a = RateLimiter(name="shared", calls=3, period=10.0, clock=clock)
    worker_b = RateLimiter(name="shared", calls=3, period=10.0, clock=clock)

    answers = [worker_a.try_acquire(), worker_b.try_acquire(), worker_a.try_acquire()]
    assert answers == [0.0, 0.0, 0.0]
    assert worker_b.try_acquire() == pytest.approx(10.0)
    assert RateLimiter(name="other", calls=3, period=10.0, clock=clock).try_acquire() == 0.0


def test_providers_without_a_limit_are_never_throttled(settings):
    settings.MARKET_PROVIDER_RATE_LIMITS = {"demo": None}
    for _ in range(1_000):
        provider_slot_acquire("demo")


def test_yahoo_is_limited_by_default_and_settings_override_it(settings):
    settings.MARKET_PROVIDER_RATE_LIMITS = {}
    assert rate_limit_for("yahoo") == (2, 1.0)
    assert rate_limit_for("demo") is None
    settings.MARKET_PROVIDER_RATE_LIMITS = {"yahoo": (10, 60.0)}
    assert rate_limit_for("yahoo") == (10, 60.0)
