"""Market pages: asset search (results while typing), adding an asset, the asset page (chart
with range picker, latest price, coverage, corporate actions, backfill progress that polls
until the job ends), manual assets with CSV price upload, and the staff data-status page.

Views authorize, parse, call one service or selector and render the page, or the partial an
HTMX request targets (``template#partial``). No view fetches prices from a provider: they queue
jobs; only the symbol search asks the provider, with a short timeout and a cache.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import staff_required
from market import selectors, services
from market.forms import ManualAssetForm, PriceCsvForm, price_csv_parse
from market.models import Asset, FetchJob, ProviderName
from market.selectors_live import asset_live_version
from portfolia.errors import DomainError
from portfolia.live import live_context, live_poll, live_unchanged

HTMX_STOP_POLLING = 286


def _htmx_target(request: HttpRequest) -> str | None:
    return request.htmx.target if request.htmx else None


def _error_text(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


# --- Search and add ----------------------------------------------------------------------------


@login_required
def asset_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    found = selectors.asset_search(user=request.user, query=query) if query else None
    template = "market/search.html"
    if _htmx_target(request) == "results":
        template += "#results"
    context = {"query": query, "found": found}
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def asset_add(request: HttpRequest) -> HttpResponse:
    """Add a provider's instrument (from a search result) and queue its history."""
    symbol = request.POST.get("symbol", "").strip()
    provider = request.POST.get("provider") or None
    if not symbol:
        return redirect("asset-search")
    try:
        asset = services.asset_add_from_provider(symbol=symbol, provider_name=provider)
    except (DomainError, ValidationError) as error:
        messages.error(request, f"Could not add {symbol}: {_error_text(error)}")
        return redirect(f"{reverse('asset-search')}?q={symbol}")
    return redirect("asset-detail", public_id=asset.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def asset_new_manual(request: HttpRequest) -> HttpResponse:
    form = ManualAssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.asset_create_manual(owner=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            fields = getattr(error, "fields", None) or getattr(error, "message_dict", {})
            for name, problems in fields.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
            if not fields:
                form.add_error(None, _error_text(error))
        else:
            messages.success(request, f"{asset.symbol} created. Add its prices from a CSV file.")
            return redirect("asset-prices-upload", public_id=asset.public_id)
    return render(request, "market/asset_new.html", {"form": form})


# --- Asset page --------------------------------------------------------------------------------


def _chart_context(asset: Asset, range_code: str) -> dict:
    start = selectors.price_range_start(code=range_code)
    series = selectors.price_series(asset=asset, start=start)
    return {
        "range_code": range_code,
        "ranges": selectors.PRICE_RANGES,
        "chart_points": len(series),
        "chart_data": {
            "labels": [day.isoformat() for day, _ in series],
            "closes": [close for _, close in series],
            "currency": asset.currency,
            "symbol": asset.symbol,
        },
    }


def _progress_context(asset: Asset) -> dict:
    active = selectors.fetch_job_active(asset=asset)
    return {"job": active or selectors.fetch_job_latest(asset=asset), "job_active": bool(active)}


@login_required
def asset_detail(request: HttpRequest, public_id) -> HttpResponse:
    asset = selectors.asset_get_visible(user=request.user, public_id=public_id)
    range_code = request.GET.get("range", selectors.DEFAULT_PRICE_RANGE).upper()
    if range_code not in selectors.PRICE_RANGES:
        range_code = selectors.DEFAULT_PRICE_RANGE
    target = _htmx_target(request)
    template = "market/asset.html"
    context: dict = {"asset": asset}
    if target != "chart":
        version = asset_live_version(asset=asset, today=timezone.localdate())
        if live_poll(request) == version:
            return live_unchanged()
        context.update(live_context(version))
    context.update(_chart_context(asset, range_code))
    if target == "chart":
        template += "#chart"
    else:
        context.update(
            coverage=selectors.price_coverage(asset=asset),
            latest=selectors.latest_price(asset=asset),
            corporate_actions=list(selectors.corporate_actions_for(asset=asset)[:50]),
            can_upload=asset.is_manual and asset.owner_id == request.user.pk,
            **_progress_context(asset),
        )
        if target == "asset-data":
            template += "#data"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def asset_job_progress(request: HttpRequest, public_id) -> HttpResponse:
    """The backfill progress fragment, polled every 2 s while a job runs; answers 286 (htmx
    stops polling) once none is queued or running, with an event that refreshes the page's
    data."""
    asset = selectors.asset_get_visible(user=request.user, public_id=public_id)
    context = {"asset": asset, **_progress_context(asset)}
    response = render(request, "market/asset.html#progress", context)
    if not context["job_active"]:
        response.status_code = HTMX_STOP_POLLING
        response["HX-Trigger"] = json.dumps(
            {"job-finished": {"status": getattr(context["job"], "status", None)}}
        )
    return response


@login_required
@require_POST
def asset_backfill(request: HttpRequest, public_id) -> HttpResponse:
    asset = selectors.asset_get_visible(user=request.user, public_id=public_id)
    try:
        job = services.backfill_request(asset=asset)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if job.status == FetchJob.Status.QUEUED and job.attempts == 0:
            messages.success(request, f"Fetching the history of {asset.symbol}.")
    return redirect("asset-detail", public_id=asset.public_id)


# --- Manual prices -----------------------------------------------------------------------------


def _own_manual_asset(request: HttpRequest, public_id) -> Asset:
    asset = selectors.asset_get_visible(user=request.user, public_id=public_id)
    if not asset.is_manual or asset.owner_id != request.user.pk:
        raise Http404("Only your own manual assets take uploaded prices.")
    return asset


@login_required
@require_http_methods(["GET", "POST"])
def asset_prices_upload(request: HttpRequest, public_id) -> HttpResponse:
    """Upload a CSV of prices: a preview with every row and its problems first; "Save" stores
    them all, and nothing is stored while any row is invalid."""
    asset = _own_manual_asset(request, public_id)
    form = PriceCsvForm()
    parsed = None
    csv_text = ""
    if request.method == "POST":
        if "csv_text" in request.POST:  # confirmation of a preview
            csv_text = request.POST["csv_text"]
        else:
            form = PriceCsvForm(request.POST, request.FILES)
            if form.is_valid():
                csv_text = form.cleaned_data["file"]
        if csv_text:
            parsed = price_csv_parse(csv_text)
            if parsed.rows and not parsed.errors:
                business = services.manual_prices_check(prices=parsed.prices)
                priced = [row for row in parsed.rows if row.price is not None]
                for index, problems in business.items():
                    priced[index].errors.extend(problems)
            if "csv_text" in request.POST and parsed.is_valid:
                try:
                    result = services.prices_upsert_manual(
                        user=request.user, asset=asset, prices=parsed.prices
                    )
                except (DomainError, ValidationError) as error:
                    parsed.errors.append(_error_text(error))
                else:
                    messages.success(
                        request,
                        f"Saved {len(parsed.rows)} prices of {asset.symbol}: "
                        f"{result.inserted} new, {result.updated} changed, "
                        f"{result.unchanged} unchanged.",
                    )
                    return redirect("asset-detail", public_id=asset.public_id)
    template = "market/prices_upload.html"
    if _htmx_target(request) == "upload":
        template += "#upload"
    return render(
        request,
        template,
        {"asset": asset, "form": form, "parsed": parsed, "csv_text": csv_text},
    )


# --- Staff -------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def data_status(request: HttpRequest) -> HttpResponse:
    """Stale assets, failed jobs of the last day, the last successful refreshes, and a button
    that queues a refresh of everything now."""
    if request.method == "POST":
        services.refresh_request()
        messages.success(
            request, "Refresh queued: quotes and recent closes of every asset kept fresh."
        )
        return redirect("market-data-status")
    return render(
        request,
        "market/status.html",
        {
            "status": selectors.data_status(),
            "providers": ProviderName,
            "limits": {
                "running": selectors.job_running_limit(),
                "queued": selectors.job_queued_limit(),
            },
        },
    )
