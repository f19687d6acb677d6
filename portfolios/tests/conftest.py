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
        "portfolios.performance._benchmark_history_ensure",
        lambda symbol, asset_id, since: calls.append((symbol, asset_id, since)),
    )
    return calls


@pytest.fixture
def resumes(monkeypatch):
    """The resume day of every performance computation (None for a full one)."""
    from portfolios import performance

    seen: list = []
    original = performance._compute

    def spy(**kwargs):
        seen.append(kwargs["resume_day"])
        return original(**kwargs)

    monkeypatch.setattr(performance, "_compute", spy)
    return seen
