"""The cached state of a portfolio's daily series (`Head`, small, read on every request; `Body`,
the engine's daily series) and the checkpoint policy: where a computation leaves ledger checkpoints,
which it keeps, and which one a recomputation resumes from after a change."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from portfolia.changelog import changed_since
from portfolios.engine.cash import NegativeCash
from portfolios.engine.valuation import DailySeries
from portfolios.models import Portfolio
from portfolios.performance import loading
from portfolios.performance.loading import Digest, Market
from portfolios.performance.periods import ONE_DAY

# v9: the body holds the engine's `DailySeries` (older pickles hold the arrays themselves;
# v8 is main's, whose reports gained the further risk measures).
CACHE_PREFIX = "portfolios:perf:v9"
STATE_TIMEOUT = 7 * 24 * 3600
REPORT_TIMEOUT = 24 * 3600
# Bars read before a window's first day, so forward-filling has a close to start from.
LOOKBACK = datetime.timedelta(days=31)
# Resume points kept: year ends of the last few years and the ends of the latest computations.
YEAR_ENDS_KEPT = 3
RECENT_ENDS_KEPT = 14


@dataclass
class Head:
    """The cached description of a portfolio's computed series (small: read on every request)."""

    token: str
    base_currency: str
    method: str
    records_cash: bool
    start: datetime.date | None
    end: datetime.date
    digest: Digest
    fx_symbols: dict[str, tuple[str, int]]  # currency → (pair symbol, asset id)
    price_marks: dict[int, tuple]  # asset id → `AssetInfo.marks`
    checkpoints: dict[datetime.date, str]  # resume day → cache key of its bundle (day → packed)
    ledger_version: int | None = None  # the portfolio's `ledger_version` it was computed at
    error: str | None = None
    negative_cash: tuple[NegativeCash, ...] = ()  # the ledger's, at `end`


@dataclass
class Body:
    """The engine's daily series from the first transaction to `Head.end`, kept without its
    ledger states (`DailySeries.without_ledgers`: they travel as checkpoint snapshots), and the
    per-day currency effect of the gain split, which the read model adds."""

    series: DailySeries
    currency_effect: np.ndarray  # per day, float64
    # The cache key of the closes the computation read, from `closes_from` on (with each
    # asset's last close before it), per requested asset (None: it has none): a later
    # resumption from a day at least LOOKBACK after `closes_from`, with the same price marks,
    # reads them from there instead of the database (and keeps the same entry).
    closes_from: datetime.date | None = None
    closes_key: str | None = None


def cache_key(*parts: object) -> str:
    return ":".join([CACHE_PREFIX, *(str(part) for part in parts)])


def resume_points(first: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The days a computation leaves ledger checkpoints on (what `checkpoints_prune` keeps):
    year ends of the last YEAR_ENDS_KEPT years and the month ends of the last twelve months,
    so that an edit in the last year resumes at most a month before its date."""
    days = [
        datetime.date(year, 12, 31)
        for year in range(max(first.year, end.year - YEAR_ENDS_KEPT), end.year)
    ]
    month = datetime.date(end.year - 1, end.month, 1)
    while month <= end:
        following = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days.append(following - ONE_DAY)
        month = following
    return [day for day in days if first <= day < end]


def checkpoints_prune(
    checkpoints: dict[datetime.date, str], today: datetime.date
) -> dict[datetime.date, str]:
    """The resume points worth keeping: year ends of the last YEAR_ENDS_KEPT years, the last
    point of each of the last twelve months and the latest RECENT_ENDS_KEPT points. The ends of
    daily computations thus leave a resume point in every recent month; an older change
    recomputes everything."""
    oldest_year = today.year - YEAR_ENDS_KEPT
    kept = {
        day for day in checkpoints if (day.month, day.day) == (12, 31) and day.year >= oldest_year
    }
    recent_months: dict[tuple[int, int], datetime.date] = {}
    for day in sorted(checkpoints):
        if (today - day).days <= 366:
            recent_months[day.year, day.month] = day
    kept |= set(recent_months.values())
    kept |= set(sorted(checkpoints)[-RECENT_ENDS_KEPT:])
    return {day: checkpoints[day] for day in sorted(kept)}


def marks_of(digest: Digest, market: Market) -> dict[int, tuple]:
    marks = {asset_id: info.marks for asset_id, info in market.assets.items()}
    for info in market.fx.values():
        marks[info.id] = info.marks
    return marks


def price_change_day(head: Head, marks: dict[int, tuple]) -> datetime.date | None:
    """The earliest day whose closes may differ from those the head was computed with
    (`prices_changed_from` its price marks)."""
    return prices_changed_from(head.price_marks, marks, head.start)


def prices_changed_from(
    old: dict[int, tuple], new: dict[int, tuple], start: datetime.date | None
) -> datetime.date | None:
    """The earliest day whose closes may differ between two readings of the same assets' price
    marks (`AssetInfo.marks`: first and last price date, price version): the earliest date the
    price writes since then touched, from the logs of the assets whose version moved
    (`market.services.prices_changed`; one query, only when one moved), however far back (a
    correction); when a log no longer holds every write since, the earliest of the asset's
    first price dates and `start`. None when no mark moved."""
    moved = {
        asset_id: old_marks[2]
        for asset_id, new_marks in new.items()
        if (old_marks := old.get(asset_id)) is not None and old_marks != new_marks
    }
    if not moved:
        return None
    logs = loading.price_change_logs(sorted(moved))
    earliest: datetime.date | None = None
    for asset_id, old_version in moved.items():
        day = changed_since(logs.get(asset_id), old_version, new[asset_id][2])
        if day is None:
            first, old_first = new[asset_id][0], old[asset_id][0]
            day = min(day for day in (old_first, first, start) if day is not None)
        earliest = day if earliest is None else min(earliest, day)
    return earliest


def resume_from(
    head: Head | None,
    portfolio: Portfolio,
    digest: Digest,
    ledger: tuple[int, list],
    marks: dict,
    fx_symbols: dict,
    today: datetime.date,
) -> datetime.date | None:
    """The saved checkpoint to resume from, or None for a full computation.

    The transactions changed from the earliest date the writes since the head's ledger version
    touched (the portfolio's log of its last writes); everything when the log no longer holds
    them all."""
    version, log = ledger
    if (
        head is None
        or head.error is not None
        or head.base_currency != portfolio.base_currency
        or head.method != portfolio.cost_basis_method
        or head.records_cash != digest.records_cash
        or head.digest.cash_per_currency != digest.cash_per_currency
        or head.start != digest.first_measured
        or head.fx_symbols != fx_symbols
        or today < head.end
        or head.ledger_version is None
    ):
        return None
    txn_change: datetime.date | None = None
    if version != head.ledger_version:
        txn_change = changed_since(log, head.ledger_version, version)
        if txn_change is None:
            return None
    changes = [
        day
        for day in (
            txn_change,
            price_change_day(head, marks),
            head.end + ONE_DAY,
        )
        if day is not None
    ]
    changed = min(changes)
    usable = [day for day in head.checkpoints if day < changed and day < today]
    return max(usable) if usable else None
