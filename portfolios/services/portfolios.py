"""Portfolio writes: create, update, delete, and the confirmed change of its cash records."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.audit import audit_record, changed, fields_of
from market.models import Asset
from portfolios.models import (
    Portfolio,
    Transaction,
)
from portfolios.selectors import (
    asset_queryset_for_user,
)
from portfolios.services.ledger import _lock, ledger_changed, ledger_summary
from portfolios.services.market_data import _on_commit_benchmark_history, _on_commit_market_data

logger = logging.getLogger(__name__)

PORTFOLIO_FIELDS = ("name", "description", "base_currency", "cost_basis_method", "benchmark")
# What the audit log keeps of a portfolio.
AUDITED_FIELDS = (*PORTFOLIO_FIELDS, "records_cash", "cash_per_currency")


def _audit(action: str, portfolio: Portfolio, before: dict | None, after: dict | None) -> None:
    audit_record(
        action=action, obj=portfolio, owner_id=portfolio.owner_id, before=before, after=after
    )


def _check_portfolio(portfolio: Portfolio) -> None:
    errors: dict[str, list[str]] = {}
    name = portfolio.name.strip()
    portfolio.name = name
    if (
        name
        and Portfolio.objects.filter(owner_id=portfolio.owner_id, name__iexact=name)
        .exclude(pk=portfolio.pk)
        .exists()
    ):
        errors["name"] = ["You already have a portfolio with this name."]
    if portfolio.benchmark_id is not None:
        visible = asset_queryset_for_user(portfolio.owner).filter(pk=portfolio.benchmark_id)
        if not visible.exists():
            errors["benchmark"] = ["Choose an asset from the catalogue or your own assets."]
    if errors:
        raise ValidationError(errors)
    portfolio.full_clean()


@db_transaction.atomic
def portfolio_create(
    *,
    owner,
    name: str,
    description: str = "",
    base_currency: str | None = None,
    cost_basis_method: str = "fifo",
    benchmark: Asset | None = None,
    records_cash: bool = False,
    cash_per_currency: bool = False,
) -> Portfolio:
    """A new portfolio of `owner`; the base currency defaults to the owner's. Whether it
    records cash (and keeps it per currency) is the investor's choice, off unless chosen."""
    portfolio = Portfolio(
        owner=owner,
        name=name,
        description=description,
        base_currency=base_currency or owner.base_currency,
        cost_basis_method=cost_basis_method,
        benchmark=benchmark,
        records_cash=bool(records_cash),
        cash_per_currency=bool(records_cash and cash_per_currency),
    )
    _check_portfolio(portfolio)
    portfolio.save()
    Portfolio.objects.filter(pk=portfolio.pk).update(ledger_summary=ledger_summary(portfolio.pk))
    _audit("create", portfolio, None, fields_of(portfolio, AUDITED_FIELDS))
    if benchmark is not None:
        _on_commit_benchmark_history(portfolio)
    return portfolio


@db_transaction.atomic
def portfolio_cash_records_change(
    *, portfolio: Portfolio, records_cash: bool, cash_per_currency: bool = False
) -> Portfolio:
    """Change whether the portfolio records cash (and keeps it per currency): the confirmed
    step after `selectors.cash_records_preview` showed what changes. Moves the ledger version
    (every cached figure recomputes). Cash per currency needs cash records."""
    portfolio = _lock(portfolio)
    cash_per_currency = bool(records_cash and cash_per_currency)
    if (portfolio.records_cash, portfolio.cash_per_currency) == (records_cash, cash_per_currency):
        return portfolio
    Portfolio.objects.filter(pk=portfolio.pk).update(
        records_cash=records_cash, cash_per_currency=cash_per_currency
    )
    _audit(
        "update",
        portfolio,
        fields_of(portfolio, ("records_cash", "cash_per_currency")),
        {"records_cash": records_cash, "cash_per_currency": cash_per_currency},
    )
    first = Transaction.objects.filter(portfolio=portfolio).order_by("date").values("date")[:1]
    since = next(iter(first), {}).get("date") or timezone.localdate()
    ledger_changed(portfolio=portfolio, since=since)
    portfolio.refresh_from_db()
    return portfolio


@db_transaction.atomic
def portfolio_update(*, portfolio: Portfolio, data: Mapping[str, Any]) -> Portfolio:
    """Change some of name, description, base_currency, cost_basis_method and benchmark."""
    unknown = set(data) - set(PORTFOLIO_FIELDS)
    if unknown:
        raise ValueError(f"portfolio_update cannot change {sorted(unknown)}")
    portfolio = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    old_base = portfolio.base_currency
    old_benchmark = portfolio.benchmark_id
    before = fields_of(portfolio, PORTFOLIO_FIELDS)
    for name, value in data.items():
        setattr(portfolio, name, value)
    _check_portfolio(portfolio)
    portfolio.save()
    before, after = changed(before, fields_of(portfolio, PORTFOLIO_FIELDS))
    if after:
        _audit("update", portfolio, before, after)
    if portfolio.base_currency != old_base:
        rows = Transaction.objects.filter(portfolio=portfolio).select_related("asset")
        _on_commit_market_data(portfolio, list(rows))
    if portfolio.benchmark_id is not None and portfolio.benchmark_id != old_benchmark:
        _on_commit_benchmark_history(portfolio)
    return portfolio


@db_transaction.atomic
def portfolio_delete(*, portfolio: Portfolio) -> None:
    """Delete the portfolio and every transaction in it (the audit log keeps what it was)."""
    locked = Portfolio.objects.select_for_update().filter(pk=portfolio.pk).first()
    if locked is None:
        return
    before = {**fields_of(locked, AUDITED_FIELDS), "transactions": locked.transactions.count()}
    locked.delete()
    _audit("delete", portfolio, before, None)
