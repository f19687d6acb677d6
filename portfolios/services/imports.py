"""The CSV import of transactions: every row parsed and checked, the whole ledger replayed with
the new rows, a preview of each row and its error, and (unless a dry run) one atomic save."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction

from accounts import audit
from accounts.models import AuditDoor
from market.models import Asset
from market.services import PendingAsset, asset_materialise, assets_resolve
from portfolios import brokers, importers, selectors
from portfolios.engine.cash import NegativeCash
from portfolios.engine.types import LedgerError, Txn, format_date
from portfolios.models import (
    KIND_VALUES,
    TRADE_KINDS,
    Portfolio,
    Transaction,
    TransactionKind,
    transaction_rule_errors,
)
from portfolios.selectors import (
    split_warnings,
)
from portfolios.services.broker_imports import (
    broker_rows_resolve,
    broker_symbols_remember,
    minor_unit_align,
    portfolia_values,
)
from portfolios.services.ledger import _lock, ledger_changed
from portfolios.services.market_data import _on_commit_market_data
from portfolios.services.transactions import (
    CASH_KINDS,
    _as_txn,
    _check_cash_kind,
    _ledger_violation,
    _normalise,
    _replay_check,
    _stored_txns,
    transactions_audit,
)
from portfolios.templatetags.portfolio_format import money

logger = logging.getLogger(__name__)
PROGRESS_ROWS = 1000  # rows checked between two progress reports
PAGE_ROWS = 200  # rows of a preview shown at once (the totals count them all)


class ImportStatus:
    NEW = "new"
    DUPLICATE = "duplicate"
    UNRESOLVED = "unresolved"  # a broker row whose instrument is not matched yet
    SKIPPED = "skipped"  # a broker row that is no transaction (its reason says why)
    ERROR = "error"
    ALL = (NEW, DUPLICATE, UNRESOLVED, SKIPPED, ERROR)


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
    kind: str = ""  # the Portfolia kind, when known
    reason: str = ""  # why a row is skipped or unresolved
    identifier: str = ""  # a broker row's instrument (ISIN, ticker or name)

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
    format: str = ""  # the format used ("portfolia" or a broker preset's name)
    format_detected: bool = False  # True when `auto` chose it
    format_label: str = ""
    symbols: dict[str, str] = field(default_factory=dict)  # the answers given, to carry on
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
    page: int = 1  # the page of rows shown (PAGE_ROWS each)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.rows) // PAGE_ROWS))

    @property
    def page_rows(self) -> list[ImportRow]:
        """The rows of the page shown (a page past the last shows the last)."""
        page = min(max(self.page, 1), self.pages)
        return self.rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]

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
    def unresolved_count(self) -> int:
        return sum(1 for row in self.rows if row.status == ImportStatus.UNRESOLVED)

    @property
    def skipped_count(self) -> int:
        return sum(1 for row in self.rows if row.status == ImportStatus.SKIPPED)

    @property
    def totals(self) -> dict[str, int]:
        """The number of rows of each status (every status named, 0 when none)."""
        counts = dict.fromkeys(ImportStatus.ALL, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def unresolved_identifiers(self) -> list[str]:
        return sorted(
            {row.identifier for row in self.rows if row.status == ImportStatus.UNRESOLVED}
        )

    @property
    def warning_count(self) -> int:
        return sum(1 for row in self.rows if row.warnings)

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and self.error_count == 0 and self.unresolved_count == 0

    @property
    def new_assets(self) -> list[str]:
        return sorted({row.value("symbol").upper() for row in self.rows if row.asset_is_new})


def _dedupe_key(txn: Txn) -> tuple:
    # Amount and ratio join the rule's date/kind/asset/quantity/price so that two different
    # deposits on one day (no quantity, no price) are not taken for duplicates.
    return (txn.date, str(txn.kind), txn.asset_id, txn.quantity, txn.price, txn.amount, txn.ratio)


@db_transaction.atomic
def transaction_import(
    *,
    portfolio: Portfolio,
    file: IO[bytes] | IO[str] | bytes | str,
    dry_run: bool = True,
    format: str = brokers.AUTO,
    symbols: Mapping[str, str] | None = None,
    mapping: dict | None = None,
    progress: Callable[[float], None] | None = None,
) -> ImportReport:
    """Import transactions from Portfolia's CSV format (`portfolios.importers`) or a broker's
    export (`portfolios.brokers`; `format` "auto" detects which). A broker row whose instrument
    is not matched is `unresolved` (`symbols` answers identifier → symbol or "manual", and is
    remembered once saved); one that is no transaction is `skipped` with its reason. `mapping`
    describes the columns of a file in the `mapping` format (`portfolios.brokers.mapping`).
    `progress` (a worker's import job) is told the share of the rows checked as it goes.

    Every row is checked (format, per-kind rules, symbol, the ledger replayed with all new
    rows); nothing is saved unless every row is valid, and nothing on a dry run. A row whose
    external_id the portfolio already has, or that matches a stored transaction's date, kind,
    asset, quantity and price (and amount), is a duplicate: skipped and counted.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        parsed_file = brokers.parse_file(file, format=format, mapping=mapping)
    except importers.CsvFormatError as error:
        report.file_errors.append(str(error))
        return report
    report.format, report.format_detected = parsed_file.format, parsed_file.detected
    report.format_label = parsed_file.label
    report.symbols = dict(symbols or {})
    parsed = parsed_file.rows
    if not parsed:
        report.file_errors.append("The file has no transactions below its header.")
        return report
    portfolio = _lock(portfolio)
    owner = portfolio.owner
    picks = broker_rows_resolve(
        owner=owner,
        rows=[row for row in parsed if isinstance(row, brokers.BrokerRow)],
        symbols=symbols,
    )

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
    pending_assets: dict[int, PendingAsset] = {}  # by the candidate's fake engine id
    moments: dict[int, datetime | None] = {}  # by the candidate's fake engine id
    for index, parsed_row in enumerate(parsed):
        if progress is not None and index % PROGRESS_ROWS == 0:
            progress(0.9 * index / len(parsed))  # the checks; the ledger and the save after
        row = ImportRow(
            line=parsed_row.line,
            raw=parsed_row.raw,
            errors=dict(parsed_row.errors),
            kind=parsed_row.kind if parsed_row.kind in KIND_VALUES else "",
        )
        report.rows.append(row)
        if isinstance(parsed_row, brokers.BrokerRow):
            row.identifier = parsed_row.identifier
            if not _broker_row_status(row, parsed_row):
                continue
        asset: Asset | PendingAsset | None = None
        if parsed_row.symbol:
            asset = found.get(parsed_row.symbol.upper())
            if asset is None:
                row.errors.setdefault("symbol", []).append(unknown[parsed_row.symbol.upper()])
            else:
                row.asset_name = asset.name
                row.asset_is_new = isinstance(asset, PendingAsset)
                if isinstance(parsed_row, brokers.BrokerRow):
                    minor_unit_align(parsed_row, asset.currency)
                    row.raw = portfolia_values(parsed_row)
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
            currency=parsed_row.currency
            or (
                portfolio.base_currency
                if getattr(parsed_row, "in_account_currency", False)
                else (asset.currency if asset else "")
            ),
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
            pending_assets[engine_txn.id] = asset
        moments[engine_txn.id] = getattr(parsed_row, "moment", None)
        candidates.append((row, txn, engine_txn))

    # Same-day rows in time order where the file says it (a stable sort: files without times,
    # Portfolia's own among them, keep their order).
    candidates.sort(key=lambda item: (item[1].date, moments.get(item[2].id) or datetime.min))
    _import_ledger_check(portfolio, report, stored, candidates)
    report.cash_switch_offered = any(
        row.status == ImportStatus.ERROR and row.value("kind").strip().lower() in CASH_KINDS
        for row in report.rows
    )
    _import_split_warnings(candidates)
    if not report.is_valid or dry_run:
        _import_cash_picture(portfolio, report, stored, candidates)
        if picks:  # the manual assets `symbols` asked for: shown in the preview, not kept
            db_transaction.set_rollback(True)
        return report

    to_create: list[Transaction] = []
    for row, txn, engine_txn in candidates:
        if row.status != ImportStatus.NEW:
            continue
        if engine_txn.id in pending_assets:
            txn.asset = asset_materialise(asset=pending_assets[engine_txn.id])
        to_create.append(txn)
    Transaction.objects.bulk_create(to_create)
    if to_create:
        ledger_changed(portfolio=portfolio, since=min(txn.date for txn in to_create))
    report.saved = bool(to_create)
    report.created = len(to_create)
    if to_create:
        via = audit.door_now()  # the page or the API the file came through
        with audit.door(AuditDoor.IMPORT):
            transactions_audit(
                portfolio=portfolio,
                action="import",
                rows=to_create,
                duplicates=report.duplicate_count,
                skipped=report.skipped_count,
                via=via,
            )
    broker_symbols_remember(owner=owner, picks=picks)
    if to_create:
        _on_commit_market_data(portfolio, to_create)
    return report


def _broker_row_status(row: ImportRow, parsed_row: brokers.BrokerRow) -> bool:
    """Give a broker row its preview values and its status when it is skipped, wrong or
    unresolved; True when it goes on to the checks every row gets."""
    row.raw = portfolia_values(parsed_row)
    if parsed_row.skipped:
        row.status, row.reason = ImportStatus.SKIPPED, parsed_row.skipped
        return False
    if row.errors:
        row.status = ImportStatus.ERROR
        return False
    if parsed_row.identifier and not parsed_row.symbol:
        row.status = ImportStatus.UNRESOLVED
        row.reason = f"No asset matches “{parsed_row.identifier}”: give its symbol, or “manual”."
        return False
    return True


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
