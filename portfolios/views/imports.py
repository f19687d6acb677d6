"""CSV import (upload, preview of every row, confirm) and the transactions' CSV export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from portfolios import brokers, selectors, services
from portfolios.forms import ImportConfirmForm, ImportUploadForm
from portfolios.models import ImportJob
from portfolios.selectors.import_mappings import import_job_get, saved_mappings_for_user
from portfolios.services import import_jobs
from portfolios.services.import_mappings import saved_mapping_save
from portfolios.views.backtests import POLL_STOP
from portfolios.views.broker_imports import import_options
from portfolios.views.common import csv_response, htmx_target, redirect_page
from portfolios.views.import_mappings import mapping_editor


@login_required
@require_http_methods(["GET", "POST"])
def transaction_import(request: HttpRequest, public_id) -> HttpResponse:
    """Upload → preview of every row with its error (a dry run) → confirm → saved."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    saved = list(saved_mappings_for_user(request.user))
    upload_form = ImportUploadForm(saved_mappings=saved)
    context: dict = {"portfolio": portfolio, "upload_form": upload_form}
    if request.method == "POST":
        raw, job = _posted_file(request, portfolio, context, saved)
        if raw is not None:
            options = _options(request, raw)
            confirming = "csv_file" in request.POST or "import_job" in request.POST
            # Symbols given for unresolved rows, a mapping edited, another page: preview again.
            again = not confirming or "preview" in request.POST
            big = import_jobs.import_is_big(raw)
            if confirming and not again and big:  # saved by a worker, its progress polled
                job = job or import_jobs.import_job_stage(
                    portfolio=portfolio, data=raw, options=options
                )
                job = import_jobs.import_job_start(job=job, options=options)
                return redirect_page(
                    request,
                    reverse("transaction-import-job", args=[portfolio.public_id, job.public_id]),
                )
            report = services.transaction_import(
                portfolio=portfolio, file=raw, dry_run=again, **options
            )
            report.page = min(_page(request), report.pages)
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
            if big and job is None:  # the next steps carry the staged job, not the file
                job = import_jobs.import_job_stage(portfolio=portfolio, data=raw, options=options)
            # (On a confirmation: something changed since the preview; the new verdict.)
            context["report"] = report
            if job is not None:
                context["import_job"] = job.public_id
            else:
                context["csv_file"] = ImportConfirmForm.encode(raw)
            context.update(_editor(request, raw, report, options))
    template = "portfolios/import.html"
    if htmx_target(request) == "import-result":
        template += "#import-result"
    return render(request, template, context)


def _posted_file(
    request: HttpRequest, portfolio, context: dict, saved: list
) -> tuple[bytes | None, ImportJob | None]:
    """The file of a POST: a staged big file (`import_job`), the previewed file carried back
    (`csv_file`), or an upload; None (with the form's errors in `context`) when there is none."""
    if "import_job" in request.POST:
        job = import_job_get(request.user, portfolio, request.POST["import_job"])
        if job.status != ImportJob.Status.STAGED:
            context["confirm_errors"] = ["This import has been started already."]
            return None, None
        return bytes(job.data), job
    if "csv_file" in request.POST:
        confirm = ImportConfirmForm(request.POST)
        if not confirm.is_valid():
            context["confirm_errors"] = confirm.errors.get("csv_file")
            return None, None
        return confirm.cleaned_data["csv_file"], None
    upload_form = ImportUploadForm(request.POST, request.FILES, saved_mappings=saved)
    context["upload_form"] = upload_form
    if not upload_form.is_valid():
        return None, None
    return upload_form.cleaned_data["file"].read(), None


def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.POST.get("page", "1")), 10_000))
    except ValueError:
        return 1


@login_required
@require_GET
def transaction_import_job(request: HttpRequest, public_id, job_id) -> HttpResponse:
    """A big import's progress, polled by HTMX while it runs (286 stops the poll once done)."""
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    job = import_job_get(request.user, portfolio, job_id)
    context = {
        "portfolio": portfolio,
        "job": job,
        "percent": round(100 * import_jobs.import_job_progress(job)),
    }
    template = "portfolios/import_job.html"
    if request.htmx:
        template += "#import-job"
    response = render(request, template, context)
    if request.htmx and job.finished:
        response.status_code = POLL_STOP
    return response


def _options(request: HttpRequest, raw: bytes) -> dict:
    """The import's options from the POST; the mapping format without a mapping yet starts
    from a guess at the file's header."""
    options = import_options(request.POST, request.user)
    if options["format"] == brokers.MAPPING and not options["mapping"]:
        editor = mapping_editor(raw, None)
        options["mapping"] = editor.mapping() if editor else {}
    return options


def _editor(request: HttpRequest, raw: bytes, report, options: dict) -> dict:
    """The mapping editor's context when the file is read through a mapping or in no format
    Portfolia knows; the mapping saved under the name given, once it reads the file."""
    context: dict = {}
    mapping = options["mapping"] if options["format"] == brokers.MAPPING else None
    if mapping is None and not (report.file_errors and not report.format):
        return context
    editor = mapping_editor(raw, mapping)
    if editor is None:
        return context
    context["mapping_editor"] = editor
    if mapping is not None:
        context["mapping_json"] = json.dumps(mapping)
    name = request.POST.get("save_mapping_as", "").strip()
    if name and mapping is not None and report.format == brokers.MAPPING:
        try:
            saved = saved_mapping_save(owner=request.user, name=name, mapping=mapping)
        except ValidationError as error:
            editor.problems.extend(error.messages)
        else:
            context["mapping_saved"] = saved.name
    return context


@login_required
@require_GET
def transaction_export(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    text = selectors.transactions_export_csv(portfolio=portfolio)
    filename = f"{slugify(portfolio.name) or 'portfolio'}-transactions.csv"
    return csv_response(text, filename)
