"""Rebalancing maths: the trades that bring a portfolio closest to its target weights.

Pure: plain dataclasses and `Decimal` in, a `RebalanceResult` out (no Django, no ORM). Money,
prices and quantities are `Decimal` throughout.

The rules (binding; the tests compute them by hand):

- Every line is one asset, held or targeted, with its current value in the base currency, its
  unit price in the base currency (price * FX) and its target as a fraction of the value
  after the trades. Asset-class targets are first split over the lines of the class
  (`line_targets`). A line that cannot be traded (no price, a stale price, no FX rate) keeps its
  value; so does a line whose trade would be below `min_trade`.
- The value after the trades is T = Σ line values + C, with C the money that can be spent: the
  new cash, plus the recorded cash balance when the portfolio records cash. Each line's target
  value is t = target * T; the cash target's is t_cash = cash target * T.
- `full`: each tradable line above its target is sold down to it. The buys then get the budget
  B = C + proceeds - t_cash (never below 0). `buy_only` sells nothing and B = max(0, C - t_cash):
  with no cash records, exactly the new cash.
- The buys fill the shortfalls g = t - v of the tradable lines under target. When B covers them
  all each is bought in full (what B leaves over is cash left); otherwise the budget goes where
  it brings the weights closest in the least-squares sense: b = max(0, g - λ), one λ for all,
  with Σ b = B (the most underweight lines are filled first, "water-filling").
- Quantities are rounded to `unit` (1 for whole units, else 10⁻⁸). A sale rounds to the nearest
  unit (selling all that is held when that reaches the holding). A buy rounds down; if the
  rounded buys still cost more than the budget (a sale rounded down), units are taken off where
  that moves the weights least; then, while the budget allows, one more unit goes to the line
  furthest below its target when that brings it closer. So the plan never spends money it does
  not have.
- `min_trade`: a trade whose amount is below it is dropped, its line kept as it is, and the plan
  is recomputed for the rest until no trade is below it.
- Weights are percent of the value: before, of the current value (with the recorded cash balance
  when cash is recorded); after, of the value after the trades (with the cash after when cash is
  recorded; without it, the cash left stays with the investor and is not part of the portfolio).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
WHOLE_UNIT = Decimal(1)
FRACTION_UNIT = Decimal("0.00000001")
CASH = "cash"  # the key of the cash target and the cash weight


class Mode(enum.StrEnum):
    FULL = "full"
    BUY_ONLY = "buy_only"


class Side(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True)
class Line:
    """One asset in the plan. `key` names the target it counts towards (its asset's key, or its
    asset class); `target` is its share of the value after the trades (a fraction); `unit_price`
    is in the base currency (None when it cannot be traded at a known price)."""

    asset_id: int
    key: str
    quantity: Decimal
    value: Decimal
    unit_price: Decimal | None
    target: Decimal = ZERO
    tradable: bool = True


@dataclass(frozen=True)
class Trade:
    asset_id: int
    side: Side
    quantity: Decimal
    amount: Decimal  # in the base currency, quantity * unit price
    unit_price: Decimal


@dataclass(frozen=True)
class RebalanceResult:
    trades: tuple[Trade, ...]
    total_before: Decimal
    total_after: Decimal
    cash_before: Decimal  # the recorded cash balance (0 without cash records)
    new_cash: Decimal
    cash_left: Decimal  # the money not spent: recorded cash after, or new cash not invested
    bought: Decimal
    sold: Decimal
    weights_before: dict[str, Decimal]  # percent, by target key (and CASH with cash records)
    weights_after: dict[str, Decimal]
    kept: frozenset[int] = field(default_factory=frozenset)  # lines left for min_trade


def line_targets(
    lines: Sequence[Line], targets: Mapping[str, Decimal], *, split_by_value: bool
) -> list[Line]:
    """Give each line its share of its key's target (a fraction of 1, from percent `targets`).

    With `split_by_value` (asset-class targets) a key's target is split over its lines in
    proportion to their current values (equally when none has a value), so the mix inside a
    class is kept; otherwise each key is one line. A line whose key has no target gets 0."""
    by_key: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        by_key[line.key].append(line)
    out: list[Line] = []
    for line in lines:
        weight = targets.get(line.key, ZERO) / HUNDRED
        group = by_key[line.key]
        if split_by_value and len(group) > 1:
            total = sum((member.value for member in group), ZERO)
            weight = weight * line.value / total if total > 0 else weight / len(group)
        out.append(replace(line, target=weight))
    return out


def _water_fill(shortfalls: Mapping[int, Decimal], budget: Decimal) -> dict[int, Decimal]:
    """Spend `budget` on the positive shortfalls: all of them when it covers them, else
    b = max(0, g - λ) with Σ b = budget (least squares under the budget)."""
    wanted = {key: gap for key, gap in shortfalls.items() if gap > 0}
    if budget <= 0 or not wanted:
        return {}
    if sum(wanted.values(), ZERO) <= budget:
        return wanted
    gaps = sorted(wanted.values(), reverse=True)
    level, running = ZERO, ZERO
    for count, gap in enumerate(gaps, start=1):
        running += gap
        candidate = (running - budget) / count
        if count == len(gaps) or candidate >= gaps[count]:
            level = candidate
            break
    return {key: gap - level for key, gap in wanted.items() if gap > level}


def _round(quantity: Decimal, unit: Decimal, rounding: str) -> Decimal:
    return (quantity / unit).to_integral_value(rounding=rounding) * unit


def _plan_once(
    lines: Sequence[Line],
    *,
    spendable: Decimal,
    cash_target: Decimal,
    mode: Mode,
    unit: Decimal,
) -> list[Trade]:
    """Trades for the tradable lines."""
    total = sum((line.value for line in lines), ZERO) + spendable
    goal = {line.asset_id: line.target * total for line in lines}
    tradable = [line for line in lines if line.tradable and line.unit_price]
    trades: list[Trade] = []
    proceeds = ZERO
    if mode == Mode.FULL:
        for line in tradable:
            excess = line.value - goal[line.asset_id]
            if excess <= 0:
                continue
            quantity = _round(excess / line.unit_price, unit, ROUND_HALF_UP)
            if quantity >= line.quantity:
                quantity = line.quantity  # the whole holding
            if quantity > 0:
                amount = quantity * line.unit_price
                trades.append(Trade(line.asset_id, Side.SELL, quantity, amount, line.unit_price))
                proceeds += amount
    budget = max(ZERO, spendable + proceeds - cash_target * total)
    sold = {trade.asset_id for trade in trades}
    shortfalls = {
        line.asset_id: goal[line.asset_id] - line.value
        for line in tradable
        if line.asset_id not in sold
    }
    exact = _water_fill(shortfalls, budget)
    prices = {line.asset_id: line.unit_price for line in tradable}
    bought = {key: _round(amount / prices[key], unit, ROUND_DOWN) for key, amount in exact.items()}
    _fit_budget(bought, shortfalls, prices, budget, unit)
    for line in tradable:
        quantity = bought.get(line.asset_id, ZERO)
        if quantity > 0:
            trades.append(
                Trade(
                    line.asset_id, Side.BUY, quantity, quantity * line.unit_price, line.unit_price
                )
            )
    return trades


def _fit_budget(
    bought: dict[int, Decimal],
    shortfalls: Mapping[int, Decimal],
    prices: Mapping[int, Decimal],
    budget: Decimal,
    unit: Decimal,
) -> None:
    """Take units off while the buys cost more than the budget, then add units while one more
    fits and brings its line closer to its target (in place)."""

    def gap(key: int) -> Decimal:  # what the line still lacks of its target after the buy
        return shortfalls[key] - bought.get(key, ZERO) * prices[key]

    spent = sum((quantity * prices[key] for key, quantity in bought.items()), ZERO)
    while spent > budget:
        held = [key for key, quantity in bought.items() if quantity >= unit]
        # Taking one unit off moves the squared gap by u * (2 * gap + u), u its value.
        key = min(held, key=lambda k: unit * prices[k] * (2 * gap(k) + unit * prices[k]))
        bought[key] -= unit
        spent -= unit * prices[key]
    left = budget - spent
    # Greedy by gap: the line furthest below its target first. After rounding down a line
    # lacks less than one unit, so one pass adds at most one unit to each; passes repeat for
    # lines that lost units above.
    added = True
    while added:
        added = False
        for key in sorted(shortfalls, key=gap, reverse=True):
            step = unit * prices[key]
            if step <= left and gap(key) > step / 2:
                bought[key] = bought.get(key, ZERO) + unit
                left -= step
                added = True


def _weights(values: Mapping[str, Decimal], total: Decimal) -> dict[str, Decimal]:
    if total <= 0:
        return dict.fromkeys(values, ZERO)
    return {key: value / total * HUNDRED for key, value in values.items()}


def plan_rebalance(
    lines: Iterable[Line],
    *,
    cash_target: Decimal = ZERO,
    cash_balance: Decimal = ZERO,
    new_cash: Decimal = ZERO,
    records_cash: bool = False,
    mode: Mode | str = Mode.FULL,
    whole_units: bool = False,
    min_trade: Decimal = ZERO,
) -> RebalanceResult:
    """The trades that bring `lines` closest to their targets (the module's rules).

    `cash_target` is a fraction of the value after the trades (only with cash records);
    `cash_balance` the recorded cash in the base currency (ignored without cash records)."""
    mode = Mode(mode)
    lines = list(lines)
    unit = WHOLE_UNIT if whole_units else FRACTION_UNIT
    cash_balance = cash_balance if records_cash else ZERO
    cash_target = cash_target if records_cash else ZERO
    spendable = cash_balance + new_cash
    kept: set[int] = set()
    while True:
        current = [
            replace(line, tradable=False) if line.asset_id in kept else line for line in lines
        ]
        trades = _plan_once(
            current, spendable=spendable, cash_target=cash_target, mode=mode, unit=unit
        )
        small = {trade.asset_id for trade in trades if trade.amount < min_trade}
        if not small:
            break
        kept |= small
    sold = sum((t.amount for t in trades if t.side == Side.SELL), ZERO)
    bought = sum((t.amount for t in trades if t.side == Side.BUY), ZERO)
    cash_left = spendable + sold - bought
    before: dict[str, Decimal] = defaultdict(Decimal)
    after: dict[str, Decimal] = defaultdict(Decimal)
    change = defaultdict(Decimal)
    for trade in trades:
        change[trade.asset_id] += trade.amount if trade.side == Side.BUY else -trade.amount
    for line in lines:
        before[line.key] += line.value
        after[line.key] += line.value + change[line.asset_id]
    securities_before = sum(before.values(), ZERO)
    securities_after = sum(after.values(), ZERO)
    if records_cash:
        before[CASH] = cash_balance
        after[CASH] = cash_left
    total_before = securities_before + (cash_balance if records_cash else ZERO)
    total_after = securities_after + (cash_left if records_cash else ZERO)
    return RebalanceResult(
        trades=tuple(trades),
        total_before=total_before,
        total_after=total_after,
        cash_before=cash_balance,
        new_cash=new_cash,
        cash_left=cash_left,
        bought=bought,
        sold=sold,
        weights_before=_weights(before, total_before),
        weights_after=_weights(after, total_after),
        kept=frozenset(kept),
    )
