"""Price writes: provider bars and manual prices upserted (a binary COPY or a merge on
PostgreSQL, a portable path elsewhere), the price version bumped, corporate actions stored."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from market import selectors
from market.models import Asset, CorporateAction, Price
from market.providers.base import (
    Event,
)
from market.services.checks import finite
from market.services.errors import AssetNotManualError
from portfolia.changelog import log_append
from portfolia.validators import (
    MAX_VOLUME,
    PRICE_DAYS_AHEAD,
    PRICE_LIMIT,
    date_problem,
    readable_date,
)

UPSERT_CHUNK = 10_000
MAX_MANUAL_ROWS = 50_000


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
    SELECT t.asset, t.date, t.open, t.high, t.low, t.close, t.volume
    FROM unnest(
        %(asset)s::text::bigint[], %(date)s::text::date[], %(open)s::text::float8[],
        %(high)s::text::float8[], %(low)s::text::float8[], %(close)s::text::float8[],
        %(volume)s::text::bigint[]
    ) AS t(asset, date, open, high, low, close, volume)
    WHERE NOT EXISTS (
        SELECT 1 FROM {table} s
        WHERE s.asset_id = t.asset AND s.date = t.date
            AND (s.open, s.high, s.low, s.close, s.volume)
                IS NOT DISTINCT FROM (t.open, t.high, t.low, t.close, t.volume)
    )
    ON CONFLICT (asset_id, date) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
        close = EXCLUDED.close, volume = EXCLUDED.volume
    WHERE (p.open, p.high, p.low, p.close, p.volume)
        IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING p.asset_id, (xmax = 0) AS inserted
)
SELECT asset_id, count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM written GROUP BY asset_id
"""


def _pg_array(values: Iterable) -> str:
    """A PostgreSQL array literal. Building one string is far cheaper than adapting a Python list
    element by element, and ``repr`` of a float reads back exactly."""
    return "{" + ",".join("NULL" if value is None else repr(value) for value in values) + "}"


def _pg_merge(
    cursor, table: str, rows_by_asset: Mapping[int, list[Row]]
) -> dict[int, tuple[int, int]]:
    """INSERT … ON CONFLICT (asset_id, date) DO UPDATE … WHERE IS DISTINCT FROM, for the rows
    of one or many assets in one statement: identical rows are filtered out before the insert
    (so they are neither written nor locked), changed ones updated, new ones inserted;
    ``xmax = 0`` tells an inserted row from an updated one. Answers (inserted, updated) of each
    asset that had a row written."""
    assets = [asset_id for asset_id, rows in rows_by_asset.items() for _ in rows]
    flat = [row for rows in rows_by_asset.values() for row in rows]
    dates, opens, highs, lows, closes, volumes = zip(*flat, strict=True)
    cursor.execute(
        _PG_MERGE.format(table=table),
        {
            "asset": _pg_array(assets),
            "date": "{" + ",".join(map(dt.date.isoformat, dates)) + "}",
            "open": _pg_array(opens),
            "high": _pg_array(highs),
            "low": _pg_array(lows),
            "close": _pg_array(closes),
            "volume": _pg_array(volumes),
        },
    )
    return {asset_id: (inserted, updated) for asset_id, inserted, updated in cursor.fetchall()}


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
                cursor, table, {asset_id: to_merge[offset : offset + UPSERT_CHUNK]}
            ).get(asset_id, (0, 0))
            inserted += chunk_inserted
            updated += chunk_updated
    return UpsertResult(
        inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated
    )


def _upsert_portable(asset_id: int, rows: list[Row]) -> UpsertResult:
    """Compare with the stored rows, then insert the new and update the changed ones in bulk."""
    result = UpsertResult()
    for offset in range(0, len(rows), UPSERT_CHUNK):
        chunk = rows[offset : offset + UPSERT_CHUNK]
        result += _upsert_portable_many({asset_id: chunk})[asset_id]
    return result


def _upsert_portable_many(rows_by_asset: Mapping[int, list[Row]]) -> dict[int, UpsertResult]:
    """The portable upsert of many assets' rows (each list sorted by date): one read of the
    stored rows in their date span, then one bulk insert and one bulk update."""
    first = min(rows[0][0] for rows in rows_by_asset.values())
    last = max(rows[-1][0] for rows in rows_by_asset.values())
    stored = {
        (price.asset_id, price.date): price
        for price in Price.objects.filter(
            asset_id__in=list(rows_by_asset), date__gte=first, date__lte=last
        )
    }
    to_create: list[Price] = []
    to_update: list[Price] = []
    results: dict[int, UpsertResult] = {}
    for asset_id, rows in rows_by_asset.items():
        created = len(to_create)
        changed = len(to_update)
        for day, open_, high, low, close, volume in rows:
            price = stored.get((asset_id, day))
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
        inserted, updated = len(to_create) - created, len(to_update) - changed
        results[asset_id] = UpsertResult(
            inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated
        )
    Price.objects.bulk_create(to_create, batch_size=500)
    Price.objects.bulk_update(to_update, ["open", "high", "low", "close", "volume"], batch_size=500)
    return results


@transaction.atomic
def price_upsert(*, asset: Asset, bars: Iterable[BarLike], portable: bool = False) -> UpsertResult:
    """Store daily bars: insert new dates, update changed ones, leave identical ones unwritten.

    Idempotent: sending the same bars again writes nothing. Bars without a positive, finite close
    are skipped (and counted, by reason); a date sent twice keeps its last bar. PostgreSQL takes
    the COPY / INSERT … ON CONFLICT path; `portable` takes the ORM path there too (the path of
    every other database), so tests hold both to the same answers.
    """
    why: Counter = Counter()
    rows, skipped = _price_rows(bars, why)
    if not rows:
        return UpsertResult(skipped=skipped, skipped_why=dict(why))
    if connection.vendor == "postgresql" and not portable:
        result = _upsert_postgresql(asset.pk, rows)
    else:
        result = _upsert_portable(asset.pk, rows)
    if result.inserted or result.updated:
        # The earliest date sent stands for the earliest written (the merge only counts rows).
        prices_changed(asset_id=asset.pk, since=rows[0][0])
    return UpsertResult(result.inserted, result.updated, result.unchanged, skipped, dict(why))


@transaction.atomic
def prices_upsert_many(
    *, bars_by_asset: Mapping[int, Iterable[BarLike]], portable: bool = False
) -> dict[int, UpsertResult]:
    """``price_upsert`` for many assets at once (by asset id): the same rows stored, the same
    counts answered per asset, and the price version of each asset with a row written bumped
    as ``price_upsert`` bumps it; but one merge statement on PostgreSQL (chunked at
    ``UPSERT_CHUNK`` rows; never a COPY: a refresh re-reads stored days) and three queries for
    all the version bumps, so a nightly refresh costs a few queries per batch, not per asset."""
    results: dict[int, UpsertResult] = {}
    rows_by_asset: dict[int, list[Row]] = {}
    for asset_id, bars in bars_by_asset.items():
        why: Counter = Counter()
        rows, skipped = _price_rows(bars, why)
        results[asset_id] = UpsertResult(skipped=skipped, skipped_why=dict(why))
        if rows:
            rows_by_asset[asset_id] = rows
    written: dict[int, UpsertResult] = {}
    for chunk in _chunks_by_rows(rows_by_asset):
        if connection.vendor == "postgresql" and not portable:
            table = connection.ops.quote_name(Price._meta.db_table)
            with connection.cursor() as cursor:
                counts = _pg_merge(cursor, table, chunk)
            for asset_id, rows in chunk.items():
                inserted, updated = counts.get(asset_id, (0, 0))
                written[asset_id] = UpsertResult(inserted, updated, len(rows) - inserted - updated)
        else:
            written.update(_upsert_portable_many(chunk))
    changed: dict[int, dt.date] = {}
    for asset_id, result in written.items():
        skipped = results[asset_id]
        results[asset_id] = UpsertResult(
            result.inserted, result.updated, result.unchanged, skipped.skipped, skipped.skipped_why
        )
        if result.written:
            changed[asset_id] = rows_by_asset[asset_id][0][0]
    if changed:
        prices_changed_many(since_by_asset=changed)
    return results


def _chunks_by_rows(rows_by_asset: dict[int, list[Row]]) -> Iterable[dict[int, list[Row]]]:
    """The assets' rows in chunks of about ``UPSERT_CHUNK`` rows, an asset's rows never split."""
    chunk: dict[int, list[Row]] = {}
    size = 0
    for asset_id, rows in rows_by_asset.items():
        if chunk and size + len(rows) > UPSERT_CHUNK:
            yield chunk
            chunk, size = {}, 0
        chunk[asset_id] = rows
        size += len(rows)
    if chunk:
        yield chunk


@transaction.atomic
def prices_changed(*, asset_id: int, since: dt.date) -> None:
    """Record a write to an asset's prices touching dates from `since` on (rows inserted,
    updated or deleted): one up `price_version`, the write logged in `price_changes`, and the
    first and last price date read again. Call it in the write's database transaction;
    `price_upsert` and the admin do, and so must any code that writes prices around them. The
    asset row stays locked until the transaction ends, so concurrent writes log one after the
    other."""
    prices_changed_many(since_by_asset={asset_id: since})


@transaction.atomic
def prices_changed_many(*, since_by_asset: Mapping[int, dt.date]) -> None:
    """``prices_changed`` for many assets in three queries: their rows locked (in id order, so
    two writers never deadlock), their price spans read, their marks written."""
    ids = sorted(since_by_asset)
    marks = list(
        Asset.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .only("pk", "price_version", "price_changes", "first_price_date", "last_price_date")
    )
    spans = {
        row["asset_id"]: row
        for row in Price.objects.filter(asset_id__in=ids)
        .values("asset_id")
        .annotate(first=Min("date"), last=Max("date"))
        .order_by()
    }
    for asset in marks:
        span = spans.get(asset.pk, {})
        asset.price_version += 1
        asset.price_changes = log_append(
            asset.price_changes, asset.price_version, since_by_asset[asset.pk]
        )
        asset.first_price_date, asset.last_price_date = span.get("first"), span.get("last")
    Asset.objects.bulk_update(
        marks, ["price_version", "price_changes", "first_price_date", "last_price_date"]
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
        close = finite(price.close)
        if close is None or close <= 0:
            problems.append("Close must be a number greater than 0.")
        elif close >= PRICE_LIMIT:
            problems.append(f"Close must be below {PRICE_LIMIT:,f}.")
        for name in ("open", "high", "low"):
            value = getattr(price, name)
            if value is not None and (finite(value) is None or value <= 0):
                problems.append(f"{name.capitalize()} must be greater than 0 when given.")
            elif value is not None and value >= PRICE_LIMIT:
                problems.append(f"{name.capitalize()} must be below {PRICE_LIMIT:,f}.")
        if price.volume is not None and (finite(price.volume) is None or price.volume < 0):
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
    return corporate_actions_upsert_many(events_by_asset={asset.pk: events})


@transaction.atomic
def corporate_actions_upsert_many(*, events_by_asset: Mapping[int, Iterable[Event]]) -> int:
    """``corporate_actions_upsert`` for many assets (by id): one read of their stored actions,
    one bulk insert, one bulk update; answers how many were written."""
    wanted: dict[tuple[int, dt.date, str], Event] = {}
    for asset_id, events in events_by_asset.items():
        for event in events:
            wanted.setdefault((asset_id, event.date, event.kind), event)
    if not wanted:
        return 0
    stored = {
        (action.asset_id, action.date, action.kind): action
        for action in CorporateAction.objects.filter(
            asset_id__in=list(events_by_asset), date__gte=min(key[1] for key in wanted)
        )
    }
    to_create: list[CorporateAction] = []
    to_update: list[CorporateAction] = []
    for (asset_id, day, kind), event in wanted.items():
        ratio = Decimal(event.ratio) if event.ratio is not None else None
        amount = Decimal(event.amount) if event.amount is not None else None
        action = stored.get((asset_id, day, kind))
        if action is None:
            to_create.append(
                CorporateAction(asset_id=asset_id, date=day, kind=kind, ratio=ratio, amount=amount)
            )
        elif (action.ratio, action.amount) != (ratio, amount):
            action.ratio, action.amount = ratio, amount
            to_update.append(action)
    CorporateAction.objects.bulk_create(to_create)
    CorporateAction.objects.bulk_update(to_update, ["ratio", "amount"])
    return len(to_create) + len(to_update)
