"""Save a finished backtest as a new portfolio: its trades (and, when the portfolio records
cash, the initial amount and contributions as deposits) through the one bulk door for
transaction rows, `transactions_load`, in one atomic step."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction as db_transaction

from market.models import Asset
from portfolia.money import quantize, to_decimal
from portfolios.engine.market import MINOR_UNITS
from portfolios.errors import SimulationInputError
from portfolios.models import Portfolio, SimulationRun, Transaction, TransactionKind
from portfolios.services.portfolios import portfolio_create
from portfolios.services.transactions import transactions_load

__all__ = ["simulation_run_save_as_portfolio"]

QUANTITY_PLACES = 10  # Transaction.quantity and price hold ten decimals
FEE_PLACES = 4


@db_transaction.atomic
def simulation_run_save_as_portfolio(
    *, run: SimulationRun, name: str, records_cash: bool = False
) -> Portfolio:
    """A new portfolio of the run's owner holding the simulated trades (and, when it records
    cash, the initial amount and contributions as deposits), in one atomic step through
    `transactions_load`. Quantities and prices are rounded to the ledger's ten decimals; a sale
    never exceeds what the rounded buys hold."""
    if run.status != SimulationRun.Status.SUCCEEDED or not run.result:
        raise SimulationInputError("Only a finished run can be saved as a portfolio.")
    result = run.result
    currency = result["currency"]
    portfolio = portfolio_create(
        owner=run.owner, name=name, base_currency=currency, records_cash=records_cash
    )
    assets = {
        str(a.public_id): a
        for a in Asset.objects.filter(public_id__in=[h["asset"] for h in result["holdings"]])
    }
    held: dict[str, Decimal] = {}
    rows: list[Transaction] = []
    if records_cash:
        for flow in result["contributions"]:
            rows.append(
                Transaction(
                    kind=TransactionKind.DEPOSIT,
                    date=datetime.date.fromisoformat(flow["date"]),
                    amount=quantize(flow["amount"], FEE_PLACES),
                    currency=currency,
                    note="Simulated contribution",
                )
            )
    for trade in result["trades"]:
        asset = assets[trade["asset"]]
        quantity = quantize(trade["quantity"], QUANTITY_PLACES)
        have = held.get(trade["asset"], Decimal(0))
        if trade["side"] == "sell":
            quantity = min(quantity, have)
        if quantity <= 0:
            continue
        held[trade["asset"]] = have + (quantity if trade["side"] == "buy" else -quantity)
        # Booked in the asset's (major) currency at the rate the simulation used, or in the
        # base when that is the asset's: pence quotes (GBp) become pounds.
        major, divisor = MINOR_UNITS.get(asset.currency, (asset.currency, 1))
        same = major == currency
        rate = 1.0 if same else trade["fx_rate"] * divisor  # base per unit of `major`
        rows.append(
            Transaction(
                kind=TransactionKind.BUY if trade["side"] == "buy" else TransactionKind.SELL,
                date=datetime.date.fromisoformat(trade["date"]),
                asset=asset,
                quantity=quantity,
                price=quantize(trade["price"] / rate, QUANTITY_PLACES),
                fee=quantize(trade["fee"] / rate, FEE_PLACES),
                currency=major,
                fx_rate=None if same else quantize(to_decimal(rate), QUANTITY_PLACES),
                note="Simulated trade",
            )
        )
    for row in rows:
        row.portfolio = portfolio
        row.full_clean(exclude=["portfolio"])
    transactions_load(portfolio=portfolio, transactions=rows)
    SimulationRun.objects.filter(pk=run.pk).update(portfolio=portfolio)
    return portfolio
