"""Market test fixtures: install fake providers in place of the real ones."""

import pytest

from market import providers


@pytest.fixture
def use_provider(monkeypatch):
    """``use_provider(fake)`` makes ``get_provider(fake.name)`` answer ``fake``; others stay real."""
    installed = {}
    real = providers.get_provider

    def install(provider):
        installed[provider.name] = provider
        return provider

    monkeypatch.setattr(providers, "get_provider", lambda name: installed.get(name) or real(name))
    return install
