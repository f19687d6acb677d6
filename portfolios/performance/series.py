"""Computing a portfolio's daily series: in full, or from a saved checkpoint on (`series_compute`),
and the up-to-date state a request reads (`state_current`), recomputed when transactions or
prices changed."""

from __future__ import annotations

import datetime
import logging
import uuid

import numpy as np
from django.core.cache import cache

from portfolios.engine.attribution import currency_effect, foreign_levels
from portfolios.engine.ledger import LedgerState
from portfolios.engine.market import (
    MissingFxRate,
    PriceTable,
)
from portfolios.engine.snapshots import ledger_pack, ledger_unpack
from portfolios.engine.types import LedgerError
from portfolios.engine.valuation import daily_series
from portfolios.models import Portfolio, txns_from_rows
from portfolios.performance import loading
from portfolios.performance.loading import Digest, Market, days64, fx_table
from portfolios.performance.packing import Tail, closes_from_tail, closes_tail
from portfolios.performance.periods import ONE_DAY
from portfolios.performance.state import (
    LOOKBACK,
    STATE_TIMEOUT,
    Body,
    Head,
    cache_key,
    checkpoints_prune,
    marks_of,
    resume_from,
    resume_points,
)

logger = logging.getLogger(__name__)


class Recompute(Exception):
    """The incremental path cannot be taken; compute everything."""


def series_compute(
    *,
    portfolio: Portfolio,
    digest: Digest,
    market: Market,
    today: datetime.date,
    previous: Head | None,
    resume_day: datetime.date | None,
) -> tuple[Head, Body]:
    """The daily arrays from the first transaction to today: in full, or from the day after
    `resume_day` (a saved checkpoint) on. Raises `Recompute` when something it needs to resume
    is gone from the cache. Logs (at debug level) the day it resumes after, None for a full
    computation, as the record's `resume_day`."""
    logger.debug(
        "Computing the daily series of portfolio %s, resuming after %s",
        portfolio.pk,
        resume_day,
        extra={"resume_day": resume_day},
    )
    base = portfolio.base_currency
    method = portfolio.cost_basis_method
    start = digest.first_measured
    assert start is not None
    old: Body | None = None
    checkpoint: LedgerState | None = None
    memo: dict[int, tuple] = {}  # see `ledger_pack`
    if resume_day is not None:
        assert previous is not None
        old = cache.get(cache_key("body", portfolio.pk, previous.token))
        bundle = cache.get(previous.checkpoints.get(resume_day, ""))
        packed = bundle.get(resume_day) if isinstance(bundle, dict) else None
        if old is None or packed is None:
            raise Recompute
        checkpoint = ledger_unpack(packed, memo)
        rows = loading.txn_rows(portfolio, after=resume_day)
    else:
        rows = loading.txn_rows(portfolio, after=None)
    txns = txns_from_rows(rows)

    grid_first = start - ONE_DAY if resume_day is None else resume_day
    price_since = None if resume_day is None else resume_day - LOOKBACK
    requests: dict[int, datetime.date | None] = dict.fromkeys(sorted(digest.asset_ids), price_since)
    for info in market.fx.values():
        requests[info.id] = price_since
    token = uuid.uuid4().hex
    to_store: dict[str, object] = {}
    tail = None
    if (
        old is not None
        and price_since is not None
        and old.closes_key is not None
        and old.closes_from is not None
        and price_since >= old.closes_from
        and previous is not None
        and previous.price_marks == marks_of(digest, market)
    ):
        tail = cache.get(old.closes_key)
        if not isinstance(tail, Tail) or not all(asset_id in tail for asset_id in requests):
            tail = None
    if tail is not None:
        assert old is not None and price_since is not None and resume_day is not None
        closes = closes_from_tail(tail, requests, price_since, resume_day)
        closes_from, closes_key = old.closes_from, old.closes_key
    else:
        closes = loading.closes_with_previous(
            requests, previous_before=dict.fromkeys(requests, resume_day) if resume_day else {}
        )
        # Enough for a resumption from any month end of the last year.
        closes_from = (
            datetime.date(today.year - 1, today.month, 1) - ONE_DAY - LOOKBACK
            if price_since is None
            else price_since
        )
        closes_key = cache_key("closes", portfolio.pk, token)
        to_store[closes_key] = closes_tail(closes, requests, closes_from)
    prices = PriceTable(
        {asset_id: closes[asset_id] for asset_id in digest.asset_ids if asset_id in closes}
    )
    fx = fx_table(base, market, closes)

    previous_series = None
    if resume_day is not None:
        assert old is not None and checkpoint is not None
        previous_series = old.series.resumable(resume_day, checkpoint)
    series = daily_series(
        txns,
        method=method,
        base_currency=base,
        prices=prices,
        fx=fx,
        start=start,
        end=today,
        checkpoint_every=resume_points(start, today),
        previous=previous_series,
        changed_since=None if resume_day is None else resume_day + ONE_DAY,
        track_lots=False,
        records_cash=digest.records_cash,
        cash_per_currency=digest.cash_per_currency,
    )
    if resume_day is not None and series.checkpoints.get(resume_day) is not checkpoint:
        raise Recompute  # the engine did not resume from our checkpoint

    grid = days64(grid_first, today)
    offset = 0 if resume_day is None else (resume_day - start).days + 1
    effect = currency_effect(
        txns,
        base=base,
        fx=fx,
        grid=grid,
        records_cash=digest.records_cash,
        cash_per_currency=digest.cash_per_currency,
        levels=foreign_levels(series, base=base, offset=offset),
    )

    def joined(old_values: np.ndarray | None, new: np.ndarray) -> np.ndarray:
        if old_values is None or offset == 0:
            return new
        return np.concatenate([old_values[:offset], new])

    body = Body(
        series=series.without_ledgers(),
        currency_effect=joined(old.currency_effect if old else None, effect),
        closes_from=closes_from,
        closes_key=closes_key,
    )

    checkpoints: dict[datetime.date, str] = {}
    if previous is not None and resume_day is not None:
        checkpoints = {day: key for day, key in previous.checkpoints.items() if day <= resume_day}
    fresh = {day: state for day, state in series.checkpoints.items() if day > grid_first}
    fresh[series.end] = series.ledger
    # The new checkpoints travel together, in one cache entry (day → packed state): they share
    # most positions, which are then packed and pickled once.
    bundle_key = cache_key("ckpt", portfolio.pk, token)
    for day in fresh:
        checkpoints[day] = bundle_key
    checkpoints = checkpoints_prune(checkpoints, today)
    to_store[bundle_key] = {
        day: ledger_pack(fresh[day], memo) for day, key in checkpoints.items() if day in fresh
    }
    to_store[cache_key("body", portfolio.pk, token)] = body
    cache.set_many(to_store, STATE_TIMEOUT)
    head = Head(
        token=token,
        base_currency=base,
        method=method,
        records_cash=digest.records_cash,
        start=start,
        end=today,
        digest=digest,
        fx_symbols={c: (info.symbol, info.id) for c, info in market.fx.items()},
        price_marks=marks_of(digest, market),
        checkpoints=checkpoints,
        negative_cash=tuple(series.ledger.negative_cash_list()),
    )
    return head, body


def state_current(
    *, portfolio: Portfolio, today: datetime.date
) -> tuple[Head | None, Body | None, Market, Digest]:
    """The up-to-date head (and its body when it was just computed), the market metadata and the
    digest. Recomputes, incrementally when it can, when transactions or prices changed."""
    head_key = cache_key("head", portfolio.pk)
    head: Head | None = cache.get(head_key)
    version, ledger_log, digest = loading.ledger_version_load(portfolio)
    market = loading.market_meta(portfolio, digest)
    if not digest.count or digest.first_measured > today:  # nothing yet, or only future dates
        return None, None, market, digest
    marks = marks_of(digest, market)
    fx_symbols = {c: (info.symbol, info.id) for c, info in market.fx.items()}
    if (
        head is not None
        and head.base_currency == portfolio.base_currency
        and head.method == portfolio.cost_basis_method
        and head.end == today
        and head.fx_symbols == fx_symbols
        and head.price_marks == marks
        and head.ledger_version == version
    ):
        return head, None, market, digest

    resume_day = resume_from(
        head, portfolio, digest, (version, ledger_log), marks, fx_symbols, today
    )
    try:
        try:
            computed_head, computed_body = series_compute(
                portfolio=portfolio,
                digest=digest,
                market=market,
                today=today,
                previous=head,
                resume_day=resume_day,
            )
        except Recompute:
            computed_head, computed_body = series_compute(
                portfolio=portfolio,
                digest=digest,
                market=market,
                today=today,
                previous=None,
                resume_day=None,
            )
    except (MissingFxRate, LedgerError) as error:
        message = error.message if hasattr(error, "message") else str(error)
        if isinstance(error, MissingFxRate):
            message = (
                "Exchange rates are still loading, so performance cannot be computed yet. "
                + message
            )
        failed = Head(
            token=uuid.uuid4().hex,
            base_currency=portfolio.base_currency,
            method=portfolio.cost_basis_method,
            records_cash=digest.records_cash,
            start=digest.first_measured,
            end=today,
            digest=digest,
            fx_symbols=fx_symbols,
            price_marks=marks,
            checkpoints={},
            ledger_version=version,
            error=message,
        )
        cache.set(head_key, failed, STATE_TIMEOUT)
        return failed, None, market, digest
    computed_head.ledger_version = version
    cache.set(head_key, computed_head, STATE_TIMEOUT)
    return computed_head, computed_body, market, digest
