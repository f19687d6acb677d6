"""The portfolio overview: holdings as of a day, their allocation and its charts."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from portfolia.live import live_context, live_poll, live_unchanged
from portfolios import presenters, selectors
from portfolios.forms import AsOfForm
from portfolios.models import Portfolio
from portfolios.selectors.live import overview_version
from portfolios.views.common import htmx_target


def _as_of(request: HttpRequest) -> tuple[AsOfForm, datetime.date]:
    today = timezone.localdate()
    form = AsOfForm(request.GET or None, initial={"date": today})
    day = today
    if form.is_bound and form.is_valid() and form.cleaned_data.get("date"):
        day = form.cleaned_data["date"]
    return form, day


def holdings_context(request: HttpRequest, portfolio: Portfolio, day: datetime.date) -> dict:
    """The holdings table (sorted by `?sort=` and `?dir=`) and the allocation with its charts,
    shared by the overview and the transactions page."""
    snapshot = selectors.holdings(portfolio=portfolio, date=day)
    sort, descending, rows = presenters.holdings_sorted(
        snapshot.rows, request.GET.get("sort"), request.GET.get("dir")
    )
    allocation = {by: snapshot.allocation(by) for by in selectors.ALLOCATION_KINDS}
    return {
        "portfolio": portfolio,
        "snapshot": snapshot,
        "rows": rows,
        "sort": sort,
        "descending": descending,
        "allocation": allocation,
        "chart_data": presenters.allocation_chart_data(allocation),
        "is_today": day == timezone.localdate(),
        "day": day,
    }


@login_required
@require_GET
def portfolio_overview(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    as_of_form, day = _as_of(request)
    polled = live_poll(request)
    if polled is not None and polled == overview_version(portfolio, day):
        return live_unchanged()
    context = holdings_context(request, portfolio, day)
    # The version the page shows: its holdings' cache key, read with them (no extra query).
    version = overview_version(portfolio, day, key=context["snapshot"].cache_key)
    context.update(as_of_form=as_of_form, **live_context(version))
    template = "portfolios/overview.html"
    target = htmx_target(request)
    if target == "holdings":
        template += "#holdings"
    elif target == "snapshot":
        template += "#snapshot"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
