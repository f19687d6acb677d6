"""Fixtures for the portfolios tests: market-data side effects recorded, not run.

The engine tests here also run without Django (``-p no:django``), so nothing is patched then.
"""

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def history_calls(monkeypatch):
    """Every `ensure_history` the services ask for after a commit, as (symbol, since)."""
    calls: list[tuple[str, object]] = []
    if not settings.configured:
        return calls

    def record(asset, since):
        calls.append((asset.symbol, since))

    monkeypatch.setattr("portfolios.services.market_data._history_ensure", record)
    return calls


@pytest.fixture(autouse=True)
def benchmark_queue(monkeypatch):
    """Benchmark histories the performance read model asks for (on commit), as (symbol, asset
    id, since): recorded, never fetched."""
    calls: list[tuple[str, int | None, object]] = []
    if not settings.configured:
        return calls
    monkeypatch.setattr(
        "market.services.benchmark_history_request",
        lambda *, symbol, asset_id, since: calls.append((symbol, asset_id, since)),
    )
    return calls


@pytest.fixture
def resumes(monkeypatch):
    """The resume day of every performance computation (None for a full one), as the read model
    logs it."""
    import logging

    seen: list = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if hasattr(record, "resume_day"):
                seen.append(record.resume_day)

    logger = logging.getLogger("portfolios.performance.series")
    handler = Recorder(logging.DEBUG)
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield seen
    logger.removeHandler(handler)
    logger.setLevel(level)
    logger.propagate = propagate
