"""The backtest pages: the form (and the user's recent runs), a run's page (polled with HTMX
while it runs: the poll answers 286 once it is done, which stops it, with the result), and
"save as portfolio". Views authorize, parse, call the same services as the API, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portfolios import presenters, services
from portfolios.errors import SimulationInputError
from portfolios.forms import form_apply_errors
from portfolios.forms.simulations import SimulationForm, SimulationSaveForm
from portfolios.models import SimulationRun
from portfolios.selectors import backtests as selectors_simulate

RECENT_RUNS = 10
POLL_STOP = 286  # htmx stops polling on this status


@login_required
@require_http_methods(["GET", "POST"])
def simulation_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SimulationForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                spec = services.simulation_spec_check(**form.spec_arguments())
                run = services.simulation_start(owner=request.user, spec=spec)
            except SimulationInputError as error:
                for field, messages in (error.fields or {"__all__": [error.message]}).items():
                    for message in messages:
                        target = field if field in form.fields else None
                        if field in ("assets", "weights"):
                            target = "allocation"
                        form.add_error(target, message)
            else:
                return redirect("simulation-detail", run_id=run.public_id)
    else:
        form = SimulationForm(user=request.user, initial={"initial_amount": "10000"})
    runs = selectors_simulate.simulation_runs_for_user(request.user)[:RECENT_RUNS]
    return render(request, "portfolios/simulation.html", {"form": form, "runs": runs})


def _run_context(run: SimulationRun, save_form: SimulationSaveForm | None = None) -> dict:
    context = {"run": run, "save_form": save_form or SimulationSaveForm()}
    if run.result:
        context |= {
            "result": run.result,
            "chart_data": presenters.simulation_chart_data(run.result),
            "metric_rows": presenters.simulation_metric_rows(run.result),
        }
    return context


@login_required
@require_GET
def simulation_detail(request: HttpRequest, run_id) -> HttpResponse:
    run = selectors_simulate.simulation_run_get_for_user(request.user, run_id)
    template = "portfolios/simulation_run.html"
    if request.htmx:
        template += "#run-body"
    response = render(request, template, _run_context(run))
    patch_vary_headers(response, ["HX-Request"])
    if request.htmx and run.finished:
        response.status_code = POLL_STOP
    return response


@login_required
@require_POST
def simulation_save(request: HttpRequest, run_id) -> HttpResponse:
    run = selectors_simulate.simulation_run_get_for_user(request.user, run_id)
    form = SimulationSaveForm(request.POST)
    if form.is_valid():
        try:
            portfolio = services.simulation_run_save_as_portfolio(
                run=run,
                name=form.cleaned_data["name"],
                records_cash=form.cleaned_data["records_cash"],
            )
        except ValidationError as error:
            form_apply_errors(form, error)
        except SimulationInputError as error:
            form.add_error(None, error.message)
        else:
            return redirect(reverse("portfolio-overview", args=[portfolio.public_id]))
    response = render(request, "portfolios/simulation_run.html", _run_context(run, form))
    response.status_code = 400
    return response
