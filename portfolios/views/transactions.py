"""The transactions page: the filtered list, the add/edit/delete forms (HTMX rows) and the
asset picker's suggestions. Every write goes through the transaction services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from market import services as market_services
from portfolios import selectors, services
from portfolios.errors import LedgerViolation
from portfolios.forms import TransactionFilterForm, TransactionForm, form_apply_errors
from portfolios.models import Portfolio, Transaction, TransactionKind
from portfolios.views.common import htmx_target
from portfolios.views.overview import holdings_context

TRANSACTIONS_PER_PAGE = 50


def _list_context(request: HttpRequest, portfolio: Portfolio) -> dict:
    filter_form = TransactionFilterForm(
        request.GET or None, assets=selectors.portfolio_assets(portfolio=portfolio)
    )
    queryset = selectors.transaction_list(portfolio=portfolio, **filter_form.filters())
    page = Paginator(queryset, TRANSACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "portfolio": portfolio,
        "filter_form": filter_form,
        "page": page,
        "transactions": page.object_list,
        "query": query.urlencode(),
        "is_filtered": any(filter_form.filters().values()),
    }


@login_required
@require_GET
def transaction_list(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    target = htmx_target(request)
    if target == "transaction-list":
        return render(
            request,
            "portfolios/transactions.html#transaction-list",
            _list_context(request, portfolio),
        )
    context = _list_context(request, portfolio)
    context.update(holdings_context(request, portfolio, timezone.localdate()))
    initial = {"date": timezone.localdate()}
    if request.GET.get("record") == TransactionKind.BUY:  # "Record a buy" from an asset page
        initial.update(kind=TransactionKind.BUY, symbol=request.GET.get("symbol", "")[:32])
    context["form"] = TransactionForm(initial=initial)
    return render(request, "portfolios/transactions.html", context)


def _save_transaction(
    request: HttpRequest, form: TransactionForm, portfolio: Portfolio, txn: Transaction | None
) -> Transaction | None:
    """Validate and save through the services; errors land on the form. None on failure."""
    if not form.is_valid():
        return None
    try:
        symbol = form.cleaned_data["symbol"]
        asset = (
            market_services.asset_for_symbol(owner=request.user, symbol=symbol) if symbol else None
        )
        data = form.service_data(asset)
        if txn is None:
            return services.transaction_create(portfolio=portfolio, **data)
        return services.transaction_update(transaction=txn, data=data)
    except ValidationError as error:
        form_apply_errors(form, error, {"asset": "symbol"})
    except LedgerViolation as error:
        form.add_error(None, error.message)
    return None


def _saved_redirect(
    request: HttpRequest, portfolio: Portfolio, done: str, warnings: list[str]
) -> HttpResponse:
    """Back to the transactions page (without HTMX) with `done` and the save's warnings."""
    messages.success(request, done)
    for warning in warnings:
        messages.warning(request, warning)
    return redirect("portfolio-transactions", public_id=portfolio.public_id)


@login_required
@require_POST
def transaction_new(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    form = TransactionForm(request.POST)
    txn = _save_transaction(request, form, portfolio, None)
    if txn is not None:
        warnings = selectors.transaction_warnings(transaction=txn)
        if not request.htmx:
            return _saved_redirect(request, portfolio, "Transaction added.", warnings)
        fresh = TransactionForm(
            initial={"date": txn.date, "kind": txn.kind},
        )
        response = render(
            request,
            "portfolios/transactions.html#transaction-form",
            {"portfolio": portfolio, "form": fresh, "added": txn, "added_warnings": warnings},
        )
        return trigger_client_event(
            trigger_client_event(response, "transaction-added"), "holdings-changed"
        )
    if request.htmx:
        return render(
            request,
            "portfolios/transactions.html#transaction-form",
            {"portfolio": portfolio, "form": form},
        )
    context = _list_context(request, portfolio)
    context.update(holdings_context(request, portfolio, timezone.localdate()))
    context["form"] = form
    return render(request, "portfolios/transactions.html", context)


@login_required
@require_GET
def transaction_detail(request: HttpRequest, public_id, transaction_id) -> HttpResponse:
    """One transaction's row (HTMX: to cancel an edit); a full load goes to the list."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    txn = selectors.transaction_get_for_portfolio(portfolio=portfolio, public_id=transaction_id)
    if not request.htmx:
        return redirect("portfolio-transactions", public_id=portfolio.public_id)
    return render(
        request,
        "portfolios/transactions.html#transaction-row",
        {"portfolio": portfolio, "txn": txn},
    )


@login_required
@require_http_methods(["GET", "POST"])
def transaction_edit(request: HttpRequest, public_id, transaction_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    txn = selectors.transaction_get_for_portfolio(portfolio=portfolio, public_id=transaction_id)
    prefix_id = str(txn.public_id)
    if request.method == "POST":
        form = TransactionForm(request.POST, prefix_id=prefix_id)
        saved = _save_transaction(request, form, portfolio, txn)
        if saved is not None:
            warnings = selectors.transaction_warnings(transaction=saved)
            if not request.htmx:
                return _saved_redirect(request, portfolio, "Transaction saved.", warnings)
            saved = selectors.transaction_get_for_portfolio(
                portfolio=portfolio, public_id=saved.public_id
            )
            response = render(
                request,
                "portfolios/transactions.html#transaction-row",
                {
                    "portfolio": portfolio,
                    "txn": saved,
                    "just_saved": True,
                    "row_warnings": warnings,
                },
            )
            return trigger_client_event(response, "holdings-changed")
    else:
        form = TransactionForm(initial=TransactionForm.initial_for(txn), prefix_id=prefix_id)
    context = {"portfolio": portfolio, "txn": txn, "form": form}
    if request.htmx:
        return render(request, "portfolios/transactions.html#transaction-edit-row", context)
    return render(request, "portfolios/transaction_edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def transaction_delete(request: HttpRequest, public_id, transaction_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    txn = selectors.transaction_get_for_portfolio(portfolio=portfolio, public_id=transaction_id)
    context = {"portfolio": portfolio, "txn": txn}
    if request.method == "POST":
        try:
            services.transaction_delete(transaction=txn)
        except LedgerViolation as error:
            context["row_error"] = error.message
            if request.htmx:
                return render(request, "portfolios/transactions.html#transaction-row", context)
            return render(request, "portfolios/transaction_delete.html", context)
        if request.htmx:
            return trigger_client_event(HttpResponse(""), "holdings-changed")
        messages.success(request, "Transaction deleted.")
        return redirect("portfolio-transactions", public_id=portfolio.public_id)
    return render(request, "portfolios/transaction_delete.html", context)


@login_required
@require_GET
def asset_options(request: HttpRequest, public_id) -> HttpResponse:
    """Suggestions for the asset picker: <option>s for the form's <datalist>."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    query = request.GET.get("symbol", "") or request.GET.get("q", "")
    options = selectors.asset_options_for_user(user=request.user, query=query)
    return render(
        request,
        "portfolios/transactions.html#asset-options",
        {"portfolio": portfolio, "options": options},
    )
