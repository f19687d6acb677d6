"""Dashboard, a new portfolio, "Record a buy" from an asset page, portfolio settings and deletion."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from market import selectors as market_selectors
from market import services as market_services
from market.models import Asset
from portfolia.live import live_context, live_poll, live_unchanged
from portfolios import selectors, services
from portfolios.forms import PortfolioNewForm, PortfolioSettingsForm, form_apply_errors
from portfolios.models import Portfolio, TransactionKind
from portfolios.selectors.live import dashboard_version
from portfolios.views.common import htmx_target, redirect_page


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = PortfolioNewForm(initial={"base_currency": request.user.base_currency})
    return _render_dashboard(request, form)


def _render_dashboard(request: HttpRequest, form: PortfolioNewForm) -> HttpResponse:
    template = "portfolios/dashboard.html"
    context: dict = {"form": form, "summaries": [], "worth": None}
    target = htmx_target(request)
    if target == "portfolio-form":
        template += "#portfolio-form"
    else:
        version = dashboard_version(request.user, timezone.localdate())
        if live_poll(request) == version:
            return live_unchanged()
        if target == "dashboard-figures":
            template += "#figures"
        summaries = selectors.portfolio_list_with_summary(request.user)
        worth = selectors.net_worth(request.user) if summaries else None
        context.update(summaries=summaries, worth=worth, **live_context(version))
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def portfolio_new(request: HttpRequest) -> HttpResponse:
    form = PortfolioNewForm(request.POST)
    if form.is_valid():
        try:
            portfolio = services.portfolio_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(
                request, f"Portfolio “{portfolio.name}” created. Add its first transaction."
            )
            url = reverse("portfolio-transactions", args=[portfolio.public_id])
            if request.POST.get("record"):  # created on the way to recording a buy
                url = _record_url(portfolio, _visible_asset(request, request.POST["record"]))
            return redirect_page(request, url)
    if request.POST.get("record"):  # back to "Record a buy", with the form's errors
        asset = _visible_asset(request, request.POST["record"])
        context = {"asset": asset, "choices": [], "form": form}
        return render(request, "portfolios/record_buy.html", context)
    return _render_dashboard(request, form)


def _record_url(portfolio: Portfolio, asset: Asset) -> str:
    """The portfolio's transactions page with its form set to a buy of `asset`."""
    query = urlencode({"record": TransactionKind.BUY, "symbol": asset.symbol})
    return (
        f"{reverse('portfolio-transactions', args=[portfolio.public_id])}?{query}#transaction-form"
    )


def _visible_asset(request: HttpRequest, public_id: str) -> Asset:
    try:
        parsed = uuid.UUID(str(public_id))
    except ValueError as error:
        raise Http404("No such asset.") from error
    return market_selectors.asset_get_visible(user=request.user, public_id=parsed)


@login_required
@require_GET
def record_buy(request: HttpRequest) -> HttpResponse:
    """ "Record a buy" from an asset page: straight to the one portfolio's form, a choice when
    there are several, and a new portfolio (then the form) when there is none."""
    asset = _visible_asset(request, request.GET.get("asset", ""))
    portfolios = list(selectors.portfolio_queryset_for_user(request.user).order_by("name"))
    if len(portfolios) == 1:
        return redirect(_record_url(portfolios[0], asset))
    choices = [(portfolio, _record_url(portfolio, asset)) for portfolio in portfolios]
    form = PortfolioNewForm(initial={"base_currency": request.user.base_currency})
    return render(
        request, "portfolios/record_buy.html", {"asset": asset, "choices": choices, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def portfolio_settings(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    initial = {
        "name": portfolio.name,
        "description": portfolio.description,
        "base_currency": portfolio.base_currency,
        "cost_basis_method": portfolio.cost_basis_method,
        "benchmark": portfolio.benchmark.symbol if portfolio.benchmark else "",
    }
    form = PortfolioSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        symbol = data.pop("benchmark")
        try:
            data["benchmark"] = (
                market_services.asset_for_symbol(owner=request.user, symbol=symbol)
                if symbol
                else None
            )
            services.portfolio_update(portfolio=portfolio, data=data)
        except ValidationError as error:
            form_apply_errors(form, error, {"asset": "benchmark"})
        else:
            messages.success(request, "Settings saved.")
            return redirect_page(request, reverse("portfolio-overview", args=[portfolio.public_id]))
    return render(request, "portfolios/settings.html", {"portfolio": portfolio, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def portfolio_delete(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    if request.method == "POST":
        services.portfolio_delete(portfolio=portfolio)
        messages.success(request, f"Portfolio “{portfolio.name}” deleted.")
        return redirect_page(request, reverse("dashboard"))
    count = portfolio.transactions.count()
    return render(
        request, "portfolios/delete.html", {"portfolio": portfolio, "transaction_count": count}
    )
