"""Periods: named periods end today and start the day after the same date n months/years before;
MAX starts at the first transaction; custom dates are checked; nothing starts before the first
transaction."""

import datetime as dt

import pytest

from portfolios.performance import PERIODS, PeriodError, period_resolve

TODAY = dt.date(2025, 6, 30)
FIRST = dt.date(2019, 3, 15)


def resolve(period=None, start=None, end=None, first=FIRST, today=TODAY):
    return period_resolve(period=period, start=start, end=end, first_date=first, today=today)


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("1D", dt.date(2025, 6, 30)),
        ("1W", dt.date(2025, 6, 24)),
        ("1M", dt.date(2025, 5, 31)),
        ("3M", dt.date(2025, 3, 31)),
        ("YTD", dt.date(2025, 1, 1)),
        ("1Y", dt.date(2024, 7, 1)),
        ("3Y", dt.date(2022, 7, 1)),
        ("5Y", dt.date(2020, 7, 1)),
        ("MAX", FIRST),
    ],
)
def test_named_periods_end_today(period, start):
    resolved = resolve(period)
    assert (resolved.label, resolved.start, resolved.end) == (period, start, TODAY)


def test_every_documented_period_is_known():
    assert PERIODS == ("1D", "1W", "1M", "3M", "YTD", "1Y", "3Y", "5Y", "MAX")


def test_a_year_has_365_days_so_its_return_is_annualised():
    assert resolve("1Y").n_days == 365
    assert resolve("1Y", today=dt.date(2024, 12, 31)).n_days == 366  # 2024 is a leap year


def test_month_end_clamps_to_a_shorter_month():
    # 1M of 31 March: the same day a month earlier does not exist, the last of February does.
    assert resolve("1M", today=dt.date(2025, 3, 31)).start == dt.date(2025, 3, 1)
    assert resolve("1Y", today=dt.date(2024, 2, 29)).start == dt.date(2023, 3, 1)


def test_periods_are_case_insensitive_and_default_to_a_year():
    assert resolve("ytd").start == dt.date(2025, 1, 1)
    assert resolve(None).label == "1Y"


def test_a_period_never_starts_before_the_first_transaction():
    assert resolve("5Y", first=dt.date(2024, 1, 10)).start == dt.date(2024, 1, 10)
    assert resolve(start=dt.date(2000, 1, 1), first=dt.date(2024, 1, 10)).start == dt.date(
        2024, 1, 10
    )


def test_custom_dates():
    resolved = resolve(start=dt.date(2024, 2, 1), end=dt.date(2024, 2, 29))
    assert (resolved.label, resolved.start, resolved.end, resolved.n_days) == (
        "custom",
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 29),
        29,
    )
    assert resolve(start=dt.date(2024, 2, 1)).end == TODAY
    assert resolve(end=dt.date(2024, 2, 1)).start == FIRST


def test_unknown_period_is_an_error():
    with pytest.raises(PeriodError) as error:
        resolve("2W")
    assert error.value.field == "period"


def test_end_in_the_future_is_an_error():
    with pytest.raises(PeriodError) as error:
        resolve(start=dt.date(2025, 1, 1), end=dt.date(2025, 7, 1))
    assert error.value.field == "end"


def test_start_after_end_is_an_error():
    with pytest.raises(PeriodError) as error:
        resolve(start=dt.date(2025, 3, 1), end=dt.date(2025, 2, 1))
    assert error.value.field == "start"


def test_a_period_and_dates_together_are_an_error():
    with pytest.raises(PeriodError):
        resolve("1Y", start=dt.date(2025, 3, 1))


def test_an_empty_portfolio_measures_today():
    resolved = resolve("MAX", first=None)
    assert resolved.start == resolved.end == TODAY
