"""Income and realized-gains reports, and their CSV exports.

- Income: every dividend and interest payment in the base currency (gross, at the rate the ledger
  books it at: the transaction's fx_rate, else that day's FX close), by month, by year and by
  asset; the fee charged on a payment is shown beside it.
- Realized gains: every sale of the ledger's replay (FIFO or moving average, as the portfolio
  says) by tax year (the calendar year of the sale), with the lots it consumed and how long each
  was held; gain = proceeds - fee - cost of what was sold, in the base currency (costs at the
  buys' FX, proceeds at the sale's).

Both load the transactions, the assets and the FX closes they need in three queries.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from portfolia.csv_text import csv_text
from portfolia.money import MONEY_PLACES, quantize
from portfolios.engine.ledger import replay
from portfolios.engine.lots import Sale
from portfolios.engine.market import MissingFxRate
from portfolios.engine.types import Kind, LedgerError
from portfolios.models import Portfolio
from portfolios.performance import LedgerInputs, portfolio_ledger_load, txn_rate

__all__ = [
    "IncomeReport",
    "IncomeRow",
    "RealizedLot",
    "RealizedReport",
    "RealizedSale",
    "income_csv",
    "income_report",
    "income_rows",
    "realized_csv",
    "realized_gains",
    "realized_sales",
]

ZERO = Decimal(0)
# Held longer than this many days counts as long-term in many tax systems (shown, not applied).
LONG_TERM_DAYS = 365


@dataclass(frozen=True)
class IncomeRow:
    """One dividend or interest payment; `amount` and `fee` in its currency, `*_base` in the
    portfolio's."""

    transaction_id: uuid.UUID
    date: datetime.date
    kind: str
    asset_id: int | None
    symbol: str
    name: str
    currency: str
    amount: Decimal
    fee: Decimal
    amount_base: Decimal
    fee_base: Decimal

    @property
    def net_base(self) -> Decimal:
        return self.amount_base - self.fee_base


@dataclass(frozen=True)
class IncomeTotals:
    """Dividends and interest (gross) and the fees charged on them, in the base currency."""

    key: str
    label: str
    dividends: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.dividends + self.interest


@dataclass(frozen=True)
class IncomeReport:
    currency: str
    year: int | None
    years: list[int]
    rows: list[IncomeRow]
    by_year: list[IncomeTotals]
    by_month: list[IncomeTotals]
    by_asset: list[IncomeTotals]
    total: IncomeTotals
    pending: str | None = None

    def month_table(self) -> list[dict]:
        """Per year: the twelve monthly totals (None when nothing was paid) and the year's."""
        by_year: dict[int, list[Decimal | None]] = {}
        for month in self.by_month:
            year, number = (int(part) for part in month.key.split("-"))
            by_year.setdefault(year, [None] * 12)[number - 1] = month.total
        totals = {int(row.key): row.total for row in self.by_year}
        return [
            {"year": year, "months": months, "total": totals.get(year, ZERO)}
            for year, months in sorted(by_year.items())
        ]


def _totals(key: str, label: str, rows: Iterable[IncomeRow]) -> IncomeTotals:
    dividends = interest = fees = ZERO
    for row in rows:
        if row.kind == Kind.DIVIDEND:
            dividends += row.amount_base
        else:
            interest += row.amount_base
        fees += row.fee_base
    return IncomeTotals(key, label, dividends, interest, fees)


def _grouped(rows: Sequence[IncomeRow], key, label) -> list[IncomeTotals]:
    groups: dict[str, list[IncomeRow]] = defaultdict(list)
    labels: dict[str, str] = {}
    for row in rows:
        groups[key(row)].append(row)
        labels[key(row)] = label(row)
    return [_totals(name, labels[name], items) for name, items in groups.items()]


def income_rows(inputs: LedgerInputs, base: str) -> tuple[list[IncomeRow], str | None]:
    """Every dividend and interest payment of loaded ledger inputs, in entry order, and why
    none can be shown (an exchange rate still loading: the rows are then empty)."""
    rows: list[IncomeRow] = []
    for txn in inputs.txns:
        if txn.kind not in (Kind.DIVIDEND, Kind.INTEREST):
            continue
        try:
            rate = txn_rate(txn, base, inputs.fx)
        except MissingFxRate as error:
            return [], f"Exchange rates are still loading: {error.message}"
        asset = inputs.assets.get(txn.asset_id) if txn.asset_id else None
        rows.append(
            IncomeRow(
                transaction_id=inputs.public_ids[txn.id],
                date=txn.date,
                kind=str(txn.kind),
                asset_id=txn.asset_id,
                symbol=asset.symbol if asset else "",
                name=asset.name if asset else "",
                currency=txn.currency,
                amount=txn.amount or ZERO,
                fee=txn.fee,
                amount_base=(txn.amount or ZERO) * rate,
                fee_base=txn.fee * rate,
            )
        )
    return rows, None


def income_report(*, portfolio: Portfolio, year: int | None = None) -> IncomeReport:
    """Dividends and interest, by month, year and asset (all years; the rows and the by-asset
    totals of one year when `year` is given)."""
    inputs = portfolio_ledger_load(portfolio=portfolio)
    base = portfolio.base_currency
    rows, pending = income_rows(inputs, base)
    years = sorted({row.date.year for row in rows})
    by_year = sorted(
        _grouped(rows, lambda row: str(row.date.year), lambda row: str(row.date.year)),
        key=lambda item: item.key,
    )
    by_month = sorted(
        _grouped(
            rows,
            lambda row: f"{row.date.year}-{row.date.month:02d}",
            lambda row: row.date.strftime("%B %Y"),
        ),
        key=lambda item: item.key,
    )
    selected = [row for row in rows if year is None or row.date.year == year]
    by_asset = sorted(
        _grouped(
            selected,
            lambda row: row.symbol or "(cash)",
            lambda row: row.name or "Interest on cash",
        ),
        key=lambda item: (-item.total, item.key),
    )
    return IncomeReport(
        currency=base,
        year=year,
        years=years,
        rows=selected,
        by_year=by_year,
        by_month=by_month,
        by_asset=by_asset,
        total=_totals("total", "Total", selected),
        pending=pending,
    )


@dataclass(frozen=True)
class RealizedLot:
    """The part of one buy a sale consumed (cost in the base currency, at the buy's FX)."""

    buy_transaction_id: uuid.UUID | None
    buy_date: datetime.date
    quantity: Decimal
    cost: Decimal
    holding_days: int

    @property
    def long_term(self) -> bool:
        return self.holding_days > LONG_TERM_DAYS


@dataclass(frozen=True)
class RealizedSale:
    """One sale: proceeds (price x quantity), fee, cost of what was sold and the gain, in the
    base currency; `price` per unit in the asset's `currency`."""

    transaction_id: uuid.UUID
    date: datetime.date
    asset_id: int
    symbol: str
    name: str
    currency: str
    quantity: Decimal
    price: Decimal
    proceeds: Decimal
    fee: Decimal
    cost: Decimal
    gain: Decimal
    lots: tuple[RealizedLot, ...]

    @property
    def tax_year(self) -> int:
        return self.date.year

    @property
    def holding_days_min(self) -> int | None:
        return min((lot.holding_days for lot in self.lots), default=None)

    @property
    def holding_days_max(self) -> int | None:
        return max((lot.holding_days for lot in self.lots), default=None)


@dataclass(frozen=True)
class RealizedYear:
    year: int
    proceeds: Decimal
    fees: Decimal
    cost: Decimal
    gain: Decimal
    sales: int


@dataclass(frozen=True)
class RealizedReport:
    currency: str
    method: str
    year: int | None
    years: list[int]
    by_year: list[RealizedYear]
    sales: list[RealizedSale] = field(default_factory=list)
    pending: str | None = None

    @property
    def total(self) -> RealizedYear:
        return _year_totals(self.year or 0, self.sales)


def _year_totals(year: int, sales: Sequence[RealizedSale]) -> RealizedYear:
    return RealizedYear(
        year=year,
        proceeds=sum((sale.proceeds for sale in sales), ZERO),
        fees=sum((sale.fee for sale in sales), ZERO),
        cost=sum((sale.cost for sale in sales), ZERO),
        gain=sum((sale.gain for sale in sales), ZERO),
        sales=len(sales),
    )


def realized_sales(inputs: LedgerInputs, sales: Iterable[Sale]) -> list[RealizedSale]:
    """The ledger's sales (of a replay of `inputs`) with their assets and public ids."""
    realized: list[RealizedSale] = []
    for sale in sales:
        asset = inputs.assets.get(sale.asset_id)
        realized.append(
            RealizedSale(
                transaction_id=inputs.public_ids[sale.txn_id],
                date=sale.date,
                asset_id=sale.asset_id,
                symbol=asset.symbol if asset else str(sale.asset_id),
                name=asset.name if asset else "",
                currency=sale.currency,
                quantity=sale.quantity,
                price=sale.price,
                proceeds=sale.proceeds_base,
                fee=sale.fee_base,
                cost=sale.cost_base,
                gain=sale.realized_gain_base,
                lots=tuple(
                    RealizedLot(
                        buy_transaction_id=inputs.public_ids.get(lot.buy_txn_id),
                        buy_date=lot.buy_date,
                        quantity=lot.quantity,
                        cost=lot.cost_base,
                        holding_days=lot.holding_days,
                    )
                    for lot in sale.lots
                ),
            )
        )
    return realized


def realized_gains(*, portfolio: Portfolio, year: int | None = None) -> RealizedReport:
    """Every sale with the lots it consumed, by tax year (all years, or the sales of `year`)."""
    inputs = portfolio_ledger_load(portfolio=portfolio)
    base = portfolio.base_currency
    method = portfolio.cost_basis_method
    try:
        state = replay(
            inputs.txns,
            fx=inputs.fx,
            **portfolio.ledger_options,
        )
    except MissingFxRate as error:
        return RealizedReport(
            base, method, year, [], [], pending=f"Exchange rates are still loading: {error.message}"
        )
    except LedgerError as error:
        return RealizedReport(base, method, year, [], [], pending=error.message)
    sales = realized_sales(inputs, state.sales)
    by_year_sales: dict[int, list[RealizedSale]] = defaultdict(list)
    for sale in sales:
        by_year_sales[sale.tax_year].append(sale)
    return RealizedReport(
        currency=base,
        method=method,
        year=year,
        years=sorted(by_year_sales),
        by_year=[_year_totals(y, items) for y, items in sorted(by_year_sales.items())],
        sales=[sale for sale in sales if year is None or sale.tax_year == year],
    )


# ── CSV ──────────────────────────────────────────────────────────────────────


def _money(value: Decimal) -> str:
    return str(quantize(value, MONEY_PLACES))


def _exact(value: Decimal) -> str:
    from portfolia.money import plain

    return plain(value)


def income_csv(report: IncomeReport) -> str:
    """One line per payment: amounts in its currency and in the base currency."""
    return csv_text(
        [
            "date",
            "kind",
            "symbol",
            "name",
            "currency",
            "amount",
            "fee",
            f"amount_{report.currency}",
            f"fee_{report.currency}",
            f"net_{report.currency}",
            "transaction",
        ],
        (
            [
                row.date.isoformat(),
                row.kind,
                row.symbol,
                row.name,
                row.currency,
                _exact(row.amount),
                _exact(row.fee),
                _money(row.amount_base),
                _money(row.fee_base),
                _money(row.net_base),
                str(row.transaction_id),
            ]
            for row in report.rows
        ),
    )


def realized_csv(report: RealizedReport) -> str:
    """One line per lot a sale consumed (a sale's totals on its first line), so the gains of a
    tax year add up in a spreadsheet: gain = proceeds - fee - cost."""
    rows = []
    for sale in report.sales:
        for index, lot in enumerate(sale.lots or (None,)):
            first = index == 0
            rows.append(
                [
                    sale.date.isoformat(),
                    sale.tax_year,
                    sale.symbol,
                    sale.currency,
                    _exact(sale.quantity) if first else "",
                    _exact(sale.price) if first else "",
                    _money(sale.proceeds) if first else "",
                    _money(sale.fee) if first else "",
                    _money(sale.cost) if first else "",
                    _money(sale.gain) if first else "",
                    lot.buy_date.isoformat() if lot else "",
                    _exact(lot.quantity) if lot else "",
                    _money(lot.cost) if lot else "",
                    lot.holding_days if lot else "",
                    str(sale.transaction_id),
                    str(lot.buy_transaction_id or "") if lot else "",
                ]
            )
    return csv_text(
        [
            "sale_date",
            "tax_year",
            "symbol",
            "currency",
            "quantity",
            "price",
            f"proceeds_{report.currency}",
            f"fee_{report.currency}",
            f"cost_{report.currency}",
            f"gain_{report.currency}",
            "lot_buy_date",
            "lot_quantity",
            f"lot_cost_{report.currency}",
            "holding_days",
            "sale_transaction",
            "buy_transaction",
        ],
        rows,
    )
