"""The targets and rebalancing page: the targets editor, today's weights against the targets
with the drift (flagged outside its band), the plan for the chosen inputs, and "record these
trades" (a confirmed step: the server recomputes the plan and records it only if it is the one
shown). Works without JavaScript; with HTMX the forms swap the page's body in place.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from portfolia.errors import ConflictError, DomainError
from portfolios import selectors, services
from portfolios.errors import MarketDataPending
from portfolios.forms import form_apply_errors
from portfolios.forms.targets import (
    CashTargetForm,
    PlanForm,
    RecordForm,
    TargetRowFormSet,
    cash_initial,
    target_rows_initial,
    targets_from_forms,
)
from portfolios.selectors.rebalancing import RebalanceInputs, rebalance_plan, targets_report
from portfolios.views.common import redirect_page

TEMPLATE = "portfolios/targets.html"


def _plan_or_problem(portfolio, inputs: dict):
    try:
        return rebalance_plan(portfolio, **inputs), None
    except MarketDataPending as error:
        return None, error.message


def _render(
    request, portfolio, *, formset=None, cash_form=None, plan_form=None, problem=None, saved=False
):
    report = targets_report(portfolio=portfolio)
    if formset is None:
        formset = TargetRowFormSet(initial=target_rows_initial(report), prefix="t")
        cash_form = CashTargetForm(initial=cash_initial(report))
    plan = None
    if plan_form is None:
        plan_form = PlanForm(request.GET if "plan" in request.GET else None)
    if plan_form.is_bound and plan_form.is_valid() and report.targets:
        plan, pending = _plan_or_problem(portfolio, plan_form.inputs())
        problem = problem or pending
    context = {
        "portfolio": portfolio,
        "report": report,
        "formset": formset,
        "cash_form": cash_form,
        "plan_form": plan_form,
        "plan": plan,
        "problem": problem,
        "saved": saved,
    }
    template = f"{TEMPLATE}#targets-body" if request.htmx else TEMPLATE
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest, public_id) -> HttpResponse:
    """GET: the page (with `?plan=1&cash=…` the plan too). POST: save the targets."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    if request.method == "GET":
        return _render(request, portfolio)
    formset = TargetRowFormSet(request.POST, prefix="t")
    cash_form = CashTargetForm(request.POST)
    if formset.is_valid() and cash_form.is_valid():
        try:
            chosen = targets_from_forms(owner=request.user, formset=formset, cash_form=cash_form)
            services.targets_set(portfolio=portfolio, targets=chosen)
        except ValidationError as error:
            form_apply_errors(cash_form, error)
        else:
            if request.htmx:
                return _render(request, portfolio, saved=True)
            messages.success(request, "Targets saved.")
            return redirect_page(request, reverse("portfolio-targets", args=[portfolio.public_id]))
    return _render(request, portfolio, formset=formset, cash_form=cash_form)


@login_required
@require_POST
def rebalance_record(request: HttpRequest, public_id) -> HttpResponse:
    """Record the plan shown, if it is still the plan for its inputs (else show the new one)."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    form = RecordForm(request.POST)
    if not form.is_valid():
        return _render(request, portfolio, plan_form=form, problem="Check the plan's inputs.")
    inputs = form.inputs()
    try:
        created = services.rebalance_record(
            portfolio=portfolio,
            inputs=RebalanceInputs(**inputs),
            fingerprint=form.cleaned_data["fingerprint"],
        )
    except (ConflictError, DomainError) as error:
        return _render(request, portfolio, plan_form=PlanForm(inputs), problem=error.message)
    count = len(created)
    messages.success(request, f"Recorded {count} transaction{'s' if count != 1 else ''}.")
    url = reverse("portfolio-targets", args=[portfolio.public_id])
    return redirect_page(request, url)
