"""The versions of what the live pages show (portfolia/live.py): cheap reads, no computation
and no write, that change whenever the figures would (a transaction write moves the ledger
version, a price write an asset's price version)."""

from __future__ import annotations

import datetime

from django.contrib.auth.base_user import AbstractBaseUser

from portfolios.models import Portfolio
from portfolios.selectors.access import portfolio_queryset_for_user
from portfolios.selectors.dashboard import versions_digest
from portfolios.selectors.holdings_model import reads_load, result_key


def overview_version(portfolio: Portfolio, day: datetime.date, *, key: str | None = None) -> str:
    """The version of the overview's figures on `day`: the digest of the holdings read model's
    cache key, `key` when the holdings were just read (`Holdings.cache_key`), else read here
    (two queries: the ledger version and the assets with their price versions)."""
    key = key or result_key(portfolio, day, reads_load(portfolio))
    return key.rsplit(":", 1)[-1]


def dashboard_version(user: AbstractBaseUser, day: datetime.date) -> str:
    """The version of the dashboard's cards and net worth (two queries: the portfolios, then
    their assets' and the FX pairs' price versions)."""
    portfolios = list(portfolio_queryset_for_user(user).order_by("name", "id"))
    return versions_digest(
        portfolios, extra=("live", user.pk, getattr(user, "base_currency", None), day.isoformat())
    )
