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

    monkeypatch.setattr("portfolios.services._history_ensure", record)
    return calls
