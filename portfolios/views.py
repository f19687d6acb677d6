"""Investor pages: dashboard, portfolio overview, settings, transactions and CSV import/export,
performance, income and realized gains (with their CSV downloads).

Each view authorizes (through `portfolio_get_for_user`, 404 for anyone else's portfolio),
parses, calls one service or selector and renders the page, or just the partial an HTMX
request asks for (`template#partial`). Writes answer HTMX with the fragment to swap plus an
`HX-Trigger` event (`holdings-changed`, `transaction-added`) the other parts listen to. The
performance pages parse a period or a year and call the same read model as the API. Links keep
their href, so every page works without JavaScript.
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from market import selectors as market_selectors
from market import services as market_services
from market.models import Asset
from portfolios import presenters, selectors, services
from portfolios.errors import LedgerViolation
from portfolios.forms import (
    AsOfForm,
    CashRecordsForm,
    ImportConfirmForm,
    ImportUploadForm,
    PeriodForm,
    PortfolioNewForm,
    PortfolioSettingsForm,
    TransactionFilterForm,
    TransactionForm,
    YearForm,
    cash_choices,
    form_apply_errors,
)
from portfolios.models import Portfolio, Transaction, TransactionKind
from portfolios.performance import (
    PERIODS,
    PerformanceReport,
    PeriodError,
    daily_values_csv,
    mwr_flows_csv,
)
from portfolios.reports import income_csv, income_report, realized_csv, realized_gains
from portfolios.views_brokers import import_options

TRANSACTIONS_PER_PAGE = 50
HOLDING_SORTS = {
    "symbol": lambda row: row.asset.symbol,
    "quantity": lambda row: row.quantity,
    "price": lambda row: row.price,
    "value": lambda row: row.market_value,
    "cost": lambda row: row.cost_basis,
    "gain": lambda row: row.unrealized_gain,
    "gain_pct": lambda row: row.unrealized_gain_pct if row.unrealized_gain_pct is not None else 0,
    "weight": lambda row: row.weight or 0,
}


def _htmx_target(request: HttpRequest) -> str | None:
    return request.htmx.target if request.htmx else None


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect HTMX follows as a full page load (and a plain one without HTMX)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# --- Dashboard and portfolio settings -----------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = PortfolioNewForm(initial={"base_currency": request.user.base_currency})
    return _render_dashboard(request, form)


def _render_dashboard(request: HttpRequest, form: PortfolioNewForm) -> HttpResponse:
    template = "portfolios/dashboard.html"
    if _htmx_target(request) == "portfolio-form":
        template += "#portfolio-form"
        summaries = []
    else:
        summaries = selectors.portfolio_list_with_summary(request.user)
    return render(request, template, {"summaries": summaries, "form": form})


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
            return _redirect(request, url)
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
            return _redirect(request, reverse("portfolio-overview", args=[portfolio.public_id]))
    return render(request, "portfolios/settings.html", {"portfolio": portfolio, "form": form})


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
            return _redirect(request, reverse("portfolio-overview", args=[portfolio.public_id]))
        preview = selectors.cash_records_preview(portfolio=portfolio, **choice)
    return render(
        request,
        "portfolios/cash_records.html",
        {"portfolio": portfolio, "form": form, "preview": preview, "current": current},
    )


@login_required
@require_http_methods(["GET", "POST"])
def portfolio_delete(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    if request.method == "POST":
        services.portfolio_delete(portfolio=portfolio)
        messages.success(request, f"Portfolio “{portfolio.name}” deleted.")
        return _redirect(request, reverse("dashboard"))
    count = portfolio.transactions.count()
    return render(
        request, "portfolios/delete.html", {"portfolio": portfolio, "transaction_count": count}
    )


# --- Overview ------------------------------------------------------------------------------------


def _as_of(request: HttpRequest) -> tuple[AsOfForm, datetime.date]:
    today = timezone.localdate()
    form = AsOfForm(request.GET or None, initial={"date": today})
    day = today
    if form.is_bound and form.is_valid() and form.cleaned_data.get("date"):
        day = form.cleaned_data["date"]
    return form, day


def _holdings_context(request: HttpRequest, portfolio: Portfolio, day: datetime.date) -> dict:
    snapshot = selectors.holdings(portfolio=portfolio, date=day)
    sort = request.GET.get("sort", "value")
    if sort not in HOLDING_SORTS:
        sort = "value"
    descending = request.GET.get("dir", "desc" if sort != "symbol" else "asc") == "desc"
    rows = sorted(snapshot.rows, key=HOLDING_SORTS[sort], reverse=descending)
    allocation = {by: snapshot.allocation(by) for by in selectors.ALLOCATION_KINDS}
    return {
        "portfolio": portfolio,
        "snapshot": snapshot,
        "rows": rows,
        "sort": sort,
        "descending": descending,
        "allocation": allocation,
        "chart_data": {
            by: {
                # The chart draws what is held (a negative cash slice cannot be drawn) and its
                # tooltips give the tables' weights, shares of the value with its cash.
                "labels": [
                    item.key if by == "asset" and item.key != "cash" else item.label
                    for item in slices
                    if item.value > 0
                ],
                "values": [float(item.value) for item in slices if item.value > 0],
                "weights": [
                    None if item.weight is None else float(item.weight)
                    for item in slices
                    if item.value > 0
                ],
            }
            for by, slices in allocation.items()
        },
        "is_today": day == timezone.localdate(),
        "day": day,
    }


@login_required
@require_GET
def portfolio_overview(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    as_of_form, day = _as_of(request)
    context = _holdings_context(request, portfolio, day)
    context["as_of_form"] = as_of_form
    template = "portfolios/overview.html"
    target = _htmx_target(request)
    if target == "holdings":
        template += "#holdings"
    elif target == "snapshot":
        template += "#snapshot"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Transactions --------------------------------------------------------------------------------


def _portfolio_assets(portfolio: Portfolio) -> list[Asset]:
    return list(
        Asset.objects.filter(transactions__portfolio=portfolio).distinct().order_by("symbol")
    )


def _list_context(request: HttpRequest, portfolio: Portfolio) -> dict:
    filter_form = TransactionFilterForm(request.GET or None, assets=_portfolio_assets(portfolio))
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
    target = _htmx_target(request)
    if target == "transaction-list":
        return render(
            request,
            "portfolios/transactions.html#transaction-list",
            _list_context(request, portfolio),
        )
    context = _list_context(request, portfolio)
    context.update(_holdings_context(request, portfolio, timezone.localdate()))
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


@login_required
@require_POST
def transaction_new(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    form = TransactionForm(request.POST)
    txn = _save_transaction(request, form, portfolio, None)
    if txn is not None:
        warnings = selectors.transaction_warnings(transaction=txn)
        if not request.htmx:
            messages.success(request, "Transaction added.")
            for warning in warnings:
                messages.warning(request, warning)
            return redirect("portfolio-transactions", public_id=portfolio.public_id)
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
    context.update(_holdings_context(request, portfolio, timezone.localdate()))
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
                messages.success(request, "Transaction saved.")
                for warning in warnings:
                    messages.warning(request, warning)
                return redirect("portfolio-transactions", public_id=portfolio.public_id)
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


# --- Import and export ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def transaction_import(request: HttpRequest, public_id) -> HttpResponse:
    """Upload → preview of every row with its error (a dry run) → confirm → saved."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    upload_form = ImportUploadForm()
    context: dict = {"portfolio": portfolio, "upload_form": upload_form}
    if request.method == "POST":
        if "csv_file" in request.POST:
            confirm = ImportConfirmForm(request.POST)
            if not confirm.is_valid():
                context["confirm_errors"] = confirm.errors.get("csv_file")
            else:
                raw, options = confirm.cleaned_data["csv_file"], import_options(request.POST)
                again = "preview" in request.POST  # symbols given for unresolved rows
                report = services.transaction_import(
                    portfolio=portfolio, file=raw, dry_run=again, **options
                )
                if report.is_valid and not again:
                    created, skipped = report.created, report.duplicate_count
                    messages.success(
                        request,
                        f"Imported {created} transaction{pluralize(created)}; "
                        f"{skipped} duplicate{pluralize(skipped)} skipped.",
                    )
                    return _redirect(
                        request, reverse("portfolio-transactions", args=[portfolio.public_id])
                    )
                # Something changed since the preview (another write): show the new verdict.
                context.update(report=report, csv_file=ImportConfirmForm.encode(raw))
        else:
            upload_form = ImportUploadForm(request.POST, request.FILES)
            context["upload_form"] = upload_form
            if upload_form.is_valid():
                raw = upload_form.cleaned_data["file"].read()
                report = services.transaction_import(
                    portfolio=portfolio, file=raw, dry_run=True, **import_options(request.POST)
                )
                context.update(report=report, csv_file=ImportConfirmForm.encode(raw))
    template = "portfolios/import.html"
    if _htmx_target(request) == "import-result":
        template += "#import-result"
    return render(request, template, context)


@login_required
@require_GET
def transaction_export(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    text = selectors.transactions_export_csv(portfolio=portfolio)
    filename = f"{slugify(portfolio.name) or 'portfolio'}-transactions.csv"
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ── Performance, income and realized gains ───────────────────────────────────
def _period_params(request: HttpRequest) -> tuple[PeriodForm, dict]:
    """The period of the query as the API reads it: a period and custom dates together are the
    read model's `PeriodError` (the API's 400), shown on the page, never silently preferred."""
    data = request.GET.copy()
    if data.get("period"):
        data["period"] = data["period"].upper()
    form = PeriodForm(data)
    params: dict = {"period": None, "start": None, "end": None}
    if form.is_valid():
        params = {
            "period": form.cleaned_data["period"] or None,
            "start": form.cleaned_data["start"],
            "end": form.cleaned_data["end"],
        }
    return form, params


def _query(params: dict) -> str:
    return urlencode({key: value for key, value in params.items() if value})


def _render(request: HttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    if request.htmx:
        template = f"{template}#{partial}"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _portfolio(request: HttpRequest, public_id) -> Portfolio:
    return selectors.portfolio_get_for_user(request.user, public_id)


@login_required
@require_GET
def performance(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    form, params = _period_params(request)
    error = None
    report = None
    if form.errors:
        error = " ".join(message for messages in form.errors.values() for message in messages)
    else:
        try:
            report = selectors.portfolio_performance(portfolio=portfolio, **params)
        except PeriodError as period_error:
            error = period_error.message
    if report is None:
        report = selectors.portfolio_performance(portfolio=portfolio, period=None)
        params = {"period": None, "start": None, "end": None}
    base_url = reverse("portfolio-performance", args=[portfolio.public_id])
    query = _query({"start": report.start, "end": report.end})
    context = {
        "portfolio": portfolio,
        "report": report,
        "figures": presenters.figures(report),
        "chart_data": presenters.chart_data(report),
        "gain_parts": presenters.gain_parts(report),
        "risk_rows": presenters.risk_rows(report),
        "monthly_rows": presenters.monthly_rows(report),
        "month_names": presenters.MONTH_NAMES,
        "periods": PERIODS,
        "selected": report.period,
        "form": form,
        "error": error,
        "base_url": base_url,
        "daily_csv_url": reverse("portfolio-performance-daily-csv", args=[portfolio.public_id])
        + f"?{query}",
        "flows_csv_url": reverse("portfolio-performance-flows-csv", args=[portfolio.public_id])
        + f"?{query}",
    }
    response = _render(request, "portfolios/performance.html", "performance-body", context)
    if request.htmx and error:
        response["HX-Push-Url"] = "false"
    return response


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_report(request: HttpRequest, portfolio: Portfolio) -> PerformanceReport:
    _, params = _period_params(request)
    try:
        return selectors.portfolio_performance(portfolio=portfolio, **params)
    except PeriodError:
        return selectors.portfolio_performance(portfolio=portfolio)


@login_required
@require_GET
def performance_daily_csv(request: HttpRequest, public_id) -> HttpResponse:
    """Every day's value, flows, return, cumulative TWR and drawdown of the period."""
    portfolio = _portfolio(request, public_id)
    report = _csv_report(request, portfolio)
    name = f"performance-daily-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return _csv_response(daily_values_csv(report), name)


@login_required
@require_GET
def performance_flows_csv(request: HttpRequest, public_id) -> HttpResponse:
    """The investor's cash flows of the period: XIRR over them is the MWR."""
    portfolio = _portfolio(request, public_id)
    report = _csv_report(request, portfolio)
    name = f"performance-flows-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    return _csv_response(mwr_flows_csv(report), name)


def _year(request: HttpRequest) -> int | None:
    form = YearForm(request.GET)
    return form.cleaned_data.get("year") if form.is_valid() else None


@login_required
@require_GET
def income(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = income_report(portfolio=portfolio, year=year)
    total = report.total.total
    context = {
        "portfolio": portfolio,
        "report": report,
        "year": year,
        "month_names": presenters.MONTH_NAMES,
        "asset_rows": [(row, row.total / total if total else None) for row in report.by_asset],
        "csv_url": reverse("portfolio-income-csv", args=[portfolio.public_id])
        + (f"?year={year}" if year else ""),
    }
    return _render(request, "portfolios/income.html", "income-body", context)


@login_required
@require_GET
def income_export(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = income_report(portfolio=portfolio, year=year)
    return _csv_response(income_csv(report), f"income-{year or 'all'}.csv")


@login_required
@require_GET
def realized(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = realized_gains(portfolio=portfolio, year=year)
    context = {
        "portfolio": portfolio,
        "report": report,
        "year": year,
        "csv_url": reverse("portfolio-realized-csv", args=[portfolio.public_id])
        + (f"?year={year}" if year else ""),
    }
    return _render(request, "portfolios/realized.html", "realized-body", context)


@login_required
@require_GET
def realized_export(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = _portfolio(request, public_id)
    year = _year(request)
    report = realized_gains(portfolio=portfolio, year=year)
    return _csv_response(realized_csv(report), f"realized-gains-{year or 'all'}.csv")
