"""The strategies page: pick assets, a method and its parameters; see the weights with the
inputs they came from. One GET view; HTMX asks for the result partial (links and the form work
without JavaScript). The numbers are the API's (`wire.strategy_data`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from portfolios import services
from portfolios.errors import StrategyInputError
from portfolios.forms_strategies import METHOD_LABELS, StrategyForm
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
    context = {
        "form": form,
        "data": data,
        "error": error,
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
