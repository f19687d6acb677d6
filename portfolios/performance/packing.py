"""How the recent closes of several assets travel in the cache: in two arrays (`Tail`). The
ledger checkpoints travel as the engine's snapshots (`portfolios.engine.snapshots`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from portfolios.engine.market import Closes


@dataclass(frozen=True)
class Tail:
    """Recent closes of several assets, packed for the cache: all days and values in two arrays
    (pickled as two buffers rather than hundreds of small arrays) and each asset's slice of them
    (None: it has no close)."""

    days: np.ndarray
    values: np.ndarray
    bounds: dict[int, tuple[int, int] | None]

    def __contains__(self, asset_id: int) -> bool:
        return asset_id in self.bounds

    def series(self, asset_id: int) -> tuple[np.ndarray, np.ndarray] | None:
        bounds = self.bounds[asset_id]
        if bounds is None:
            return None
        return self.days[bounds[0] : bounds[1]], self.values[bounds[0] : bounds[1]]


def closes_tail(closes: dict[int, Closes], ids: Iterable[int], since: datetime.date) -> Tail:
    """Each asset's closes from `since` on, with its last close before it."""
    start = np.datetime64(since, "D")
    days, values = [], []
    bounds: dict[int, tuple[int, int] | None] = {}
    offset = 0
    for asset_id in ids:
        series = closes.get(asset_id)
        if series is None or not series.days.size:
            bounds[asset_id] = None
            continue
        first = max(int(np.searchsorted(series.days, start)) - 1, 0)
        days.append(series.days[first:])
        values.append(series.values[first:])
        bounds[asset_id] = (offset, offset + days[-1].size)
        offset += days[-1].size
    return Tail(
        np.concatenate(days) if days else np.array([], dtype="datetime64[D]"),
        np.concatenate(values) if values else np.array([], dtype=np.float64),
        bounds,
    )


def closes_from_tail(
    tail: Tail, ids: Iterable[int], since: datetime.date, before: datetime.date
) -> dict[int, Closes]:
    """What `loading.closes_with_previous` reads for `ids` from `since` (each asset's closes from
    `since` on, else from its last close before `before`), taken from a cached tail."""
    since64, before64 = np.datetime64(since, "D"), np.datetime64(before, "D")
    out: dict[int, Closes] = {}
    for asset_id in ids:
        item = tail.series(asset_id)
        if item is None:
            continue
        days, values = item
        first = int(np.searchsorted(days, since64))
        if first == days.size or days[first] >= before64:
            prior = int(np.searchsorted(days, before64)) - 1
            if prior >= 0:
                first = prior
        if first < days.size:
            out[asset_id] = Closes(days[first:], values[first:])
    return out
