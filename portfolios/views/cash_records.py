"""Whether a portfolio records cash: choose, see the preview of every figure, confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from portfolios import selectors, services
from portfolios.forms import CashRecordsForm, cash_choices
from portfolios.views.common import redirect_page


@login_required
@require_http_methods(["GET", "POST"])
def portfolio_cash_records(request: HttpRequest, public_id) -> HttpResponse:
    """Change whether the portfolio records cash: choose, see the preview, confirm."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    current = selectors.cash_mode(portfolio.records_cash, portfolio.cash_per_currency)
    data = request.POST if request.method == "POST" else None
    if data is None and request.GET.get("cash_mode"):
        data = request.GET  # a link that offers the switch ("?cash_mode=cash")
    form = CashRecordsForm(data, initial={"cash_mode": current})
    preview = None
    if data is not None and form.is_valid():
        choice = cash_choices(form.cleaned_data["cash_mode"])
        if request.method == "POST" and form.cleaned_data["confirm"]:
            services.portfolio_cash_records_change(portfolio=portfolio, **choice)
            messages.success(request, "Cash records changed. Every figure is recomputed.")
            return redirect_page(request, reverse("portfolio-overview", args=[portfolio.public_id]))
        preview = selectors.cash_records_preview(portfolio=portfolio, **choice)
    return render(
        request,
        "portfolios/cash_records.html",
        {"portfolio": portfolio, "form": form, "preview": preview, "current": current},
    )
