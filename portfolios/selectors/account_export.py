"""A user's whole account as the account file (`portfolios.account_file`): portfolios with their
settings, cash choices, transactions (entry order) and targets; the manual assets with their
prices; the catalogue assets they name; the remembered broker symbols. Six queries whatever
the size: portfolios, transactions, targets, manual assets, their prices, broker symbols."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from market import selectors as market_selectors
from market.models import Asset
from portfolia.money import plain
from portfolios import account_file as fmt
from portfolios.models import InstrumentSymbol, Portfolio, TargetAllocation, Transaction


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _ref(asset: Asset | None, catalogue: dict[str, Asset]) -> str | None:
    if asset is None:
        return None
    ref = fmt.asset_ref(asset)
    if asset.owner_id is None:
        catalogue[ref] = asset
    return ref


def _transaction(txn: Transaction, catalogue: dict[str, Asset]) -> dict[str, Any]:
    return {
        "kind": txn.kind,
        "date": txn.date.isoformat(),
        "asset": _ref(txn.asset, catalogue),
        **{name: _decimal(getattr(txn, name)) for name in sorted(fmt.DECIMAL_KEYS)},
        "currency": txn.currency,
        "note": txn.note,
        "external_id": txn.external_id,
    }


def _target(target: TargetAllocation, catalogue: dict[str, Asset]) -> dict[str, Any]:
    return {
        "asset": _ref(target.asset, catalogue),
        "asset_class": target.asset_class,
        "cash": target.is_cash,
        "weight": plain(target.weight),
        "band": _decimal(target.band),
    }


def _price(row) -> dict[str, Any]:
    """One stored bar (a `market.models.Price`)."""
    return {
        "date": row.date.isoformat(),
        "open": row.open,
        "high": row.high,
        "low": row.low,
        "close": row.close,
        "volume": row.volume,
    }


def account_export(*, user) -> dict[str, Any]:
    """The account file of `user`, ready for `json.dumps`."""
    portfolios = list(
        Portfolio.objects.filter(owner=user)
        .select_related("benchmark")
        .order_by("created_at", "id")
    )
    txns: dict[int, list[Transaction]] = defaultdict(list)
    for txn in (
        Transaction.objects.filter(portfolio__owner=user)
        .select_related("asset")
        .order_by("date", "id")
    ):
        txns[txn.portfolio_id].append(txn)
    targets: dict[int, list[TargetAllocation]] = defaultdict(list)
    for target in TargetAllocation.objects.filter(portfolio__owner=user).select_related("asset"):
        targets[target.portfolio_id].append(target)
    manual = list(Asset.objects.filter(owner=user).order_by("symbol", "id"))
    prices: dict[int, list] = defaultdict(list)
    for row in market_selectors.manual_prices_of(owner=user):
        prices[row.asset_id].append(row)
    catalogue: dict[str, Asset] = {}
    portfolio_rows = [
        {
            "name": portfolio.name,
            "description": portfolio.description,
            "base_currency": portfolio.base_currency,
            "cost_basis_method": portfolio.cost_basis_method,
            "benchmark": _ref(portfolio.benchmark, catalogue),
            "records_cash": portfolio.records_cash,
            "cash_per_currency": portfolio.cash_per_currency,
            "transactions": [_transaction(txn, catalogue) for txn in txns[portfolio.pk]],
            "targets": [_target(target, catalogue) for target in targets[portfolio.pk]],
        }
        for portfolio in portfolios
    ]
    return {
        "format": fmt.FORMAT,
        "version": fmt.VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "catalogue_assets": [
            {key: getattr(asset, key) for key in fmt.CATALOGUE_ASSET_KEYS}
            for _, asset in sorted(catalogue.items())
        ],
        "manual_assets": [
            {
                **{key: getattr(asset, key) for key in fmt.MANUAL_ASSET_KEYS if key != "prices"},
                "prices": [_price(row) for row in prices[asset.pk]],
            }
            for asset in manual
        ],
        "portfolios": portfolio_rows,
        "instrument_symbols": [
            {"identifier": identifier, "symbol": symbol}
            for identifier, symbol in InstrumentSymbol.objects.filter(owner=user)
            .order_by("identifier")
            .values_list("identifier", "symbol")
        ],
    }
