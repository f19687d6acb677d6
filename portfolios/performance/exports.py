"""CSV exports of a report: the MWR's cash flows and the daily values behind TWR and the charts."""

from __future__ import annotations

import math

import numpy as np

from portfolia.csv_text import csv_text
from portfolios.engine.returns import (
    mwr_cash_flows,
)
from portfolios.performance.periods import ONE_DAY
from portfolios.performance.results import PerformanceReport


def _number(value: float | None, places: int) -> str:
    from portfolia.money import quantize

    if value is None or not math.isfinite(value):
        return ""  # NaN and infinities: no number to give
    return str(quantize(value, places))


def mwr_flows_csv(report: PerformanceReport) -> str:
    """The investor's cash flows behind the MWR: -V_{start-1} the day before start, -I_t and +O_t
    on their days, +V_end on the end day. A spreadsheet's XIRR(amounts, dates) gives the MWR."""
    if report.series is None or not len(report.series):
        return csv_text(["date", "amount", "what"], [])
    series = report.series
    dates, amounts = mwr_cash_flows(
        series.days, series.value, series.inflow, series.outflow, series.start_value
    )
    end = series.days[-1]
    first = series.days[0] - np.timedelta64(1, "D")
    rows = []
    for day, amount in zip(dates.astype(object).tolist(), amounts.tolist(), strict=True):
        if day == first.astype(object):
            what = "value at the start (paid in)"
        elif day == end.astype(object):
            what = "net flows and value at the end"
        else:
            what = "money paid in" if amount < 0 else "money paid out"
        rows.append([day.isoformat(), _number(amount, 2), what])
    return csv_text(["date", "amount", "what"], rows)


def daily_values_csv(report: PerformanceReport) -> str:
    """The daily values behind TWR, drawdown and the charts: the first row is the day before
    start; r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1 reproduces the daily return column."""
    header = [
        "date",
        "value",
        "inflow",
        "outflow",
        "net_invested",
        "daily_return",
        "cumulative_twr",
        "drawdown",
        "benchmark_cumulative",
    ]
    if report.series is None or not len(report.series):
        return csv_text(header, [])
    series = report.series
    rows = [
        [
            (report.start - ONE_DAY).isoformat(),
            _number(series.start_value, 2),
            "",
            "",
            "",
            "",
            "0",
            "0",
            "0",
        ]
    ]
    r = series.daily_returns()
    for index, day in enumerate(series.dates):
        rows.append(
            [
                day.isoformat(),
                _number(float(series.value[index]), 2),
                _number(float(series.inflow[index]), 2),
                _number(float(series.outflow[index]), 2),
                _number(float(series.net_invested[index]), 2),
                _number(float(r[index]), 10),
                _number(float(series.twr[index]), 10),
                _number(float(series.drawdown[index]), 10),
                _number(float(series.benchmark[index]), 10),
            ]
        )
    return csv_text(header, rows)
