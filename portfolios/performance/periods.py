"""Periods: the dates of a named period (1D ... MAX) or of a custom start and end."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from portfolia.validators import EARLIEST_DATE

PERIODS = ("1D", "1W", "1M", "3M", "YTD", "1Y", "3Y", "5Y", "MAX")
DEFAULT_PERIOD = "1Y"
ONE_DAY = datetime.timedelta(days=1)
# The first day measured. A transaction stored with an earlier date (0001-01-01, from before
# dates were bounded on input) counts as of this day, and the report says so (`dates_note`):
# the day before start must exist, and a daily series from year 1 would be 740,000 days long.
EARLIEST_MEASURED = EARLIEST_DATE  # the input bound (portfolia.validators)


class PeriodError(ValueError):
    """A period the API answers 400 for; `field` names the parameter at fault."""

    def __init__(self, message: str, field: str = "period") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Period:
    """[start, end], both inclusive; `label` is one of PERIODS or "custom"."""

    label: str
    start: datetime.date
    end: datetime.date

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (that month's last day when it is shorter)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return datetime.date(year, month_index + 1, min(day.day, last_day))


def period_name(value: object) -> object:
    """A period as a query writes it ("1y", "ytd") in the spelling of PERIODS ("1Y", "YTD"):
    the one case rule of the page's form and the API's serializer. Other values pass as given
    (their field refuses them)."""
    return value.upper() if isinstance(value, str) else value


def period_resolve(
    *,
    period: str | None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    first_date: datetime.date | None,
    today: datetime.date,
) -> Period:
    """The dates of a named period ending today, or of a custom start/end.

    A named period of n months or years ends today and starts the day after the same date n
    months or years earlier (1Y of 2025-06-30 is 2024-07-01..2025-06-30), so V_{start-1} is the
    close exactly that long ago; 1D is today alone, 1W the last 7 days, YTD from 1 January, MAX
    from the first transaction. Any start before the first transaction becomes the first
    transaction's date (there is nothing to measure before it). A custom end defaults to today
    and may not be later; a custom start defaults to the first transaction's date.
    """
    if start is not None or end is not None:
        if period not in (None, "", "custom"):
            raise PeriodError("Give either a period or start and end dates, not both.")
        end = end or today
        if end > today:
            raise PeriodError("The end date cannot be in the future.", "end")
        start = start or first_date or end
        if start > end:
            raise PeriodError("The start date must be on or before the end date.", "start")
        label = "custom"
    else:
        label = (period or DEFAULT_PERIOD).upper()
        end = today
        if label == "1D":
            start = end
        elif label == "1W":
            start = end - datetime.timedelta(days=6)
        elif label in ("1M", "3M"):
            start = months_before(end, int(label[0])) + ONE_DAY
        elif label == "YTD":
            start = datetime.date(end.year, 1, 1)
        elif label in ("1Y", "3Y", "5Y"):
            start = months_before(end, 12 * int(label[0])) + ONE_DAY
        elif label == "MAX":
            start = first_date or end
        else:
            raise PeriodError(f"Unknown period {period!r}: choose one of {', '.join(PERIODS)}.")
    if first_date is not None and start < first_date:
        start = first_date
    # Nothing is measured before EARLIEST_MEASURED (and the day before start must exist).
    start, end = max(start, EARLIEST_MEASURED), max(end, EARLIEST_MEASURED)
    return Period(label, min(start, end), end)
