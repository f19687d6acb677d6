"""What to check about a transaction saved as entered: recorded splits against the data
provider's."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from market.models import Asset, CorporateAction
from portfolia.money import plain
from portfolios.engine.types import Kind, format_date
from portfolios.models import Transaction

# --- Recorded splits against the provider's --------------------------------------------------------

# A recorded split matches the provider's when it falls this many days either side of it: brokers
# book a split on the ex-date, the pay date or the day the new shares arrive.
SPLIT_MATCH_DAYS = 5


def _split_ratio_text(ratio: Decimal) -> str:
    """10 → "10-for-1"; 0.1 (a reverse split) → "1-for-10"."""
    if ratio >= 1:
        return f"{plain(ratio)}-for-1"
    return f"1-for-{plain((1 / ratio).normalize())}"


def split_warnings(
    *, splits: Sequence[tuple[Asset | None, datetime.date, Decimal | None]]
) -> list[str | None]:
    """For each recorded split (asset, date, ratio), a warning when the asset's data provider
    reports no split within `SPLIT_MATCH_DAYS` days of it, or one with another ratio; None when
    they agree or nothing can be told (a manual asset, no stored prices around the date, no
    ratio). A warning, never a refusal: providers miss some splits. One query for all of them.
    """
    warnings: list[str | None] = [None] * len(splits)
    window = datetime.timedelta(days=SPLIT_MATCH_DAYS)
    checkable = [
        (index, asset, day, ratio)
        for index, (asset, day, ratio) in enumerate(splits)
        if asset is not None
        and ratio
        and not asset.is_manual
        and asset.first_price_date is not None
        and asset.last_price_date is not None
        and asset.first_price_date <= day <= asset.last_price_date
    ]
    if not checkable:
        return warnings
    reported: dict[int, list[CorporateAction]] = defaultdict(list)
    for action in CorporateAction.objects.filter(
        kind=CorporateAction.Kind.SPLIT,
        asset_id__in={asset.pk for _, asset, _, _ in checkable},
        date__gte=min(day for _, _, day, _ in checkable) - window,
        date__lte=max(day for _, _, day, _ in checkable) + window,
    ).order_by("date"):
        reported[action.asset_id].append(action)
    for index, asset, day, ratio in checkable:
        near = [
            action
            for action in reported[asset.pk]
            if abs((action.date - day).days) <= SPLIT_MATCH_DAYS and action.ratio
        ]
        if not near:
            warnings[index] = (
                f"The data provider reports no split of {asset.symbol} within "
                f"{SPLIT_MATCH_DAYS} days of {format_date(day)}: check the date and ratio (a "
                "split that did not happen changes the quantity but not the price, so the "
                "value jumps)."
            )
        elif not any(abs(action.ratio - ratio) <= ratio * Decimal("1e-6") for action in near):
            closest = min(near, key=lambda action: abs((action.date - day).days))
            warnings[index] = (
                f"The data provider reports a {_split_ratio_text(closest.ratio)} split of "
                f"{asset.symbol} on {format_date(closest.date)}, not "
                f"{_split_ratio_text(ratio)}: check the ratio."
            )
    return warnings


def transaction_warnings(*, transaction: Transaction) -> list[str]:
    """What to check about a transaction, saved as entered (never a refusal): today, a split the
    data provider does not report."""
    if transaction.kind != Kind.SPLIT:
        return []
    found = split_warnings(splits=[(transaction.asset, transaction.date, transaction.ratio)])
    return [warning for warning in found if warning]
