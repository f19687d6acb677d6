"""The account file on the pages: download the whole account as one JSON file, and import one
into an empty account (the same selector and service as `GET`/`POST /api/v1/me/export|import/`)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from portfolia.errors import DomainError
from portfolios.forms.account_file import AccountImportForm
from portfolios.selectors.account_export import account_export
from portfolios.services.account_import import account_import


@login_required
@require_GET
def account_export_download(request: HttpRequest) -> HttpResponse:
    body = json.dumps(account_export(user=request.user), indent=1, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"portfolia-account-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _document(upload) -> object:
    try:
        return json.loads(upload.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ValidationError(
            "The file is not JSON (UTF-8): is it a Portfolia account file?"
        ) from error


@login_required
@require_http_methods(["GET", "POST"])
def account_import_page(request: HttpRequest) -> HttpResponse:
    form = AccountImportForm(request.POST or None, request.FILES or None)
    problems: list[tuple[str, list[str]]] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                summary = account_import(
                    owner=request.user, document=_document(form.cleaned_data["file"])
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    problems = sorted(error.message_dict.items())
                else:
                    form.add_error(None, error.messages)
            except DomainError as error:
                form.add_error(None, error.message)
                status = 422
            else:
                messages.success(
                    request,
                    f"Imported {summary.portfolios} portfolio{'s' if summary.portfolios != 1 else ''} "
                    f"with {summary.transactions} transactions.",
                )
                return redirect("dashboard")
    return render(
        request,
        "portfolios/account_import.html",
        {"form": form, "problems": problems},
        status=status,
    )
