"""`performance_flows`: every external flow of a period, per transaction, as the engine counts them."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils import timezone

from portfolios.engine.valuation import external_flows
from portfolios.models import Portfolio
from portfolios.performance.loading import portfolio_ledger_load
from portfolios.performance.periods import EARLIEST_MEASURED
from portfolios.performance.report import portfolio_performance


@dataclass(frozen=True)
class FlowRow:
    """One external flow (DESIGN §4) in the base currency: `amount` > 0, `direction` "in" or
    "out"; `transaction_id` is the public id of the transaction that made it."""

    date: datetime.date
    kind: str
    direction: str
    amount: Decimal
    transaction_id: uuid.UUID | None


@dataclass(frozen=True)
class FlowsReport:
    """The external flows of a period, with the start and end values they connect."""

    currency: str
    start: datetime.date
    end: datetime.date
    start_value: float
    end_value: float
    flows: list[FlowRow]
    pending: str | None = None


def performance_flows(
    *,
    portfolio: Portfolio,
    period: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    today: datetime.date | None = None,
) -> FlowsReport:
    """Every external flow dated in the period, per transaction, as the engine counts them
    (`engine.valuation.external_flows`); their daily sums are the I_t and O_t of TWR and MWR."""
    today = today or timezone.localdate()
    report = portfolio_performance(
        portfolio=portfolio, period=period, start=start, end=end, series=False, today=today
    )
    result = FlowsReport(
        currency=report.currency,
        start=report.start,
        end=report.end,
        start_value=report.start_value,
        end_value=report.end_value,
        flows=[],
        pending=report.pending,
    )
    if not report.has_transactions or report.pending:
        return result
    inputs = portfolio_ledger_load(portfolio=portfolio)
    measured = [  # as the series counts them (see EARLIEST_MEASURED)
        replace(txn, date=EARLIEST_MEASURED) if txn.date < EARLIEST_MEASURED else txn
        for txn in inputs.txns
    ]
    flows = external_flows(
        measured,
        base_currency=portfolio.base_currency,
        fx=inputs.fx,
        start=report.start,
        end=report.end,
        records_cash=portfolio.records_cash,
    )
    public_ids = inputs.public_ids
    return replace(
        result,
        flows=[
            FlowRow(
                date=flow.date,
                kind=str(flow.kind),
                direction=flow.direction,
                amount=flow.amount,
                transaction_id=public_ids.get(flow.txn_id),
            )
            for flow in flows
        ],
    )
