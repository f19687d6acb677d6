"""Every write to portfolios and transactions, each one atomic function.

Transaction writes lock the portfolio row (so concurrent writes to one portfolio serialise),
validate the row (`full_clean`, the per-kind rules) and then replay the whole ledger *with* the
change through `portfolios.engine`: selling more than was held on that date, or an edit or
delete that would make a later sell impossible, is refused with a `LedgerViolation` naming the
transaction that breaks. After the commit, the asset's price history (and the FX pair a foreign
currency needs) is ensured by `market.services.ensure_history`, which queues any backfill.

The ledger check ignores exchange rates (every foreign amount converts at its own fx_rate or 1):
rates only change values, never whether a history is possible, and they may still be loading.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Upper
from django.utils import timezone

from market import selectors as market_selectors
from market.models import Asset, AssetClass
from market.providers.base import SearchResult
from market.services import asset_find_or_create, ensure_history
from portfolia.changelog import log_append
from portfolia.money import plain
from portfolios import importers, selectors
from portfolios.engine.ledger import NegativeCash, replay
from portfolios.engine.types import Kind, LedgerError, Txn, format_date
from portfolios.errors import LedgerViolation
from portfolios.models import (
    ASSET_FORBIDDEN_KINDS,
    KIND_FIELDS,
    TRADE_KINDS,
    VALUE_FIELDS,
    Portfolio,
    Transaction,
    TransactionKind,
    transaction_rule_errors,
)
from portfolios.selectors import (
    TXN_COLUMNS,
    asset_queryset_for_user,
    fx_pair_symbols,
    split_warnings,
    txn_from_values,
    txns_by_portfolio,
)
from portfolios.templatetags.portfolio_format import money

logger = logging.getLogger(__name__)

ONE = Decimal(1)
PORTFOLIO_FIELDS = ("name", "description", "base_currency", "cost_basis_method", "benchmark")
TRANSACTION_FIELDS = (
    "kind",
    "date",
    "asset",
    "quantity",
    "price",
    "amount",
    "ratio",
    "fee",
    "currency",
    "fx_rate",
    "note",
    "external_id",
)
# At most this many unknown symbols of one import are looked up with the data provider.
MAX_PROVIDER_LOOKUPS = 25
BENCHMARK_HISTORY = datetime.timedelta(days=365)


# --- Portfolios ----------------------------------------------------------------------------------


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
    for name, value in data.items():
        setattr(portfolio, name, value)
    _check_portfolio(portfolio)
    portfolio.save()
    if portfolio.base_currency != old_base:
        rows = Transaction.objects.filter(portfolio=portfolio).select_related("asset")
        _on_commit_market_data(portfolio, list(rows))
    if portfolio.benchmark_id is not None and portfolio.benchmark_id != old_benchmark:
        _on_commit_benchmark_history(portfolio)
    return portfolio


@db_transaction.atomic
def portfolio_delete(*, portfolio: Portfolio) -> None:
    """Delete the portfolio and every transaction in it."""
    Portfolio.objects.select_for_update().filter(pk=portfolio.pk).delete()


# --- Transactions --------------------------------------------------------------------------------


def ledger_summary(portfolio_id: int) -> dict[str, Any]:
    """What the performance read model must know of a portfolio's transactions before reading
    them, from one grouped query: their count, first date, the asset ids and the currencies,
    and the portfolio's cash choices (`Portfolio.records_cash`, `cash_per_currency`; never
    inferred from the transactions), JSON-ready."""
    records_cash, cash_per_currency = (
        Portfolio.objects.filter(pk=portfolio_id)
        .values_list("records_cash", "cash_per_currency")
        .get()
    )
    groups = (
        Transaction.objects.filter(portfolio_id=portfolio_id)
        .values_list("asset_id", "currency")
        .annotate(count=Count("id"), first=Min("date"))
        .order_by()
    )
    rows = list(groups)
    first = min((row[3] for row in rows), default=None)
    return {
        "count": sum(row[2] for row in rows),
        "first": first.isoformat() if first else None,
        "records_cash": records_cash,
        "cash_per_currency": cash_per_currency,
        "assets": sorted({row[0] for row in rows if row[0] is not None}),
        "currencies": sorted({row[1] for row in rows}),
    }


@db_transaction.atomic
def ledger_changed(*, portfolio: Portfolio, since: datetime.date) -> None:
    """Record a write to the portfolio's transactions touching dates from `since` on: one up
    `ledger_version` and a new `ledger_summary` with the write logged (see
    `Portfolio.ledger_version`). Call it in the database transaction of the write, after it;
    every transaction service does. Code that writes transactions around the services (tests,
    bulk loaders) must call it too, once per write. The portfolio row stays locked until the
    transaction ends (the services lock it anyway)."""
    version, summary = (
        Portfolio.objects.select_for_update()
        .filter(pk=portfolio.pk)
        .values_list("ledger_version", "ledger_summary")
        .get()
    )
    fresh = ledger_summary(portfolio.pk)
    fresh["changes"] = log_append(summary.get("changes"), version + 1, since)
    Portfolio.objects.filter(pk=portfolio.pk).update(
        ledger_version=version + 1, ledger_summary=fresh
    )


def _lock(portfolio: Portfolio) -> Portfolio:
    """Lock the portfolio row for the rest of the transaction (serialises ledger writes)."""
    return Portfolio.objects.select_for_update().select_related("owner").get(pk=portfolio.pk)


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
    txn.delete()
    ledger_changed(portfolio=portfolio, since=txn.date)


# --- Assets for symbols --------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingAsset:
    """An asset the data provider knows but the catalogue does not have yet."""

    result: SearchResult

    @property
    def symbol(self) -> str:
        return self.result.symbol

    @property
    def name(self) -> str:
        return self.result.name

    @property
    def currency(self) -> str:
        return self.result.currency


def _local_assets_for_symbols(owner, symbols: Iterable[str]) -> dict[str, Asset]:
    """Visible assets by upper-cased symbol (one query): the owner's manual asset first, then
    the configured provider's, then any other provider's."""
    wanted = sorted({symbol.upper() for symbol in symbols if symbol})
    if not wanted:
        return {}
    found: dict[str, Asset] = {}
    candidates = (
        asset_queryset_for_user(owner)
        .annotate(symbol_upper=Upper("symbol"))
        .filter(symbol_upper__in=wanted)
    )

    def rank(asset: Asset) -> tuple[int, str]:
        if asset.owner_id is not None:
            return (0, asset.provider)
        return (1 if asset.provider == settings.MARKET_DATA_PROVIDER else 2, asset.provider)

    for asset in sorted(candidates, key=rank):
        found.setdefault(asset.symbol.upper(), asset)
    return found


def _search_provider(symbol: str) -> tuple[Any | None, str | None]:
    """The provider's result whose symbol is exactly `symbol` (its cached search, short
    timeout), or an error message when the provider could not answer."""
    provider_name = settings.MARKET_DATA_PROVIDER
    result = market_selectors.provider_search_result(symbol=symbol, provider_name=provider_name)
    if result is not None:
        return result, None
    search = market_selectors.provider_search(query=symbol, provider_name=provider_name)
    return None, search.error


def assets_resolve(*, owner, symbols: Iterable[str], search: bool = True):
    """Assets for symbols: local (catalogue or the owner's manual ones) first, then the data
    provider's search for an exact symbol match (`PendingAsset`, created on use).

    Returns {SYMBOL: Asset | PendingAsset} and {SYMBOL: error message} for the unknown ones.
    """
    symbols = sorted({symbol.strip() for symbol in symbols if symbol and symbol.strip()})
    found: dict[str, Asset | PendingAsset] = dict(_local_assets_for_symbols(owner, symbols))
    errors: dict[str, str] = {}
    lookups = 0
    for symbol in symbols:
        key = symbol.upper()
        if key in found:
            continue
        if not search or lookups >= MAX_PROVIDER_LOOKUPS:
            errors[key] = f"Unknown symbol “{symbol}”: add the asset first."
            continue
        lookups += 1
        result, problem = _search_provider(symbol)
        if result is not None:
            found[key] = PendingAsset(result)
        else:
            errors[key] = (
                problem or f"Unknown symbol “{symbol}”: the data provider does not know it."
            )
    return found, errors


def _materialise(asset: Asset | PendingAsset) -> Asset:
    if isinstance(asset, Asset):
        return asset
    return asset_find_or_create(result=asset.result)


def asset_for_symbol(*, owner, symbol: str) -> Asset:
    """The asset a typed symbol means (see `assets_resolve`), added to the catalogue from the
    data provider when it is new there. Raises ValidationError on "asset" when unknown."""
    symbol = (symbol or "").strip()
    if not symbol:
        raise ValidationError({"asset": ["Enter the asset's symbol."]})
    found, errors = assets_resolve(owner=owner, symbols=[symbol])
    asset = found.get(symbol.upper())
    if asset is None:
        raise ValidationError({"asset": [errors.get(symbol.upper(), "Unknown symbol.")]})
    return _materialise(asset)


# --- Import --------------------------------------------------------------------------------------


class ImportStatus:
    NEW = "new"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass
class ImportRow:
    """One CSV line of an import: what it says, and whether it is new, a duplicate or wrong."""

    line: int
    raw: dict[str, str]
    status: str = ImportStatus.NEW
    errors: dict[str, list[str]] = field(default_factory=dict)
    asset_name: str = ""
    asset_is_new: bool = False
    warnings: list[str] = field(default_factory=list)  # shown, never blocking

    @property
    def message(self) -> str:
        return " ".join(message for messages in self.errors.values() for message in messages)

    def value(self, column: str) -> str:
        return self.raw.get(column, "")


@dataclass
class ImportReport:
    """Every row of an import with its status; `saved` is True only when rows were written
    (never on a dry run, never when any row or the file has an error)."""

    dry_run: bool
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    saved: bool = False
    created: int = 0
    # The cash picture (DESIGN §4 "Value"): the negative cash the portfolio would show with the
    # new rows, and a sentence for each balance they would make negative (or negative earlier).
    negative_cash: list[NegativeCash] = field(default_factory=list)
    cash_warnings: list[str] = field(default_factory=list)
    # Some rows are deposits or withdrawals of a portfolio that does not record cash: the
    # preview offers the switch.
    cash_switch_offered: bool = False

    @property
    def new_count(self) -> int:
        return sum(1 for row in self.rows if row.status == ImportStatus.NEW)

    @property
    def duplicate_count(self) -> int:
        return sum(1 for row in self.rows if row.status == ImportStatus.DUPLICATE)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.status == ImportStatus.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for row in self.rows if row.warnings)

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and self.error_count == 0

    @property
    def new_assets(self) -> list[str]:
        return sorted({row.value("symbol").upper() for row in self.rows if row.asset_is_new})


def _dedupe_key(txn: Txn) -> tuple:
    # Amount and ratio join the rule's date/kind/asset/quantity/price so that two different
    # deposits on one day (no quantity, no price) are not taken for duplicates.
    return (txn.date, str(txn.kind), txn.asset_id, txn.quantity, txn.price, txn.amount, txn.ratio)


@db_transaction.atomic
def transaction_import(
    *, portfolio: Portfolio, file: IO[bytes] | IO[str] | bytes | str, dry_run: bool = True
) -> ImportReport:
    """Import transactions from Portfolia's CSV format (`portfolios.importers`).

    Every row is checked (format, per-kind rules, symbol, the ledger replayed with all new
    rows); nothing is saved unless every row is valid, and nothing on a dry run. A row whose
    external_id the portfolio already has, or that matches a stored transaction's date, kind,
    asset, quantity and price (and amount), is a duplicate: skipped and counted.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        parsed = importers.parse_transactions_csv(file)
    except importers.CsvFormatError as error:
        report.file_errors.append(str(error))
        return report
    if not parsed:
        report.file_errors.append("The file has no transactions below its header.")
        return report
    portfolio = _lock(portfolio)
    owner = portfolio.owner

    found, unknown = assets_resolve(
        owner=owner, symbols=[row.symbol for row in parsed if row.symbol]
    )
    stored = _stored_txns(portfolio)
    stored_by_pk_external = dict(
        Transaction.objects.filter(portfolio=portfolio).values_list("id", "external_id")
    )
    stored_external = {external_id for external_id in stored_by_pk_external.values() if external_id}
    # Each stored transaction can absorb one identical row; those without an external id first.
    absorbable: dict[tuple, list[str]] = defaultdict(list)
    for txn in stored:
        absorbable[_dedupe_key(txn)].append(stored_by_pk_external.get(txn.id, ""))
    for external_ids in absorbable.values():
        external_ids.sort(key=bool, reverse=True)  # pop() takes from the end: "" first

    pending_ids: dict[str, int] = {}  # a fake id per provider asset not created yet
    seen_external: set[str] = set()
    candidates: list[tuple[ImportRow, Transaction, Txn]] = []
    pending_assets: dict[int, PendingAsset] = {}  # by candidate index
    for index, parsed_row in enumerate(parsed):
        row = ImportRow(line=parsed_row.line, raw=parsed_row.raw, errors=dict(parsed_row.errors))
        report.rows.append(row)
        asset: Asset | PendingAsset | None = None
        if parsed_row.symbol:
            asset = found.get(parsed_row.symbol.upper())
            if asset is None:
                row.errors.setdefault("symbol", []).append(unknown[parsed_row.symbol.upper()])
            else:
                row.asset_name = asset.name
                row.asset_is_new = isinstance(asset, PendingAsset)
        if row.errors:
            row.status = ImportStatus.ERROR
            continue
        txn = Transaction(
            portfolio=portfolio,
            kind=parsed_row.kind,
            date=parsed_row.date,
            asset=asset if isinstance(asset, Asset) else None,
            quantity=parsed_row.quantity,
            price=parsed_row.price,
            amount=parsed_row.amount,
            ratio=parsed_row.ratio,
            fee=parsed_row.fee,
            currency=parsed_row.currency or (asset.currency if asset else ""),
            fx_rate=parsed_row.fx_rate,
            note=parsed_row.note,
            external_id=parsed_row.external_id,
        )
        _normalise(txn, portfolio)
        errors = _check_cash_kind(txn, portfolio)
        errors |= transaction_rule_errors(
            kind=txn.kind,
            has_asset=asset is not None,
            quantity=txn.quantity,
            price=txn.price,
            amount=txn.amount,
            ratio=txn.ratio,
            fee=txn.fee,
            fx_rate=txn.fx_rate,
        )
        if txn.kind in TRADE_KINDS and asset is not None and txn.currency != asset.currency:
            errors.setdefault("currency", []).append(
                f"{asset.symbol} trades in {asset.currency}, not {txn.currency}."
            )
        try:
            # Field formats only (digits, lengths, choices, the date range): the per-kind rules
            # and the asset were checked above, without a query per row and with provider
            # assets not yet created. Fields already in error are left out (one message each).
            txn.clean_fields(exclude=["portfolio", "asset", *errors])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(
                    message for message in messages if message not in errors.get(name, [])
                )
        if errors:
            row.errors = errors
            row.status = ImportStatus.ERROR
            continue
        if isinstance(asset, PendingAsset):
            asset_id = pending_ids.setdefault(asset.symbol.upper(), -1_000_000 - len(pending_ids))
        else:
            asset_id = txn.asset_id
        engine_txn = replace(_as_txn(txn, pk=-(index + 1)), asset_id=asset_id)
        external_id = txn.external_id
        if external_id and (external_id in stored_external or external_id in seen_external):
            row.status = ImportStatus.DUPLICATE
            continue
        same = absorbable.get(_dedupe_key(engine_txn))
        if same and (not external_id or same[-1] == ""):
            same.pop()
            row.status = ImportStatus.DUPLICATE
            continue
        if external_id:
            seen_external.add(external_id)
        if isinstance(asset, PendingAsset):
            pending_assets[len(candidates)] = asset
        candidates.append((row, txn, engine_txn))

    _import_ledger_check(portfolio, report, stored, candidates)
    report.cash_switch_offered = any(
        row.status == ImportStatus.ERROR and row.value("kind").strip().lower() in CASH_KINDS
        for row in report.rows
    )
    _import_split_warnings(candidates)
    if not report.is_valid or dry_run:
        _import_cash_picture(portfolio, report, stored, candidates)
        return report

    to_create: list[Transaction] = []
    for index, (row, txn, _engine_txn) in enumerate(candidates):
        if row.status != ImportStatus.NEW:
            continue
        if index in pending_assets:
            txn.asset = _materialise(pending_assets[index])
        to_create.append(txn)
    Transaction.objects.bulk_create(to_create)
    if to_create:
        ledger_changed(portfolio=portfolio, since=min(txn.date for txn in to_create))
    report.saved = bool(to_create)
    report.created = len(to_create)
    if to_create:
        _on_commit_market_data(portfolio, to_create)
    return report


def _import_cash_picture(
    portfolio: Portfolio,
    report: ImportReport,
    stored: list[Txn],
    candidates: list[tuple[ImportRow, Transaction, Txn]],
) -> None:
    """Say, before anything is saved, when the new rows change the cash picture: a balance
    they would make negative, or negative from an earlier day than it already is."""
    if not portfolio.records_cash:
        return
    new = [txn for row, _txn, txn in candidates if row.status == ImportStatus.NEW]
    if not new:
        return
    before, _ = selectors.negative_cash_with(portfolio=portfolio, txns=stored)
    after, pending = selectors.negative_cash_with(portfolio=portfolio, txns=[*stored, *new])
    report.negative_cash = after
    if pending:
        report.cash_warnings.append(pending)
        return
    known = {item.currency: item for item in before}
    for item in after:
        old = known.get(item.currency)
        if old is not None and old.first_date <= item.first_date:
            continue
        report.cash_warnings.append(
            f"These rows would make cash negative from {format_date(item.first_date)} "
            f"({money(item.amount, item.currency)}): a deposit may be missing."
        )


def _import_split_warnings(candidates: list[tuple[ImportRow, Transaction, Txn]]) -> None:
    """Warn on each new split row the data provider does not report (one query for all)."""
    splits = [
        (row, txn)
        for row, txn, _engine_txn in candidates
        if txn.kind == TransactionKind.SPLIT and row.status == ImportStatus.NEW
    ]
    warnings = split_warnings(splits=[(txn.asset, txn.date, txn.ratio) for _row, txn in splits])
    for (row, _txn), warning in zip(splits, warnings, strict=True):
        if warning:
            row.warnings.append(warning)


def _import_ledger_check(
    portfolio: Portfolio,
    report: ImportReport,
    stored: list[Txn],
    candidates: list[tuple[ImportRow, Transaction, Txn]],
) -> None:
    """Replay stored + new rows; mark each new row the ledger rejects (dropping it and
    replaying again, so every impossible row is reported), or a stored one it would break."""
    by_fake_id = {engine_txn.id: row for row, _txn, engine_txn in candidates}
    remaining = [engine_txn for _row, _txn, engine_txn in candidates]
    for _attempt in range(len(remaining) + 1):
        try:
            _replay_check(portfolio, [*stored, *remaining])
            return
        except LedgerError as error:
            row = by_fake_id.get(error.txn_id)
            if row is None:
                violation = _ledger_violation(
                    error, portfolio, own_pk=None, action="Importing these rows"
                )
                report.file_errors.append(violation.message)
                return
            row.status = ImportStatus.ERROR
            row.errors.setdefault("ledger", []).append(f"{error.message}.")
            remaining = [txn for txn in remaining if txn.id != error.txn_id]


# --- Market data after commit --------------------------------------------------------------------


def fx_pair_asset(*, currency: str, base: str, owner) -> Asset | None:
    """The stored FX asset converting `currency` into `base` (direct `AB=X` before the inverse
    `BA=X`; the owner's manual one before the catalogue's), if any."""
    symbols = fx_pair_symbols(currency, base)
    candidates = list(
        Asset.objects.filter(symbol__in=symbols).filter(Q(owner__isnull=True) | Q(owner=owner))
    )
    candidates.sort(key=lambda asset: (symbols.index(asset.symbol), asset.owner_id is None))
    return candidates[0] if candidates else None


def fx_pair_asset_ensure(*, currency: str, base: str, owner) -> Asset | None:
    """The FX asset for `currency` → `base`, creating the provider's `AB=X` when none exists."""
    asset = fx_pair_asset(currency=currency, base=base, owner=owner)
    if asset is not None:
        return asset
    direct = fx_pair_symbols(currency, base)[0]
    result = SearchResult(
        symbol=direct,
        name=f"{currency}/{base}",
        asset_class=AssetClass.FX.value,
        currency=base,
        exchange="CCY",
        provider=settings.MARKET_DATA_PROVIDER,
    )
    return asset_find_or_create(result=result)


def _history_ensure(asset: Asset, since: datetime.date) -> None:
    ensure_history(asset=asset, since=since)


def _on_commit_market_data(portfolio: Portfolio, txns: Sequence[Transaction]) -> None:
    """After the commit: history for each asset from its earliest date here, and the FX pair
    (with its history) for each foreign currency."""
    since_by_asset: dict[int, tuple[Asset, datetime.date]] = {}
    since_by_currency: dict[str, datetime.date] = {}
    for txn in txns:
        if txn.asset_id is not None:
            known = since_by_asset.get(txn.asset_id)
            if known is None or txn.date < known[1]:
                since_by_asset[txn.asset_id] = (txn.asset, txn.date)
        currencies = {txn.currency}
        if txn.asset_id is not None:
            currencies.add(txn.asset.currency)
        for currency in currencies - {portfolio.base_currency}:
            if currency not in since_by_currency or txn.date < since_by_currency[currency]:
                since_by_currency[currency] = txn.date
    base, owner = portfolio.base_currency, portfolio.owner
    if portfolio.benchmark_id is not None and txns:
        # The benchmark is compared from the first transaction on.
        first = min(txn.date for txn in txns)
        known = since_by_asset.get(portfolio.benchmark_id)
        if known is None or first < known[1]:
            since_by_asset[portfolio.benchmark_id] = (portfolio.benchmark, first)

    def ensure() -> None:
        try:
            for asset, since in since_by_asset.values():
                _history_ensure(asset, since)
            for currency, since in since_by_currency.items():
                pair = fx_pair_asset_ensure(currency=currency, base=base, owner=owner)
                if pair is not None:
                    _history_ensure(pair, since)
        except Exception:  # the write is committed; a queueing problem must not fail it
            logger.exception("Could not ensure market data for portfolio %s", portfolio.pk)

    db_transaction.on_commit(ensure)


def _on_commit_benchmark_history(portfolio: Portfolio) -> None:
    """After the commit: the benchmark's history from the portfolio's first transaction (or
    a year back when it has none yet; the market app never fetches less than that)."""
    benchmark = portfolio.benchmark
    first = Transaction.objects.filter(portfolio=portfolio).order_by("date").values("date")[:1]
    since = next(iter(first), {}).get("date") or timezone.localdate() - BENCHMARK_HISTORY

    def ensure() -> None:
        try:
            _history_ensure(benchmark, since)
        except Exception:
            logger.exception("Could not ensure history for benchmark %s", benchmark.pk)

    db_transaction.on_commit(ensure)
