"""Reads shared by the pages, the API, the admin and tasks.

Object access goes through `portfolio_get_for_user` (scoped by owner, 404 otherwise). Valuations
(`holdings`, `portfolio_list_with_summary`) load the transactions, the assets and the price and
FX closes they need in a bounded number of queries, whatever the number of holdings or
portfolios, and hand plain values to `portfolios.engine`. `portfolio_performance` is the one
function behind the Performance page and its API twin (the read model, with its caching,
lives in `portfolios.performance`).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from market import selectors as market_selectors
from market.models import Asset, AssetClass, CorporateAction
from portfolia.money import plain
from portfolios import importers
from portfolios.engine.ledger import LedgerState, NegativeCash, replay
from portfolios.engine.market import (
    Closes,
    FxTable,
    MissingFxRate,
    PriceTable,
    fx_pair_symbols,
)
from portfolios.engine.types import CASH_RECORD_KINDS, Kind, LedgerError, Txn, format_date
from portfolios.engine.valuation import value_holdings
from portfolios.models import TXN_COLUMNS, Portfolio, Transaction, txns_from_rows

# The performance read model's entry point, re-exported: the pages and the API call it here.
from portfolios.performance import portfolio_performance as portfolio_performance
from portfolios.performance.loading import closes_with_previous

ZERO = Decimal(0)
ONE_DAY = datetime.timedelta(days=1)
# Closes are read for this many days before the valuation day in one query; assets without
# one in that window get their latest earlier close from a second query.
PRICE_WINDOW_DAYS = 14
SUMMARY_TIMEOUT = 24 * 3600  # the dashboard's figures, under a key of everything they read
# A market price older than this (in days before the valuation day) is flagged as stale.
STALE_AFTER_DAYS = 4


# --- Access --------------------------------------------------------------------------------------


def _parse_uuid(value: object) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as error:
        raise Http404("No such object.") from error


def portfolio_queryset_for_user(user) -> QuerySet[Portfolio]:
    """The user's portfolios (none for an anonymous user)."""
    if not getattr(user, "is_authenticated", False):
        return Portfolio.objects.none()
    return Portfolio.objects.filter(owner=user).select_related("benchmark")


def portfolio_get_for_user(user, public_id: object) -> Portfolio:
    """The user's portfolio with this public id; Http404 for anyone else's or a malformed id."""
    try:
        return portfolio_queryset_for_user(user).get(public_id=_parse_uuid(public_id))
    except Portfolio.DoesNotExist as error:
        raise Http404("No such portfolio.") from error


def transaction_queryset(*, portfolio: Portfolio) -> QuerySet[Transaction]:
    """The portfolio's transactions in entry order, assets preloaded."""
    return (
        Transaction.objects.filter(portfolio=portfolio)
        .select_related("asset")
        .order_by("date", "id")
    )


def transaction_list(
    *,
    portfolio: Portfolio,
    asset: Asset | None = None,
    kind: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    newest_first: bool = True,
) -> QuerySet[Transaction]:
    """The portfolio's transactions, filtered; newest first for lists by default."""
    queryset = transaction_queryset(portfolio=portfolio)
    if asset is not None:
        queryset = queryset.filter(asset=asset)
    if kind:
        queryset = queryset.filter(kind=kind)
    if start is not None:
        queryset = queryset.filter(date__gte=start)
    if end is not None:
        queryset = queryset.filter(date__lte=end)
    return queryset.order_by("-date", "-id") if newest_first else queryset


def transaction_get_for_portfolio(*, portfolio: Portfolio, public_id: object) -> Transaction:
    """A transaction of this (already owner-checked) portfolio; Http404 otherwise."""
    try:
        return transaction_queryset(portfolio=portfolio).get(public_id=_parse_uuid(public_id))
    except Transaction.DoesNotExist as error:
        raise Http404("No such transaction.") from error


def asset_queryset_for_user(user) -> QuerySet[Asset]:
    """Assets a user may use: the shared catalogue and their own manual assets."""
    if not getattr(user, "is_authenticated", False):
        return Asset.objects.filter(owner__isnull=True)
    return market_selectors.assets_visible(user=user)


@dataclass(frozen=True)
class AssetOption:
    """A suggestion of the transaction form's asset picker."""

    symbol: str
    name: str
    asset_class: str
    currency: str
    is_new: bool  # known to the data provider, added to the catalogue when first used


def asset_options_for_user(*, user, query: str, limit: int = 12) -> list[AssetOption]:
    """Assets matching a typed symbol or name: the catalogue's and the user's own first, then
    the data provider's (its cached search with a short timeout: the one provider call a page
    may make)."""
    query = query.strip()
    if not query:
        return []
    found = market_selectors.asset_search(user=user, query=query, limit=limit)
    options = [
        AssetOption(
            asset.symbol, asset.name, asset.get_asset_class_display(), asset.currency, False
        )
        for asset in found.local
        if asset.asset_class != AssetClass.FX
    ]
    labels = dict(AssetClass.choices)
    options += [
        AssetOption(
            result.symbol,
            result.name,
            labels.get(result.asset_class, result.asset_class),
            result.currency,
            True,
        )
        for result in found.remote
    ]
    return options[:limit]


# --- Transactions as engine values -------------------------------------------------------------


def txn_from_values(row: Sequence) -> Txn:
    """A `Txn` from one `values_list(*TXN_COLUMNS)` row."""
    return txns_from_rows([row])[0]


def txns_by_portfolio(*, portfolio_ids: Iterable[int]) -> dict[int, list[Txn]]:
    """Every transaction of these portfolios as engine values, in entry order (one query)."""
    rows_by_portfolio: dict[int, list] = defaultdict(list)
    rows = (
        Transaction.objects.filter(portfolio_id__in=list(portfolio_ids))
        .order_by("date", "id")
        .values_list(*TXN_COLUMNS)
    )
    for row in rows:
        rows_by_portfolio[row[1]].append(row)
    return {pk: txns_from_rows(group) for pk, group in rows_by_portfolio.items()}


# --- Market data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketData:
    """Closes for a valuation: prices per asset id and one FX table per base currency."""

    prices: PriceTable
    fx: dict[str, FxTable]


def market_data_load(
    *,
    owner,
    asset_ids: Iterable[int],
    currencies_by_base: dict[str, set[str]],
    day: datetime.date,
) -> MarketData:
    """Closes up to `day` for the assets (a recent window, enough for `day` and the day
    before) and full FX histories for the currency pairs, in at most three queries (the FX
    pair assets, the closes and the latest older closes of assets with none in the window)."""
    asset_ids = set(asset_ids)
    pairs = {
        (currency, base): fx_pair_symbols(currency, base)
        for base, currencies in currencies_by_base.items()
        for currency in FxTable.required_pairs(currencies, base)
    }
    fx_asset_by_symbol: dict[str, int] = {}
    if pairs:
        # The one FX-pair rule (`market.selectors.fx_pair_assets`): the owner's priced manual pair
        # before the catalogue's, the direct pair before the inverse (the engine takes the first
        # of them with a close).
        choices = market_selectors.fx_pair_assets(owner_id=getattr(owner, "pk", owner), pairs=pairs)
        for assets in choices.values():
            for asset in assets:
                fx_asset_by_symbol[asset.symbol] = asset.pk
    fx_ids = set(fx_asset_by_symbol.values())

    # A recent window of each asset's closes (its latest earlier close too when the window has
    # none before `day`: forward-filling needs one for `day - 1` and, lacking later bars, `day`)
    # and the FX pairs' whole histories, up to `day`.
    window_start = day - datetime.timedelta(days=PRICE_WINDOW_DAYS)
    requests: dict[int, datetime.date | None] = dict.fromkeys(sorted(asset_ids), window_start)
    requests.update(dict.fromkeys(sorted(fx_ids)))
    closes = closes_with_previous(
        requests, previous_before=dict.fromkeys(sorted(asset_ids - fx_ids), day), until=day
    )
    prices = PriceTable(closes)
    fx_tables: dict[str, FxTable] = {}
    for base in currencies_by_base:
        pairs: dict[str, Closes] = {}
        for symbol, asset_id in fx_asset_by_symbol.items():
            series = prices.series(asset_id)
            if series is not None:
                pairs[symbol] = series
        fx_tables[base] = FxTable(base, pairs)
    return MarketData(prices=prices, fx=fx_tables)


# --- Holdings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldingRow:
    """One open position valued on a day. Prices and average cost are per unit in the asset's
    currency; cost basis, values and gains are in the portfolio's base currency."""

    asset: Asset
    currency: str
    quantity: Decimal
    average_cost: Decimal | None
    cost_basis: Decimal
    price: Decimal
    price_date: datetime.date | None
    price_is_market: bool
    is_stale: bool
    fx_rate: Decimal
    market_value_local: Decimal
    market_value: Decimal
    unrealized_gain: Decimal
    unrealized_gain_pct: Decimal | None
    realized_gain: Decimal
    income: Decimal
    fees: Decimal
    weight: Decimal | None

    @property
    def symbol(self) -> str:
        return self.asset.symbol


@dataclass(frozen=True)
class AllocationSlice:
    key: str
    label: str
    value: Decimal
    weight: Decimal | None


ALLOCATION_KINDS = ("asset", "asset_class", "currency")


@dataclass(frozen=True)
class Holdings:
    """A portfolio on a day: its open positions and the totals, in the base currency.

    `total_value` includes cash when the portfolio records cash (`Portfolio.records_cash`);
    `cash` is then the cash balance in the base currency, else 0. Weights are shares of
    `total_value` (DESIGN §4 "Value"): the rows' weights and `cash_weight` add up to 100 %, a
    negative cash balance making the rows' sum more than 100 %. `negative_cash` names each cash
    balance that went below zero (first day and that balance; empty without cash records).
    `total_gain` is DESIGN §4's gain since the first transaction: value minus net external
    inflows. `pending` explains why values are missing (an exchange rate not loaded yet).
    """

    portfolio: Portfolio
    date: datetime.date
    currency: str
    records_cash: bool
    rows: list[HoldingRow]
    securities_value: Decimal
    cash: Decimal
    cash_by_currency: dict[str, Decimal]
    cash_values: dict[str, Decimal]
    total_value: Decimal
    cost_basis: Decimal
    unrealized_gain: Decimal
    unrealized_gain_pct: Decimal | None
    realized_gain: Decimal
    income: Decimal
    fees: Decimal
    taxes: Decimal
    net_invested: Decimal
    total_gain: Decimal
    transaction_count: int
    pending: str | None = None
    by_asset_id: dict[int, HoldingRow] = field(default_factory=dict, repr=False)
    negative_cash: list[NegativeCash] = field(default_factory=list)
    cash_per_currency: bool = False

    @property
    def charges(self) -> Decimal:
        """Fees and taxes paid."""
        return self.fees + self.taxes

    @property
    def cash_weight(self) -> Decimal | None:
        """Cash as a share of the value (None without cash records or without a value)."""
        if not self.records_cash:
            return None
        return share(self.cash, self.total_value)

    @property
    def cash_is_negative(self) -> bool:
        return self.records_cash and self.cash < 0

    def allocation(self, by: str = "asset") -> list[AllocationSlice]:
        """The value split by asset, asset class or currency, largest first. Each holding
        counts in its own currency; cash is its own slice ("cash") by asset and asset class,
        and counts in its currency by currency. Weights are shares of `total_value`, as in the
        holdings table, so they add up to 100 %; a negative cash slice is kept (the pages name
        it) and makes the others add up to more."""
        if by not in ALLOCATION_KINDS:
            raise ValueError(f"allocation by {by!r}: choose one of {ALLOCATION_KINDS}")
        totals: dict[str, Decimal] = defaultdict(Decimal)
        labels: dict[str, str] = {}
        for row in self.rows:
            if by == "asset":
                key, label = row.asset.symbol, row.asset.name
            elif by == "asset_class":
                key, label = row.asset.asset_class, row.asset.get_asset_class_display()
            else:
                key, label = row.currency, row.currency
            totals[key] += row.market_value
            labels[key] = label
        if self.records_cash:
            if by == "currency":
                for currency, value in self.cash_values.items():
                    labels.setdefault(currency, currency)
                    totals[currency] += value
            elif self.cash:
                totals["cash"] += self.cash
                labels["cash"] = "Cash"
        total = self.total_value
        slices = [
            AllocationSlice(key, labels[key], value, share(value, total))
            for key, value in totals.items()
            if value
        ]
        slices.sort(key=lambda item: (-item.value, item.key))
        return slices


def share(part: Decimal, total: Decimal) -> Decimal | None:
    """`part` as a share of `total` (weights, allocation slices); None when the total is not a
    positive finite value (an empty portfolio, or a stored price too large to value)."""
    if not (total.is_finite() and total > 0 and part.is_finite()):
        return None
    return part / total


def _d(value: float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def _build_holdings(
    *,
    portfolio: Portfolio,
    txns: Sequence[Txn],
    assets: dict[int, Asset],
    market: MarketData,
    day: datetime.date,
    checkpoint: LedgerState | None = None,
) -> tuple[Holdings, LedgerState | None]:
    base = portfolio.base_currency
    fx = market.fx.get(base) or FxTable(base)
    try:
        state = replay(
            txns,
            fx=fx,
            until=day,
            checkpoint=checkpoint,
            **portfolio.ledger_options,
        )
        valuation = value_holdings(state, prices=market.prices, fx=fx, day=day)
    except MissingFxRate as error:
        return _pending_holdings(portfolio, day, txns, error.message), None
    rows: list[HoldingRow] = []
    total_value = _d(valuation.value)
    for value in valuation.holdings:
        position = state.positions[value.asset_id]
        market_value = _d(value.value_base)
        cost_basis = position.cost_base
        gain = market_value - cost_basis
        price = _d(value.price)
        rows.append(
            HoldingRow(
                asset=assets[value.asset_id],
                currency=value.currency,
                quantity=value.quantity,
                average_cost=position.average_cost_local,
                cost_basis=cost_basis,
                price=price,
                price_date=value.price_date,
                price_is_market=value.price_is_market,
                is_stale=value.price_date is None
                or (day - value.price_date).days > STALE_AFTER_DAYS,
                fx_rate=_d(value.fx_rate),
                market_value_local=value.quantity * price,
                market_value=market_value,
                unrealized_gain=gain,
                unrealized_gain_pct=gain / cost_basis if cost_basis else None,
                realized_gain=position.realized_gain_base,
                income=position.income_base,
                fees=position.fees_base,
                weight=share(market_value, total_value),
            )
        )
    rows.sort(key=lambda row: (-row.market_value, row.asset.symbol))
    cost_basis = sum((row.cost_basis for row in rows), ZERO)
    unrealized = sum((row.unrealized_gain for row in rows), ZERO)
    cash_values: dict[str, Decimal] = {}
    cash = ZERO
    if state.records_cash:
        for currency, balance in valuation.cash_by_currency.items():
            cash_values[currency] = balance * _d(fx.rate(currency, day))
        cash = _d(valuation.cash_value)
    net_invested = state.net_invested_base
    holdings = Holdings(
        portfolio=portfolio,
        date=day,
        currency=base,
        records_cash=state.records_cash,
        rows=rows,
        securities_value=_d(valuation.securities_value),
        cash=cash,
        cash_by_currency=dict(valuation.cash_by_currency),
        cash_values=cash_values,
        total_value=total_value,
        cost_basis=cost_basis,
        unrealized_gain=unrealized,
        unrealized_gain_pct=unrealized / cost_basis if cost_basis else None,
        realized_gain=state.realized_gain_base,
        income=state.income_base,
        fees=state.fees_base,
        taxes=state.taxes_base,
        net_invested=net_invested,
        total_gain=total_value - net_invested,
        transaction_count=state.txn_count,
        by_asset_id={row.asset.pk: row for row in rows},
        negative_cash=state.negative_cash_list(),
        cash_per_currency=state.cash_per_currency,
    )
    return holdings, state


def _pending_holdings(
    portfolio: Portfolio, day: datetime.date, txns: Sequence[Txn], message: str
) -> Holdings:
    return Holdings(
        portfolio=portfolio,
        date=day,
        currency=portfolio.base_currency,
        records_cash=False,
        rows=[],
        securities_value=ZERO,
        cash=ZERO,
        cash_by_currency={},
        cash_values={},
        total_value=ZERO,
        cost_basis=ZERO,
        unrealized_gain=ZERO,
        unrealized_gain_pct=None,
        realized_gain=ZERO,
        income=ZERO,
        fees=ZERO,
        taxes=ZERO,
        net_invested=ZERO,
        total_gain=ZERO,
        transaction_count=sum(1 for txn in txns if txn.date <= day),
        pending=f"Exchange rates are still loading, so values cannot be shown yet. {message}",
    )


def _currencies_by_base(portfolios: Iterable[Portfolio], txns: dict[int, list[Txn]]):
    needed: dict[str, set[str]] = defaultdict(set)
    for portfolio in portfolios:
        needed[portfolio.base_currency].update(txn.currency for txn in txns.get(portfolio.pk, []))
    return needed


def _holdings_inputs(
    portfolio: Portfolio, day: datetime.date
) -> tuple[list[Txn], dict[int, Asset], MarketData]:
    """What valuing `portfolio` on `day` needs: its transactions, the assets held by then and
    their market data (3-5 queries, see `holdings`)."""
    txns = txns_by_portfolio(portfolio_ids=[portfolio.pk]).get(portfolio.pk, [])
    asset_ids = {txn.asset_id for txn in txns if txn.asset_id is not None and txn.date <= day}
    assets = Asset.objects.in_bulk(sorted(asset_ids)) if asset_ids else {}
    market = market_data_load(
        owner=portfolio.owner_id,
        asset_ids=asset_ids,
        currencies_by_base=_currencies_by_base([portfolio], {portfolio.pk: txns}),
        day=day,
    )
    return txns, assets, market


def holdings(*, portfolio: Portfolio, date: datetime.date | None = None) -> Holdings:
    """The portfolio on `date` (today when None): positions, values, gains and totals.

    Queries: transactions (1), assets (1), FX pair assets (1 when a foreign currency is used),
    closes (1) and the latest older closes of assets with no recent bar (at most 1).
    Raises LedgerError if the stored history is impossible (the services never store one).
    """
    day = date or timezone.localdate()
    txns, assets, market = _holdings_inputs(portfolio, day)
    result, _state = _build_holdings(
        portfolio=portfolio, txns=txns, assets=assets, market=market, day=day
    )
    return result


# --- Cash: the picture under each choice -----------------------------------------------------------


CASH_MODES = {
    "securities": (False, False),
    "cash": (True, False),
    "cash_per_currency": (True, True),
}


def cash_mode(records_cash: bool, cash_per_currency: bool) -> str:
    """The name of a pair of cash choices ("securities", "cash", "cash_per_currency")."""
    if not records_cash:
        return "securities"
    return "cash_per_currency" if cash_per_currency else "cash"


@dataclass(frozen=True)
class CashChoiceFigures:
    """The portfolio today under one pair of cash choices."""

    mode: str
    records_cash: bool
    cash_per_currency: bool
    value: Decimal
    net_invested: Decimal
    total_gain: Decimal
    cash: Decimal
    negative_cash: list[NegativeCash]
    pending: str | None = None


@dataclass(frozen=True)
class CashRecordsPreview:
    """What changing a portfolio's cash choices would change (DESIGN §4 "External flows"):
    its value, net money in and gain today under the current and the proposed choices, the
    negative cash the proposed one would show, and how many deposits and withdrawals it would
    ignore (without cash records they count for nothing)."""

    portfolio: Portfolio
    date: datetime.date
    currency: str
    current: CashChoiceFigures
    proposed: CashChoiceFigures
    ignored_cash_records: int

    @property
    def changes(self) -> bool:
        return self.current.mode != self.proposed.mode


def _variant(portfolio: Portfolio, records_cash: bool, cash_per_currency: bool) -> Portfolio:
    """An unsaved copy of the portfolio with other cash choices (to compute, never to save)."""
    variant = Portfolio(
        **{
            f.attname: getattr(portfolio, f.attname)
            for f in Portfolio._meta.concrete_fields
            if f.attname != "id"
        }
    )
    variant.pk = portfolio.pk
    variant.records_cash = records_cash
    variant.cash_per_currency = bool(records_cash and cash_per_currency)
    return variant


def cash_records_preview(
    *,
    portfolio: Portfolio,
    records_cash: bool,
    cash_per_currency: bool = False,
    date: datetime.date | None = None,
) -> CashRecordsPreview:
    """The preview `services.portfolio_cash_records_change` is confirmed after (one load of
    transactions and market data, two valuations)."""
    day = date or timezone.localdate()
    txns, assets, market = _holdings_inputs(portfolio, day)

    def figures(choice: tuple[bool, bool]) -> CashChoiceFigures:
        variant = _variant(portfolio, *choice)
        snapshot, _state = _build_holdings(
            portfolio=variant, txns=txns, assets=assets, market=market, day=day
        )
        return CashChoiceFigures(
            mode=cash_mode(variant.records_cash, variant.cash_per_currency),
            records_cash=variant.records_cash,
            cash_per_currency=variant.cash_per_currency,
            value=snapshot.total_value,
            net_invested=snapshot.net_invested,
            total_gain=snapshot.total_gain,
            cash=snapshot.cash,
            negative_cash=snapshot.negative_cash,
            pending=snapshot.pending,
        )

    current = figures((portfolio.records_cash, portfolio.cash_per_currency))
    proposed = figures((records_cash, cash_per_currency))
    ignored = 0
    if not records_cash:
        ignored = sum(1 for txn in txns if txn.kind in CASH_RECORD_KINDS)
    return CashRecordsPreview(
        portfolio=portfolio,
        date=day,
        currency=portfolio.base_currency,
        current=current,
        proposed=proposed,
        ignored_cash_records=ignored,
    )


def negative_cash_with(
    *, portfolio: Portfolio, txns: Sequence[Txn]
) -> tuple[list[NegativeCash], str | None]:
    """The negative cash (engine `LedgerState.negative_cash`) the portfolio would show with
    `txns` as its transactions (an import preview's stored and new rows), and why it cannot be
    told (an exchange rate not loaded yet) when it cannot. Empty without cash records."""
    if not portfolio.records_cash:
        return [], None
    base = portfolio.base_currency
    day = max((txn.date for txn in txns), default=timezone.localdate())
    market = market_data_load(
        owner=portfolio.owner_id,
        asset_ids=(),
        currencies_by_base={base: {txn.currency for txn in txns}},
        day=day,
    )
    fx = market.fx.get(base) or FxTable(base)
    try:
        state = replay(
            txns,
            method=portfolio.cost_basis_method,
            base_currency=base,
            fx=fx,
            track_lots=False,
            records_cash=True,
            cash_per_currency=portfolio.cash_per_currency,
        )
    except MissingFxRate as error:
        return (
            [],
            f"Exchange rates are still loading, so the cash cannot be checked yet. {error.message}",
        )
    except LedgerError:
        return [], None  # the rows' own errors say why
    return state.negative_cash_list(), None


# --- Dashboard -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioSummary:
    """A portfolio's headline figures on a day, for the dashboard."""

    portfolio: Portfolio
    value: Decimal
    day_change: Decimal
    day_change_pct: Decimal | None
    total_gain: Decimal
    total_gain_pct: Decimal | None
    holding_count: int
    transaction_count: int
    pending: str | None = None  # why no values can be shown yet
    negative_cash: tuple[NegativeCash, ...] = ()  # each cash balance that went below zero


def portfolio_list_with_summary(
    user, *, date: datetime.date | None = None
) -> list[PortfolioSummary]:
    """Every portfolio of the user with value, day change and total gain, in a fixed number of
    queries whatever the number of portfolios and holdings.

    Day change is the change in value since the previous day's close net of that day's
    external flows; total gain is value minus net external inflows since the first transaction.
    """
    day = date or timezone.localdate()
    portfolios = list(portfolio_queryset_for_user(user).order_by("name", "id"))
    if not portfolios:
        return []
    key = _summary_key(user, portfolios, day)
    cached = cache.get(key)
    if cached is not None:
        # Rebind to this request's portfolio rows (names and settings not in the key).
        by_pk = {portfolio.pk: portfolio for portfolio in portfolios}
        return [replace(summary, portfolio=by_pk[summary.portfolio.pk]) for summary in cached]
    summaries = _summaries_compute(user, portfolios, day)
    cache.set(key, summaries, SUMMARY_TIMEOUT)
    return summaries


def _summary_key(user, portfolios: list[Portfolio], day: datetime.date) -> str:
    """A cache key that changes with the portfolios' transactions (each portfolio's
    `ledger_version`, which every transaction write moves) and with the stored prices of their
    assets and of FX pairs (each asset's price version, which every price write moves, and its
    first and last price date), in one query."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((user.pk, day.isoformat())).encode())
    asset_ids: set[int] = set()
    for portfolio in portfolios:
        digest.update(
            repr(
                (
                    portfolio.pk,
                    portfolio.base_currency,
                    portfolio.cost_basis_method,
                    portfolio.ledger_version,
                    portfolio.records_cash,
                    portfolio.cash_per_currency,
                )
            ).encode()
        )
        asset_ids.update(portfolio.ledger_summary.get("assets", ()))
    assets = (
        Asset.objects.filter(Q(pk__in=sorted(asset_ids)) | Q(symbol__endswith="=X"))
        .order_by("pk")
        .values_list("pk", "symbol", "name", "price_version", "first_price_date", "last_price_date")
    )
    digest.update(repr(list(assets)).encode())
    return f"portfolios:summary:v3:{user.pk}:{digest.hexdigest()}"


def _summaries_compute(
    user, portfolios: list[Portfolio], day: datetime.date
) -> list[PortfolioSummary]:
    txns = txns_by_portfolio(portfolio_ids=[portfolio.pk for portfolio in portfolios])
    asset_ids = {
        txn.asset_id
        for portfolio_txns in txns.values()
        for txn in portfolio_txns
        if txn.asset_id is not None and txn.date <= day
    }
    market = market_data_load(
        owner=user.pk,
        asset_ids=asset_ids,
        currencies_by_base=_currencies_by_base(portfolios, txns),
        day=day,
    )
    return [
        _summary(portfolio, txns.get(portfolio.pk, []), market=market, day=day)
        for portfolio in portfolios
    ]


def _summary(
    portfolio: Portfolio, txns: Sequence[Txn], *, market: MarketData, day: datetime.date
) -> PortfolioSummary:
    """One portfolio's dashboard figures from a valuation-only replay (no lots or costs: the
    figures need values and flows only), yesterday's state first and today's from it."""
    base = portfolio.base_currency
    fx = market.fx.get(base) or FxTable(base)
    count = sum(1 for txn in txns if txn.date <= day)
    before: LedgerState | None
    try:
        before = replay(
            txns,
            fx=fx,
            until=day - ONE_DAY,
            track_lots=False,
            **portfolio.ledger_options,
        )
        yesterday = value_holdings(before, prices=market.prices, fx=fx, day=day - ONE_DAY)
    except MissingFxRate:  # no day change then, but today may well have its rates
        before = yesterday = None
    try:
        state = replay(
            txns,
            fx=fx,
            until=day,
            checkpoint=before,
            track_lots=False,
            **portfolio.ledger_options,
        )
        valuation = value_holdings(state, prices=market.prices, fx=fx, day=day)
    except MissingFxRate as error:
        return PortfolioSummary(
            portfolio=portfolio,
            value=ZERO,
            day_change=ZERO,
            day_change_pct=None,
            total_gain=ZERO,
            total_gain_pct=None,
            holding_count=0,
            transaction_count=count,
            pending=f"Exchange rates are still loading, so values cannot be shown yet. "
            f"{error.message}",
        )
    value = _d(valuation.value)
    day_change, day_change_pct = ZERO, None
    if before is not None and yesterday is not None:
        inflow = state.inflow_base - before.inflow_base
        outflow = state.outflow_base - before.outflow_base
        day_change = value - _d(yesterday.value) - inflow + outflow
        start_value = _d(yesterday.value) + inflow
        day_change_pct = day_change / start_value if start_value > 0 else None
    total_gain = value - state.net_invested_base
    return PortfolioSummary(
        portfolio=portfolio,
        value=value,
        day_change=day_change,
        day_change_pct=day_change_pct,
        total_gain=total_gain,
        total_gain_pct=total_gain / state.inflow_base if state.inflow_base > 0 else None,
        holding_count=len(valuation.holdings),
        transaction_count=count,
        negative_cash=tuple(state.negative_cash_list()),
    )


# --- Export --------------------------------------------------------------------------------------


def transactions_export_csv(*, portfolio: Portfolio) -> str:
    """The portfolio's transactions in the import format (`portfolios.importers`), entry order."""
    return importers.transactions_to_csv(transaction_queryset(portfolio=portfolio))


# --- What the market app keeps fresh (registered in `PortfoliosConfig.ready`) --------------------


def held_asset_ids() -> QuerySet:
    """Every asset some portfolio has a transaction in (a subquery of asset ids)."""
    return Transaction.objects.filter(asset__isnull=False).values("asset_id")


def benchmark_asset_ids() -> QuerySet:
    """Every asset some portfolio uses as its benchmark."""
    return Portfolio.objects.filter(benchmark__isnull=False).values("benchmark_id")


def fx_pair_asset_ids() -> list[int]:
    """The catalogue FX assets that convert a currency some portfolio trades in into its base."""
    pairs = set(
        Transaction.objects.exclude(currency=F("portfolio__base_currency"))
        .values_list("currency", "portfolio__base_currency")
        .distinct()
    )
    pairs |= set(
        Transaction.objects.filter(asset__isnull=False)
        .exclude(asset__currency=F("portfolio__base_currency"))
        .values_list("asset__currency", "portfolio__base_currency")
        .distinct()
    )
    symbols = {symbol for currency, base in pairs for symbol in fx_pair_symbols(currency, base)}
    if not symbols:
        return []
    return list(
        Asset.objects.filter(symbol__in=sorted(symbols), owner__isnull=True).values_list(
            "id", flat=True
        )
    )


# --- Recorded splits against the provider's --------------------------------------------------------

# A recorded split matches the provider's when it falls this many days either side of it: brokers
# book a split on the ex-date, the pay date or the day the new shares arrive.
SPLIT_MATCH_DAYS = 5


def _split_ratio_text(ratio: Decimal) -> str:
    """10 → "10-for-1"; 0.1 (a reverse split) → "1-for-10"."""
    if ratio >= 1:
        return f"{plain(ratio)}-for-1"
    return f"1-for-{plain((1 / ratio).normalize())}"


def split_warnings(
    *, splits: Sequence[tuple[Asset | None, datetime.date, Decimal | None]]
) -> list[str | None]:
    """For each recorded split (asset, date, ratio), a warning when the asset's data provider
    reports no split within `SPLIT_MATCH_DAYS` days of it, or one with another ratio; None when
    they agree or nothing can be told (a manual asset, no stored prices around the date, no
    ratio). A warning, never a refusal: providers miss some splits. One query for all of them.
    """
    warnings: list[str | None] = [None] * len(splits)
    window = datetime.timedelta(days=SPLIT_MATCH_DAYS)
    checkable = [
        (index, asset, day, ratio)
        for index, (asset, day, ratio) in enumerate(splits)
        if asset is not None
        and ratio
        and not asset.is_manual
        and asset.first_price_date is not None
        and asset.last_price_date is not None
        and asset.first_price_date <= day <= asset.last_price_date
    ]
    if not checkable:
        return warnings
    reported: dict[int, list[CorporateAction]] = defaultdict(list)
    for action in CorporateAction.objects.filter(
        kind=CorporateAction.Kind.SPLIT,
        asset_id__in={asset.pk for _, asset, _, _ in checkable},
        date__gte=min(day for _, _, day, _ in checkable) - window,
        date__lte=max(day for _, _, day, _ in checkable) + window,
    ).order_by("date"):
        reported[action.asset_id].append(action)
    for index, asset, day, ratio in checkable:
        near = [
            action
            for action in reported[asset.pk]
            if abs((action.date - day).days) <= SPLIT_MATCH_DAYS and action.ratio
        ]
        if not near:
            warnings[index] = (
                f"The data provider reports no split of {asset.symbol} within "
                f"{SPLIT_MATCH_DAYS} days of {format_date(day)}: check the date and ratio (a "
                "split that did not happen changes the quantity but not the price, so the "
                "value jumps)."
            )
        elif not any(abs(action.ratio - ratio) <= ratio * Decimal("1e-6") for action in near):
            closest = min(near, key=lambda action: abs((action.date - day).days))
            warnings[index] = (
                f"The data provider reports a {_split_ratio_text(closest.ratio)} split of "
                f"{asset.symbol} on {format_date(closest.date)}, not "
                f"{_split_ratio_text(ratio)}: check the ratio."
            )
    return warnings


def transaction_warnings(*, transaction: Transaction) -> list[str]:
    """What to check about a transaction, saved as entered (never a refusal): today, a split the
    data provider does not report."""
    if transaction.kind != Kind.SPLIT:
        return []
    found = split_warnings(splits=[(transaction.asset, transaction.date, transaction.ratio)])
    return [warning for warning in found if warning]
