"""The performance page and its daily-values and MWR-flows CSV downloads, for a period
parsed as the API parses it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from portfolios import presenters, selectors
from portfolios.forms import PeriodForm
from portfolios.models import Portfolio
from portfolios.performance import (
    PERIODS,
    PerformanceReport,
    PeriodError,
    daily_values_csv,
    mwr_flows_csv,
)
from portfolios.views.common import csv_response, render_page


def period_params(request: HttpRequest) -> tuple[PeriodForm, dict]:
    """The period of the query as the API reads it: a period and custom dates together are the
    read model's `PeriodError` (the API's 400), shown on the page, never silently preferred."""
    form = PeriodForm(request.GET)
    params: dict = {"period": None, "start": None, "end": None}
    if form.is_valid():
        params = {
            "period": form.cleaned_data["period"] or None,
            "start": form.cleaned_data["start"],
            "end": form.cleaned_data["end"],
        }
    return form, params


def _query(params: dict) -> str:
    return urlencode({key: value for key, value in params.items() if value})


@login_required
@require_GET
def performance(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    form, params = period_params(request)
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
        "figures": presenters.figures(report),
        "chart_data": presenters.chart_data(report),
        "gain_parts": presenters.gain_parts(report),
        "risk_rows": presenters.risk_rows(report),
        "monthly_rows": presenters.monthly_rows(report),
        "month_names": presenters.MONTH_NAMES,
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
    response = render_page(request, "portfolios/performance.html", "performance-body", context)
    if request.htmx and error:
        response["HX-Push-Url"] = "false"
    return response


def _csv_report(request: HttpRequest, portfolio: Portfolio) -> PerformanceReport:
    _, params = period_params(request)
    try:
        return selectors.portfolio_performance(portfolio=portfolio, **params)
    except PeriodError:
        return selectors.portfolio_performance(portfolio=portfolio)


def _performance_csv(
    request: HttpRequest, public_id, name: str, write: Callable[[PerformanceReport], str]
) -> HttpResponse:
    """The period's report written by `write`, as performance-<name>-<start>-<end>.csv."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    report = _csv_report(request, portfolio)
    filename = f"performance-{name}-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return csv_response(write(report), filename)


@login_required
@require_GET
def performance_daily_csv(request: HttpRequest, public_id) -> HttpResponse:
    """Every day's value, flows, return, cumulative TWR and drawdown of the period."""
    return _performance_csv(request, public_id, "daily", daily_values_csv)


@login_required
@require_GET
def performance_flows_csv(request: HttpRequest, public_id) -> HttpResponse:
    """The investor's cash flows of the period: XIRR over them is the MWR."""
    return _performance_csv(request, public_id, "flows", mwr_flows_csv)
