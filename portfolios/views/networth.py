"""The net-worth page (`/net-worth/`): every portfolio of the user together in their base
currency, over a period parsed as the performance page parses it (`selectors.networth`, the
API's read model too)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from portfolios import presenters, selectors
from portfolios.performance import PERIODS, PeriodError
from portfolios.views.common import render_page
from portfolios.views.performance import period_params


@login_required
@require_GET
def net_worth_page(request: HttpRequest) -> HttpResponse:
    form, params = period_params(request)
    error = None
    result = None
    if form.errors:
        error = " ".join(message for messages in form.errors.values() for message in messages)
    else:
        try:
            result = selectors.net_worth(request.user, **params)
        except PeriodError as period_error:
            error = period_error.message
    if result is None:
        result = selectors.net_worth(request.user)
    allocation = dict(result.allocations)
    context = {
        "worth": result,
        "periods": PERIODS,
        "selected": result.period,
        "error": error,
        "base_url": reverse("net-worth"),
        "chart_data": presenters.net_worth_chart_data(result),
        "allocation": allocation,
        "allocation_chart": presenters.allocation_chart_data(allocation),
    }
    return render_page(request, "portfolios/net_worth.html", "net-worth-body", context)
