"""Transaction writes, one row at a time: each locks the portfolio, validates the row, replays
the ledger with the change (refusing one that makes a later sale impossible), saves, and moves the
ledger version. After the commit the market data it needs is ensured."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction

from accounts.audit import audit_record, changed, fields_of
from market.models import Asset
from portfolia.money import plain
from portfolios.engine.ledger import replay
from portfolios.engine.types import Kind, LedgerError, Txn, format_date
from portfolios.errors import LedgerViolation
from portfolios.models import (
    ASSET_FORBIDDEN_KINDS,
    KIND_FIELDS,
    TRADE_KINDS,
    TRANSACTION_FIELDS,
    TXN_COLUMNS,
    VALUE_FIELDS,
    Portfolio,
    Transaction,
)
from portfolios.selectors import txn_from_values, txns_by_portfolio
from portfolios.services.ledger import _lock, ledger_changed
from portfolios.services.market_data import _on_commit_market_data

logger = logging.getLogger(__name__)

ONE = Decimal(1)


def _normalise(txn: Transaction, portfolio: Portfolio) -> None:
    """Default the currency and fee, and empty the value fields this kind does not use."""
    used = KIND_FIELDS.get(txn.kind, frozenset(VALUE_FIELDS))
    for name in VALUE_FIELDS:
        if name not in used:
            setattr(txn, name, None)
    if txn.kind in ASSET_FORBIDDEN_KINDS:
        txn.asset = None
    if txn.fee is None:
        txn.fee = Decimal(0)
    if not txn.currency:
        txn.currency = txn.asset.currency if txn.asset_id else portfolio.base_currency
    if txn.currency == portfolio.base_currency:
        txn.fx_rate = None  # a base-currency amount converts at 1 whatever it says
    txn.note = (txn.note or "").strip()
    txn.external_id = (txn.external_id or "").strip()


def _check_asset(txn: Transaction, portfolio: Portfolio) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if txn.asset_id is None:
        return errors
    asset = txn.asset
    if asset.owner_id is not None and asset.owner_id != portfolio.owner_id:
        errors["asset"] = ["Choose an asset from the catalogue or your own assets."]
    elif txn.kind in TRADE_KINDS and txn.currency != asset.currency:
        errors["currency"] = [
            f"{asset.symbol} trades in {asset.currency}: record the trade in {asset.currency} "
            "(with an FX rate if you paid in another currency)."
        ]
    return errors


CASH_KINDS = frozenset({Kind.DEPOSIT, Kind.WITHDRAWAL})
CASH_NOT_RECORDED = "cash_not_recorded"  # the error code pages and the API offer the switch on


def cash_not_recorded_message(kind: str) -> str:
    """Why a deposit or withdrawal is refused in a portfolio that does not record cash, and
    where the switch is (the page, and the API's cash-records action)."""
    what = "deposits" if kind == Kind.DEPOSIT else "withdrawals"
    return (
        f"This portfolio does not record cash, so it takes no {what}. Switch on cash records "
        "first (Settings, “Cash records”, or the API's POST …/cash-records/: a preview shows "
        "what changes)."
    )


def _check_cash_kind(txn: Transaction, portfolio: Portfolio) -> dict[str, list[str]]:
    if txn.kind in CASH_KINDS and not portfolio.records_cash:
        return {"kind": [cash_not_recorded_message(txn.kind)]}
    return {}


def _validate_row(txn: Transaction, portfolio: Portfolio) -> None:
    cash_errors = _check_cash_kind(txn, portfolio)
    if cash_errors:
        raise ValidationError(
            {"kind": [ValidationError(cash_errors["kind"][0], code=CASH_NOT_RECORDED)]}
        )
    errors = _check_asset(txn, portfolio)
    if (
        txn.external_id
        and Transaction.objects.filter(portfolio=portfolio, external_id=txn.external_id)
        .exclude(pk=txn.pk)
        .exists()
    ):
        errors["external_id"] = ["Another transaction here has this external ID."]
    try:
        # Fields already in error are left out, so a constraint does not repeat them.
        txn.full_clean(exclude=["portfolio", *errors])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _as_txn(txn: Transaction, *, pk: int) -> Txn:
    return txn_from_values(
        (pk, txn.portfolio_id, *(getattr(txn, name) for name in TXN_COLUMNS[2:]))
    )


def _without_fx(txns: Iterable[Txn], base_currency: str) -> list[Txn]:
    """Give every foreign amount a rate (its own or 1): the check is about quantities."""
    return [
        txn if txn.currency == base_currency or txn.fx_rate else replace(txn, fx_rate=ONE)
        for txn in txns
    ]


def _stored_txns(portfolio: Portfolio) -> list[Txn]:
    return txns_by_portfolio(portfolio_ids=[portfolio.pk]).get(portfolio.pk, [])


def _replay_check(portfolio: Portfolio, txns: Sequence[Txn]) -> None:
    """Raises LedgerError naming the first transaction the history cannot survive."""
    replay(
        _without_fx(txns, portfolio.base_currency),
        fx=None,
        **portfolio.ledger_options,
    )


def _describe(txn: Transaction) -> str:
    """ "the sell of 10 AAPL on 1 Mar 2024", for messages about another transaction."""
    what = txn.get_kind_display().lower()
    symbol = f" {txn.asset.symbol}" if txn.asset_id else ""
    day = format_date(txn.date)
    if txn.kind in TRADE_KINDS and txn.quantity is not None:
        return f"the {what} of {plain(txn.quantity)}{symbol} on {day}"
    if symbol:
        return f"the {what} of{symbol} on {day}"
    return f"the {what} on {day}"


def _audit(action: str, txn: Transaction, before: dict | None, after: dict | None) -> None:
    portfolio = txn.portfolio
    audit_record(
        action=action,
        obj=txn,
        object_repr=f"{portfolio.name}: {_describe(txn)}",
        owner_id=portfolio.owner_id,
        before=before,
        after={"portfolio": str(portfolio.public_id), **after} if after is not None else None,
    )


def _ledger_violation(
    error: LedgerError, portfolio: Portfolio, *, own_pk: int | None, action: str
) -> LedgerViolation:
    """Explain a ledger error: about the transaction being written, or a stored one it breaks."""
    if own_pk is not None and error.txn_id == own_pk:
        return LedgerViolation(error.message)
    broken = (
        Transaction.objects.filter(portfolio=portfolio, pk=error.txn_id)
        .select_related("asset")
        .first()
    )
    if broken is None:
        return LedgerViolation(error.message)
    return LedgerViolation(
        f"{action} would make {_describe(broken)} impossible: {error.message}.",
        transaction_id=str(broken.public_id),
    )


@db_transaction.atomic
def transaction_create(
    *,
    portfolio: Portfolio,
    kind: str,
    date: datetime.date,
    asset: Asset | None = None,
    quantity: Decimal | None = None,
    price: Decimal | None = None,
    amount: Decimal | None = None,
    ratio: Decimal | None = None,
    fee: Decimal | None = None,
    currency: str = "",
    fx_rate: Decimal | None = None,
    note: str = "",
    external_id: str = "",
) -> Transaction:
    """Record a transaction after checking the ledger can replay with it."""
    portfolio = _lock(portfolio)
    txn = Transaction(
        portfolio=portfolio,
        kind=kind,
        date=date,
        asset=asset,
        quantity=quantity,
        price=price,
        amount=amount,
        ratio=ratio,
        fee=fee,
        currency=currency,
        fx_rate=fx_rate,
        note=note,
        external_id=external_id,
    )
    _normalise(txn, portfolio)
    _validate_row(txn, portfolio)
    new_pk = -1
    try:
        _replay_check(portfolio, [*_stored_txns(portfolio), _as_txn(txn, pk=new_pk)])
    except LedgerError as error:
        raise _ledger_violation(
            error, portfolio, own_pk=new_pk, action=f"Adding this {txn.get_kind_display().lower()}"
        ) from error
    txn.save()
    ledger_changed(portfolio=portfolio, since=txn.date)
    _audit("create", txn, None, fields_of(txn, TRANSACTION_FIELDS))
    _on_commit_market_data(portfolio, [txn])
    return txn


@db_transaction.atomic
def transaction_update(*, transaction: Transaction, data: Mapping[str, Any]) -> Transaction:
    """Change some fields of a transaction; refused if any transaction would then break."""
    unknown = set(data) - set(TRANSACTION_FIELDS)
    if unknown:
        raise ValueError(f"transaction_update cannot change {sorted(unknown)}")
    portfolio = _lock(transaction.portfolio)
    txn = Transaction.objects.select_related("asset").get(pk=transaction.pk, portfolio=portfolio)
    old_kind = txn.kind
    old_date = txn.date
    before = fields_of(txn, TRANSACTION_FIELDS)
    for name, value in data.items():
        setattr(txn, name, value)
    if "currency" not in data and ("asset" in data or old_kind != txn.kind):
        txn.currency = ""  # follow the new asset's currency
    _normalise(txn, portfolio)
    _validate_row(txn, portfolio)
    txns = [
        _as_txn(txn, pk=txn.pk) if stored.id == txn.pk else stored
        for stored in _stored_txns(portfolio)
    ]
    try:
        _replay_check(portfolio, txns)
    except LedgerError as error:
        raise _ledger_violation(error, portfolio, own_pk=txn.pk, action="This change") from error
    txn.save()
    ledger_changed(portfolio=portfolio, since=min(old_date, txn.date))
    before, after = changed(before, fields_of(txn, TRANSACTION_FIELDS))
    if after:
        _audit("update", txn, before, after)
    _on_commit_market_data(portfolio, [txn])
    return txn


@db_transaction.atomic
def transaction_delete(*, transaction: Transaction) -> None:
    """Delete a transaction; refused if a later one (a sell, a split) would then break."""
    portfolio = _lock(transaction.portfolio)
    txn = Transaction.objects.select_related("asset").get(pk=transaction.pk, portfolio=portfolio)
    txns = [stored for stored in _stored_txns(portfolio) if stored.id != txn.pk]
    try:
        _replay_check(portfolio, txns)
    except LedgerError as error:
        raise _ledger_violation(
            error, portfolio, own_pk=None, action=f"Deleting {_describe(txn)}"
        ) from error
    before = fields_of(txn, TRANSACTION_FIELDS)
    txn.delete()
    ledger_changed(portfolio=portfolio, since=txn.date)
    _audit("delete", txn, before, None)


@db_transaction.atomic
def transactions_load(
    *, portfolio: Portfolio, transactions: Sequence[Transaction]
) -> list[Transaction]:
    """Store rows already checked elsewhere (the benchmark's generated ledger, test fixtures) in
    one statement, without the ledger replay or the market data a form's write ensures, and move
    the ledger version once from their earliest date: the one door for bulk loaders, so none can
    forget `ledger_changed`. Each row's portfolio is set to `portfolio`."""
    rows = list(transactions)
    if not rows:
        return rows
    portfolio = _lock(portfolio)
    for row in rows:
        row.portfolio = portfolio
    created = Transaction.objects.bulk_create(rows, batch_size=2_000)
    ledger_changed(portfolio=portfolio, since=min(row.date for row in rows))
    transactions_audit(portfolio=portfolio, action="load", rows=created)
    return created


def transactions_audit(
    *, portfolio: Portfolio, action: str, rows: Sequence[Transaction], **counts: int | str
) -> None:
    """One audit entry for a bulk write of `rows` (never one per row): how many, of which
    kinds, from which date to which, and any further `counts` (an import's duplicates, the
    door it was sent through)."""
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row.kind] = kinds.get(row.kind, 0) + 1
    dates = [row.date for row in rows]
    audit_record(
        action=action,
        obj=portfolio,
        object_type="transactions",
        owner_id=portfolio.owner_id,
        after={
            "created": len(rows),
            **counts,
            "kinds": kinds,
            "first_date": min(dates, default=None),
            "last_date": max(dates, default=None),
        },
    )


@db_transaction.atomic
def transactions_create(
    *, portfolio: Portfolio, transactions: Sequence[Transaction]
) -> list[Transaction]:
    """Record several new transactions as one step, all or none: each row is normalised and
    validated as `transaction_create` does, the ledger is replayed once with all of them (in
    their order after the stored ones of their dates), then they are stored through
    `transactions_load` (one version bump) and their market data ensured after the commit."""
    portfolio = _lock(portfolio)
    rows = list(transactions)
    for row in rows:
        row.portfolio = portfolio
        _normalise(row, portfolio)
        _validate_row(row, portfolio)
    new = [_as_txn(row, pk=-1 - index) for index, row in enumerate(rows)]
    try:
        _replay_check(portfolio, sorted([*_stored_txns(portfolio), *new], key=_replay_order))
    except LedgerError as error:
        index = -1 - error.txn_id
        if 0 <= index < len(rows):
            raise LedgerViolation(f"{_describe(rows[index])}: {error.message}") from error
        raise _ledger_violation(error, portfolio, own_pk=None, action="These trades") from error
    created = transactions_load(portfolio=portfolio, transactions=rows)
    _on_commit_market_data(portfolio, created)
    return created


def _replay_order(txn: Txn) -> tuple[datetime.date, int, int]:
    """Stored rows by (date, id), new ones after them on their date, in their given order."""
    return (txn.date, 1 if txn.id < 0 else 0, -txn.id if txn.id < 0 else txn.id)
