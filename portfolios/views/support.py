"""Support pages: staff with the ``accounts.view_customer_data`` permission look at a
customer's portfolios read only — the customers, one customer's portfolios, a portfolio's
overview and its performance — through the investor pages' own selectors.

Nothing here writes but the audit log: every look at a customer's data is one entry (door
``support``), and any method but GET and HEAD answers 403 (a support account never changes a
customer's data, whatever it sends).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.decorators import support_required
from accounts.services import support_view_record
from portfolios import presenters, selectors
from portfolios.performance import PeriodError
from portfolios.views.overview import holdings_context
from portfolios.views.performance import period_params

READ_ONLY = "Support pages are read only: nothing of a customer's can be changed here."
CUSTOMERS_PER_PAGE = 50


def read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 for every method but GET and HEAD."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied(READ_ONLY)
        return view(request, *args, **kwargs)

    return wrapped


def support_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A support page: the permission first (403 or the login page), then read only."""
    return support_required(read_only(view))


@support_page
def support_customers(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:254].replace("\x00", "")
    customers = account_selectors.customers_for_support(query=query)
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portfolios/support_customers.html", {"page": page, "query": query})


@support_page
def support_customer(request: HttpRequest, user_id: int) -> HttpResponse:
    customer = account_selectors.customer_for_support(user_id)
    support_view_record(viewed=customer, owner_id=customer.pk, page="portfolios")
    portfolios = selectors.portfolios_of_customer(owner_id=customer.pk)
    return render(
        request,
        "portfolios/support_customer.html",
        {"customer": customer, "portfolios": portfolios},
    )


@support_page
def support_portfolio(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_support(public_id)
    support_view_record(viewed=portfolio, owner_id=portfolio.owner_id, page="overview")
    context = holdings_context(request, portfolio, timezone.localdate())
    return render(request, "portfolios/support_portfolio.html", context)


@support_page
def support_performance(request: HttpRequest, public_id) -> HttpResponse:
    portfolio = selectors.portfolio_get_for_support(public_id)
    support_view_record(viewed=portfolio, owner_id=portfolio.owner_id, page="performance")
    form, params = period_params(request)
    if form.errors:
        params = {"period": None, "start": None, "end": None}
    try:
        report = selectors.portfolio_performance(portfolio=portfolio, **params)
    except PeriodError:
        report = selectors.portfolio_performance(portfolio=portfolio, period=None)
    context = {
        "portfolio": portfolio,
        "report": report,
        "figures": presenters.figures(report),
        "risk_rows": presenters.risk_rows(report),
    }
    return render(request, "portfolios/support_performance.html", context)
