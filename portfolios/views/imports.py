"""CSV import (upload, preview of every row, confirm) and the transactions' CSV export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from portfolios import selectors, services
from portfolios.forms import ImportConfirmForm, ImportUploadForm
from portfolios.views.broker_imports import import_options
from portfolios.views.common import csv_response, htmx_target, redirect_page


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
                    return redirect_page(
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
    if htmx_target(request) == "import-result":
        template += "#import-result"
    return render(request, template, context)


@login_required
@require_GET
def transaction_export(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    text = selectors.transactions_export_csv(portfolio=portfolio)
    filename = f"{slugify(portfolio.name) or 'portfolio'}-transactions.csv"
    return csv_response(text, filename)
