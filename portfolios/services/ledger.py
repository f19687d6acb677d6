"""The ledger version: the one function every write to a portfolio's transactions goes through
(`ledger_changed`), and the summary the performance read model reads before the transactions."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction as db_transaction
from django.db.models import Count, Min

from portfolia.changelog import log_append
from portfolios.models import (
    Portfolio,
    Transaction,
)

logger = logging.getLogger(__name__)


def ledger_summary(portfolio_id: int) -> dict[str, Any]:
    """What the performance read model must know of a portfolio's transactions before reading
    them, from one grouped query: their count, first date, the asset ids and the currencies,
    and the portfolio's cash choices (`Portfolio.records_cash`, `cash_per_currency`; never
    inferred from the transactions), JSON-ready."""
    records_cash, cash_per_currency = (
        Portfolio.objects.filter(pk=portfolio_id)
        .values_list("records_cash", "cash_per_currency")
        .get()
    )
    groups = (
        Transaction.objects.filter(portfolio_id=portfolio_id)
        .values_list("asset_id", "currency")
        .annotate(count=Count("id"), first=Min("date"))
        .order_by()
    )
    rows = list(groups)
    first = min((row[3] for row in rows), default=None)
    return {
        "count": sum(row[2] for row in rows),
        "first": first.isoformat() if first else None,
        "records_cash": records_cash,
        "cash_per_currency": cash_per_currency,
        "assets": sorted({row[0] for row in rows if row[0] is not None}),
        "currencies": sorted({row[1] for row in rows}),
    }


@db_transaction.atomic
def ledger_changed(*, portfolio: Portfolio, since: datetime.date) -> None:
    """Record a write to the portfolio's transactions touching dates from `since` on: one up
    `ledger_version` and a new `ledger_summary` with the write logged (see
    `Portfolio.ledger_version`). Call it in the database transaction of the write, after it;
    every transaction service does, and they are the only writers of transaction rows (bulk
    loaders go through `transactions_load`; `portfolios/tests/test_ledger_doors.py` walks every
    door and fails on code elsewhere that writes rows or calls this). The portfolio row stays
    locked until the transaction ends (the services lock it anyway)."""
    version, summary = (
        Portfolio.objects.select_for_update()
        .filter(pk=portfolio.pk)
        .values_list("ledger_version", "ledger_summary")
        .get()
    )
    fresh = ledger_summary(portfolio.pk)
    fresh["changes"] = log_append(summary.get("changes"), version + 1, since)
    Portfolio.objects.filter(pk=portfolio.pk).update(
        ledger_version=version + 1, ledger_summary=fresh
    )


def _lock(portfolio: Portfolio) -> Portfolio:
    """Lock the portfolio row for the rest of the transaction (serialises ledger writes)."""
    return Portfolio.objects.select_for_update().select_related("owner").get(pk=portfolio.pk)
