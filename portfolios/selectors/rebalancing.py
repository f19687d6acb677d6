"""Reads for targets and rebalancing: the targets with today's weights and drift, and the plan.

Today's weights come from the holdings selector (`selectors.holdings`: the latest closes and the
one FX rule, values in the base currency). An asset that is targeted but not held gets its
latest close and FX rate from `selectors.market_data_load`, the same loader. A price is *stale*
by the holdings' rule (`selectors.STALE_AFTER_DAYS`: a close more than that many days before
today); an asset valued only at its last transaction price has *no price*. Such assets, and
foreign ones without an exchange rate, are named in the plan and never traded (their value
stays as it is). The maths is `portfolios.engine.rebalance`.

The plan's `fingerprint` is a hash of its inputs and trades: `services.rebalance_record`
recomputes the plan and records it only when the fingerprint is the one shown.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from market.models import Asset, AssetClass
from portfolia.money import plain, quantize
from portfolios import selectors
from portfolios.engine.market import MissingFxRate
from portfolios.engine.rebalance import (
    CASH,
    Line,
    Mode,
    RebalanceResult,
    line_targets,
    plan_rebalance,
)
from portfolios.errors import MarketDataPending
from portfolios.models import Portfolio, TargetAllocation

ZERO = Decimal(0)
HUNDRED = Decimal(100)
STORED_PLACES = 10  # a transaction's price and FX rate columns
MODES = tuple(mode.value for mode in Mode)
NO_PRICE, STALE_PRICE, NO_FX_RATE = "no_price", "stale_price", "no_fx_rate"


def target_key(target: TargetAllocation) -> str:
    """The key of a target in weights and forms: the asset's public id, the class, or "cash"."""
    if target.is_cash:
        return CASH
    if target.asset_id is not None:
        return str(target.asset.public_id)
    return target.asset_class


def target_list(
    *, portfolio: Portfolio, assets: dict[int, Asset] | None = None
) -> list[TargetAllocation]:
    """The portfolio's targets (assets, then classes, then cash), with their assets: those of
    `assets` (e.g. the holdings' own), the others read in one more query when there are any."""
    targets = list(portfolio.targets.all())
    known = dict(assets or {})
    missing = sorted({t.asset_id for t in targets if t.asset_id and t.asset_id not in known})
    if missing:
        known.update(Asset.objects.in_bulk(missing))
    for target in targets:
        if target.asset_id:
            target.asset = known[target.asset_id]
    targets.sort(key=lambda t: (t.is_cash, t.asset.symbol if t.asset_id else t.asset_class))
    return targets


def _held_assets(snapshot: selectors.Holdings) -> dict[int, Asset]:
    return {row.asset.pk: row.asset for row in snapshot.rows}


def targets_kind(targets: list[TargetAllocation]) -> str | None:
    """ "asset" or "asset_class" (None without targets or with only a cash target)."""
    if any(t.asset_id for t in targets):
        return "asset"
    if any(t.asset_class for t in targets):
        return "asset_class"
    return None


# --- Targets with today's weights ----------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    """A target (or a holding without one: target None, counted as 0) with today's weight and
    the drift in percent points (current - target)."""

    key: str
    label: str
    asset: Asset | None
    asset_class: str
    is_cash: bool
    target: Decimal | None
    band: Decimal | None
    current: Decimal
    value: Decimal

    @property
    def drift(self) -> Decimal:
        return self.current - (self.target or ZERO)

    @property
    def outside_band(self) -> bool:
        return self.band is not None and abs(self.drift) > self.band


@dataclass(frozen=True)
class TargetsReport:
    portfolio: Portfolio
    date: datetime.date
    currency: str
    kind: str | None
    targets: list[TargetAllocation]
    rows: list[TargetRow]
    total_value: Decimal
    pending: str | None = None

    @property
    def outside_band(self) -> list[TargetRow]:
        return [row for row in self.rows if row.outside_band]


def _percent(part: Decimal, total: Decimal) -> Decimal:
    ratio = selectors.share(part, total)
    return ZERO if ratio is None else ratio * HUNDRED


def _class_label(asset_class: str) -> str:
    return dict(AssetClass.choices).get(asset_class, asset_class)


def targets_report(*, portfolio: Portfolio) -> TargetsReport:
    """Each target beside today's weight of what it names, and each holding no target names."""
    snapshot = selectors.holdings(portfolio=portfolio)
    targets = target_list(portfolio=portfolio, assets=_held_assets(snapshot))
    kind = targets_kind(targets)
    total = snapshot.total_value
    values: dict[str, Decimal] = {}
    labels: dict[str, tuple[str, Asset | None, str]] = {}
    for row in snapshot.rows:
        if kind == "asset_class":
            key = row.asset.asset_class
            labels[key] = (_class_label(key), None, key)
        else:
            key = str(row.asset.public_id)
            labels[key] = (row.asset.symbol, row.asset, "")
        values[key] = values.get(key, ZERO) + row.market_value
    rows: list[TargetRow] = []
    seen: set[str] = set()
    for target in targets:
        key = target_key(target)
        seen.add(key)
        if target.is_cash:
            label, asset, asset_class, value = "Cash", None, "", snapshot.cash
        elif target.asset_id:
            label, asset, asset_class = target.asset.symbol, target.asset, ""
            value = values.get(key, ZERO)
        else:
            label, asset, asset_class = _class_label(key), None, key
            value = values.get(key, ZERO)
        rows.append(
            TargetRow(
                key,
                label,
                asset,
                asset_class,
                target.is_cash,
                target.weight,
                target.band,
                _percent(value, total),
                value,
            )
        )
    for key, value in values.items():
        if key not in seen:
            label, asset, asset_class = labels[key]
            rows.append(
                TargetRow(
                    key, label, asset, asset_class, False, None, None, _percent(value, total), value
                )
            )
    if snapshot.records_cash and CASH not in seen and snapshot.cash:
        rows.append(
            TargetRow(
                CASH,
                "Cash",
                None,
                "",
                True,
                None,
                None,
                _percent(snapshot.cash, total),
                snapshot.cash,
            )
        )
    return TargetsReport(
        portfolio, snapshot.date, snapshot.currency, kind, targets, rows, total, snapshot.pending
    )


# --- The plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebalanceInputs:
    cash: Decimal = ZERO
    mode: str = Mode.FULL.value
    whole_units: bool = False
    min_trade: Decimal = ZERO


@dataclass(frozen=True)
class PlanTrade:
    """One trade: quantity, its amount in the base currency, and the price it was planned at
    (per unit in the asset's currency, with its date and the FX rate to the base)."""

    asset: Asset
    side: str
    quantity: Decimal
    amount: Decimal
    price: Decimal
    currency: str
    fx_rate: Decimal
    price_date: datetime.date | None


@dataclass(frozen=True)
class Untradable:
    """An asset the plan leaves as it is, and why (`NO_PRICE`, `STALE_PRICE`, `NO_FX_RATE`)."""

    asset: Asset
    reason: str
    message: str
    price_date: datetime.date | None = None


@dataclass(frozen=True)
class WeightRow:
    key: str
    label: str
    target: Decimal
    before: Decimal
    after: Decimal


@dataclass(frozen=True)
class RebalancePlan:
    portfolio: Portfolio
    date: datetime.date
    currency: str
    inputs: RebalanceInputs
    kind: str | None
    records_cash: bool
    trades: list[PlanTrade]
    weights: list[WeightRow]
    cash_before: Decimal
    cash_left: Decimal
    bought: Decimal
    sold: Decimal
    total_before: Decimal
    total_after: Decimal
    untradable: list[Untradable] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # class targets with no asset held
    kept: list[Asset] = field(default_factory=list)  # trades dropped as below min_trade
    fingerprint: str = ""

    @property
    def weights_before(self) -> dict[str, Decimal]:
        return {row.key: row.before for row in self.weights}

    @property
    def weights_after(self) -> dict[str, Decimal]:
        return {row.key: row.after for row in self.weights}

    @property
    def deposit(self) -> Decimal:
        """The deposit recording the plan starts with (the new cash, with cash records)."""
        return self.inputs.cash if self.records_cash else ZERO


@dataclass
class _Priced:
    asset: Asset
    quantity: Decimal
    value: Decimal
    price: Decimal | None
    fx_rate: Decimal
    price_date: datetime.date | None
    problem: str | None = None


def _stored(value: Decimal) -> Decimal:
    return Decimal(plain(quantize(value, STORED_PLACES)))


def _problem_text(asset: Asset, reason: str, price_date: datetime.date | None) -> str:
    if reason == NO_PRICE:
        return f"{asset.symbol} has no market price yet: it is left as it is."
    if reason == STALE_PRICE:
        return f"{asset.symbol}'s last price is from {price_date.isoformat()}: it is left as it is."
    return f"{asset.symbol}: no exchange rate {asset.currency} → base yet: it is left as it is."


def _priced_holdings(snapshot: selectors.Holdings) -> list[_Priced]:
    out = []
    for row in snapshot.rows:
        price, fx = _stored(row.price), _stored(row.fx_rate)
        problem = None
        if not row.price_is_market:
            problem = NO_PRICE
        elif row.is_stale:
            problem = STALE_PRICE
        value = row.market_value if problem else row.quantity * price * fx
        out.append(_Priced(row.asset, row.quantity, value, price, fx, row.price_date, problem))
    return out


def _priced_unheld(portfolio: Portfolio, assets: list[Asset], day: datetime.date) -> list[_Priced]:
    """Latest close and FX rate of targeted assets not held (the holdings' loader)."""
    if not assets:
        return []
    base = portfolio.base_currency
    market = selectors.market_data_load(
        owner=portfolio.owner_id,
        asset_ids=[asset.pk for asset in assets],
        currencies_by_base={base: {asset.currency for asset in assets}},
        day=day,
    )
    fx_table = market.fx.get(base)
    out = []
    for asset in assets:
        close, close_date = market.prices.close_on(asset.pk, day)
        priced = _Priced(asset, ZERO, ZERO, None, Decimal(1), close_date)
        if close is None:
            priced.problem = NO_PRICE
        elif (day - close_date).days > selectors.STALE_AFTER_DAYS:
            priced.problem = STALE_PRICE
        else:
            try:
                priced.fx_rate = _stored(Decimal(repr(fx_table.rate(asset.currency, day))))
            except MissingFxRate:
                priced.problem = NO_FX_RATE
        if close is not None:
            priced.price = _stored(Decimal(repr(float(close))))
        out.append(priced)
    return out


def _fingerprint(plan_inputs: RebalanceInputs, trades: list[PlanTrade], deposit: Decimal) -> str:
    body = [
        plain(plan_inputs.cash),
        plan_inputs.mode,
        plan_inputs.whole_units,
        plain(plan_inputs.min_trade),
        plain(deposit),
        [
            [
                str(t.asset.public_id),
                t.side,
                plain(t.quantity),
                plain(t.price),
                plain(t.fx_rate),
                t.price_date.isoformat() if t.price_date else None,
            ]
            for t in trades
        ],
    ]
    return hashlib.sha256(json.dumps(body).encode()).hexdigest()[:32]


def _weight_rows(
    priced: list[_Priced],
    keys: dict[int, str],
    targets: list[TargetAllocation],
    weights: dict[str, Decimal],
    result: RebalanceResult,
    *,
    by_class: bool,
    records_cash: bool,
) -> list[WeightRow]:
    """Target, before and after per target key (targets first, then untargeted holdings)."""
    labels = {
        keys[p.asset.pk]: (_class_label(keys[p.asset.pk]) if by_class else p.asset.symbol)
        for p in priced
    }
    labels[CASH] = "Cash"
    for target in targets:
        labels.setdefault(target_key(target), _class_label(target_key(target)))
    weight_keys = list(dict.fromkeys([*weights, *result.weights_before]))
    weight_rows = [
        WeightRow(
            key,
            labels.get(key, key),
            weights.get(key, ZERO),
            result.weights_before.get(key, ZERO),
            result.weights_after.get(key, ZERO),
        )
        for key in weight_keys
        if key != CASH or records_cash
    ]
    return weight_rows


def rebalance_plan(
    portfolio: Portfolio,
    cash: Decimal = ZERO,
    mode: str = Mode.FULL.value,
    whole_units: bool = False,
    min_trade: Decimal = ZERO,
) -> RebalancePlan:
    """The trades that bring the portfolio closest to its targets at today's prices and FX
    (`engine.rebalance`), with weights before and after, the cash left and the assets it
    cannot trade. Raises MarketDataPending while an exchange rate it needs is loading."""
    inputs = RebalanceInputs(
        cash=cash, mode=Mode(mode).value, whole_units=whole_units, min_trade=min_trade
    )
    snapshot = selectors.holdings(portfolio=portfolio)
    if snapshot.pending:
        raise MarketDataPending(snapshot.pending)
    day = snapshot.date or timezone.localdate()
    targets = target_list(portfolio=portfolio, assets=_held_assets(snapshot))
    kind = targets_kind(targets)
    priced = _priced_holdings(snapshot)
    if kind == "asset":
        held = {p.asset.pk for p in priced}
        unheld = [t.asset for t in targets if t.asset_id and t.asset_id not in held]
        priced += _priced_unheld(portfolio, unheld, day)
    by_class = kind == "asset_class"
    keys = {
        p.asset.pk: (p.asset.asset_class if by_class else str(p.asset.public_id)) for p in priced
    }
    weights = {target_key(t): t.weight for t in targets}
    lines = line_targets(
        [
            Line(
                p.asset.pk,
                keys[p.asset.pk],
                p.quantity,
                p.value,
                None if p.problem else p.price * p.fx_rate,
                # Without targets nothing is traded (rather than everything sold).
                tradable=p.problem is None and bool(targets),
            )
            for p in priced
        ],
        {key: weight for key, weight in weights.items() if key != CASH},
        split_by_value=by_class,
    )
    result = plan_rebalance(
        lines,
        cash_target=weights.get(CASH, ZERO) / HUNDRED,
        cash_balance=snapshot.cash,
        new_cash=cash,
        records_cash=snapshot.records_cash,
        mode=inputs.mode,
        whole_units=whole_units,
        min_trade=min_trade,
    )
    by_id = {p.asset.pk: p for p in priced}
    trades = [
        PlanTrade(
            asset=by_id[t.asset_id].asset,
            side=t.side.value,
            quantity=t.quantity,
            amount=t.amount,
            price=by_id[t.asset_id].price,
            currency=by_id[t.asset_id].asset.currency,
            fx_rate=by_id[t.asset_id].fx_rate,
            price_date=by_id[t.asset_id].price_date,
        )
        for t in result.trades
    ]
    trades.sort(key=lambda t: (t.side != "sell", t.asset.symbol))
    weight_rows = _weight_rows(
        priced,
        keys,
        targets,
        weights,
        result,
        by_class=by_class,
        records_cash=snapshot.records_cash,
    )
    untradable = [
        Untradable(
            p.asset, p.problem, _problem_text(p.asset, p.problem, p.price_date), p.price_date
        )
        for p in priced
        if p.problem
    ]
    placed = set(keys.values())
    unplaced = [key for key in weights if by_class and key != CASH and key not in placed]
    deposit = cash if snapshot.records_cash else ZERO
    return RebalancePlan(
        portfolio=portfolio,
        date=day,
        currency=snapshot.currency,
        inputs=inputs,
        kind=kind,
        records_cash=snapshot.records_cash,
        trades=trades,
        weights=weight_rows,
        cash_before=result.cash_before,
        cash_left=result.cash_left,
        bought=result.bought,
        sold=result.sold,
        total_before=result.total_before,
        total_after=result.total_after,
        untradable=untradable,
        unplaced=unplaced,
        kept=[by_id[pk].asset for pk in sorted(result.kept)],
        fingerprint=_fingerprint(inputs, trades, deposit),
    )
