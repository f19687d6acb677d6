"""Every write to market data: catalogue and manual assets, price upserts, fetch jobs and the
provider calls that feed them (backfills, nightly closes, quotes).

Provider prices are fetched only here, called from Celery tasks (``market.tasks``); web requests
at most queue a job, on commit. A failed fetch records why on its ``FetchJob`` and never deletes
or changes stored prices: prices are written only after the provider answered in full.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Protocol

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from market import providers, selectors
from market.models import Asset, AssetClass, CorporateAction, FetchJob, Price, ProviderName, Quote
from market.providers.base import (
    Event,
    ProviderError,
    SearchResult,
    TransientProviderError,
)
from market.ratelimit import provider_slot_acquire
from portfolia.changelog import log_append
from portfolia.errors import DomainError
from portfolia.validators import (
    MAX_VOLUME,
    PRICE_DAYS_AHEAD,
    PRICE_LIMIT,
    control_character_problem,
    date_problem,
    readable_date,
)

logger = logging.getLogger(__name__)

# History is requested from at least a week before the first day it is needed (DESIGN §4), so
# the close of the trading day before it is there whatever weekends and holidays lie between.
HISTORY_LOOKBACK = dt.timedelta(days=7)
MIN_HISTORY = dt.timedelta(days=365)
# The nightly refresh re-reads the last days, so late corrections by the provider land too.
REFRESH_OVERLAP = dt.timedelta(days=7)
# A job whose worker was lost and redelivered its task this often is given up.
MAX_JOB_ATTEMPTS = 8
# What the corporate-action decimals hold (max_digits 20: 10 or 12 integer digits).
MAX_SPLIT_RATIO = Decimal(10) ** 10
MAX_DIVIDEND = Decimal(10) ** 12
UPSERT_CHUNK = 10_000
QUOTE_BATCH = 50
MAX_MANUAL_ROWS = 50_000

ACTIVE_STATUSES = (FetchJob.Status.QUEUED, FetchJob.Status.RUNNING)
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class BarLike(Protocol):
    """A daily bar: the provider's ``Bar`` or a user's ``ManualPrice``."""

    date: dt.date
    open: float | None
    high: float | None
    low: float | None
    close: float
    volume: float | None


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did: rows inserted, rows changed, rows already identical, bars skipped
    (and, in ``skipped_why``, how many for each reason)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skipped_why: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    @property
    def stored(self) -> int:
        """Bars now stored as sent (written or already identical)."""
        return self.inserted + self.updated + self.unchanged

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.skipped + other.skipped,
            dict(Counter(self.skipped_why) + Counter(other.skipped_why)),
        )


@dataclass(frozen=True)
class ManualPrice:
    """One user-entered daily bar (API or CSV)."""

    date: dt.date
    close: float
    open: float | None = None
    high: float | None = None
    low: float | None = None
    volume: float | None = None


@dataclass
class QuotesRefreshResult:
    updated: int = 0
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retry_asset_ids: list[int] = field(default_factory=list)
    retry_after: float | None = None


class AssetNotManualError(DomainError):
    code = "not_manual"
    status_code = 422


class ProviderUnavailableError(DomainError):
    code = "provider_unavailable"
    status_code = 503


class SymbolNotFoundError(DomainError):
    code = "not_found_at_provider"
    status_code = 422


# --- Assets ------------------------------------------------------------------------------------


def _clean_currency(currency: str) -> str:
    currency = (currency or "").strip().upper()
    if currency and not _CURRENCY_CODE.match(currency):
        raise ValidationError({"currency": [f"{currency!r} is not an ISO 4217 currency code."]})
    return currency


def _check_plain_text(**texts: str) -> None:
    """Refuse typed text with a control character before it reaches a query or a row."""
    errors = {}
    for name, text in texts.items():
        problem = control_character_problem(text or "")
        if problem:
            errors[name] = [f"The {name} {problem}; remove it."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def asset_find_or_create(*, result: SearchResult) -> Asset:
    """The catalogue asset for a provider's search result, created on first use.

    A provider may not know an instrument's currency from search alone (it answers ""); the
    first backfill then learns it from a quote. Catalogue currencies are the provider's truth, so
    any ISO code is kept, not only the ones offered as base currencies.
    """
    symbol = result.symbol.strip().upper()
    existing = Asset.objects.filter(
        provider=result.provider, symbol=symbol, owner__isnull=True
    ).first()
    if existing is not None:
        return existing
    asset_class = result.asset_class if result.asset_class in AssetClass.values else "other"
    asset = Asset(
        symbol=symbol,
        name=(result.name or symbol)[:200],
        asset_class=asset_class,
        currency=_clean_currency(result.currency),
        exchange=(result.exchange or "")[:32],
        provider=result.provider,
    )
    asset.full_clean(exclude=["currency"], validate_constraints=False)
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:  # created concurrently by another request
        return Asset.objects.get(provider=result.provider, symbol=symbol, owner__isnull=True)
    return asset


@transaction.atomic
def asset_create_manual(
    *,
    owner,
    symbol: str,
    name: str,
    asset_class: str,
    currency: str,
    exchange: str = "",
) -> Asset:
    """A private asset the owner prices by hand (API or CSV)."""
    _check_plain_text(symbol=symbol, name=name, exchange=exchange)
    symbol = symbol.strip().upper()
    if Asset.objects.filter(owner=owner, symbol=symbol).exists():
        # A value that must be unique among the owner's: a field error (400), as for names.
        raise ValidationError({"symbol": [f"You already have a manual asset {symbol}."]})
    asset = Asset(
        symbol=symbol,
        name=name.strip(),
        asset_class=asset_class,
        currency=currency.strip().upper(),
        exchange=exchange.strip(),
        provider=ProviderName.MANUAL,
        owner=owner,
    )
    asset.full_clean()
    asset.save()
    return asset


def asset_add_from_provider(*, symbol: str, provider_name: str | None = None) -> Asset:
    """Add a provider's instrument to the catalogue (or find it there) and queue its history.

    The instrument's details come from the provider's search (cached, short timeout: the one
    provider call allowed in a web request), never from the client.
    """
    provider_name = provider_name or settings.MARKET_DATA_PROVIDER
    if provider_name == ProviderName.MANUAL:
        raise DomainError("Manual assets are created with their name, class and currency.")
    _check_plain_text(symbol=symbol)
    symbol = symbol.strip().upper()
    asset = Asset.objects.filter(provider=provider_name, symbol=symbol, owner__isnull=True).first()
    if asset is None:
        result = selectors.provider_search_result(symbol=symbol, provider_name=provider_name)
        if result is None:
            search = selectors.provider_search(query=symbol, provider_name=provider_name)
            if search.error:
                raise ProviderUnavailableError(search.error)
            raise SymbolNotFoundError(
                f"{selectors.provider_label(provider_name)} does not know the symbol {symbol}.",
                fields={"symbol": [f"No instrument {symbol} at this provider."]},
            )
        asset = asset_find_or_create(result=result)
    with transaction.atomic():
        ensure_history(asset=asset, since=timezone.localdate() - MIN_HISTORY)
    return asset


# --- Prices ------------------------------------------------------------------------------------


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


Row = tuple[dt.date, float | None, float | None, float | None, float, int | None]


def _close_problem(close) -> str:
    """Why a bar's close is not a price (for a close that is not usable)."""
    if close is None:
        return "no close"
    if math.isnan(close):
        return "a close that is not a number"
    if math.isinf(close):
        return "an infinite close"
    if close <= 0:
        return "a close of 0 or below"
    return f"a close of 10^{PRICE_LIMIT.adjusted()} or more"


def _price_rows(bars: Iterable[BarLike], why: Counter | None = None) -> tuple[list[Row], int]:
    """Bars as rows sorted by date, one per date (the last bar of a date wins); bars without a
    positive finite close below ``PRICE_LIMIT`` (the manual prices' bound too) are skipped
    (counted by reason in ``why``), other missing, non-finite or out-of-range values become NULL.

    Written for speed (a backfill brings thousands of bars): no per-value helper calls.
    """
    isfinite = math.isfinite
    by_date: dict[dt.date, Row] = {}
    skipped = 0
    top = float(PRICE_LIMIT)
    for bar in bars:
        close = bar.close
        if close is None or not isfinite(close) or close <= 0 or close >= top:
            skipped += 1
            if why is not None:
                why[_close_problem(close)] += 1
            continue
        open_, high, low, volume = bar.open, bar.high, bar.low, bar.volume
        by_date[bar.date] = (
            bar.date,
            float(open_) if open_ is not None and isfinite(open_) and abs(open_) <= top else None,
            float(high) if high is not None and isfinite(high) and abs(high) <= top else None,
            float(low) if low is not None and isfinite(low) and abs(low) <= top else None,
            float(close),
            round(volume)
            if volume is not None and isfinite(volume) and 0 <= volume <= MAX_VOLUME
            else None,
        )
    rows = list(by_date.values())
    rows.sort(key=itemgetter(0))
    return rows, skipped


_PG_MERGE = """
WITH written AS (
    INSERT INTO {table} AS p (asset_id, date, open, high, low, close, volume)
    SELECT %(asset)s, t.date, t.open, t.high, t.low, t.close, t.volume
    FROM unnest(
        %(date)s::text::date[], %(open)s::text::float8[], %(high)s::text::float8[],
        %(low)s::text::float8[], %(close)s::text::float8[], %(volume)s::text::bigint[]
    ) AS t(date, open, high, low, close, volume)
    WHERE NOT EXISTS (
        SELECT 1 FROM {table} s
        WHERE s.asset_id = %(asset)s AND s.date = t.date
            AND (s.open, s.high, s.low, s.close, s.volume)
                IS NOT DISTINCT FROM (t.open, t.high, t.low, t.close, t.volume)
    )
    ON CONFLICT (asset_id, date) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
        close = EXCLUDED.close, volume = EXCLUDED.volume
    WHERE (p.open, p.high, p.low, p.close, p.volume)
        IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
"""


def _pg_array(values: Iterable) -> str:
    """A PostgreSQL array literal. Building one string is far cheaper than adapting a Python list
    element by element, and ``repr`` of a float reads back exactly."""
    return "{" + ",".join("NULL" if value is None else repr(value) for value in values) + "}"


def _pg_merge(cursor, table: str, asset_id: int, rows: list[Row]) -> tuple[int, int]:
    """INSERT … ON CONFLICT (asset_id, date) DO UPDATE … WHERE IS DISTINCT FROM: identical rows
    are filtered out before the insert (so they are neither written nor locked), changed ones
    updated, new ones inserted; ``xmax = 0`` tells an inserted row from an updated one."""
    dates, opens, highs, lows, closes, volumes = zip(*rows, strict=True)
    cursor.execute(
        _PG_MERGE.format(table=table),
        {
            "asset": asset_id,
            "date": "{" + ",".join(map(dt.date.isoformat, dates)) + "}",
            "open": _pg_array(opens),
            "high": _pg_array(highs),
            "low": _pg_array(lows),
            "close": _pg_array(closes),
            "volume": _pg_array(volumes),
        },
    )
    inserted, updated = cursor.fetchone()
    return inserted, updated


def _pg_copy(cursor, table: str, asset_id: int, rows: list[Row]) -> None:
    """Binary COPY of rows that are all new (the first backfill of a range)."""
    with cursor.cursor.copy(
        f"COPY {table} (asset_id, date, open, high, low, close, volume) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["int8", "date", "float8", "float8", "float8", "float8", "int8"])
        for row in rows:
            copy.write_row((asset_id, *row))


def _upsert_postgresql(asset_id: int, rows: list[Row], *, allow_copy: bool = True) -> UpsertResult:
    """Rows on dates the asset has no price for yet are COPYed (a first backfill is all new);
    rows on stored dates go through the merge statement, chunk by chunk, which writes only the
    ones that changed. A concurrent writer that slips in a new date makes the COPY fail and the
    merge take every row instead."""
    table = connection.ops.quote_name(Price._meta.db_table)
    inserted = updated = 0
    with connection.cursor() as cursor:
        to_merge = rows
        if allow_copy:
            cursor.execute(
                f"SELECT date FROM {table} WHERE asset_id = %s AND date BETWEEN %s AND %s",
                [asset_id, rows[0][0], rows[-1][0]],
            )
            stored = {day for (day,) in cursor.fetchall()}
            new = [row for row in rows if row[0] not in stored]
            if new:
                try:
                    with transaction.atomic():
                        _pg_copy(cursor, table, asset_id, new)
                    inserted = len(new)
                    to_merge = [row for row in rows if row[0] in stored]
                except IntegrityError:
                    pass
            else:
                to_merge = rows
        for offset in range(0, len(to_merge), UPSERT_CHUNK):
            chunk_inserted, chunk_updated = _pg_merge(
                cursor, table, asset_id, to_merge[offset : offset + UPSERT_CHUNK]
            )
            inserted += chunk_inserted
            updated += chunk_updated
    return UpsertResult(
        inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated
    )


def _upsert_portable(asset_id: int, rows: list[Row]) -> UpsertResult:
    """Compare with the stored rows, then insert the new and update the changed ones in bulk."""
    inserted = updated = 0
    for offset in range(0, len(rows), UPSERT_CHUNK):
        chunk = rows[offset : offset + UPSERT_CHUNK]
        stored = {
            price.date: price
            for price in Price.objects.filter(
                asset_id=asset_id, date__gte=chunk[0][0], date__lte=chunk[-1][0]
            )
        }
        to_create: list[Price] = []
        to_update: list[Price] = []
        for day, open_, high, low, close, volume in chunk:
            price = stored.get(day)
            if price is None:
                to_create.append(
                    Price(
                        asset_id=asset_id,
                        date=day,
                        open=open_,
                        high=high,
                        low=low,
                        close=close,
                        volume=volume,
                    )
                )
            elif (price.open, price.high, price.low, price.close, price.volume) != (
                open_,
                high,
                low,
                close,
                volume,
            ):
                price.open, price.high, price.low = open_, high, low
                price.close, price.volume = close, volume
                to_update.append(price)
        Price.objects.bulk_create(to_create, batch_size=500)
        Price.objects.bulk_update(
            to_update, ["open", "high", "low", "close", "volume"], batch_size=500
        )
        inserted += len(to_create)
        updated += len(to_update)
    return UpsertResult(
        inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated
    )


@transaction.atomic
def price_upsert(*, asset: Asset, bars: Iterable[BarLike]) -> UpsertResult:
    """Store daily bars: insert new dates, update changed ones, leave identical ones unwritten.

    Idempotent: sending the same bars again writes nothing. Bars without a positive, finite close
    are skipped (and counted, by reason); a date sent twice keeps its last bar.
    """
    why: Counter = Counter()
    rows, skipped = _price_rows(bars, why)
    if not rows:
        return UpsertResult(skipped=skipped, skipped_why=dict(why))
    if connection.vendor == "postgresql":
        result = _upsert_postgresql(asset.pk, rows)
    else:
        result = _upsert_portable(asset.pk, rows)
    if result.inserted or result.updated:
        # The earliest date sent stands for the earliest written (the merge only counts rows).
        prices_changed(asset_id=asset.pk, since=rows[0][0])
    return UpsertResult(result.inserted, result.updated, result.unchanged, skipped, dict(why))


@transaction.atomic
def prices_changed(*, asset_id: int, since: dt.date) -> None:
    """Record a write to an asset's prices touching dates from `since` on (rows inserted,
    updated or deleted): one up `price_version`, the write logged in `price_changes`, and the
    first and last price date read again (two probes of the (asset, date) index). Call it in
    the write's database transaction; `price_upsert` and the admin do, and so must any code
    that writes prices around them. The asset row stays locked until the transaction ends, so
    concurrent writes log one after the other."""
    version, log = (
        Asset.objects.select_for_update()
        .filter(pk=asset_id)
        .values_list("price_version", "price_changes")
        .get()
    )
    span = Price.objects.filter(asset_id=asset_id).aggregate(first=Min("date"), last=Max("date"))
    Asset.objects.filter(pk=asset_id).update(
        price_version=version + 1,
        price_changes=log_append(log, version + 1, since),
        first_price_date=span["first"],
        last_price_date=span["last"],
    )


def manual_prices_check(
    *, prices: Sequence[ManualPrice], today: dt.date | None = None
) -> dict[int, list[str]]:
    """Per-row problems of user-entered prices, by index (empty when all rows are fine)."""
    today = today or timezone.localdate()
    errors: dict[int, list[str]] = {}
    first_index: dict[dt.date, int] = {}
    for index, price in enumerate(prices):
        problems: list[str] = []
        close = _finite(price.close)
        if close is None or close <= 0:
            problems.append("Close must be a number greater than 0.")
        elif close >= PRICE_LIMIT:
            problems.append(f"Close must be below {PRICE_LIMIT:,f}.")
        for name in ("open", "high", "low"):
            value = getattr(price, name)
            if value is not None and (_finite(value) is None or value <= 0):
                problems.append(f"{name.capitalize()} must be greater than 0 when given.")
            elif value is not None and value >= PRICE_LIMIT:
                problems.append(f"{name.capitalize()} must be below {PRICE_LIMIT:,f}.")
        if price.volume is not None and (_finite(price.volume) is None or price.volume < 0):
            problems.append("Volume cannot be negative.")
        elif price.volume is not None and price.volume > MAX_VOLUME:
            problems.append(f"Volume must be at most {MAX_VOLUME:,}.")
        if price.high is not None and price.low is not None and price.high < price.low:
            problems.append("High is below low.")
        date_problem_text = date_problem(price.date, days_ahead=PRICE_DAYS_AHEAD, today=today)
        if date_problem_text:
            problems.append(date_problem_text)
        if price.date in first_index:
            problems.append(
                f"{readable_date(price.date)} appears more than once "
                f"(first at row {first_index[price.date] + 1})."
            )
        else:
            first_index[price.date] = index
        if problems:
            errors[index] = problems
    return errors


@transaction.atomic
def prices_upsert_manual(*, user, asset: Asset, prices: Sequence[ManualPrice]) -> UpsertResult:
    """Store a user's prices for their own manual asset: all rows or none.

    Raises ``ValidationError`` keyed by row index ("0", "1", …) when any row is invalid.
    """
    if not asset.is_manual or asset.owner_id != user.pk:
        raise AssetNotManualError(
            "Only manual assets take prices from their owner; this asset's prices come from "
            f"{selectors.provider_label(asset.provider)}."
        )
    if not prices:
        raise ValidationError("Send at least one price.")
    if len(prices) > MAX_MANUAL_ROWS:
        raise ValidationError(f"Send at most {MAX_MANUAL_ROWS:,} prices at once.")
    errors = manual_prices_check(prices=prices)
    if errors:
        raise ValidationError({str(index): problems for index, problems in errors.items()})
    return price_upsert(asset=asset, bars=prices)


@transaction.atomic
def corporate_actions_upsert(*, asset: Asset, events: Iterable[Event]) -> int:
    """Store splits and dividends (one per asset, date and kind); answers how many were written."""
    stored = {(action.date, action.kind): action for action in asset.corporate_actions.all()}
    to_create: list[CorporateAction] = []
    to_update: list[CorporateAction] = []
    seen: set[tuple[dt.date, str]] = set()
    for event in events:
        key = (event.date, event.kind)
        if key in seen:
            continue
        seen.add(key)
        ratio = Decimal(event.ratio) if event.ratio is not None else None
        amount = Decimal(event.amount) if event.amount is not None else None
        action = stored.get(key)
        if action is None:
            to_create.append(
                CorporateAction(
                    asset=asset, date=event.date, kind=event.kind, ratio=ratio, amount=amount
                )
            )
        elif (action.ratio, action.amount) != (ratio, amount):
            action.ratio, action.amount = ratio, amount
            to_update.append(action)
    CorporateAction.objects.bulk_create(to_create)
    CorporateAction.objects.bulk_update(to_update, ["ratio", "amount"])
    return len(to_create) + len(to_update)


# --- Fetch jobs --------------------------------------------------------------------------------


def _job_enqueue(job_id: int) -> None:
    from market.tasks import backfill  # the tasks module imports this one

    try:
        backfill.delay(job_id)
    except Exception:
        logger.exception("Could not queue fetch job %s", job_id)
        FetchJob.objects.filter(id=job_id, status=FetchJob.Status.QUEUED).update(
            status=FetchJob.Status.FAILED,
            error="The job could not be queued: the task broker is unavailable. Try again later.",
            finished_at=timezone.now(),
        )


def _duration(delta: dt.timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{round(minutes / 60)} hours"


def _stuck_reason(job: FetchJob, *, now: dt.datetime) -> str:
    silent = _duration(now - job.last_sign)
    if job.status == FetchJob.Status.RUNNING:
        return (
            f"The worker stopped during attempt {job.attempts}: no sign of it for {silent}, "
            f"longer than a task may run ({settings.CELERY_TASK_TIME_LIMIT} s). It died, or ran "
            "past the time limit and was stopped. Stored prices are unchanged; ask again to "
            "start a new job."
        )
    if job.attempts:
        return (
            f"No worker took up attempt {job.attempts + 1} within {silent}. Stored prices are "
            "unchanged; ask again to start a new job."
        )
    return (
        f"No worker took this job up within {silent}: is a Celery worker running? Ask again to "
        "start a new job."
    )


def fetch_jobs_sweep(
    *, now: dt.datetime | None = None, asset: Asset | None = None
) -> list[FetchJob]:
    """Fail, with a reason, every job that would stay queued or running for good (see
    ``selectors.fetch_jobs_stuck``): its worker died, it ran past the task time limit, or no
    worker took it up. Run by beat (``market.sweep_jobs``) and before a new job is asked for,
    so asking again starts one at once. A job whose worker showed a sign of life meanwhile is
    left alone; stored prices never change."""
    now = now or timezone.now()
    failed: list[FetchJob] = []
    for job in selectors.fetch_jobs_stuck(now=now, asset=asset):
        reason = _stuck_reason(job, now=now)
        moved = FetchJob.objects.filter(
            pk=job.pk, status=job.status, attempts=job.attempts, heartbeat_at=job.heartbeat_at
        ).update(status=FetchJob.Status.FAILED, error=reason, finished_at=now)
        if moved:
            logger.warning("Fetch job %s for %s failed as stuck: %s", job.pk, job.asset, reason)
            job.status, job.error, job.finished_at = FetchJob.Status.FAILED, reason, now
            failed.append(job)
    return failed


def _job_queue(*, asset: Asset, kind: str, start: dt.date | None) -> tuple[FetchJob, bool]:
    """The asset's active job if one exists, else a new one queued on commit; and whether new.

    A partial unique constraint allows one queued-or-running job per asset, so two requests at
    once cannot both queue one. A stuck job is failed first, so it never blocks a new one.
    """
    if asset.is_manual:
        raise DomainError("Manual assets are priced by their owner; there is nothing to fetch.")
    fetch_jobs_sweep(asset=asset)
    active = FetchJob.objects.filter(asset=asset, status__in=ACTIVE_STATUSES).first()
    if active is not None:
        return active, False
    job = FetchJob(asset=asset, kind=kind, start=start, end=None)
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        return FetchJob.objects.get(asset=asset, status__in=ACTIVE_STATUSES), False
    transaction.on_commit(lambda: _job_enqueue(job.pk))
    return job, True


@transaction.atomic
def ensure_history(*, asset: Asset, since: dt.date) -> FetchJob | None:
    """Queue a backfill when stored history does not reach the close before ``since`` (looking
    back at least a year).

    History counts as reaching ``since`` when it starts on or before the business day before
    it; a backfill is requested from ``HISTORY_LOOKBACK`` (a week) before ``since``, so that
    close is fetched whatever holidays lie between. Answers the new job, or None when the
    history is long enough, a job is already queued or running, or the asset is manual. A
    backfill that already succeeded from that far back counts as reaching it (the instrument
    may simply be younger): its ``start`` remembers how far back was asked.
    """
    if asset.is_manual:
        return None
    since = min(since, timezone.localdate() - MIN_HISTORY)
    start = since - HISTORY_LOOKBACK
    coverage = selectors.price_coverage(asset=asset)
    if coverage.first is not None and coverage.first <= selectors.previous_business_day(since):
        return None
    already_tried = FetchJob.objects.filter(
        asset=asset, kind=FetchJob.Kind.BACKFILL, status=FetchJob.Status.SUCCEEDED, start__lte=start
    ).exists()
    if already_tried:
        return None
    job, created = _job_queue(asset=asset, kind=FetchJob.Kind.BACKFILL, start=start)
    return job if created else None


@transaction.atomic
def backfill_request(*, asset: Asset, start: dt.date | None = None) -> FetchJob:
    """Fetch the asset's history now (from ``start``, else all it has and at least a year and
    a week, as ``ensure_history`` asks): answers the queued job, or the one already queued or
    running."""
    if start is None:
        coverage = selectors.price_coverage(asset=asset)
        start = timezone.localdate() - MIN_HISTORY - HISTORY_LOOKBACK
        if coverage.first is not None:
            start = min(start, coverage.first)
    job, _ = _job_queue(asset=asset, kind=FetchJob.Kind.BACKFILL, start=start)
    return job


def _assets_for_refresh(asset_ids: Sequence[int] | None):
    """The assets kept fresh, or exactly the catalogue assets given (staff may pick any)."""
    if asset_ids is None:
        return selectors.assets_to_refresh()
    return Asset.objects.filter(id__in=asset_ids, owner__isnull=True).exclude(
        provider=ProviderName.MANUAL
    )


def daily_closes_refresh(*, asset_ids: Sequence[int] | None = None) -> list[FetchJob]:
    """Queue a refresh of recent closes for every asset to keep fresh (or those given): from a
    week before the last stored close, or a full backfill when there is none."""
    assets = _assets_for_refresh(asset_ids)
    jobs: list[FetchJob] = []
    today = timezone.localdate()
    for asset in selectors.assets_with_last_close(assets=assets):
        with transaction.atomic():
            if asset.last_close is None:
                kind, start = FetchJob.Kind.BACKFILL, today - MIN_HISTORY - HISTORY_LOOKBACK
            else:
                kind, start = FetchJob.Kind.REFRESH, asset.last_close - REFRESH_OVERLAP
            job, created = _job_queue(asset=asset, kind=kind, start=start)
        if created:
            jobs.append(job)
    return jobs


def fetch_job_fail(*, job_id: int, reason: str, only_unfinished: bool = False) -> FetchJob:
    """Mark a job failed with a reason the user can read. Stored prices stay as they are.

    With ``only_unfinished`` a job that already ended keeps its outcome (for hooks that run
    after the task, such as the time-limit handler)."""
    job = FetchJob.objects.get(id=job_id)
    if only_unfinished and job.is_finished:
        return job
    job.status = FetchJob.Status.FAILED
    job.error = reason
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    return job


def _job_start(job_id: int) -> FetchJob | None:
    with transaction.atomic():
        job = FetchJob.objects.select_for_update().select_related("asset").get(id=job_id)
        if job.is_finished:
            return None
        now = timezone.now()
        if job.status == FetchJob.Status.RUNNING:
            # Redelivered (acks_late): the worker running the last attempt was lost.
            if job.attempts >= MAX_JOB_ATTEMPTS:
                job.status = FetchJob.Status.FAILED
                job.error = (
                    f"The worker stopped during each of {job.attempts} attempts; given up. "
                    "Stored prices are unchanged."
                )
                job.finished_at = now
                job.save(update_fields=["status", "error", "finished_at"])
                return None
            job.error = f"The worker stopped during attempt {job.attempts}; trying again."
        job.status = FetchJob.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.end = timezone.localdate()
        if job.start is None:
            job.start = job.end - MIN_HISTORY
        job.save(
            update_fields=[
                "status",
                "attempts",
                "started_at",
                "heartbeat_at",
                "start",
                "end",
                "error",
            ]
        )
        return job


def _job_heartbeat(job: FetchJob) -> None:
    """A sign of life of the worker running ``job``."""
    job.heartbeat_at = timezone.now()
    FetchJob.objects.filter(pk=job.pk, status=FetchJob.Status.RUNNING).update(
        heartbeat_at=job.heartbeat_at
    )


def _event_problem(event: Event) -> str | None:
    """Why a provider's split or dividend cannot be stored, or None when it can."""
    value = event.ratio if event.kind == CorporateAction.Kind.SPLIT else event.amount
    try:
        number = Decimal(value) if value is not None else None
    except (ArithmeticError, TypeError, ValueError):
        number = None
    if event.kind == CorporateAction.Kind.SPLIT:
        if number is None or not number.is_finite() or not 0 < number < MAX_SPLIT_RATIO:
            return "a split ratio that is not usable"
    elif number is None or not number.is_finite() or not 0 <= number < MAX_DIVIDEND:
        return "a dividend amount that is not usable"
    return None


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} with {why}" for why, count in sorted(counts.items()))


def _store_failure_reason(label: str, symbol: str, exc: Exception) -> str:
    detail = (str(exc).strip().splitlines() or [""])[0][:200]
    if isinstance(exc, OperationalError):
        what = f"the database was busy or unavailable ({detail})"
    else:
        what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return (
        f"The answer of {label} for {symbol} could not be stored: {what}. Stored prices are "
        "unchanged; ask again to retry."
    )


def backfill_run(*, job_id: int) -> FetchJob:
    """Run a fetch job (backfill or refresh): the asset's provider's bars and corporate actions
    over the job's range, upserted, and the outcome recorded on the job.

    Every way out ends the job with a status and a reason. A permanent provider error, an answer
    that cannot be stored, or an answer without one usable bar fails the job. A transient
    provider error records why, puts the job back in the queue and is raised again, so the task
    retries it later; ``fetch_job_fail`` ends it when the retries run out. Unusable bars and
    events are left out, counted in ``rows_dropped`` and said in ``note``. Prices are written
    only after the provider answered in full, and never deleted.
    """
    job = _job_start(job_id)
    if job is None:  # already finished: a redelivered task
        return FetchJob.objects.get(id=job_id)
    asset = job.asset
    label = selectors.provider_label(asset.provider)
    try:
        provider = providers.get_provider(asset.provider)
        provider_slot_acquire(provider.name)
        bars = provider.history(asset.symbol, job.start, job.end)
        provider_slot_acquire(provider.name)
        events = provider.events(asset.symbol, job.start, job.end)
        quote = None
        if not asset.currency:
            provider_slot_acquire(provider.name)
            quote = provider.quotes([asset.symbol]).get(asset.symbol)
    except TransientProviderError as exc:
        job.status = FetchJob.Status.QUEUED
        job.error = f"{label} had a temporary problem (attempt {job.attempts}): {exc}"
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "error", "heartbeat_at"])
        raise
    except ProviderError as exc:  # permanent, or unclassified: retrying would not help
        return fetch_job_fail(
            job_id=job.pk, reason=f"{label} could not provide {asset.symbol}: {exc}"
        )
    except SoftTimeLimitExceeded:
        return fetch_job_fail(
            job_id=job.pk,
            reason=f"{label} did not answer for {asset.symbol} within the task time limit "
            f"({settings.CELERY_TASK_SOFT_TIME_LIMIT} s). Stored prices are unchanged.",
        )
    except Exception:
        fetch_job_fail(
            job_id=job.pk,
            reason="An unexpected error stopped this job; the details are in the worker's log.",
        )
        raise

    _job_heartbeat(job)
    bars = list(bars)
    events_dropped: Counter = Counter()
    usable_events: list[Event] = []
    for event in events:
        problem = _event_problem(event)
        if problem is None:
            usable_events.append(event)
        else:
            events_dropped[problem] += 1
    try:
        with transaction.atomic():
            result = price_upsert(asset=asset, bars=bars)
            if result.stored:
                corporate_actions_upsert(asset=asset, events=usable_events)
                if quote is not None and quote.currency:
                    asset.currency = _clean_currency(quote.currency)
                    asset.save(update_fields=["currency"])
                notes = []
                if result.skipped:
                    notes.append(
                        f"Left out {result.skipped} of {len(bars)} bars: "
                        f"{_counts_text(result.skipped_why)}."
                    )
                if events_dropped:
                    notes.append(
                        f"Left out {sum(events_dropped.values())} corporate actions: "
                        f"{_counts_text(events_dropped)}."
                    )
                job.status = FetchJob.Status.SUCCEEDED
                job.rows_written = result.written
                job.rows_dropped = result.skipped
                job.note = " ".join(notes)
                job.error = ""
                job.finished_at = job.heartbeat_at = timezone.now()
                job.save(
                    update_fields=[
                        "status",
                        "rows_written",
                        "rows_dropped",
                        "note",
                        "error",
                        "finished_at",
                        "heartbeat_at",
                    ]
                )
    except SoftTimeLimitExceeded:
        return fetch_job_fail(
            job_id=job.pk,
            reason=f"Storing the prices of {asset.symbol} ran past the task time limit "
            f"({settings.CELERY_TASK_SOFT_TIME_LIMIT} s). Stored prices are unchanged.",
        )
    except (DatabaseError, ArithmeticError, ValueError, OverflowError, ValidationError) as exc:
        logger.warning("Fetch job %s for %s could not be stored", job.pk, asset, exc_info=True)
        return fetch_job_fail(job_id=job.pk, reason=_store_failure_reason(label, asset.symbol, exc))
    except Exception:
        fetch_job_fail(
            job_id=job.pk,
            reason="An unexpected error stopped this job; the details are in the worker's log.",
        )
        raise
    if not result.stored:
        if bars:
            reason = (
                f"{label} answered {len(bars)} bars for {asset.symbol} from {readable_date(job.start)} "
                f"to {readable_date(job.end)}, but none had a usable close "
                f"({_counts_text(result.skipped_why)})."
            )
        else:
            reason = (
                f"{label} answered no prices for {asset.symbol} from {readable_date(job.start)} to "
                f"{readable_date(job.end)}."
            )
        job = fetch_job_fail(job_id=job.pk, reason=f"{reason} Stored prices are unchanged.")
        FetchJob.objects.filter(pk=job.pk).update(rows_dropped=result.skipped)
        job.rows_dropped = result.skipped
        return job
    logger.info(
        "Fetch job %s for %s: %s inserted, %s updated, %s unchanged, %s dropped",
        job.pk,
        asset.symbol,
        result.inserted,
        result.updated,
        result.unchanged,
        result.skipped,
    )
    return job


# --- Quotes ------------------------------------------------------------------------------------


def quotes_refresh(*, asset_ids: Sequence[int] | None = None) -> QuotesRefreshResult:
    """Fetch the latest quote of every asset to keep fresh (or those given), in batches per
    provider. A provider's failure leaves its stored quotes as they were; transiently failed
    assets are listed in ``retry_asset_ids`` for the task to retry."""
    assets = _assets_for_refresh(asset_ids)
    by_provider: dict[str, list[Asset]] = {}
    for asset in assets.select_related("quote"):
        by_provider.setdefault(asset.provider, []).append(asset)

    outcome = QuotesRefreshResult()
    now = timezone.now()
    for name, group in by_provider.items():
        label = selectors.provider_label(name)
        provider = providers.get_provider(name)
        for offset in range(0, len(group), QUOTE_BATCH):
            batch = group[offset : offset + QUOTE_BATCH]
            try:
                provider_slot_acquire(name)
                answers = provider.quotes([asset.symbol for asset in batch])
            except TransientProviderError as exc:
                outcome.errors.append(f"{label}: {exc}")
                outcome.retry_asset_ids += [asset.pk for asset in batch]
                if exc.retry_after:
                    outcome.retry_after = max(outcome.retry_after or 0, exc.retry_after)
                continue
            except ProviderError as exc:
                outcome.errors.append(f"{label}: {exc}")
                continue
            fresh: list[Quote] = []
            for asset in batch:
                answer = answers.get(asset.symbol)
                if answer is None or not _finite(answer.price) or answer.price <= 0:
                    outcome.missing.append(asset.symbol)
                    continue
                stored = getattr(asset, "quote", None)
                if stored is not None and stored.timestamp >= answer.timestamp:
                    outcome.unchanged += 1
                    continue
                fresh.append(
                    Quote(
                        asset=asset,
                        price=answer.price,
                        currency=(answer.currency or asset.currency)[:3],
                        timestamp=answer.timestamp,
                        fetched_at=now,
                    )
                )
            Quote.objects.bulk_create(
                fresh,
                update_conflicts=True,
                unique_fields=["asset"],
                update_fields=["price", "currency", "timestamp", "fetched_at"],
            )
            outcome.updated += len(fresh)
    return outcome


def _task_enqueue(task_name: str, **kwargs) -> None:
    from market import tasks  # the tasks module imports this one

    try:
        getattr(tasks, task_name).delay(**kwargs)
    except Exception:
        logger.exception("Could not queue %s", task_name)


def refresh_request(*, asset_ids: Sequence[int] | None = None, closes: bool = True) -> None:
    """Queue a refresh now (after commit), as staff ask from the data-status page or the admin:
    quotes, and unless ``closes`` is off, recent daily closes. Workers do the fetching."""
    ids = list(asset_ids) if asset_ids is not None else None
    transaction.on_commit(lambda: _task_enqueue("refresh_quotes", asset_ids=ids))
    if closes:
        transaction.on_commit(lambda: _task_enqueue("refresh_daily_closes", asset_ids=ids))
