"""Import an account file (`portfolios.account_file`) into an empty account: all or nothing.

The file is checked whole first (its format and version, every key known, sizes within
`account_file`'s limits, no NUL byte, every value of its type); then every write goes through
the service that owns it — `asset_create_manual` and `prices_upsert_manual` for manual assets,
`asset_find_or_create` for catalogue ones, `portfolio_create`, `transactions_create` (each
portfolio's rows validated and replayed once, stored through `transactions_load`, the ledger's
version door), `targets_set`, `broker_symbols_remember` — inside one database transaction, so a
refusal anywhere leaves the account as it was. Problems answer `ValidationError` keyed by where
they are in the file ("portfolios[0].transactions[3].date"), or `DomainError`s of the services
(a ledger the history cannot survive; `AccountNotEmpty`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction

from market.models import Asset, ProviderName
from market.providers.base import SearchResult
from market.services import asset_create_manual, asset_find_or_create, prices_upsert_manual
from market.services.prices import ManualPrice
from portfolia.errors import DomainError
from portfolios import account_file as fmt
from portfolios.models import InstrumentSymbol, Portfolio, Transaction
from portfolios.services.broker_imports import broker_symbols_remember
from portfolios.services.portfolios import portfolio_create
from portfolios.services.targets import TargetInput, targets_set
from portfolios.services.transactions import transactions_create

# At most this many problems are named (a broken file would otherwise list thousands).
MAX_PROBLEMS = 50


class AccountNotEmpty(DomainError):
    code = "account_not_empty"


@dataclass(frozen=True)
class AccountImportSummary:
    """What an import stored."""

    portfolios: int
    transactions: int
    targets: int
    manual_assets: int
    prices: int
    instrument_symbols: int


class _Problems(Exception):
    pass


class _Reader:
    """Checks the file's values where they are, collecting problems by path."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.problems.setdefault(path or "file", []).append(message)
        if len(self.problems) >= MAX_PROBLEMS:
            raise _Problems

    def obj(self, value: Any, path: str, keys: Sequence[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, "Must be a JSON object.")
            return {}
        for key in value:
            if key not in keys:
                self.add(f"{path}.{key}" if path else str(key), "Unknown key.")
        for key in keys:
            if key not in value:
                self.add(f"{path}.{key}" if path else key, "Missing.")
        return value

    def items(self, value: Any, path: str, limit: int) -> list[Any]:
        if not isinstance(value, list):
            self.add(path, "Must be a JSON list.")
            return []
        if len(value) > limit:
            self.add(path, f"At most {limit:,} entries.")
            return []
        return value

    def text(self, value: Any, path: str, *, blank: bool = True, max_length: int = 2000) -> str:
        if not isinstance(value, str):
            self.add(path, "Must be a string.")
            return ""
        if not blank and not value.strip():
            self.add(path, "Must not be empty.")
        if len(value) > max_length:
            self.add(path, f"At most {max_length} characters.")
        return value

    def flag(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.add(path, "Must be true or false.")
            return False
        return value

    def decimal(self, value: Any, path: str, *, optional: bool = True) -> Decimal | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.add(path, "Must be a decimal number as a string.")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.add(path, "Must be a decimal number as a string.")
            return None
        if not number.is_finite() or abs(number.adjusted()) > 30:
            self.add(path, "Must be a finite number of at most 30 digits.")
            return None
        return number

    def number(self, value: Any, path: str, *, optional: bool = True) -> float | None:
        if value is None and optional:
            return None
        if not isinstance(value, bool) and isinstance(value, (int, float)):
            try:
                return float(value)
            except OverflowError:
                pass
        self.add(path, "Must be a number.")
        return None

    def date(self, value: Any, path: str) -> datetime.date | None:
        if isinstance(value, str) and len(value) == 10:
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        self.add(path, "Must be a date, YYYY-MM-DD.")
        return None


def _nul_paths(value: Any, path: str, found: list[str]) -> None:
    """Where the file holds a NUL byte (in a key or a string), at most a few."""
    if len(found) >= 5:
        return
    if isinstance(value, str):
        if "\x00" in value:
            found.append(path or "file")
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                found.append(path or "file")
            _nul_paths(item, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _nul_paths(item, f"{path}[{index}]", found)


@dataclass
class _Plan:
    """The file, read: what to write, in order."""

    catalogue: list[dict[str, Any]]
    manual: list[tuple[dict[str, Any], list[ManualPrice]]]
    portfolios: list[tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]
    symbols: list[tuple[str, str]]


def _read(document: Any) -> _Plan:
    """The file checked whole; ValidationError naming every problem (up to MAX_PROBLEMS)."""
    reader = _Reader()
    plan = _Plan([], [], [], [])
    try:
        nul = []
        _nul_paths(document, "", nul)
        for path in nul:
            reader.add(path, "Contains a NUL byte.")
        if nul:
            raise _Problems
        if not isinstance(document, dict):
            reader.add("file", "Must be a JSON object.")
            raise _Problems
        top = reader.obj(document, "", fmt.TOP_KEYS)
        if top.get("format") != fmt.FORMAT:
            reader.add("format", f'Must be "{fmt.FORMAT}": this is not a Portfolia account file.')
        version = top.get("version")
        if version != fmt.VERSION or isinstance(version, bool):
            reader.add("version", f"This file is version {version!r}; this Portfolia reads 1.")
        if reader.problems:
            raise _Problems
        reader.text(top["exported_at"], "exported_at", max_length=40)
        _read_assets(reader, top, plan)
        _read_portfolios(reader, top, plan)
        for index, row in enumerate(
            reader.items(top["instrument_symbols"], "instrument_symbols", fmt.MAX_SYMBOLS)
        ):
            path = f"instrument_symbols[{index}]"
            row = reader.obj(row, path, fmt.SYMBOL_KEYS)
            plan.symbols.append(
                (
                    reader.text(
                        row.get("identifier"), f"{path}.identifier", blank=False, max_length=100
                    ),
                    reader.text(row.get("symbol"), f"{path}.symbol", blank=False, max_length=32),
                )
            )
    except _Problems:
        pass
    except RecursionError:
        reader.problems.setdefault("file", []).append("Nested too deeply.")
    if reader.problems:
        raise ValidationError(reader.problems)
    return plan


def _read_assets(reader: _Reader, top: dict, plan: _Plan) -> None:
    for index, row in enumerate(
        reader.items(top["catalogue_assets"], "catalogue_assets", fmt.MAX_ASSETS)
    ):
        path = f"catalogue_assets[{index}]"
        row = reader.obj(row, path, fmt.CATALOGUE_ASSET_KEYS)
        for key in fmt.CATALOGUE_ASSET_KEYS:
            reader.text(row.get(key), f"{path}.{key}", blank=key == "exchange", max_length=200)
        provider = row.get("provider")
        if provider == fmt.MANUAL or provider not in ProviderName.values:
            reader.add(f"{path}.provider", f"Not a data provider: {provider!r}.")
        plan.catalogue.append(row)
    for index, row in enumerate(
        reader.items(top["manual_assets"], "manual_assets", fmt.MAX_ASSETS)
    ):
        path = f"manual_assets[{index}]"
        row = reader.obj(row, path, fmt.MANUAL_ASSET_KEYS)
        for key in fmt.MANUAL_ASSET_KEYS[:-1]:
            reader.text(row.get(key), f"{path}.{key}", blank=key == "exchange", max_length=200)
        prices = []
        for number, bar in enumerate(
            reader.items(row.get("prices"), f"{path}.prices", fmt.MAX_PRICES)
        ):
            where = f"{path}.prices[{number}]"
            bar = reader.obj(bar, where, fmt.PRICE_KEYS)
            day = reader.date(bar.get("date"), f"{where}.date")
            close = reader.number(bar.get("close"), f"{where}.close", optional=False)
            values = {k: reader.number(bar.get(k), f"{where}.{k}") for k in ("open", "high", "low")}
            volume = bar.get("volume")
            if volume is not None and (isinstance(volume, bool) or not isinstance(volume, int)):
                reader.add(f"{where}.volume", "Must be a whole number.")
                volume = None
            if day is not None and close is not None:
                prices.append(ManualPrice(date=day, close=close, volume=volume, **values))
        plan.manual.append((row, prices))


def _read_portfolios(reader: _Reader, top: dict, plan: _Plan) -> None:
    for index, row in enumerate(reader.items(top["portfolios"], "portfolios", fmt.MAX_PORTFOLIOS)):
        path = f"portfolios[{index}]"
        row = reader.obj(row, path, fmt.PORTFOLIO_KEYS)
        for key in ("name", "description", "base_currency", "cost_basis_method"):
            reader.text(row.get(key), f"{path}.{key}", blank=key == "description")
        for key in ("records_cash", "cash_per_currency"):
            reader.flag(row.get(key), f"{path}.{key}")
        if row.get("benchmark") is not None:
            reader.text(row.get("benchmark"), f"{path}.benchmark", max_length=200)
        txns = []
        for number, txn in enumerate(
            reader.items(row.get("transactions"), f"{path}.transactions", fmt.MAX_TRANSACTIONS)
        ):
            where = f"{path}.transactions[{number}]"
            txn = reader.obj(txn, where, fmt.TRANSACTION_KEYS)
            values = {
                "kind": reader.text(txn.get("kind"), f"{where}.kind", blank=False, max_length=10),
                "date": reader.date(txn.get("date"), f"{where}.date"),
                "asset": txn.get("asset"),
                "currency": reader.text(txn.get("currency"), f"{where}.currency", max_length=3),
                "note": reader.text(txn.get("note"), f"{where}.note", max_length=500),
                "external_id": reader.text(
                    txn.get("external_id"), f"{where}.external_id", max_length=100
                ),
            }
            if values["asset"] is not None:
                reader.text(values["asset"], f"{where}.asset", max_length=200)
            for key in fmt.DECIMAL_KEYS:
                values[key] = reader.decimal(txn.get(key), f"{where}.{key}", optional=key != "fee")
            txns.append(values)
        targets = []
        for number, target in enumerate(
            reader.items(row.get("targets"), f"{path}.targets", fmt.MAX_TARGETS)
        ):
            where = f"{path}.targets[{number}]"
            target = reader.obj(target, where, fmt.TARGET_KEYS)
            if target.get("asset") is not None:
                reader.text(target.get("asset"), f"{where}.asset", max_length=200)
            targets.append(
                {
                    "asset": target.get("asset"),
                    "asset_class": reader.text(
                        target.get("asset_class"), f"{where}.asset_class", max_length=10
                    ),
                    "cash": reader.flag(target.get("cash"), f"{where}.cash"),
                    "weight": reader.decimal(
                        target.get("weight"), f"{where}.weight", optional=False
                    ),
                    "band": reader.decimal(target.get("band"), f"{where}.band"),
                }
            )
        plan.portfolios.append((row, txns, targets))


def _prefixed(error: ValidationError, path: str) -> ValidationError:
    """A service's ValidationError with its fields placed where they are in the file."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                f"{path}.{key}" if key != "__all__" else path: value
                for key, value in error.message_dict.items()
            }
        )
    return ValidationError({path: error.messages})


def _at(path: str, write: Callable[[], Any]) -> Any:
    try:
        return write()
    except ValidationError as error:
        raise _prefixed(error, path) from error


def _account_is_empty(owner) -> bool:
    return not (
        Portfolio.objects.filter(owner=owner).exists()
        or Asset.objects.filter(owner=owner).exists()
        or InstrumentSymbol.objects.filter(owner=owner).exists()
    )


@db_transaction.atomic
def account_import(*, owner, document: Mapping[str, Any]) -> AccountImportSummary:
    """Store the account file `document` for `owner`, whose account must be empty (no
    portfolios, manual assets or remembered symbols): everything or, on any problem, nothing."""
    plan = _read(document)
    # Two imports at once into one account: the second waits here, then finds it not empty.
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
    if not _account_is_empty(owner):
        raise AccountNotEmpty(
            "An account file is imported into an empty account only: this one already has "
            "portfolios, manual assets or remembered broker symbols."
        )
    assets: dict[str, Asset] = {}
    for index, row in enumerate(plan.catalogue):
        result = SearchResult(**{key: row[key] for key in fmt.CATALOGUE_ASSET_KEYS})
        asset = _at(
            f"catalogue_assets[{index}]", lambda result=result: asset_find_or_create(result=result)
        )
        assets[f"{row['provider']}:{row['symbol']}"] = asset
    prices = 0
    for index, (row, bars) in enumerate(plan.manual):
        path = f"manual_assets[{index}]"
        fields = {key: row[key] for key in fmt.MANUAL_ASSET_KEYS[:-1]}
        asset = _at(path, lambda fields=fields: asset_create_manual(owner=owner, **fields))
        assets[fmt.asset_ref(asset)] = asset
        if bars:
            _at(
                f"{path}.prices",
                lambda asset=asset, bars=bars: prices_upsert_manual(
                    user=owner, asset=asset, prices=bars
                ),
            )
            prices += len(bars)

    def asset_of(ref: str | None, path: str) -> Asset | None:
        if ref is None:
            return None
        if ref not in assets:
            raise ValidationError(
                {path: [f"{ref!r} is not listed in catalogue_assets or manual_assets."]}
            )
        return assets[ref]

    counts = {"transactions": 0, "targets": 0}
    for index, (row, txns, targets) in enumerate(plan.portfolios):
        path = f"portfolios[{index}]"
        benchmark = asset_of(row["benchmark"], f"{path}.benchmark")
        portfolio = _at(
            path,
            lambda row=row, benchmark=benchmark: portfolio_create(
                owner=owner,
                name=row["name"],
                description=row["description"],
                base_currency=row["base_currency"],
                cost_basis_method=row["cost_basis_method"],
                benchmark=benchmark,
                records_cash=row["records_cash"],
                cash_per_currency=row["cash_per_currency"],
            ),
        )
        rows = [
            Transaction(
                **{key: value for key, value in values.items() if key != "asset"},
                asset=asset_of(values["asset"], f"{path}.transactions[{number}].asset"),
            )
            for number, values in enumerate(txns)
        ]
        if rows:
            _at(
                f"{path}.transactions",
                lambda portfolio=portfolio, rows=rows: transactions_create(
                    portfolio=portfolio, transactions=rows
                ),
            )
        if targets:
            inputs = [
                TargetInput(
                    weight=target["weight"],
                    asset=asset_of(target["asset"], f"{path}.targets[{number}].asset"),
                    asset_class=target["asset_class"],
                    cash=target["cash"],
                    band=target["band"],
                )
                for number, target in enumerate(targets)
            ]
            _at(
                path,
                lambda portfolio=portfolio, inputs=inputs: targets_set(
                    portfolio=portfolio, targets=inputs
                ),
            )
        counts["transactions"] += len(rows)
        counts["targets"] += len(targets)
    broker_symbols_remember(owner=owner, picks=plan.symbols)
    return AccountImportSummary(
        portfolios=len(plan.portfolios),
        transactions=counts["transactions"],
        targets=counts["targets"],
        manual_assets=len(plan.manual),
        prices=prices,
        instrument_symbols=len(plan.symbols),
    )
