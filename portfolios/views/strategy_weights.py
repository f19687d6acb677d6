"""The strategies page: pick assets, a method and its parameters; see the weights with the
inputs they came from. One GET view; HTMX asks for the result partial (links and the form work
without JavaScript). The numbers are the API's (`wire.strategy_data`). "Use as targets" posts
the same inputs with a portfolio: the weights are recomputed and set as its targets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from portfolios import selectors, services
from portfolios.errors import StrategyInputError
from portfolios.forms.strategies import METHOD_LABELS, StrategyForm
from portfolios.views.common import redirect_page
from portfolios.wire import strategy_data


@login_required
@require_GET
def strategies(request: HttpRequest) -> HttpResponse:
    form = StrategyForm(request.GET or None, user=request.user)
    data = error = None
    if form.is_bound and form.is_valid():
        try:
            result = services.strategy_weights_compute(
                user=request.user,
                asset_ids=form.cleaned_data["assets"],
                method=form.cleaned_data["method"],
                params=form.strategy_params(),
                as_of=form.cleaned_data.get("as_of"),
            )
        except StrategyInputError as refusal:
            error = refusal.message
        else:
            data = strategy_data(result)
    return _render(request, form, data, error)


def _render(request: HttpRequest, form: StrategyForm, data: dict | None, error: str | None):
    context = {
        "form": form,
        "data": data,
        "error": error,
        # "Use as targets": the same inputs posted again, with one of the user's portfolios.
        "query_items": [
            (name, value)
            for name in form.data
            if name not in ("csrfmiddlewaretoken", "portfolio")
            for value in form.data.getlist(name)
        ]
        if form.is_bound
        else [],
        "portfolios": selectors.portfolio_queryset_for_user(request.user).order_by("name"),
        "method_label": METHOD_LABELS.get(data["method"]) if data else None,
        # Each weight beside the inputs of its asset.
        "rows": list(zip(data["weights"], data["inputs"]["assets"], strict=True)) if data else [],
    }
    template = "portfolios/strategies.html"
    if request.htmx:
        template += "#strategy-result"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def strategy_use_as_targets(request: HttpRequest) -> HttpResponse:
    form = StrategyForm(request.POST, user=request.user)
    portfolio = selectors.portfolio_get_for_user(request.user, request.POST.get("portfolio"))
    if not form.is_valid():
        return _render(request, form, None, "Check the strategy's inputs.")
    try:
        _result, targets = services.strategy_targets_use(
            user=request.user,
            portfolio=portfolio,
            asset_ids=form.cleaned_data["assets"],
            method=form.cleaned_data["method"],
            params=form.strategy_params(),
            as_of=form.cleaned_data.get("as_of"),
        )
    except StrategyInputError as refusal:
        return _render(request, form, None, refusal.message)
    except ValidationError as refusal:
        return _render(request, form, None, " ".join(refusal.messages))
    messages.success(
        request,
        f"{portfolio.name} now targets {len(targets)} asset{'s' if len(targets) != 1 else ''} "
        f"by {METHOD_LABELS.get(form.cleaned_data['method'], form.cleaned_data['method'])}.",
    )
    return redirect_page(request, reverse("portfolio-targets", args=[portfolio.public_id]))
