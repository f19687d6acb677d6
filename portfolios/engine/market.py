"""Daily price and FX tables the engine reads market data from.

Both are forward-filled: the value on a day is the close of the latest bar on or before it, and
there is no value before an instrument's first bar. Closes are float64 (market data arrives as
floats); `FxTable.rate_decimal` hands the ledger an exact Decimal of the stored close.

FX rates are base-currency units per unit of a currency. They come from series named as Yahoo
names them: `EURUSD=X` closes are USD per EUR. To convert A into base B the table uses `AB=X`,
or else the inverse of `BA=X` (Yahoo also calls `USDJPY=X` just `JPY=X`; both spellings work).
Quotes in a minor unit (`GBp`/`GBX` pence, `ZAc`, `ILA`) convert through their major currency.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from .types import format_date

__all__ = [
    "MINOR_UNITS",
    "Closes",
    "FxTable",
    "MissingFxRate",
    "PriceTable",
    "business_day_range",
    "day_range",
    "fx_pair_symbols",
    "to_date",
    "to_day64",
]

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()

# Currency codes Yahoo uses for prices quoted in a hundredth of a currency.
MINOR_UNITS: dict[str, tuple[str, int]] = {
    "GBp": ("GBP", 100),
    "GBX": ("GBP", 100),
    "ZAc": ("ZAR", 100),
    "ILA": ("ILS", 100),
}


def to_day64(day: datetime.date) -> np.datetime64:
    """A date as numpy datetime64[D]."""
    return np.datetime64(day.toordinal() - _EPOCH_ORDINAL, "D")


def to_date(day: np.datetime64) -> datetime.date:
    """A numpy datetime64 (any unit) as a date."""
    return datetime.date.fromordinal(
        int(day.astype("datetime64[D]").astype(np.int64)) + _EPOCH_ORDINAL
    )


def day_range(start: datetime.date, end: datetime.date) -> np.ndarray:
    """Calendar days start..end inclusive as datetime64[D] (empty when end < start)."""
    return np.arange(to_day64(start), to_day64(end) + 1, dtype="datetime64[D]")


def business_day_range(start: datetime.date, end: datetime.date) -> np.ndarray:
    """Monday-to-Friday days start..end inclusive as datetime64[D] (holidays included)."""
    days = day_range(start, end)
    # Day 0 (1970-01-01) was a Thursday: (n + 3) % 7 is 0 on Mondays ... 4 on Fridays.
    return days[(days.astype(np.int64) + 3) % 7 < 5]


def _as_days(days: np.ndarray | Sequence[datetime.date]) -> np.ndarray:
    return np.asarray(days, dtype="datetime64[D]")


@dataclass(frozen=True, slots=True)
class Closes:
    """One instrument's daily closes: strictly increasing `days` (datetime64[D]) and float64 `values`.

    Build it with `from_pairs` or `from_arrays`, which sort, drop missing values and keep the last
    of duplicate days.
    """

    days: np.ndarray
    values: np.ndarray
    # Day ordinals as a Python list, built on the first scalar lookup (bisect beats numpy there).
    _ordinals: list[int] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_arrays(
        cls, days: np.ndarray | Sequence[datetime.date], values: np.ndarray | Sequence[float]
    ) -> Closes:
        day_array = _as_days(days)
        value_array = np.asarray(values, dtype=np.float64)
        if day_array.shape != value_array.shape or day_array.ndim != 1:
            raise ValueError("days and values must be one-dimensional and of equal length")
        keep = ~np.isnan(value_array)
        day_array, value_array = day_array[keep], value_array[keep]
        order = np.argsort(day_array, kind="stable")
        day_array, value_array = day_array[order], value_array[order]
        if day_array.size > 1:
            # Keep the last row of each run of equal days.
            last_of_day = np.append(day_array[1:] != day_array[:-1], True)
            day_array, value_array = day_array[last_of_day], value_array[last_of_day]
        return cls(day_array, value_array)

    @classmethod
    def from_pairs(
        cls, pairs: Iterable[tuple[datetime.date, float | Decimal | str | None]]
    ) -> Closes:
        rows = [(day, np.nan if value is None else float(value)) for day, value in pairs]
        if not rows:
            return cls(np.array([], dtype="datetime64[D]"), np.array([], dtype=np.float64))
        days, values = zip(*rows, strict=True)
        return cls.from_arrays(list(days), list(values))

    def __len__(self) -> int:
        return int(self.days.size)

    @property
    def first_day(self) -> datetime.date | None:
        return to_date(self.days[0]) if self.days.size else None

    def on(self, day: datetime.date) -> tuple[float | None, datetime.date | None]:
        """The forward-filled close on `day` and the date of the bar it came from."""
        index = self.index_on(day)
        if index < 0:
            return None, None
        return float(self.values[index]), to_date(self.days[index])

    def value_on(self, day: datetime.date) -> float | None:
        """The forward-filled close on `day`, or None before the first bar."""
        index = self.index_on(day)
        return None if index < 0 else float(self.values[index])

    def index_on(self, day: datetime.date) -> int:
        """Index of the bar in force on `day` (-1 before the first bar)."""
        ordinals = self._ordinals
        if ordinals is None:
            ordinals = (self.days.astype(np.int64) + _EPOCH_ORDINAL).tolist()
            object.__setattr__(self, "_ordinals", ordinals)
        return bisect_right(ordinals, day.toordinal()) - 1

    def over(self, days: np.ndarray) -> np.ndarray:
        """Forward-filled closes over `days` (datetime64[D]); NaN before the first bar."""
        if self.days.size == 0:
            return np.full(days.shape, np.nan)
        index = np.searchsorted(self.days, days, side="right") - 1
        out = self.values[np.maximum(index, 0)]
        return np.where(index >= 0, out, np.nan)


class PriceTable:
    """Daily closes per asset id, in the asset's own currency."""

    __slots__ = ("_series",)

    def __init__(self, series: Mapping[int, Closes] | None = None) -> None:
        self._series: dict[int, Closes] = dict(series or {})

    @classmethod
    def from_arrays(
        cls,
        asset_ids: np.ndarray | Sequence[int],
        days: np.ndarray | Sequence[datetime.date],
        closes: np.ndarray | Sequence[float],
    ) -> PriceTable:
        """Build from three parallel columns (as `values_list("asset_id", "date", "close")` gives)."""
        ids = np.asarray(asset_ids, dtype=np.int64)
        day_array = _as_days(days)
        value_array = np.asarray(closes, dtype=np.float64)
        if not (ids.shape == day_array.shape == value_array.shape):
            raise ValueError("asset_ids, days and closes must be of equal length")
        order = np.argsort(ids, kind="stable")
        ids, day_array, value_array = ids[order], day_array[order], value_array[order]
        unique_ids, starts = np.unique(ids, return_index=True)
        bounds = [*starts.tolist(), ids.size]
        series = {
            int(asset_id): Closes.from_arrays(
                day_array[bounds[i] : bounds[i + 1]], value_array[bounds[i] : bounds[i + 1]]
            )
            for i, asset_id in enumerate(unique_ids.tolist())
        }
        return cls(series)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, datetime.date, float | Decimal]]) -> PriceTable:
        """Build from (asset_id, date, close) rows in any order."""
        materialised = list(rows)
        if not materialised:
            return cls()
        ids, days, closes = zip(*materialised, strict=True)
        return cls.from_arrays(list(ids), list(days), [float(close) for close in closes])

    @classmethod
    def from_mapping(
        cls, closes: Mapping[int, Mapping[datetime.date, float | Decimal | str]]
    ) -> PriceTable:
        """Build from {asset_id: {date: close}}."""
        return cls(
            {asset_id: Closes.from_pairs(by_day.items()) for asset_id, by_day in closes.items()}
        )

    @property
    def asset_ids(self) -> frozenset[int]:
        return frozenset(self._series)

    def series(self, asset_id: int) -> Closes | None:
        return self._series.get(asset_id)

    def close_on(
        self, asset_id: int, day: datetime.date
    ) -> tuple[float | None, datetime.date | None]:
        """The forward-filled close of an asset on `day` and the date of its bar; (None, None)
        when the asset has no bar on or before that day."""
        closes = self._series.get(asset_id)
        if closes is None:
            return None, None
        return closes.on(day)

    def matrix(
        self, asset_ids: Sequence[int], days: np.ndarray | Sequence[datetime.date]
    ) -> np.ndarray:
        """Forward-filled closes, shape (len(days), len(asset_ids)); NaN before an asset's first bar."""
        day_array = _as_days(days)
        out = np.full((day_array.size, len(asset_ids)), np.nan)
        for column, asset_id in enumerate(asset_ids):
            closes = self._series.get(asset_id)
            if closes is not None:
                out[:, column] = closes.over(day_array)
        return out


class MissingFxRate(LookupError):
    """No FX rate converts `currency` into `base` on `day` (no pair loaded, or the day falls
    before the pair's first bar). `txn_id` names the transaction that needed it, if any."""

    def __init__(
        self,
        currency: str,
        base: str,
        day: datetime.date | None = None,
        txn_id: int | None = None,
    ) -> None:
        self.currency = currency
        self.base = base
        self.day = day
        self.txn_id = txn_id
        direct, inverse = FxTable.pair_symbols(currency, base)
        when = f" on or before {format_date(day)}" if day is not None else ""
        which = f" (transaction {txn_id})" if txn_id is not None else ""
        self.message = f"No {currency}→{base} rate{when}{which}: load {direct} or {inverse}"
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class _Conversion:
    """How one currency converts into the base: closes (maybe inverted) divided by `divisor`."""

    closes: Closes | None  # None: a fixed rate of 1 / divisor (the base or its minor unit)
    inverted: bool
    divisor: int


class FxTable:
    """Base-currency-per-unit rates for every currency, from Yahoo-named pair series.

    The base currency always converts at 1. Rates are forward-filled over days without a bar.
    """

    __slots__ = ("_base", "_conversions", "_decimal_cache", "_pairs")

    def __init__(self, base: str, pairs: Mapping[str, Closes] | None = None) -> None:
        if base in MINOR_UNITS:
            raise ValueError(f"{base} is a minor unit and cannot be a base currency")
        self._base = base
        self._pairs: dict[str, Closes] = dict(pairs or {})
        self._conversions: dict[str, _Conversion | None] = {}
        self._decimal_cache: dict[tuple[str, int], Decimal] = {}

    @classmethod
    def from_mapping(
        cls, base: str, pairs: Mapping[str, Mapping[datetime.date, float | Decimal | str]]
    ) -> FxTable:
        """Build from {"EURUSD=X": {date: close}}."""
        return cls(
            base, {symbol: Closes.from_pairs(by_day.items()) for symbol, by_day in pairs.items()}
        )

    @property
    def base(self) -> str:
        return self._base

    @staticmethod
    def pair_symbols(currency: str, base: str) -> tuple[str, str]:
        """The Yahoo symbols that convert `currency` into `base`: (direct, inverse).

        `("EURUSD=X", "USDEUR=X")` for EUR into USD; minor units name their major currency.
        """
        major = MINOR_UNITS.get(currency, (currency, 1))[0]
        return f"{major}{base}=X", f"{base}{major}=X"

    @staticmethod
    def required_pairs(currencies: Iterable[str], base: str) -> dict[str, tuple[str, str]]:
        """For each currency other than the base: (direct, inverse) pair symbols; load either."""
        needed: dict[str, tuple[str, str]] = {}
        for currency in sorted(set(currencies)):
            major = MINOR_UNITS.get(currency, (currency, 1))[0]
            if major != base:
                needed[currency] = FxTable.pair_symbols(currency, base)
        return needed

    def _pair(self, symbol: str) -> Closes | None:
        closes = self._pairs.get(symbol)
        if closes is None and symbol.startswith("USD"):
            closes = self._pairs.get(symbol[3:])  # Yahoo's "JPY=X" is USDJPY=X
        return closes if closes is not None and len(closes) else None

    def _conversion(self, currency: str) -> _Conversion | None:
        if currency in self._conversions:
            return self._conversions[currency]
        major, divisor = MINOR_UNITS.get(currency, (currency, 1))
        conversion: _Conversion | None
        if major == self._base:
            conversion = _Conversion(None, False, divisor)
        else:
            direct, inverse = self.pair_symbols(currency, self._base)
            if (closes := self._pair(direct)) is not None:
                conversion = _Conversion(closes, False, divisor)
            elif (closes := self._pair(inverse)) is not None:
                conversion = _Conversion(closes, True, divisor)
            else:
                conversion = None
        self._conversions[currency] = conversion
        return conversion

    def can_convert(self, currency: str) -> bool:
        """Whether a pair for this currency is loaded (or it is the base)."""
        return self._conversion(currency) is not None

    def rate(self, currency: str, day: datetime.date) -> float:
        """Base units per unit of `currency` on `day`, forward-filled; raises MissingFxRate."""
        conversion = self._conversion(currency)
        if conversion is None:
            raise MissingFxRate(currency, self._base, day)
        if conversion.closes is None:
            return 1.0 / conversion.divisor
        close = conversion.closes.value_on(day)
        if close is None or close <= 0:
            raise MissingFxRate(currency, self._base, day)
        rate = 1.0 / close if conversion.inverted else close
        return rate / conversion.divisor

    def rate_decimal(self, currency: str, day: datetime.date) -> Decimal:
        """`rate` as an exact Decimal of the stored close (its shortest decimal spelling)."""
        key = (currency, day.toordinal())
        cached = self._decimal_cache.get(key)
        if cached is not None:
            return cached
        conversion = self._conversion(currency)
        if conversion is None:
            raise MissingFxRate(currency, self._base, day)
        if conversion.closes is None:
            rate = Decimal(1)
        else:
            close = conversion.closes.value_on(day)
            if close is None or close <= 0:
                raise MissingFxRate(currency, self._base, day)
            rate = Decimal(repr(close))
            if conversion.inverted:
                rate = 1 / rate
        if conversion.divisor != 1:
            rate = rate / conversion.divisor
        self._decimal_cache[key] = rate
        return rate

    def rates(self, currency: str, days: np.ndarray | Sequence[datetime.date]) -> np.ndarray:
        """Rates over `days` (datetime64[D]), forward-filled; NaN where no rate is known
        (before the pair's first bar, or no pair at all). Callers decide whether NaN matters."""
        day_array = _as_days(days)
        conversion = self._conversion(currency)
        if conversion is None:
            return np.full(day_array.shape, np.nan)
        if conversion.closes is None:
            return np.full(day_array.shape, 1.0 / conversion.divisor)
        closes = conversion.closes.over(day_array)
        closes = np.where(closes > 0, closes, np.nan)
        if conversion.inverted:
            closes = 1.0 / closes
        return closes / conversion.divisor


def fx_pair_symbols(currency: str, base: str) -> list[str]:
    """Symbols of the FX assets that convert `currency` into `base`, preferred first: the
    direct `AB=X`, the inverse `BA=X`, and Yahoo's short spelling of a USD pair (`JPY=X`)."""
    direct, inverse = FxTable.pair_symbols(currency, base)
    symbols = [direct, inverse]
    # Yahoo also names USDJPY=X "JPY=X": whichever of the two pairs starts with USD.
    symbols += [pair[3:] for pair in (inverse, direct) if pair.startswith("USD")]
    return symbols
