"""Income and realized gains by year, with their CSV downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from portfolios import presenters, selectors
from portfolios.forms import YearForm
from portfolios.models import Portfolio
from portfolios.reports import income_csv, income_report, realized_csv, realized_gains
from portfolios.views.common import csv_response, render_page


def _year(request: HttpRequest) -> int | None:
    form = YearForm(request.GET)
    return form.cleaned_data.get("year") if form.is_valid() else None


def _year_report(
    request: HttpRequest, public_id, build: Callable
) -> tuple[Portfolio, int | None, Any]:
    """The portfolio (404 for anyone else's), the `?year=` asked for (None: all years) and the
    report `build(portfolio=..., year=...)` makes of it."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    year = _year(request)
    return portfolio, year, build(portfolio=portfolio, year=year)


def _csv_url(name: str, portfolio: Portfolio, year: int | None) -> str:
    return reverse(name, args=[portfolio.public_id]) + (f"?year={year}" if year else "")


@login_required
@require_GET
def income(request: HttpRequest, public_id) -> HttpResponse:
    portfolio, year, report = _year_report(request, public_id, income_report)
    context = {
        "portfolio": portfolio,
        "report": report,
        "year": year,
        "month_names": presenters.MONTH_NAMES,
        "asset_rows": presenters.income_asset_rows(report),
        "csv_url": _csv_url("portfolio-income-csv", portfolio, year),
    }
    return render_page(request, "portfolios/income.html", "income-body", context)


@login_required
@require_GET
def income_export(request: HttpRequest, public_id) -> HttpResponse:
    _, year, report = _year_report(request, public_id, income_report)
    return csv_response(income_csv(report), f"income-{year or 'all'}.csv")


@login_required
@require_GET
def realized(request: HttpRequest, public_id) -> HttpResponse:
    portfolio, year, report = _year_report(request, public_id, realized_gains)
    context = {
        "portfolio": portfolio,
        "report": report,
        "year": year,
        "csv_url": _csv_url("portfolio-realized-csv", portfolio, year),
    }
    return render_page(request, "portfolios/realized.html", "realized-body", context)


@login_required
@require_GET
def realized_export(request: HttpRequest, public_id) -> HttpResponse:
    _, year, report = _year_report(request, public_id, realized_gains)
    return csv_response(realized_csv(report), f"realized-gains-{year or 'all'}.csv")
