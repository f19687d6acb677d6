"""A portfolio's transactions as engine values (`Txn`), and their CSV export."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from portfolios import importers
from portfolios.engine.types import Txn
from portfolios.models import TXN_COLUMNS, Portfolio, Transaction, txns_from_rows
from portfolios.selectors.access import transaction_queryset

# --- Transactions as engine values -------------------------------------------------------------


def txn_from_values(row: Sequence) -> Txn:
    """A `Txn` from one `values_list(*TXN_COLUMNS)` row."""
    return txns_from_rows([row])[0]


def txns_by_portfolio(
    *, portfolio_ids: Iterable[int], after: datetime.date | None = None
) -> dict[int, list[Txn]]:
    """Every transaction of these portfolios as engine values, in entry order (one query); with
    `after`, only those dated after it (a replay resuming from a state of that day)."""
    rows_by_portfolio: dict[int, list] = defaultdict(list)
    queryset = Transaction.objects.filter(portfolio_id__in=list(portfolio_ids))
    if after is not None:
        queryset = queryset.filter(date__gt=after)
    rows = queryset.order_by("date", "id").values_list(*TXN_COLUMNS)
    for row in rows:
        rows_by_portfolio[row[1]].append(row)
    return {pk: txns_from_rows(group) for pk, group in rows_by_portfolio.items()}


# --- Export --------------------------------------------------------------------------------------


def transactions_export_csv(*, portfolio: Portfolio) -> str:
    """The portfolio's transactions in the import format (`portfolios.importers`), entry order."""
    return importers.transactions_to_csv(transaction_queryset(portfolio=portfolio))
