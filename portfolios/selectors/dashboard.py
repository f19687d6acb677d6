"""The dashboard's per-portfolio figures (`portfolio_list_with_summary`), cached under a key of
everything they read."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from market.models import Asset
from portfolios.engine.ledger import LedgerState, NegativeCash, replay
from portfolios.engine.market import (
    FxTable,
    MissingFxRate,
)
from portfolios.engine.types import Txn
from portfolios.engine.valuation import value_holdings
from portfolios.models import Portfolio
from portfolios.selectors.access import portfolio_queryset_for_user
from portfolios.selectors.market_data import MarketData, currencies_needed, market_data_load
from portfolios.selectors.positions import ONE_DAY, ZERO, as_decimal
from portfolios.selectors.transactions import txns_by_portfolio

SUMMARY_TIMEOUT = 24 * 3600  # the dashboard's figures, under a key of everything they read


# --- Dashboard -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioSummary:
    """A portfolio's headline figures on a day, for the dashboard."""

    portfolio: Portfolio
    value: Decimal
    day_change: Decimal
    day_change_pct: Decimal | None
    total_gain: Decimal
    total_gain_pct: Decimal | None
    holding_count: int
    transaction_count: int
    pending: str | None = None  # why no values can be shown yet
    negative_cash: tuple[NegativeCash, ...] = ()  # each cash balance that went below zero


def portfolio_list_with_summary(
    user, *, date: datetime.date | None = None
) -> list[PortfolioSummary]:
    """Every portfolio of the user with value, day change and total gain, in a fixed number of
    queries whatever the number of portfolios and holdings.

    Day change is the change in value since the previous day's close net of that day's
    external flows; total gain is value minus net external inflows since the first transaction.
    """
    day = date or timezone.localdate()
    portfolios = list(portfolio_queryset_for_user(user).order_by("name", "id"))
    if not portfolios:
        return []
    key = _summary_key(user, portfolios, day)
    cached = cache.get(key)
    if cached is not None:
        # Rebind to this request's portfolio rows (names and settings not in the key).
        by_pk = {portfolio.pk: portfolio for portfolio in portfolios}
        return [replace(summary, portfolio=by_pk[summary.portfolio.pk]) for summary in cached]
    summaries = _summaries_compute(user, portfolios, day)
    cache.set(key, summaries, SUMMARY_TIMEOUT)
    return summaries


def _summary_key(user, portfolios: list[Portfolio], day: datetime.date) -> str:
    marks = versions_digest(portfolios, extra=(user.pk, day.isoformat()))
    return f"portfolios:summary:v3:{user.pk}:{marks}"


def versions_digest(portfolios: Sequence[Portfolio], *, extra: tuple = ()) -> str:
    """A digest that changes with the portfolios' transactions (each portfolio's
    `ledger_version`, which every transaction write moves) and with the stored prices of their
    assets and of FX pairs (each asset's price version, which every price write moves, and its
    first and last price date), in one query: what the dashboard's and the net worth's cache
    keys are made of."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(extra).encode())
    asset_ids: set[int] = set()
    for portfolio in portfolios:
        digest.update(
            repr(
                (
                    portfolio.pk,
                    portfolio.base_currency,
                    portfolio.cost_basis_method,
                    portfolio.ledger_version,
                    portfolio.records_cash,
                    portfolio.cash_per_currency,
                )
            ).encode()
        )
        asset_ids.update(portfolio.ledger_summary.get("assets", ()))
    assets = (
        Asset.objects.filter(Q(pk__in=sorted(asset_ids)) | Q(symbol__endswith="=X"))
        .order_by("pk")
        .values_list("pk", "symbol", "name", "price_version", "first_price_date", "last_price_date")
    )
    digest.update(repr(list(assets)).encode())
    return digest.hexdigest()


def _summaries_compute(
    user, portfolios: list[Portfolio], day: datetime.date
) -> list[PortfolioSummary]:
    txns = txns_by_portfolio(portfolio_ids=[portfolio.pk for portfolio in portfolios])
    asset_ids = {
        txn.asset_id
        for portfolio_txns in txns.values()
        for txn in portfolio_txns
        if txn.asset_id is not None and txn.date <= day
    }
    market = market_data_load(
        owner=user.pk,
        asset_ids=asset_ids,
        currencies_by_base=currencies_needed(portfolios, txns),
        day=day,
    )
    return [
        _summary(portfolio, txns.get(portfolio.pk, []), market=market, day=day)
        for portfolio in portfolios
    ]


def _summary(
    portfolio: Portfolio, txns: Sequence[Txn], *, market: MarketData, day: datetime.date
) -> PortfolioSummary:
    """One portfolio's dashboard figures from a valuation-only replay (no lots or costs: the
    figures need values and flows only), yesterday's state first and today's from it."""
    base = portfolio.base_currency
    fx = market.fx.get(base) or FxTable(base)
    count = sum(1 for txn in txns if txn.date <= day)
    before: LedgerState | None
    try:
        before = replay(
            txns,
            fx=fx,
            until=day - ONE_DAY,
            track_lots=False,
            **portfolio.ledger_options,
        )
        yesterday = value_holdings(before, prices=market.prices, fx=fx, day=day - ONE_DAY)
    except MissingFxRate:  # no day change then, but today may well have its rates
        before = yesterday = None
    try:
        state = replay(
            txns,
            fx=fx,
            until=day,
            checkpoint=before,
            track_lots=False,
            **portfolio.ledger_options,
        )
        valuation = value_holdings(state, prices=market.prices, fx=fx, day=day)
    except MissingFxRate as error:
        return PortfolioSummary(
            portfolio=portfolio,
            value=ZERO,
            day_change=ZERO,
            day_change_pct=None,
            total_gain=ZERO,
            total_gain_pct=None,
            holding_count=0,
            transaction_count=count,
            pending=f"Exchange rates are still loading, so values cannot be shown yet. "
            f"{error.message}",
        )
    value = as_decimal(valuation.value)
    day_change, day_change_pct = ZERO, None
    if before is not None and yesterday is not None:
        inflow = state.inflow_base - before.inflow_base
        outflow = state.outflow_base - before.outflow_base
        day_change = value - as_decimal(yesterday.value) - inflow + outflow
        start_value = as_decimal(yesterday.value) + inflow
        day_change_pct = day_change / start_value if start_value > 0 else None
    total_gain = value - state.net_invested_base
    return PortfolioSummary(
        portfolio=portfolio,
        value=value,
        day_change=day_change,
        day_change_pct=day_change_pct,
        total_gain=total_gain,
        total_gain_pct=total_gain / state.inflow_base if state.inflow_base > 0 else None,
        holding_count=len(valuation.holdings),
        transaction_count=count,
        negative_cash=tuple(state.negative_cash_list()),
    )
