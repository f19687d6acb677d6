"""Broker files in the transactions import: each row's instrument matched to an asset (the
user's `symbols` answers, their remembered answers, the data provider's search by ISIN, an exact
ticker, then a name), `manual` answers made manual assets, and the answers remembered.

One provider look-up per distinct instrument (the search is cached by `market.selectors`), never
per row, and at most MAX_INSTRUMENT_LOOKUPS per file: the rest stay `unresolved`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from market import selectors as market_selectors
from market.models import Asset, AssetClass
from market.services import asset_create_manual, assets_resolve
from portfolia.validators import control_character_problem
from portfolios.brokers import BrokerRow
from portfolios.models import InstrumentSymbol

MANUAL = "manual"
MAX_SYMBOL_ANSWERS = 1000
MAX_INSTRUMENT_LOOKUPS = 100
TRADE_KINDS = ("buy", "sell")


def symbol_answers_problem(answers: Mapping[str, str]) -> str | None:
    """Why a `symbols` map (identifier → symbol or "manual") is refused, or None."""
    if len(answers) > MAX_SYMBOL_ANSWERS:
        return f"At most {MAX_SYMBOL_ANSWERS} answers."
    for key, value in answers.items():
        problem = control_character_problem(key + value)
        if problem or not key.strip() or not value.strip():
            return f"“{key[:40]}”: {problem or 'identifier and symbol must not be empty'}."
        if len(key) > 100 or len(value) > 32:
            return f"“{key[:40]}”: identifiers hold 100 characters, symbols 32."
    return None


def _provider_match(row: BrokerRow) -> str | None:
    """The provider's symbol for the row's ISIN (its first hit: Yahoo answers ISINs with the
    primary listing first), else for its name when exactly one result bears that name."""
    if row.isin:
        results = market_selectors.provider_search(query=row.isin, limit=5).results
        if results:
            return results[0].symbol
    if row.name and not row.ticker:
        results = market_selectors.provider_search(query=row.name, limit=5).results
        named = [result for result in results if result.name.lower() == row.name.lower()]
        if len(named) == 1:
            return named[0].symbol
    return None


def _manual_asset(owner, row: BrokerRow) -> Asset:
    symbol = (row.ticker or row.isin or row.name)[:32].upper()
    existing = Asset.objects.filter(owner=owner, symbol=symbol).first()
    if existing is not None:
        return existing
    return asset_create_manual(
        owner=owner,
        symbol=symbol,
        name=(row.name or row.identifier)[:200],
        asset_class=AssetClass.OTHER,
        currency=row.currency or "USD",
    )


def broker_rows_resolve(
    *, owner, rows: Sequence[BrokerRow], symbols: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Set `symbol` on every row whose instrument is matched; leave it empty (unresolved) on the
    others. Returns the (identifier, symbol) answers taken from `symbols`, to remember.

    A `manual` answer creates the owner's manual asset for the instrument (inside the caller's
    transaction: a dry run rolls it back)."""
    given = {key.strip().upper(): value.strip() for key, value in (symbols or {}).items()}
    wanted: dict[str, BrokerRow] = {}  # one row per instrument, a trade's first (its currency)
    for row in rows:
        if row.identifier and not row.skipped:
            key = row.identifier.upper()
            if key not in wanted or (
                row.kind in TRADE_KINDS and wanted[key].kind not in TRADE_KINDS
            ):
                wanted[key] = row
    remembered = dict(
        InstrumentSymbol.objects.filter(owner=owner, identifier__in=list(wanted)).values_list(
            "identifier", "symbol"
        )
    )
    answers: dict[str, str] = {}
    picks: list[tuple[str, str]] = []
    tickers: dict[str, str] = {}
    lookups = 0
    for identifier, row in wanted.items():
        if identifier in given:
            choice = given[identifier]
            symbol = _manual_asset(owner, row).symbol if choice.lower() == MANUAL else choice
            answers[identifier] = symbol
            picks.append((identifier, symbol))
        elif identifier in remembered:
            answers[identifier] = remembered[identifier]
        elif lookups < MAX_INSTRUMENT_LOOKUPS and (row.isin or (row.name and not row.ticker)):
            lookups += 1
            symbol = _provider_match(row)
            if symbol:
                answers[identifier] = symbol
            elif row.ticker:
                tickers[identifier] = row.ticker
        elif row.ticker:
            tickers[identifier] = row.ticker
    if tickers:  # exact tickers: local assets first, then the provider (assets_resolve's rules)
        found, _unknown = assets_resolve(owner=owner, symbols=tickers.values())
        for identifier, ticker in tickers.items():
            if ticker.upper() in found:
                answers[identifier] = found[ticker.upper()].symbol
    for row in rows:
        if not row.skipped and row.identifier:
            row.symbol = answers.get(row.identifier.upper(), "")
    return picks


def minor_unit_align(row: BrokerRow, asset_currency: str) -> None:
    """A row in pounds for an asset quoted in pence (Yahoo's `GBp`): price and fee back in
    pence, so they are in the asset's currency."""
    if row.currency == "GBP" and asset_currency in ("GBp", "GBX") and row.kind in TRADE_KINDS:
        row.currency = asset_currency
        row.price = row.price * 100 if row.price is not None else None
        row.fee = row.fee * 100 if row.fee else Decimal(0)


def portfolia_values(row: BrokerRow) -> dict[str, str]:
    """The row in Portfolia's columns (what the preview shows), plus its instrument."""
    values = {
        "date": row.date.isoformat() if row.date else "",
        "kind": row.kind,
        "symbol": row.symbol,
        "identifier": row.identifier,
        "name": row.name,
        "currency": row.currency,
        "note": row.note,
        "external_id": row.external_id,
    }
    for name in ("quantity", "price", "amount", "ratio", "fee", "fx_rate"):
        value = getattr(row, name)
        values[name] = (
            "" if value is None or (name == "fee" and not value) else f"{value.normalize():f}"
        )
    return values


def broker_symbols_remember(*, owner, picks: Sequence[tuple[str, str]]) -> None:
    for identifier, symbol in picks:
        InstrumentSymbol.objects.update_or_create(
            owner=owner, identifier=identifier[:100], defaults={"symbol": symbol[:32]}
        )
