"""Cash choices: the picture under each (`cash_records_preview`, what changing them would
change) and the negative cash a set of transactions would show (`negative_cash_with`)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from portfolios.engine.ledger import NegativeCash, replay
from portfolios.engine.market import (
    FxTable,
    MissingFxRate,
)
from portfolios.engine.types import CASH_RECORD_KINDS, LedgerError, Txn
from portfolios.models import Portfolio
from portfolios.selectors.market_data import market_data_load
from portfolios.selectors.positions import holdings_build, holdings_inputs

# --- Cash: the picture under each choice -----------------------------------------------------------


CASH_MODES = {
    "securities": (False, False),
    "cash": (True, False),
    "cash_per_currency": (True, True),
}


def cash_mode(records_cash: bool, cash_per_currency: bool) -> str:
    """The name of a pair of cash choices ("securities", "cash", "cash_per_currency")."""
    if not records_cash:
        return "securities"
    return "cash_per_currency" if cash_per_currency else "cash"


@dataclass(frozen=True)
class CashChoiceFigures:
    """The portfolio today under one pair of cash choices."""

    mode: str
    records_cash: bool
    cash_per_currency: bool
    value: Decimal
    net_invested: Decimal
    total_gain: Decimal
    cash: Decimal
    negative_cash: list[NegativeCash]
    pending: str | None = None


@dataclass(frozen=True)
class CashRecordsPreview:
    """What changing a portfolio's cash choices would change (DESIGN §4 "External flows"):
    its value, net money in and gain today under the current and the proposed choices, the
    negative cash the proposed one would show, and how many deposits and withdrawals it would
    ignore (without cash records they count for nothing)."""

    portfolio: Portfolio
    date: datetime.date
    currency: str
    current: CashChoiceFigures
    proposed: CashChoiceFigures
    ignored_cash_records: int

    @property
    def changes(self) -> bool:
        return self.current.mode != self.proposed.mode


def _variant(portfolio: Portfolio, records_cash: bool, cash_per_currency: bool) -> Portfolio:
    """An unsaved copy of the portfolio with other cash choices (to compute, never to save)."""
    variant = Portfolio(
        **{
            f.attname: getattr(portfolio, f.attname)
            for f in Portfolio._meta.concrete_fields
            if f.attname != "id"
        }
    )
    variant.pk = portfolio.pk
    variant.records_cash = records_cash
    variant.cash_per_currency = bool(records_cash and cash_per_currency)
    return variant


def cash_records_preview(
    *,
    portfolio: Portfolio,
    records_cash: bool,
    cash_per_currency: bool = False,
    date: datetime.date | None = None,
) -> CashRecordsPreview:
    """The preview `services.portfolio_cash_records_change` is confirmed after (one load of
    transactions and market data, two valuations)."""
    day = date or timezone.localdate()
    txns, assets, market = holdings_inputs(portfolio, day)

    def figures(choice: tuple[bool, bool]) -> CashChoiceFigures:
        variant = _variant(portfolio, *choice)
        snapshot, _state = holdings_build(
            portfolio=variant, txns=txns, assets=assets, market=market, day=day
        )
        return CashChoiceFigures(
            mode=cash_mode(variant.records_cash, variant.cash_per_currency),
            records_cash=variant.records_cash,
            cash_per_currency=variant.cash_per_currency,
            value=snapshot.total_value,
            net_invested=snapshot.net_invested,
            total_gain=snapshot.total_gain,
            cash=snapshot.cash,
            negative_cash=snapshot.negative_cash,
            pending=snapshot.pending,
        )

    current = figures((portfolio.records_cash, portfolio.cash_per_currency))
    proposed = figures((records_cash, cash_per_currency))
    ignored = 0
    if not records_cash:
        ignored = sum(1 for txn in txns if txn.kind in CASH_RECORD_KINDS)
    return CashRecordsPreview(
        portfolio=portfolio,
        date=day,
        currency=portfolio.base_currency,
        current=current,
        proposed=proposed,
        ignored_cash_records=ignored,
    )


def negative_cash_with(
    *, portfolio: Portfolio, txns: Sequence[Txn]
) -> tuple[list[NegativeCash], str | None]:
    """The negative cash (engine `LedgerState.negative_cash`) the portfolio would show with
    `txns` as its transactions (an import preview's stored and new rows), and why it cannot be
    told (an exchange rate not loaded yet) when it cannot. Empty without cash records."""
    if not portfolio.records_cash:
        return [], None
    base = portfolio.base_currency
    day = max((txn.date for txn in txns), default=timezone.localdate())
    market = market_data_load(
        owner=portfolio.owner_id,
        asset_ids=(),
        currencies_by_base={base: {txn.currency for txn in txns}},
        day=day,
    )
    fx = market.fx.get(base) or FxTable(base)
    try:
        state = replay(
            txns,
            method=portfolio.cost_basis_method,
            base_currency=base,
            fx=fx,
            track_lots=False,
            records_cash=True,
            cash_per_currency=portfolio.cash_per_currency,
        )
    except MissingFxRate as error:
        return (
            [],
            f"Exchange rates are still loading, so the cash cannot be checked yet. {error.message}",
        )
    except LedgerError:
        return [], None  # the rows' own errors say why
    return state.negative_cash_list(), None
