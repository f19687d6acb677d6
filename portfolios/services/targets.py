"""Target weights and recording a rebalance plan.

`targets_set` replaces a portfolio's targets at once after checking them: by asset or by asset
class (not both; cash beside either, only when the portfolio records cash), each weight and
band from 0 to 100 points with at most four decimals, the weights adding up to exactly 100 (or
no targets at all, which clears them).

`rebalance_record` turns a confirmed plan into transactions in one atomic step: it locks the
portfolio, recomputes the plan from the same inputs, refuses (409) when its fingerprint is not
the one the investor saw, and records every trade through `transactions_create` (each row
validated as a form's, the ledger replayed with all of them, the version moved once) or none.
With cash records the new cash is a deposit first, and the buys and sells move the cash as any
trade does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts import audit
from accounts.audit import audit_record
from market.models import Asset, AssetClass
from portfolia.errors import ConflictError, DomainError
from portfolia.money import plain
from portfolios.models import Portfolio, TargetAllocation, Transaction, TransactionKind
from portfolios.selectors.rebalancing import RebalanceInputs, rebalance_plan
from portfolios.services.ledger import _lock
from portfolios.services.transactions import transactions_create

HUNDRED = Decimal(100)
WEIGHT_PLACES = 4
NOTE = "Rebalance"


@dataclass(frozen=True)
class TargetInput:
    """One target as a form or the API gives it: exactly one of asset, asset_class, cash."""

    weight: Decimal
    asset: Asset | None = None
    asset_class: str = ""
    cash: bool = False
    band: Decimal | None = None


def _points_problem(value: Decimal | None, what: str) -> str | None:
    if value is None:
        return None
    if not value.is_finite():
        return f"{what} must be a number."
    if value < 0 or value > HUNDRED:
        return f"{what} must be from 0 to 100 (percent points)."
    if value != round(value, WEIGHT_PLACES):
        return f"{what} takes at most {WEIGHT_PLACES} decimals."
    return None


def _row_problems(portfolio: Portfolio, target: TargetInput) -> list[str]:
    problems = []
    kinds = (target.asset is not None) + bool(target.asset_class) + bool(target.cash)
    if kinds != 1:
        problems.append("Name exactly one of an asset, an asset class or cash.")
    if target.asset_class and target.asset_class not in AssetClass.values:
        problems.append(f"Unknown asset class. Choose one of {', '.join(AssetClass.values)}.")
    if target.asset is not None and target.asset.owner_id not in (None, portfolio.owner_id):
        problems.append("Choose an asset from the catalogue or your own assets.")
    if target.cash and not portfolio.records_cash:
        problems.append(
            "A cash target needs cash records: this portfolio does not record cash (Settings, "
            "“Cash records”)."
        )
    for value, what in ((target.weight, "The weight"), (target.band, "The band")):
        problem = _points_problem(value, what)
        if problem:
            problems.append(problem)
    return problems


def _set_problems(targets: Sequence[TargetInput]) -> list[str]:
    problems = []
    if any(t.asset is not None for t in targets) and any(t.asset_class for t in targets):
        problems.append(
            "Set targets either by asset or by asset class, not both (cash may go beside either)."
        )
    keys = [
        ("asset", t.asset.pk) if t.asset is not None else ("class", t.asset_class or "cash")
        for t in targets
    ]
    if len(set(keys)) != len(keys):
        problems.append("Each asset, asset class or cash may have one target only.")
    total = sum((t.weight for t in targets), Decimal(0))
    if targets and total != HUNDRED:
        problems.append(f"The weights add up to {plain(total)}; they must add up to 100.")
    return problems


@db_transaction.atomic
def targets_set(*, portfolio: Portfolio, targets: Sequence[TargetInput]) -> list[TargetAllocation]:
    """Replace the portfolio's targets with `targets` (an empty list clears them); refused as
    a whole, with every problem named, when one breaks a rule (see the module)."""
    portfolio = _lock(portfolio)
    targets = list(targets)
    errors: dict[str, list[str]] = {}
    for index, target in enumerate(targets, start=1):
        for problem in _row_problems(portfolio, target):
            errors.setdefault("targets", []).append(f"Target {index}: {problem}")
    if not errors:
        errors.update({"targets": problems} if (problems := _set_problems(targets)) else {})
    if errors:
        raise ValidationError(errors)
    before = _targets_plain(portfolio.targets.select_related("asset"))
    portfolio.targets.all().delete()
    rows = [
        TargetAllocation(
            portfolio=portfolio,
            asset=target.asset,
            asset_class=target.asset_class,
            is_cash=target.cash,
            weight=target.weight,
            band=target.band,
        )
        for target in targets
    ]
    for row in rows:
        row.full_clean(exclude=["portfolio"])
    created = TargetAllocation.objects.bulk_create(rows)
    audit_record(
        action="set",
        obj=portfolio,
        object_type="targets",
        owner_id=portfolio.owner_id,
        before={"targets": before},
        after={"targets": _targets_plain(created)},
    )
    return created


def _targets_plain(targets) -> list[dict[str, Any]]:
    """Targets as the audit log keeps them: what (an asset, a class or cash), weight, band."""
    return [
        {
            "target": "cash" if t.is_cash else (t.asset_class or str(t.asset)),
            "weight": audit.plain(t.weight),
            "band": audit.plain(t.band),
        }
        for t in targets
    ]


class NothingToRecord(DomainError):
    code = "nothing_to_record"


PLAN_CHANGED = (
    "The plan changed since it was shown (prices, holdings or targets moved): nothing was "
    "recorded. Look at the new plan and confirm it again."
)


@db_transaction.atomic
def rebalance_record(
    *, portfolio: Portfolio, inputs: RebalanceInputs, fingerprint: str
) -> list[Transaction]:
    """Record the plan for `inputs` if it is still the one with `fingerprint`: all its trades
    (after a deposit of the new cash, with cash records) dated today, or nothing."""
    portfolio = _lock(portfolio)
    plan = rebalance_plan(
        portfolio,
        cash=inputs.cash,
        mode=inputs.mode,
        whole_units=inputs.whole_units,
        min_trade=inputs.min_trade,
    )
    if plan.fingerprint != fingerprint:
        raise ConflictError(PLAN_CHANGED, fields={"fingerprint": [PLAN_CHANGED]})
    if not plan.trades:
        raise NothingToRecord("The plan has no trades: nothing to record.")
    today = timezone.localdate()
    rows: list[Transaction] = []
    if plan.deposit > 0:
        rows.append(
            Transaction(
                kind=TransactionKind.DEPOSIT,
                date=today,
                amount=plan.deposit,
                currency=portfolio.base_currency,
                note=f"{NOTE}: new cash",
            )
        )
    for trade in plan.trades:
        rows.append(
            Transaction(
                kind=trade.side,
                date=today,
                asset=trade.asset,
                quantity=trade.quantity,
                price=trade.price,
                currency=trade.currency,
                fx_rate=trade.fx_rate if trade.currency != portfolio.base_currency else None,
                note=NOTE,
            )
        )
    audit_record(
        action="rebalance",
        obj=portfolio,
        object_type="rebalance",
        owner_id=portfolio.owner_id,
        after={
            "fingerprint": fingerprint,
            "cash": inputs.cash,
            "mode": inputs.mode,
            "trades": len(plan.trades),
            "deposit": plan.deposit,
        },
    )
    return transactions_create(portfolio=portfolio, transactions=rows)


STEP = Decimal(1).scaleb(-WEIGHT_PLACES)


def targets_set_from_weights(
    *, portfolio: Portfolio, assets: Sequence[Asset], weights: Sequence[float | Decimal]
) -> list[TargetAllocation]:
    """ "Use as targets": fractions adding up to 1, one per asset (a strategy's weights, as
    `engine.strategies.StrategyWeights` gives them), as asset targets in points with four
    decimals that add up to exactly 100 (largest remainders get the last steps). Assets
    weighted 0 get no target. The lead wires the strategies page's button to this."""
    if len(assets) != len(weights):
        raise ValueError("one weight per asset")
    total = sum((Decimal(repr(float(w))) for w in weights), Decimal(0))
    if total <= 0:
        raise ValidationError({"targets": ["The weights add up to 0: nothing to target."]})
    exact = [Decimal(repr(float(w))) / total * HUNDRED for w in weights]
    points = [(value / STEP).to_integral_value(rounding="ROUND_FLOOR") * STEP for value in exact]
    left = int((HUNDRED - sum(points, Decimal(0))) / STEP)
    order = sorted(range(len(exact)), key=lambda i: exact[i] - points[i], reverse=True)
    for index in order[:left]:
        points[index] += STEP
    chosen = [
        TargetInput(weight=point, asset=asset)
        for asset, point in zip(assets, points, strict=True)
        if point > 0
    ]
    return targets_set(portfolio=portfolio, targets=chosen)
