"""One asset in one portfolio (`holding_detail`): its transactions, open lots, realized and
unrealized gain, income and its daily closes, for the holding page and its API twin.

No new maths: one ledger replay with lots (the realized-gains report's) gives the open lots,
the sales (`reports.realized_sales`) and the income booked (`reports.income_rows`); the value
and unrealized gain are the holdings read model's row (`selectors.holdings`), so the page
cannot disagree with the overview.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404
from django.utils import timezone

from market import selectors as market_selectors
from market.models import Asset
from portfolios.engine.ledger import replay
from portfolios.engine.market import MissingFxRate
from portfolios.engine.types import LedgerError
from portfolios.models import Portfolio, Transaction
from portfolios.performance import portfolio_ledger_load
from portfolios.reports import IncomeRow, RealizedSale, income_rows, realized_sales
from portfolios.selectors.access import parse_uuid, transaction_queryset
from portfolios.selectors.holdings_model import holdings
from portfolios.selectors.positions import HoldingRow

ZERO = Decimal(0)


@dataclass(frozen=True)
class OpenLot:
    """What remains of one buy: quantity and cost (fees included) in the asset's currency and
    in the base currency (at the buy's FX), and the cost per unit in the asset's currency."""

    buy_transaction_id: uuid.UUID | None
    date: datetime.date
    quantity: Decimal
    cost_local: Decimal
    cost: Decimal
    unit_cost_local: Decimal


@dataclass(frozen=True)
class HoldingDetail:
    """An asset in a portfolio. Amounts are in the portfolio's `currency` unless named local;
    `row` is today's valued holding (None once it is all sold); `realized_gain`, `income`
    (dividends and interest, gross) and `fees` are the ledger position's, over all time."""

    portfolio: Portfolio
    asset: Asset
    currency: str
    cost_basis_method: str
    row: HoldingRow | None
    quantity: Decimal
    realized_gain: Decimal
    dividends: Decimal
    interest: Decimal
    fees: Decimal
    lots: list[OpenLot]
    sales: list[RealizedSale]
    income_rows: list[IncomeRow]
    transactions: list[Transaction]
    closes: list[tuple[datetime.date, float]] = field(default_factory=list)
    pending: str | None = None

    @property
    def income(self) -> Decimal:
        return self.dividends + self.interest

    @property
    def unrealized_gain(self) -> Decimal:
        return self.row.unrealized_gain if self.row else ZERO

    @property
    def total_gain(self) -> Decimal:
        """Unrealized plus realized gain plus income (fees already in the costs)."""
        return self.unrealized_gain + self.realized_gain + self.income


def holding_detail(*, portfolio: Portfolio, asset_public_id: object) -> HoldingDetail:
    """The asset with this public id in `portfolio` (404 when the portfolio never traded it)."""
    inputs = portfolio_ledger_load(portfolio=portfolio)
    traded = {txn.asset_id for txn in inputs.txns if txn.asset_id is not None}
    asset = Asset.objects.filter(pk__in=traded, public_id=parse_uuid(asset_public_id)).first()
    if asset is None:
        raise Http404("This portfolio holds no such asset.")
    transactions = list(
        transaction_queryset(portfolio=portfolio).filter(asset=asset).order_by("-date", "-id")
    )
    base = portfolio.base_currency
    empty = {
        "portfolio": portfolio,
        "asset": asset,
        "currency": base,
        "cost_basis_method": portfolio.cost_basis_method,
        "transactions": transactions,
    }
    try:
        state = replay(inputs.txns, fx=inputs.fx, **portfolio.ledger_options)
    except MissingFxRate as error:
        return _pending(empty, f"Exchange rates are still loading: {error.message}")
    except LedgerError as error:
        return _pending(empty, error.message)
    position = state.positions.get(asset.pk)
    payments, pending = income_rows(inputs, base)
    snapshot = holdings(portfolio=portfolio, date=timezone.localdate())
    first = min((txn.date for txn in transactions), default=None)
    return HoldingDetail(
        **empty,
        row=snapshot.by_asset_id.get(asset.pk),
        quantity=position.quantity if position else ZERO,
        realized_gain=position.realized_gain_base if position else ZERO,
        dividends=position.dividends_base if position else ZERO,
        interest=position.interest_base if position else ZERO,
        fees=position.fees_base if position else ZERO,
        lots=[
            OpenLot(
                buy_transaction_id=inputs.public_ids.get(lot.buy_txn_id),
                date=lot.date,
                quantity=lot.quantity,
                cost_local=lot.cost_local,
                cost=lot.cost_base,
                unit_cost_local=lot.unit_cost_local,
            )
            for lot in (position.open_lots() if position else ())
        ],
        sales=realized_sales(inputs, (s for s in state.sales if s.asset_id == asset.pk)),
        income_rows=[row for row in payments if row.asset_id == asset.pk],
        closes=market_selectors.price_series(asset=asset, start=first),
        pending=pending or snapshot.pending,
    )


def _pending(empty: dict, message: str) -> HoldingDetail:
    return HoldingDetail(
        **empty,
        row=None,
        quantity=ZERO,
        realized_gain=ZERO,
        dividends=ZERO,
        interest=ZERO,
        fees=ZERO,
        lots=[],
        sales=[],
        income_rows=[],
        pending=message,
    )
