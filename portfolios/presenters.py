"""How the pages show what the read models give: the performance page's chart points, the cards'
exact values (the API's own strings, so page and API cannot disagree), the risk table, the
monthly heat table and the gain's parts; the income page's shares by asset; the overview's
holdings order and allocation charts. Plain data for the templates; the views only call these."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from portfolios.engine.period import period_returns
from portfolios.engine.returns import wealth_index
from portfolios.engine.risk import drawdown_series
from portfolios.performance import PerformanceReport
from portfolios.reports import IncomeReport
from portfolios.templatetags.portfolio_format import EMPTY, MINUS, gain_class, percent, weight
from portfolios.wire import money_text, performance_data, rate_text, series_points

# Charts show every day up to this many points; longer periods show every n-th day (and the
# last), so a 12-year history stays quick to draw. The CSV download always has every day.
CHART_MAX_POINTS = 1500


def chart_index(size: int) -> np.ndarray:
    """The points a chart of `size` days shows: all, or every n-th past CHART_MAX_POINTS (and
    the last)."""
    index = np.arange(size)
    if size > CHART_MAX_POINTS:
        step = int(np.ceil(size / CHART_MAX_POINTS))
        index = np.unique(np.concatenate([index[::step], [size - 1]]))
    return index


def chart_values(array: np.ndarray, index: np.ndarray, places: int) -> list:
    """The chart's points of `array`, rounded; None (a gap in the chart) for NaN and
    infinities: JSON has no spelling for them."""
    return [round(float(v), places) if np.isfinite(v) else None for v in array[index]]


def chart_data(report: PerformanceReport) -> dict:
    """The value, TWR and drawdown charts' points (every n-th day past CHART_MAX_POINTS), and
    the rolling chart's."""
    series = report.series
    if series is None or not len(series):
        return {}
    index = chart_index(len(series))

    def values(array: np.ndarray, places: int) -> list:
        return chart_values(array, index, places)

    return {
        "currency": report.currency,
        "benchmark": report.benchmark.symbol if report.benchmark else None,
        "days": [day.isoformat() for day in series.days[index].astype(object)],
        "value": values(series.value, 2),
        "net_invested": values(series.net_invested, 2),
        "twr": values(series.twr, 6),
        "benchmark_twr": values(series.benchmark, 6) if report.benchmark else [],
        "drawdown": values(series.drawdown, 6),
        "rolling": rolling_chart_data(report),
    }


FIGURE_KEYS = (
    "twr",
    "twr_annualized",
    "mwr",
    "mwr_period",
    "simple_return",
    "gain",
    "start_value",
    "end_value",
    "net_flows",
    "price_gain",
    "income",
    "fees",
    "taxes",
    "currency_effect",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "beta",
    "correlation",
)


def figures(report: PerformanceReport) -> dict[str, str | None]:
    """The exact values behind the cards, as the API sends them, for data attributes."""
    body = performance_data(report, series=False)
    return {key: body[key] for key in FIGURE_KEYS}


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A monthly return this large (either way) gets the strongest colour in the heat table.
HEAT_FULL = 0.08


def _ratio(value: float | None) -> str:
    """A ratio with two decimals and a sign ("+0.85"; negative with a real minus sign)."""
    if value is None:
        return EMPTY
    rounded = round(value, 2)
    sign = "+" if rounded > 0 else MINUS if rounded < 0 else ""
    return f"{sign}{abs(rounded):.2f}"


def risk_rows(report: PerformanceReport) -> list[dict]:
    """The risk table: each figure as text, its exact value, its colour and its help."""
    drawdown_help = "The deepest fall of the time-weighted wealth from a previous high."
    if report.drawdown_peak:
        recovered = (
            f"recovered {report.drawdown_recovery:%-d %b %Y}"
            if report.drawdown_recovery
            else "not yet recovered"
        )
        drawdown_when = (
            f"{report.drawdown_peak:%-d %b %Y} → {report.drawdown_trough:%-d %b %Y}, {recovered}"
        )
    else:
        drawdown_when = ""
    bench = report.benchmark_symbol or "the benchmark"
    return [
        {
            "key": "volatility",
            "label": "Volatility",
            "text": weight(report.volatility),
            "exact": rate_text(report.volatility),
            "css": "",
            "help": "Annualised standard deviation of daily returns.",
        },
        {
            "key": "sharpe",
            "label": "Sharpe ratio",
            "text": _ratio(report.sharpe),
            "exact": rate_text(report.sharpe),
            "css": gain_class(report.sharpe),
            "help": "Return above the risk-free rate per unit of volatility.",
        },
        {
            "key": "sortino",
            "label": "Sortino ratio",
            "text": _ratio(report.sortino),
            "exact": rate_text(report.sortino),
            "css": gain_class(report.sortino),
            "help": "Like Sharpe, counting only the downside.",
        },
        {
            "key": "max_drawdown",
            "label": "Max drawdown",
            "text": percent(report.max_drawdown),
            "detail": drawdown_when,
            "exact": rate_text(report.max_drawdown),
            "css": gain_class(report.max_drawdown),
            "help": drawdown_help,
        },
        {
            "key": "beta",
            "label": f"Beta to {bench}",
            "text": _ratio(report.beta),
            "exact": rate_text(report.beta),
            "css": "",
            "help": "How much the portfolio moved with the benchmark (1 = as much).",
        },
        {
            "key": "correlation",
            "label": f"Correlation with {bench}",
            "text": _ratio(report.correlation),
            "exact": rate_text(report.correlation),
            "css": "",
            "help": "From -1 (opposite) to +1 (in step).",
        },
        *more_risk_rows(report),
    ]


def more_risk_rows(report: PerformanceReport) -> list[dict]:
    """The further measures' rows (Calmar, VaR, expected shortfall, Omega, tail ratio, up and
    down capture): a figure that is None shows its note instead of a blank."""
    bench = report.benchmark_symbol or "the benchmark"
    measures = (
        ("calmar", "Calmar ratio", _ratio, True,
         "Annual return over the max drawdown (periods of a year or more)."),
        ("value_at_risk", "Value at risk (95 %, 1 day)", percent, True,
         "On one business day in twenty the portfolio lost at least this much."),
        ("expected_shortfall", "Expected shortfall (95 %, 1 day)", percent, True,
         "The average return of the worst 5 % of business days."),
        ("omega", "Omega ratio", _ratio, False,
         "Gains above the risk-free rate over losses below it (above 1: more gained)."),
        ("tail_ratio", "Tail ratio", _ratio, False,
         "The 95th percentile of daily returns over the 5th (below 1: bad days are bigger)."),
        ("up_capture", f"Up capture of {bench}", weight, False,
         "The portfolio's annualised return on the benchmark's up days, as a share of its own."),
        ("down_capture", f"Down capture of {bench}", weight, False,
         "The same on the benchmark's down days (below 100 %: it fell less)."),
    )  # fmt: skip
    rows = []
    for key, label, text, coloured, help_text in measures:
        value = getattr(report, key)
        rows.append(
            {
                "key": key,
                "label": label,
                "text": text(value),
                "detail": report.risk_notes.get(key, "") if value is None else "",
                "exact": rate_text(value),
                "css": gain_class(value) if coloured else "",
                "help": help_text,
            }
        )
    return rows


def rolling_chart_data(report: PerformanceReport) -> dict:
    """The rolling one-year volatility and Sharpe chart's points (every n-th business day past
    CHART_MAX_POINTS, and the last), or {} with nothing to draw."""
    rolling = report.rolling
    if rolling is None or not len(rolling):
        return {}
    index = chart_index(len(rolling))
    return {
        "days": [day.isoformat() for day in rolling.days[index].astype(object)],
        "volatility": chart_values(rolling.volatility, index, 6),
        "sharpe": chart_values(rolling.sharpe, index, 6),
    }


def monthly_rows(report: PerformanceReport) -> list[dict]:
    """The monthly returns by year, each cell with its colour and heat, in tenths (0 to 10: the
    class ``heat-N`` in app.css, since the CSP allows no inline style)."""
    rows = []
    for row in report.monthly_table():
        cells = []
        for value in row["months"]:
            heat = 0.0 if value is None else min(1.0, abs(value) / HEAT_FULL)
            cells.append({"value": value, "css": gain_class(value), "heat": round(heat * 10)})
        rows.append({"year": row["year"], "cells": cells, "total": row["total"]})
    return rows


def gain_parts(report: PerformanceReport) -> list[dict]:
    """The gain's parts (price gain, income, fees, taxes, currency effect) with exact values."""
    return [
        {"key": key, "label": label, "amount": amount, "exact": money_text(amount)}
        for key, label, amount in report.gain_parts
    ]


def income_asset_rows(report: IncomeReport) -> list[tuple]:
    """The income page's rows by asset, each with its share of the total income (None when
    the total is zero)."""
    total = report.total.total
    return [(row, row.total / total if total else None) for row in report.by_asset]


# ── The overview's holdings table and allocation charts ──────────────────────
HOLDING_SORTS = {
    "symbol": lambda row: row.asset.symbol,
    "quantity": lambda row: row.quantity,
    "price": lambda row: row.price,
    "value": lambda row: row.market_value,
    "cost": lambda row: row.cost_basis,
    "gain": lambda row: row.unrealized_gain,
    "gain_pct": lambda row: row.unrealized_gain_pct if row.unrealized_gain_pct is not None else 0,
    "weight": lambda row: row.weight or 0,
}


def holdings_sorted(
    rows: Sequence, sort: str | None, direction: str | None
) -> tuple[str, bool, list]:
    """The holdings rows in the order a column header asked for: (sort key, descending, rows).
    An unknown key sorts by value; symbols ascend by default, every other column descends."""
    if sort not in HOLDING_SORTS:
        sort = "value"
    if direction is None:
        direction = "desc" if sort != "symbol" else "asc"
    descending = direction == "desc"
    return sort, descending, sorted(rows, key=HOLDING_SORTS[sort], reverse=descending)


def allocation_chart_data(allocation: dict[str, Sequence]) -> dict[str, dict]:
    """Each allocation chart's labels, values and weights. The chart draws what is held (a
    negative cash slice cannot be drawn) and its tooltips give the tables' weights, shares of
    the value with its cash."""
    return {
        by: {
            "labels": [
                item.key if by == "asset" and item.key != "cash" else item.label
                for item in slices
                if item.value > 0
            ],
            "values": [float(item.value) for item in slices if item.value > 0],
            "weights": [
                None if item.weight is None else float(item.weight)
                for item in slices
                if item.value > 0
            ],
        }
        for by, slices in allocation.items()
    }


def net_worth_chart_data(result) -> dict:
    """The net-worth page's value and cumulative-return charts (the performance charts' script
    and shape, without a benchmark or drawdown)."""
    series = result.series
    if series is None or not len(series.days):
        return {}
    index = chart_index(len(series.days))
    return {
        "currency": result.currency,
        "benchmark": None,
        "days": [day.isoformat() for day in series.days[index].astype(object)],
        "value": chart_values(series.value, index, 2),
        "net_invested": chart_values(series.net_invested, index, 2),
        "twr": chart_values(series.twr, index, 6),
        "benchmark_twr": [],
        "drawdown": [],
    }


def holding_chart_data(detail) -> dict:
    """A holding's daily closes with its buys and sells marked: each trade's price on the
    chart's day of its date (the last close on or before it; trades before the first close are
    left out), the last trade of a day winning."""
    labels = [day.isoformat() for day, _ in detail.closes]
    marks: dict[str, list[float | None]] = {kind: [None] * len(labels) for kind in ("buy", "sell")}
    days = [day for day, _ in detail.closes]
    for txn in sorted(detail.transactions, key=lambda item: (item.date, item.pk)):
        if txn.kind not in marks or txn.price is None:
            continue
        index = bisect.bisect_right(days, txn.date) - 1
        if index >= 0:
            marks[txn.kind][index] = float(txn.price)
    return {
        "labels": labels,
        "closes": [close for _, close in detail.closes],
        "buys": marks["buy"],
        "sells": marks["sell"],
        "currency": detail.asset.currency,
        "symbol": detail.asset.symbol,
    }


def simulation_chart_data(result: dict) -> dict:
    """The data of the performance charts (performance-charts.js): value against the money
    paid in and the benchmark bought with it, cumulative TWR of both, and the drawdown, each
    through the engine's functions; every n-th day past CHART_MAX_POINTS."""
    points = series_points(result)
    value = np.array([p["value"] for p in points], dtype=np.float64)
    bench = np.array(
        [np.nan if p["benchmark"] is None else p["benchmark"] for p in points], dtype=np.float64
    )
    inflow = np.zeros(value.size)
    first = points[0]["date"]
    for flow in result["contributions"]:
        inflow[(np.datetime64(flow["date"]) - np.datetime64(first)).astype(int)] += flow["amount"]
    outflow = np.zeros(value.size)
    wealth = wealth_index(period_returns(value, inflow, outflow, 0.0))
    has_bench = bool(np.isfinite(bench).all())
    bench_wealth = (
        wealth_index(period_returns(bench, inflow, outflow, 0.0)) if has_bench else value * np.nan
    )
    index = chart_index(value.size)

    def values(array: np.ndarray, places: int) -> list:
        return chart_values(array, index, places)

    symbol = result["benchmark"]["symbol"] if has_bench else None
    return {
        "currency": result["currency"],
        "benchmark": symbol,
        "days": [points[i]["date"].isoformat() for i in index],
        "value": values(value, 2),
        "net_invested": values(np.cumsum(inflow), 2),
        "benchmark_value": values(bench, 2) if has_bench else [],
        "twr": values(wealth - 1.0, 6),
        "benchmark_twr": values(bench_wealth - 1.0, 6) if has_bench else [],
        "drawdown": values(drawdown_series(wealth), 6),
    }


METRIC_ROWS = (
    ("twr", "Time-weighted return", "percent"),
    ("twr_annualized", "TWR a year", "percent"),
    ("mwr", "Money-weighted return (a year)", "percent"),
    ("mwr_period", "Money-weighted return (the period)", "percent"),
    ("volatility", "Volatility", "percent"),
    ("sharpe", "Sharpe ratio", "ratio"),
    ("sortino", "Sortino ratio", "ratio"),
    ("max_drawdown", "Max drawdown", "percent"),
    ("invested", "Money paid in", "money"),
    ("gain", "Gain", "money"),
    ("end_value", "Value at the end", "money"),
)


def simulation_metric_rows(result: dict) -> list[dict]:
    own = result["metrics"]
    bench = result["benchmark"]["metrics"] or {}
    return [
        {"key": key, "label": label, "kind": kind, "value": own.get(key), "bench": bench.get(key)}
        for key, label, kind in METRIC_ROWS
        if own.get(key) is not None or bench.get(key) is not None
    ]
