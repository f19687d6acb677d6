"""The holding page: one asset in one portfolio (its lots, gains, income, transactions and its
price chart with the buys and sells marked)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portfolios import presenters, selectors
from portfolios.selectors.holding_detail import holding_detail as holding_detail_load


@login_required
@require_GET
def holding_detail(request: HttpRequest, public_id, asset_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_user(request.user, public_id)
    detail = holding_detail_load(portfolio=portfolio, asset_public_id=asset_id)
    return render(
        request,
        "portfolios/holding.html",
        {
            "portfolio": portfolio,
            "detail": detail,
            "asset": detail.asset,
            "currency": detail.currency,
            "chart_data": presenters.holding_chart_data(detail),
        },
    )
