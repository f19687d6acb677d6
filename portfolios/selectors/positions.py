"""A portfolio on a day (`Holdings`): positions, values, gains, totals and the allocation, from a
full ledger replay with lots (`holdings_build`, or `holdings_valued` on a replayed state) on the
inputs `holdings_inputs` loads. The cached read pages and the API call is
`holdings_model.holdings`."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from market.models import Asset
from portfolios.engine.ledger import LedgerState, NegativeCash, replay
from portfolios.engine.market import (
    FxTable,
    MissingFxRate,
)
from portfolios.engine.types import Txn
from portfolios.engine.valuation import value_holdings
from portfolios.models import Portfolio
from portfolios.selectors.market_data import MarketData, currencies_needed, market_data_load
from portfolios.selectors.transactions import txns_by_portfolio

ZERO = Decimal(0)
ONE_DAY = datetime.timedelta(days=1)
# A market price older than this (in days before the valuation day) is flagged as stale.
STALE_AFTER_DAYS = 4


# --- Holdings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldingRow:
    """One open position valued on a day. Prices and average cost are per unit in the asset's
    currency; cost basis, values and gains are in the portfolio's base currency."""

    asset: Asset
    currency: str
    quantity: Decimal
    average_cost: Decimal | None
    cost_basis: Decimal
    price: Decimal
    price_date: datetime.date | None
    price_is_market: bool
    is_stale: bool
    fx_rate: Decimal
    market_value_local: Decimal
    market_value: Decimal
    unrealized_gain: Decimal
    unrealized_gain_pct: Decimal | None
    realized_gain: Decimal
    income: Decimal
    fees: Decimal
    weight: Decimal | None

    @property
    def symbol(self) -> str:
        return self.asset.symbol


@dataclass(frozen=True)
class AllocationSlice:
    key: str
    label: str
    value: Decimal
    weight: Decimal | None


ALLOCATION_KINDS = ("asset", "asset_class", "currency")


@dataclass(frozen=True)
class Holdings:
    """A portfolio on a day: its open positions and the totals, in the base currency.

    `total_value` includes cash when the portfolio records cash (`Portfolio.records_cash`);
    `cash` is then the cash balance in the base currency, else 0. Weights are shares of
    `total_value` (DESIGN §4 "Value"): the rows' weights and `cash_weight` add up to 100 %, a
    negative cash balance making the rows' sum more than 100 %. `negative_cash` names each cash
    balance that went below zero (first day and that balance; empty without cash records).
    `total_gain` is DESIGN §4's gain since the first transaction: value minus net external
    inflows. `pending` explains why values are missing (an exchange rate not loaded yet).
    """

    portfolio: Portfolio
    date: datetime.date
    currency: str
    records_cash: bool
    rows: list[HoldingRow]
    securities_value: Decimal
    cash: Decimal
    cash_by_currency: dict[str, Decimal]
    cash_values: dict[str, Decimal]
    total_value: Decimal
    cost_basis: Decimal
    unrealized_gain: Decimal
    unrealized_gain_pct: Decimal | None
    realized_gain: Decimal
    income: Decimal
    fees: Decimal
    taxes: Decimal
    net_invested: Decimal
    total_gain: Decimal
    transaction_count: int
    pending: str | None = None
    by_asset_id: dict[int, HoldingRow] = field(default_factory=dict, repr=False)
    negative_cash: list[NegativeCash] = field(default_factory=list)
    cash_per_currency: bool = False
    # The holdings read model's cache key of this answer ("" when computed outside it): what a
    # page caches its rendering of the rows under.
    cache_key: str = field(default="", compare=False, repr=False)
    # `allocation` by each grouping asked, kept (the holdings read model caches them with it).
    allocations: dict[str, tuple[AllocationSlice, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def charges(self) -> Decimal:
        """Fees and taxes paid."""
        return self.fees + self.taxes

    @property
    def cash_weight(self) -> Decimal | None:
        """Cash as a share of the value (None without cash records or without a value)."""
        if not self.records_cash:
            return None
        return share(self.cash, self.total_value)

    @property
    def cash_is_negative(self) -> bool:
        return self.records_cash and self.cash < 0

    def allocation(self, by: str = "asset") -> list[AllocationSlice]:
        """The value split by asset, asset class or currency, largest first. Each holding
        counts in its own currency; cash is its own slice ("cash") by asset and asset class,
        and counts in its currency by currency. Weights are shares of `total_value`, as in the
        holdings table, so they add up to 100 %; a negative cash slice is kept (the pages name
        it) and makes the others add up to more."""
        if by not in ALLOCATION_KINDS:
            raise ValueError(f"allocation by {by!r}: choose one of {ALLOCATION_KINDS}")
        known = self.allocations.get(by)
        if known is None:
            known = self.allocations[by] = self._allocation(by)
        return list(known)

    def _allocation(self, by: str) -> tuple[AllocationSlice, ...]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        labels: dict[str, str] = {}
        for row in self.rows:
            if by == "asset":
                key, label = row.asset.symbol, row.asset.name
            elif by == "asset_class":
                key, label = row.asset.asset_class, row.asset.get_asset_class_display()
            else:
                key, label = row.currency, row.currency
            totals[key] += row.market_value
            labels[key] = label
        if self.records_cash:
            if by == "currency":
                for currency, value in self.cash_values.items():
                    labels.setdefault(currency, currency)
                    totals[currency] += value
            elif self.cash:
                totals["cash"] += self.cash
                labels["cash"] = "Cash"
        total = self.total_value
        slices = [
            AllocationSlice(key, labels[key], value, share(value, total))
            for key, value in totals.items()
            if value
        ]
        slices.sort(key=lambda item: (-item.value, item.key))
        return tuple(slices)


def share(part: Decimal, total: Decimal) -> Decimal | None:
    """`part` as a share of `total` (weights, allocation slices); None when the total is not a
    positive finite value (an empty portfolio, or a stored price too large to value)."""
    if not (total.is_finite() and total > 0 and part.is_finite()):
        return None
    return part / total


def as_decimal(value: float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def holdings_build(
    *,
    portfolio: Portfolio,
    txns: Sequence[Txn],
    assets: dict[int, Asset],
    market: MarketData,
    day: datetime.date,
    checkpoint: LedgerState | None = None,
) -> tuple[Holdings, LedgerState | None]:
    """The portfolio on `day` from a full ledger replay with lots of `txns` (from `checkpoint`
    on, when given), and that ledger state (None when an exchange rate is missing: the
    holdings then say so in `pending`)."""
    base = portfolio.base_currency
    fx = market.fx.get(base) or FxTable(base)
    try:
        state = replay(
            txns,
            fx=fx,
            until=day,
            checkpoint=checkpoint,
            **portfolio.ledger_options,
        )
    except MissingFxRate as error:
        count = sum(1 for txn in txns if txn.date <= day)
        return _pending_holdings(portfolio, day, count, error.message), None
    valued = holdings_valued(
        portfolio=portfolio, state=state, assets=assets, market=market, day=day
    )
    return valued, (state if valued.pending is None else None)


def holdings_valued(
    *,
    portfolio: Portfolio,
    state: LedgerState,
    assets: dict[int, Asset],
    market: MarketData,
    day: datetime.date,
) -> Holdings:
    """The holdings of a ledger state (replayed through `day`, lots tracked) valued on `day`."""
    base = portfolio.base_currency
    fx = market.fx.get(base) or FxTable(base)
    try:
        valuation = value_holdings(state, prices=market.prices, fx=fx, day=day)
    except MissingFxRate as error:
        return _pending_holdings(portfolio, day, state.txn_count, error.message)
    rows: list[HoldingRow] = []
    total_value = as_decimal(valuation.value)
    for value in valuation.holdings:
        position = state.positions[value.asset_id]
        market_value = as_decimal(value.value_base)
        cost_basis = position.cost_base
        gain = market_value - cost_basis
        price = as_decimal(value.price)
        rows.append(
            HoldingRow(
                asset=assets[value.asset_id],
                currency=value.currency,
                quantity=value.quantity,
                average_cost=position.average_cost_local,
                cost_basis=cost_basis,
                price=price,
                price_date=value.price_date,
                price_is_market=value.price_is_market,
                is_stale=value.price_date is None
                or (day - value.price_date).days > STALE_AFTER_DAYS,
                fx_rate=as_decimal(value.fx_rate),
                market_value_local=value.quantity * price,
                market_value=market_value,
                unrealized_gain=gain,
                unrealized_gain_pct=gain / cost_basis if cost_basis else None,
                realized_gain=position.realized_gain_base,
                income=position.income_base,
                fees=position.fees_base,
                weight=share(market_value, total_value),
            )
        )
    rows.sort(key=lambda row: (-row.market_value, row.asset.symbol))
    cost_basis = sum((row.cost_basis for row in rows), ZERO)
    unrealized = sum((row.unrealized_gain for row in rows), ZERO)
    cash_values: dict[str, Decimal] = {}
    cash = ZERO
    if state.records_cash:
        for currency, balance in valuation.cash_by_currency.items():
            cash_values[currency] = balance * as_decimal(fx.rate(currency, day))
        cash = as_decimal(valuation.cash_value)
    net_invested = state.net_invested_base
    holdings = Holdings(
        portfolio=portfolio,
        date=day,
        currency=base,
        records_cash=state.records_cash,
        rows=rows,
        securities_value=as_decimal(valuation.securities_value),
        cash=cash,
        cash_by_currency=dict(valuation.cash_by_currency),
        cash_values=cash_values,
        total_value=total_value,
        cost_basis=cost_basis,
        unrealized_gain=unrealized,
        unrealized_gain_pct=unrealized / cost_basis if cost_basis else None,
        realized_gain=state.realized_gain_base,
        income=state.income_base,
        fees=state.fees_base,
        taxes=state.taxes_base,
        net_invested=net_invested,
        total_gain=total_value - net_invested,
        transaction_count=state.txn_count,
        by_asset_id={row.asset.pk: row for row in rows},
        negative_cash=state.negative_cash_list(),
        cash_per_currency=state.cash_per_currency,
    )
    return holdings


def _pending_holdings(
    portfolio: Portfolio, day: datetime.date, count: int, message: str
) -> Holdings:
    return Holdings(
        portfolio=portfolio,
        date=day,
        currency=portfolio.base_currency,
        records_cash=False,
        rows=[],
        securities_value=ZERO,
        cash=ZERO,
        cash_by_currency={},
        cash_values={},
        total_value=ZERO,
        cost_basis=ZERO,
        unrealized_gain=ZERO,
        unrealized_gain_pct=None,
        realized_gain=ZERO,
        income=ZERO,
        fees=ZERO,
        taxes=ZERO,
        net_invested=ZERO,
        total_gain=ZERO,
        transaction_count=count,
        pending=f"Exchange rates are still loading, so values cannot be shown yet. {message}",
    )


def holdings_inputs(
    portfolio: Portfolio, day: datetime.date
) -> tuple[list[Txn], dict[int, Asset], MarketData]:
    """What valuing `portfolio` on `day` needs: its transactions, the assets held by then and
    their market data (3-5 queries: the transactions, the assets, the FX pair assets when a
    foreign currency is used, the closes and the latest older closes of assets with no recent
    one)."""
    txns = txns_by_portfolio(portfolio_ids=[portfolio.pk]).get(portfolio.pk, [])
    asset_ids = {txn.asset_id for txn in txns if txn.asset_id is not None and txn.date <= day}
    assets = Asset.objects.in_bulk(sorted(asset_ids)) if asset_ids else {}
    market = market_data_load(
        owner=portfolio.owner_id,
        asset_ids=asset_ids,
        currencies_by_base=currencies_needed([portfolio], {portfolio.pk: txns}),
        day=day,
    )
    return txns, assets, market
