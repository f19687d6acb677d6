"""The one loader of stored closes for computations (holdings, performance, reports, anything
later): `closes_load` and `closes_latest_before`, re-exported by `market.selectors` and read
there. Answers are plain numpy arrays per asset id (market imports nothing of `portfolios`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from market.models import Asset, Price

__all__ = ["DayCloses", "closes_latest_before", "closes_load"]

DayCloses = tuple[np.ndarray, np.ndarray]  # days (datetime64[D], ascending), closes (float64)


def _day_closes(days: np.ndarray, closes: np.ndarray) -> DayCloses:
    if days.size > 1 and not bool((days[1:] > days[:-1]).all()):
        order = np.argsort(days, kind="stable")
        days, closes = days[order], closes[order]
    return days, closes


def closes_load(
    requests: Mapping[int, dt.date | None], *, until: dt.date | None = None
) -> dict[int, DayCloses]:
    """The daily closes of each asset from its date (None: from its first) to `until` (None:
    to its last), in one query: asset id → (days as datetime64[D] ascending, closes as float64).
    Assets without a close in their range are left out.

    The only reader of stored closes for computations (holdings, performance, reports): on
    PostgreSQL each asset's days and closes travel as two packed binary strings (loading
    hundreds of thousands of rows as Python objects would cost more than the computation);
    elsewhere as rows.
    """
    if not requests:
        return {}
    by_start: dict[dt.date | None, list[int]] = {}
    for asset_id, since in requests.items():
        by_start.setdefault(since, []).append(asset_id)
    if connection.vendor == "postgresql":
        return _closes_load_postgresql(by_start, until)
    condition = Q()
    for since, ids in by_start.items():
        condition |= Q(asset_id__in=ids) if since is None else Q(asset_id__in=ids, date__gte=since)
    rows = Price.objects.filter(condition)
    if until is not None:
        rows = rows.filter(date__lte=until)
    found: dict[int, tuple[list, list]] = {}
    for asset_id, day, close in rows.order_by("asset_id", "date").values_list(
        "asset_id", "date", "close"
    ):
        days, closes = found.setdefault(asset_id, ([], []))
        days.append(day)
        closes.append(close)
    return {
        asset_id: (np.array(days, dtype="datetime64[D]"), np.array(closes, dtype=np.float64))
        for asset_id, (days, closes) in found.items()
    }


def _closes_load_postgresql(
    by_start: dict[dt.date | None, list[int]], until: dt.date | None
) -> dict[int, DayCloses]:
    table = connection.ops.quote_name(Price._meta.db_table)
    clauses, params = [], []
    for since, ids in by_start.items():
        if since is None:
            clauses.append("asset_id = ANY(%s)")
            params.append(sorted(ids))
        else:
            clauses.append("(asset_id = ANY(%s) AND date >= %s)")
            params += [sorted(ids), since]
    where = f"({' OR '.join(clauses)})"
    if until is not None:
        where += " AND date <= %s"
        params.append(until)
    sql = f"""
        SELECT asset_id, string_agg(int4send(date - DATE '1970-01-01'), ''),
               string_agg(float8send(close), '')
        FROM {table} WHERE {where} GROUP BY asset_id
    """
    out: dict[int, DayCloses] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for asset_id, days, closes in cursor.fetchall():
            out[asset_id] = _day_closes(
                np.frombuffer(bytes(days), ">i4").astype(np.int64).astype("datetime64[D]"),
                np.frombuffer(bytes(closes), ">f8").astype(np.float64),
            )
    return out


def closes_latest_before(
    *, asset_ids: Iterable[int], before: dt.date
) -> dict[int, tuple[dt.date, float]]:
    """Each asset's latest close dated before `before`, as (date, close), in one query (assets
    with none are left out): where forward-filling starts when a loaded range begins later."""
    ids = sorted(set(asset_ids))
    if not ids:
        return {}
    prior = Price.objects.filter(asset=OuterRef("pk"), date__lt=before).order_by("-date")
    rows = (
        Asset.objects.filter(pk__in=ids)
        .annotate(
            prior_date=Subquery(prior.values("date")[:1]),
            prior_close=Subquery(prior.values("close")[:1]),
        )
        .values_list("id", "prior_date", "prior_close")
    )
    return {asset_id: (day, close) for asset_id, day, close in rows if day is not None}
