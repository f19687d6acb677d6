"""The ledger: replays transactions into positions, lots, realized gains, income and cash.

Rules (DESIGN.md §4 "Ledger"), all in exact Decimal:

- Transactions replay in (date, entry order): a stable sort of the input list by date.
- A buy adds a lot costing price * quantity + fee. A sell consumes lots oldest first (FIFO) or
  reduces the position at its moving-average cost ("average"); its realized gain is
  price * quantity - fee - cost of what was sold. Under "average" the lots are still consumed
  oldest first, but only for their dates and quantities (holding periods); every unit costs the
  average.
- A split multiplies the open quantity (and every lot's) by its ratio; costs stay, so unit costs
  divide by the ratio, and so does the last transaction price.
- In the base currency a lot's cost converts at its buy's FX (the transaction's `fx_rate`, else
  that day's forward-filled close), a sale's proceeds at the sale's FX, income, fees and taxes at
  their own date's FX. A transaction in the base currency converts at 1 (its fx_rate is ignored).
- Fees and taxes. A fee or tax transaction that names an asset is attributed to that asset's
  `fees_base`/`taxes_base` (creating a zero-quantity position record if the asset was never
  held) and to the totals, but it is an expense, not part of any cost basis, so it never changes
  cost basis or realized gain. Trade fees sit in the lot cost and the sale's proceeds *and* are
  counted in `fees_base` for reporting: `fees_base` is what was paid, not something to subtract
  from a gain again.
- Income: a dividend names its asset and may arrive when nothing is held (paid after a sale);
  interest may name one or not. Their `fee` is paid out of the income.
- Cash is tracked for every portfolio: buys debit price * quantity + fee, sells credit
  price * quantity - fee, income credits amount - fee, fees and taxes debit, deposits credit
  amount - fee, withdrawals debit amount + fee. It is part of the value only when the portfolio
  records cash, the investor's explicit choice (`records_cash`, given by the caller, never
  inferred from the transactions; DESIGN §4 "External flows"). Without cash records a deposit
  or withdrawal moves nothing (the services refuse them there; one left from before a switch
  is ignored).
- Settlement (DESIGN §4 "Value"): by default every amount in another currency settles in the
  base-currency cash at its own FX (the rate above), so no foreign cash debt appears that the
  investor never had. With `cash_per_currency` the cash is kept per currency, as multi-currency
  broker accounts do, and a foreign balance below zero is a loan.
- Negative cash is allowed (a missing deposit, a margin loan) but never silent: the state keeps,
  per cash currency, the first day its balance closed below zero and that balance
  (`LedgerState.negative_cash`, meaningful only when cash is recorded).
- A buy or sell must be in the currency of the asset's earlier trades (its lots' local cost
  would otherwise mix currencies); the engine takes that trade currency as the asset's price
  currency.
- External flows (DESIGN §4) are produced per transaction, in the base currency at the
  transaction's FX, and kept on the state for the "derivation" export.

Impossible histories raise `LedgerError` naming the transaction: selling more than held on that
date (a shortfall of at most `QUANTITY_EPSILON`, the residue of a non-terminating split ratio,
is forgiven and closes the position), splitting or selling something never bought or not held,
quantities, ratios or deposits ≤ 0, negative prices, amounts, fees or fx rates, missing fields.

Incremental recompute: `replay(..., checkpoint=state)` continues from a saved state. A valid
checkpoint is `replay(same txns, until=D - 1 day)` where D is the earliest date touched by any
change (added, edited or deleted transaction): everything dated before D is unchanged, so only
transactions dated D or later are replayed. If the cash choices (`records_cash`,
`cash_per_currency`), the method or the base differ, the checkpoint is ignored and everything
is replayed. Given a valid checkpoint the result equals a full replay.

Where the rest lives: lots, positions and sales and the lot arithmetic of a sale or split in
`lots`, cash (settlement, negative balances, `cash_effect`) in `cash`, and the state as plain
tuples for a cache (`ledger_pack`, `ledger_unpack`) in `snapshots`; their public names are
importable from here too.

Valuation only: a state made with `track_lots=False` applies the same rules and raises the same
errors, but keeps no lots, cost bases, realized gains, sales or list of flows (quantities, last
prices, cash, income, fee and tax totals and net invested are kept): what the daily valuation
needs, at a fraction of the cost. Its costs and realized gains read zero.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Literal

from .cash import NegativeCash, add_cash, cash_effect
from .lots import (
    QUANTITY_EPSILON,
    ZERO,
    ConsumedLot,
    Lot,
    Position,
    Sale,
    consume_fifo,
    consume_lots,
    split_lots,
    spread_cost,
)
from .market import FxTable, MissingFxRate
from .types import CostBasisMethod, Kind, LedgerError, Txn, format_date, format_decimal

__all__ = [
    "QUANTITY_EPSILON",
    "ConsumedLot",
    "ExternalFlow",
    "LedgerState",
    "Lot",
    "NegativeCash",
    "Position",
    "Sale",
    "apply_txn",
    "cash_effect",
    "replay",
    "required_currencies",
]

ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class ExternalFlow:
    """Money crossing the portfolio's boundary (DESIGN §4 "External flows"), in the base currency."""

    txn_id: int
    date: datetime.date
    kind: Kind
    direction: Literal["in", "out"]
    amount: Decimal  # > 0

    @property
    def signed_amount(self) -> Decimal:
        """Positive for an inflow, negative for an outflow."""
        return self.amount if self.direction == "in" else -self.amount


@dataclass(slots=True)
class LedgerState:
    """The ledger after replaying every transaction dated up to `as_of`.

    Totals are in the base currency. `cash` holds a balance per currency (only the base one
    unless `cash_per_currency`; see the module docstring); it belongs to the value only when
    `records_cash`. `negative_cash`: per currency, when its balance first closed below zero.
    """

    method: CostBasisMethod
    base_currency: str
    records_cash: bool
    cash_per_currency: bool = False
    as_of: datetime.date | None = None
    positions: dict[int, Position] = field(default_factory=dict)
    cash: dict[str, Decimal] = field(default_factory=dict)
    negative_cash: dict[str, NegativeCash] = field(default_factory=dict)
    sales: list[Sale] = field(default_factory=list)
    flows: list[ExternalFlow] = field(default_factory=list)
    realized_gain_base: Decimal = ZERO
    dividends_base: Decimal = ZERO
    interest_base: Decimal = ZERO
    fees_base: Decimal = ZERO
    taxes_base: Decimal = ZERO
    inflow_base: Decimal = ZERO
    outflow_base: Decimal = ZERO
    txn_count: int = 0
    track_lots: bool = True  # False: valuation only (see the module docstring)

    @property
    def income_base(self) -> Decimal:
        return self.dividends_base + self.interest_base

    def cash_currency(self, currency: str) -> str:
        """The cash balance an amount in `currency` settles in."""
        return currency if self.cash_per_currency else self.base_currency

    def negative_cash_list(self) -> list[NegativeCash]:
        """Each cash balance that went below zero (by currency), when cash is recorded."""
        if not self.records_cash:
            return []
        return [self.negative_cash[key] for key in sorted(self.negative_cash)]

    @property
    def net_invested_base(self) -> Decimal:
        """Cumulative external inflows - outflows."""
        return self.inflow_base - self.outflow_base

    @property
    def cost_basis_base(self) -> Decimal:
        return sum((position.cost_base for position in self.positions.values()), ZERO)

    @property
    def purchase_value_base(self) -> Decimal:
        return sum((position.purchase_value_base for position in self.positions.values()), ZERO)

    def open_positions(self) -> list[Position]:
        """Positions with a quantity held, by asset id."""
        return [
            self.positions[key] for key in sorted(self.positions) if self.positions[key].is_open
        ]

    def realized_gain_by_tax_year(self) -> dict[int, Decimal]:
        """Realized gain in the base currency per calendar year of sale."""
        by_year: dict[int, Decimal] = {}
        for sale in self.sales:
            by_year[sale.tax_year] = by_year.get(sale.tax_year, ZERO) + sale.realized_gain_base
        return dict(sorted(by_year.items()))

    def copy(
        self, *, share_from: LedgerState | None = None, changed_assets: Collection[int] = ()
    ) -> LedgerState:
        """An independent copy, to keep as a checkpoint.

        With `share_from` (an earlier checkpoint that nobody mutates), positions whose asset is
        not in `changed_assets` are shared with it instead of copied: cheap month-end snapshots.
        """
        clone = LedgerState(
            self.method, self.base_currency, self.records_cash, self.cash_per_currency
        )
        for name in LedgerState.__slots__:
            setattr(clone, name, getattr(self, name))
        if share_from is None:
            clone.positions = {key: position.copy() for key, position in self.positions.items()}
        else:
            clone.positions = {
                key: position.copy()
                if key in changed_assets or key not in share_from.positions
                else share_from.positions[key]
                for key, position in self.positions.items()
            }
        clone.cash = dict(self.cash)
        clone.negative_cash = dict(self.negative_cash)  # NegativeCash is frozen
        clone.sales = list(self.sales)  # Sale and ExternalFlow are frozen
        clone.flows = list(self.flows)
        return clone


def required_currencies(txns: Iterable[Txn]) -> set[str]:
    """Every currency the transactions are in (ask `FxTable.required_pairs` what to load)."""
    return {txn.currency for txn in txns}


def replay(
    txns: Sequence[Txn],
    *,
    method: CostBasisMethod,
    base_currency: str,
    fx: FxTable | None = None,
    until: datetime.date | None = None,
    checkpoint: LedgerState | None = None,
    track_lots: bool = True,
    records_cash: bool = False,
    cash_per_currency: bool = False,
) -> LedgerState:
    """Replay `txns` (in entry order) through `until` (inclusive; all when None).

    `records_cash` and `cash_per_currency` are the portfolio's choices (the module docstring):
    callers pass them, the ledger never guesses them from the transactions.
    `fx` may be None when every transaction is in the base currency or carries an fx_rate.
    `checkpoint` resumes from a saved state (see the module docstring). The returned state's
    `as_of` is `until` when given, else the last transaction's date. `track_lots=False` makes
    a valuation-only state (the module docstring).
    """
    if method not in ("fifo", "average"):
        raise ValueError(f"unknown cost basis method {method!r}")
    if fx is not None and fx.base != base_currency:
        raise ValueError(f"FX table is in {fx.base}, the ledger in {base_currency}")
    state: LedgerState | None = None
    if (
        checkpoint is not None
        and _checkpoint_fits(
            checkpoint, method, base_currency, records_cash, cash_per_currency, track_lots
        )
        and (until is None or checkpoint.as_of is None or checkpoint.as_of <= until)
    ):
        state = checkpoint.copy()
    if state is None:
        state = LedgerState(
            method, base_currency, records_cash, cash_per_currency, track_lots=track_lots
        )
    resume_after = state.as_of
    for txn in sorted(txns, key=attrgetter("date")):
        if until is not None and txn.date > until:
            break
        if resume_after is not None and txn.date <= resume_after:
            continue
        apply_txn(state, txn, fx=fx)
    if until is not None:
        state.as_of = until
    return state


def _checkpoint_fits(
    checkpoint: LedgerState,
    method: CostBasisMethod,
    base_currency: str,
    records_cash: bool,
    cash_per_currency: bool,
    track_lots: bool,
) -> bool:
    return (
        checkpoint.method == method
        and checkpoint.base_currency == base_currency
        and checkpoint.records_cash == records_cash
        and checkpoint.cash_per_currency == cash_per_currency
        and checkpoint.track_lots == track_lots
    )


def apply_txn(state: LedgerState, txn: Txn, *, fx: FxTable | None) -> ExternalFlow | None:
    """Apply one transaction to `state` (in place) and return its external flow, if any.

    Transactions must come in date order; raises LedgerError for an impossible one and
    MissingFxRate when a foreign amount has no rate.
    """
    if state.as_of is not None and txn.date < state.as_of:
        raise ValueError(f"transaction {txn.id} dated {txn.date} comes after {state.as_of}")
    if txn.fee is None or txn.fee < 0:
        raise _error(txn, " needs a fee of zero or more")
    handler = _HANDLERS.get(txn.kind)
    if handler is None:
        raise LedgerError(txn.id, f"Transaction {txn.id} has an unknown kind {txn.kind!r}")
    flow_amount = handler(state, txn, fx)
    state.as_of = txn.date
    state.txn_count += 1
    if not flow_amount:
        return None
    # flow_amount > 0 is money paid in, < 0 money paid out.
    kind = txn.kind if isinstance(txn.kind, Kind) else Kind(txn.kind)
    if flow_amount > 0:
        flow = ExternalFlow(txn.id, txn.date, kind, "in", flow_amount)
        state.inflow_base += flow_amount
    else:
        flow = ExternalFlow(txn.id, txn.date, kind, "out", -flow_amount)
        state.outflow_base -= flow_amount
    if state.track_lots:
        state.flows.append(flow)
    return flow


def _label(txn: Txn) -> str:
    kind = str(txn.kind).capitalize()
    if txn.quantity is not None and txn.kind in (Kind.BUY, Kind.SELL):
        return f"{kind} of {format_decimal(txn.quantity)} on {format_date(txn.date)}"
    return f"{kind} on {format_date(txn.date)}"


def _error(txn: Txn, problem: str) -> LedgerError:
    """A LedgerError naming the transaction ("Sell of 10 on 1 Mar 2024") then the problem."""
    return LedgerError(txn.id, _label(txn) + problem)


def _rate(state: LedgerState, txn: Txn, fx: FxTable | None) -> Decimal:
    """Base units per unit of the transaction's currency."""
    if txn.currency == state.base_currency:
        return ONE
    if txn.fx_rate is not None:
        if txn.fx_rate <= 0:
            raise _error(txn, " has an FX rate that is not positive")
        return txn.fx_rate
    if fx is None:
        raise MissingFxRate(txn.currency, state.base_currency, txn.date, txn.id)
    try:
        return fx.rate_decimal(txn.currency, txn.date)
    except MissingFxRate as error:
        raise MissingFxRate(txn.currency, state.base_currency, txn.date, txn.id) from error


def _position(state: LedgerState, asset_id: int, txn: Txn) -> Position:
    position = state.positions.get(asset_id)
    if position is None:
        position = Position(asset_id, state.method, first_date=txn.date)
        state.positions[asset_id] = position
    position.txn_count += 1
    return position


def _trade_inputs(state: LedgerState, txn: Txn) -> tuple[int, Decimal, Decimal]:
    if txn.asset_id is None:
        raise _error(txn, " names no asset")
    if txn.quantity is None or txn.quantity <= 0:
        raise _error(txn, " needs a quantity above zero")
    if txn.price is None or txn.price < 0:
        raise _error(txn, " needs a price of zero or more")
    position = state.positions.get(txn.asset_id)
    if position is not None and position.currency not in (None, txn.currency):
        raise _error(txn, f" is in {txn.currency} but the asset trades in {position.currency}")
    return txn.asset_id, txn.quantity, txn.price


def _buy(state: LedgerState, txn: Txn, fx: FxTable | None) -> Decimal:
    asset_id, quantity, price = _trade_inputs(state, txn)
    rate = _rate(state, txn, fx)
    purchase_value = price * quantity
    cost = purchase_value + txn.fee
    cost_base = cost * rate
    position = _position(state, asset_id, txn)
    position.currency = txn.currency
    position.quantity += quantity
    if state.track_lots:
        lot = Lot(
            txn.id, txn.date, quantity, cost, cost_base, purchase_value, purchase_value * rate
        )
        position.lots.append(lot)
        position.cost_local += lot.cost_local
        position.cost_base += lot.cost_base
        position.purchase_value_local += lot.purchase_value_local
        position.purchase_value_base += lot.purchase_value_base
    fee_base = txn.fee * rate
    position.fees_base += fee_base
    state.fees_base += fee_base
    position.last_price, position.last_price_date = price, txn.date
    add_cash(state, txn, -cost, rate)
    return ZERO if state.records_cash else cost_base


def _sell(state: LedgerState, txn: Txn, fx: FxTable | None) -> Decimal:
    asset_id, quantity, price = _trade_inputs(state, txn)
    position = state.positions.get(asset_id)
    if position is None or position.currency is None:
        raise _error(txn, ": this asset was never bought")
    held = position.quantity
    if quantity > held + QUANTITY_EPSILON:
        raise _error(txn, f" exceeds the {format_decimal(held)} held")
    closes = abs(held - quantity) <= QUANTITY_EPSILON
    rate = _rate(state, txn, fx)
    position.txn_count += 1
    if not state.track_lots:
        position.quantity = ZERO if closes else held - quantity
        fee_base = txn.fee * rate
        position.fees_base += fee_base
        state.fees_base += fee_base
        position.last_price, position.last_price_date = price, txn.date
        net_local = price * quantity - txn.fee
        add_cash(state, txn, net_local, rate)
        return ZERO if state.records_cash else -net_local * rate

    if state.method == "fifo":
        sold = held if closes else quantity
        consumed, cost_local, cost_base, value_local, value_base = consume_fifo(
            position, sold, txn.date
        )
    else:
        if closes:
            sold = held
            cost_local, cost_base = position.cost_local, position.cost_base
            value_local, value_base = position.purchase_value_local, position.purchase_value_base
        else:
            sold = quantity
            share = sold / held
            cost_local = position.cost_local * share
            cost_base = position.cost_base * share
            value_local = position.purchase_value_local * share
            value_base = position.purchase_value_base * share
        consumed = spread_cost(consume_lots(position, sold, txn.date), cost_local, cost_base)

    proceeds_local = price * quantity
    net_local = proceeds_local - txn.fee
    proceeds_base = proceeds_local * rate
    fee_base = txn.fee * rate
    net_base = net_local * rate
    sale = Sale(
        txn_id=txn.id,
        date=txn.date,
        asset_id=asset_id,
        currency=txn.currency,
        quantity=quantity,
        price=price,
        proceeds_local=proceeds_local,
        fee_local=txn.fee,
        cost_local=cost_local,
        realized_gain_local=net_local - cost_local,
        proceeds_base=proceeds_base,
        fee_base=fee_base,
        cost_base=cost_base,
        realized_gain_base=net_base - cost_base,
        lots=tuple(consumed),
    )
    state.sales.append(sale)

    if closes:
        position.quantity = ZERO
        position.cost_local = position.cost_base = ZERO
        position.purchase_value_local = position.purchase_value_base = ZERO
        position.lots.clear()
    else:
        position.quantity -= sold
        position.cost_local -= cost_local
        position.cost_base -= cost_base
        position.purchase_value_local -= value_local
        position.purchase_value_base -= value_base
    position.realized_gain_local += sale.realized_gain_local
    position.realized_gain_base += sale.realized_gain_base
    state.realized_gain_base += sale.realized_gain_base
    position.fees_base += fee_base
    state.fees_base += fee_base
    position.last_price, position.last_price_date = price, txn.date
    add_cash(state, txn, net_local, rate)
    return ZERO if state.records_cash else -net_base


def _split(state: LedgerState, txn: Txn, fx: FxTable | None) -> Decimal:
    if txn.asset_id is None:
        raise _error(txn, " names no asset")
    if txn.ratio is None or txn.ratio <= 0:
        raise _error(txn, " needs a ratio above zero")
    position = state.positions.get(txn.asset_id)
    if position is None or not position.is_open:
        raise _error(txn, " is for an asset not held on that date")
    ratio = txn.ratio
    position.txn_count += 1
    position.quantity *= ratio
    if position.lots:
        position.lots = split_lots(position.lots, ratio)
    if position.last_price is not None:
        position.last_price /= ratio
    return ZERO  # a split moves no money


def _income(state: LedgerState, txn: Txn, fx: FxTable | None) -> Decimal:
    if txn.amount is None or txn.amount < 0:
        raise _error(txn, " needs an amount of zero or more")
    if txn.kind == Kind.DIVIDEND and txn.asset_id is None:
        raise _error(txn, " names no asset")
    rate = _rate(state, txn, fx)
    income_base = txn.amount * rate
    fee_base = txn.fee * rate
    position = _position(state, txn.asset_id, txn) if txn.asset_id is not None else None
    if txn.kind == Kind.DIVIDEND:
        state.dividends_base += income_base
        if position is not None:
            position.dividends_base += income_base
    else:
        state.interest_base += income_base
        if position is not None:
            position.interest_base += income_base
    state.fees_base += fee_base
    if position is not None:
        position.fees_base += fee_base
    add_cash(state, txn, txn.amount - txn.fee, rate)
    # Securities only: income is paid out to the investor (net of its fee).
    return ZERO if state.records_cash else -(income_base - fee_base)


def _charge(state: LedgerState, txn: Txn, fx: FxTable | None) -> Decimal:
    if txn.amount is not None and txn.amount < 0:
        raise _error(txn, " needs an amount of zero or more")
    charge = (txn.amount or ZERO) + txn.fee
    rate = _rate(state, txn, fx) if charge else ONE
    charge_base = charge * rate
    position = _position(state, txn.asset_id, txn) if txn.asset_id is not None else None
    if txn.kind == Kind.FEE:
        state.fees_base += charge_base
        if position is not None:
            position.fees_base += charge_base
    else:
        state.taxes_base += charge_base
        if position is not None:
            position.taxes_base += charge_base
    add_cash(state, txn, -charge, rate)
    # Securities only: a fee or tax not tied to a trade is paid in by the investor.
    return ZERO if state.records_cash else charge_base


def _cash_record(state: LedgerState, txn: Txn, fx: FxTable | None) -> Decimal:
    if txn.asset_id is not None:
        raise _error(txn, " cannot name an asset")
    if txn.amount is None or txn.amount <= 0:
        raise _error(txn, " needs an amount above zero")
    if not state.records_cash:
        return ZERO  # no cash records: it moves nothing (the module docstring)
    rate = _rate(state, txn, fx)
    amount_base = txn.amount * rate
    fee_base = txn.fee * rate
    state.fees_base += fee_base
    if txn.kind == Kind.DEPOSIT:
        add_cash(state, txn, txn.amount - txn.fee, rate)
        return amount_base
    add_cash(state, txn, -(txn.amount + txn.fee), rate)
    return -amount_base


# Dispatch on kind (a dict lookup: comparing against Kind.X attributes is slow per transaction).
_HANDLERS: dict[str, Callable[[LedgerState, Txn, FxTable | None], Decimal]] = {
    Kind.BUY: _buy,
    Kind.SELL: _sell,
    Kind.DIVIDEND: _income,
    Kind.INTEREST: _income,
    Kind.FEE: _charge,
    Kind.TAX: _charge,
    Kind.DEPOSIT: _cash_record,
    Kind.WITHDRAWAL: _cash_record,
    Kind.SPLIT: _split,
}
