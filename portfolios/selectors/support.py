"""Reads for the support pages: any customer's portfolios, by owner or by public id (the
caller has checked the support permission; these never scope by the viewer)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from portfolios.models import Portfolio
from portfolios.selectors.access import _parse_uuid


def portfolios_of_customer(*, owner_id: int) -> QuerySet[Portfolio]:
    """The customer's portfolios by name."""
    return Portfolio.objects.filter(owner_id=owner_id).select_related("owner").order_by("name")


def portfolio_get_for_support(public_id: object) -> Portfolio:
    """Any customer's portfolio with this public id; Http404 when there is none."""
    try:
        return Portfolio.objects.select_related("owner", "benchmark").get(
            public_id=_parse_uuid(public_id)
        )
    except Portfolio.DoesNotExist as error:
        raise Http404("No such portfolio.") from error
