"""Performance, Income and Realized-gains pages, and their CSV downloads.

One view per page: authorize (`portfolio_get_for_user`, 404 for anyone else's portfolio) →
parse the period or year → call the same read model as the API → render the page, or the
`{% partialdef %}` an HTMX request asks for. Links keep their href, so every page works without
JavaScript.
"""

from __future__ import annotations

import numpy as np
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from portfolios import selectors
from portfolios.models import Portfolio
from portfolios.performance import (
    PERIODS,
    PerformanceReport,
    PeriodError,
    daily_values_csv,
    mwr_flows_csv,
)
from portfolios.performance_serializers import money_text, performance_data, rate_text
from portfolios.reports import income_csv, income_report, realized_csv, realized_gains
from portfolios.templatetags.portfolio_format import EMPTY, MINUS, gain_class, percent, weight

# Charts show every day up to this many points; longer periods show every n-th day (and the
# last), so a 12-year history stays quick to draw. The CSV download always has every day.
CHART_MAX_POINTS = 1500


class PeriodForm(forms.Form):
    period = forms.ChoiceField(choices=[(p, p) for p in PERIODS], required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_period(self) -> str:
        return (self.cleaned_data.get("period") or "").upper()


class YearForm(forms.Form):
    year = forms.IntegerField(required=False, min_value=1900, max_value=2200)


def _period_params(request: HttpRequest) -> tuple[PeriodForm, dict]:
    data = request.GET.copy()
    if data.get("period"):
        data["period"] = data["period"].upper()
    form = PeriodForm(data)
    params: dict = {"period": None, "start": None, "end": None}
    if form.is_valid():
        params = {
            "period": form.cleaned_data["period"] or None,
            "start": form.cleaned_data["start"],
            "end": form.cleaned_data["end"],
        }
        if params["start"] or params["end"]:
            params["period"] = None  # the custom dates win over a period in the same query
    return form, params


def _chart_data(report: PerformanceReport) -> dict:
    series = report.series
    if series is None or not len(series):
        return {}
    index = np.arange(len(series))
    if len(series) > CHART_MAX_POINTS:
        step = int(np.ceil(len(series) / CHART_MAX_POINTS))
        index = np.unique(np.concatenate([index[::step], [len(series) - 1]]))

    def values(array: np.ndarray, places: int) -> list:
        return [None if np.isnan(v) else round(float(v), places) for v in array[index]]

    return {
        "currency": report.currency,
        "benchmark": report.benchmark.symbol if report.benchmark else None,
        "days": [day.isoformat() for day in series.days[index].astype(object)],
        "value": values(series.value, 2),
        "net_invested": values(series.net_invested, 2),
        "twr": values(series.twr, 6),
        "benchmark_twr": values(series.benchmark, 6) if report.benchmark else [],
        "drawdown": values(series.drawdown, 6),
    }


FIGURE_KEYS = (
    "twr",
    "twr_annualized",
    "mwr",
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


def _figures(report: PerformanceReport) -> dict[str, str | None]:
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


def _risk_rows(report: PerformanceReport) -> list[dict]:
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
    ]


def _monthly_rows(report: PerformanceReport) -> list[dict]:
    rows = []
    for row in report.monthly_table():
        cells = []
        for value in row["months"]:
            heat = 0.0 if value is None else min(1.0, abs(value) / HEAT_FULL)
            cells.append({"value": value, "css": gain_class(value), "heat": f"{heat:.2f}"})
        rows.append({"year": row["year"], "cells": cells, "total": row["total"]})
    return rows


def _gain_parts(report: PerformanceReport) -> list[dict]:
    return [
        {"key": key, "label": label, "amount": amount, "exact": money_text(amount)}
        for key, label, amount in report.gain_parts
    ]


def _query(params: dict) -> str:
    return urlencode({key: value for key, value in params.items() if value})


def _render(request: HttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    if request.htmx:
        template = f"{template}#{partial}"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _portfolio(request: HttpRequest, public_id) -> Portfolio:
    return selectors.portfolio_get_for_user(request.user, public_id)


@login_required
@require_GET
def performance(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    form, params = _period_params(request)
    error = None
    report = None
    if form.errors:
        error = " ".join(message for messages in form.errors.values() for message in messages)
    else:
        try:
            report = selectors.portfolio_performance(portfolio=portfolio, **params)
        except PeriodError as period_error:
            error = period_error.message
    if report is None:
        report = selectors.portfolio_performance(portfolio=portfolio, period=None)
        params = {"period": None, "start": None, "end": None}
    base_url = reverse("portfolio-performance", args=[portfolio.public_id])
    query = _query({"start": report.start, "end": report.end})
    context = {
        "portfolio": portfolio,
        "report": report,
        "figures": _figures(report),
        "chart_data": _chart_data(report),
        "gain_parts": _gain_parts(report),
        "risk_rows": _risk_rows(report),
        "monthly_rows": _monthly_rows(report),
        "month_names": MONTH_NAMES,
        "periods": PERIODS,
        "selected": report.period,
        "form": form,
        "error": error,
        "base_url": base_url,
        "daily_csv_url": reverse("portfolio-performance-daily-csv", args=[portfolio.public_id])
        + f"?{query}",
        "flows_csv_url": reverse("portfolio-performance-flows-csv", args=[portfolio.public_id])
        + f"?{query}",
    }
    response = _render(request, "portfolios/performance.html", "performance-body", context)
    if request.htmx and error:
        response["HX-Push-Url"] = "false"
    return response


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_report(request: HttpRequest, portfolio: Portfolio) -> PerformanceReport:
    _, params = _period_params(request)
    try:
        return selectors.portfolio_performance(portfolio=portfolio, **params)
    except PeriodError:
        return selectors.portfolio_performance(portfolio=portfolio)


@login_required
@require_GET
def performance_daily_csv(request: HttpRequest, public_id) -> HttpResponse:
    """Every day's value, flows, return, cumulative TWR and drawdown of the period."""
    portfolio = _portfolio(request, public_id)
    report = _csv_report(request, portfolio)
    name = f"performance-daily-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return _csv_response(daily_values_csv(report), name)


@login_required
@require_GET
def performance_flows_csv(request: HttpRequest, public_id) -> HttpResponse:
    """The investor's cash flows of the period: XIRR over them is the MWR."""
    portfolio = _portfolio(request, public_id)
    report = _csv_report(request, portfolio)
    name = f"performance-flows-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return _csv_response(mwr_flows_csv(report), name)


def _year(request: HttpRequest) -> int | None:
    form = YearForm(request.GET)
    return form.cleaned_data.get("year") if form.is_valid() else None


@login_required
@require_GET
def income(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = income_report(portfolio=portfolio, year=year)
    total = report.total.total
    context = {
        "portfolio": portfolio,
        "report": report,
        "year": year,
        "month_names": MONTH_NAMES,
        "asset_rows": [(row, row.total / total if total else None) for row in report.by_asset],
        "csv_url": reverse("portfolio-income-csv", args=[portfolio.public_id])
        + (f"?year={year}" if year else ""),
    }
    return _render(request, "portfolios/income.html", "income-body", context)


@login_required
@require_GET
def income_export(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = income_report(portfolio=portfolio, year=year)
    return _csv_response(income_csv(report), f"income-{year or 'all'}.csv")


@login_required
@require_GET
def realized(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = realized_gains(portfolio=portfolio, year=year)
    context = {
        "portfolio": portfolio,
        "report": report,
        "year": year,
        "csv_url": reverse("portfolio-realized-csv", args=[portfolio.public_id])
        + (f"?year={year}" if year else ""),
    }
    return _render(request, "portfolios/realized.html", "realized-body", context)


@login_required
@require_GET
def realized_export(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = realized_gains(portfolio=portfolio, year=year)
    return _csv_response(realized_csv(report), f"realized-gains-{year or 'all'}.csv")
