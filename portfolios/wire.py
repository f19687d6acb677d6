"""Reports as the API sends them: plain dicts of strings, dates and None, built without DRF.

The API serializes these bodies (their schemas are in `portfolios.serializers`) and the pages
take their exact values from the same functions (`portfolios.presenters`), so a page and the
API cannot disagree and no HTML view imports an API serializer. Performance rates travel as
decimal-fraction strings with RATE_PLACES places ("0.1234000000" is 12.34 %), money as strings
with two places, all rounded by `portfolia.money.quantize` through `rate_text` and
`money_text`; dates stay `datetime.date` (the renderer writes ISO 8601); None where a figure is
undefined.
"""

from __future__ import annotations

from decimal import Decimal

from portfolia.money import MONEY_PLACES, quantize
from portfolios.performance import FlowsReport, PerformanceReport
from portfolios.reports import IncomeReport, IncomeTotals, RealizedReport, RealizedSale
from portfolios.serializers_risk import risk_data, rolling_by_day, rolling_point

RATE_PLACES = 10


def _text(value: float | Decimal | None, places: int) -> str | None:
    """Fixed-point text of a finite number; None for None, NaN and infinities (never raises)."""
    if value is None:
        return None
    rounded = quantize(value if isinstance(value, Decimal) else float(value), places)
    if rounded is None or not rounded.is_finite():
        return None
    return f"{rounded:f}"


def rate_text(value: float | Decimal | None) -> str | None:
    """A rate as a fixed-point fraction string: 0.123456789012 → "0.1234567890"; None for None,
    NaN or an infinity. (Which rates are too large to be figures is the engine's call.)"""
    return _text(value, RATE_PLACES)


def money_text(value: float | Decimal | None) -> str | None:
    """Money as a string with two decimals: 1234.5 → "1234.50"."""
    return _text(value, MONEY_PLACES)


def negative_cash_data(items) -> list[dict] | None:
    """The API form of the engine's negative cash (None when no balance went below zero)."""
    if not items:
        return None
    return [
        {
            "currency": item.currency,
            "first_date": item.first_date,
            "amount": money_text(item.amount),
        }
        for item in items
    ]


def performance_data(report: PerformanceReport, *, series: bool = True) -> dict:
    """The API body of a performance report, with exactly the documented keys."""
    benchmark = None
    if report.benchmark is not None:
        benchmark = {
            "asset": report.benchmark.symbol,
            "twr": rate_text(report.benchmark.twr),
            "excess_return": rate_text(report.benchmark.excess_return),
        }
    body = {
        "start": report.start,
        "end": report.end,
        "currency": report.currency,
        "start_value": money_text(report.start_value),
        "end_value": money_text(report.end_value),
        "net_flows": money_text(report.net_flows),
        "gain": money_text(report.gain),
        "twr": rate_text(report.twr),
        "twr_annualized": rate_text(report.twr_annualized),
        "mwr": rate_text(report.mwr),
        "mwr_period": rate_text(report.mwr_period),
        "mwr_note": report.mwr_note,
        "simple_return": rate_text(report.simple_return),
        "price_gain": money_text(report.price_gain),
        "income": money_text(report.income),
        "fees": money_text(report.fees),
        "taxes": money_text(report.taxes),
        "currency_effect": money_text(report.currency_effect),
        "volatility": rate_text(report.volatility),
        "sharpe": rate_text(report.sharpe),
        "sortino": rate_text(report.sortino),
        "max_drawdown": rate_text(report.max_drawdown),
        "beta": rate_text(report.beta),
        "correlation": rate_text(report.correlation),
        "risk": risk_data(report),
        "benchmark": benchmark,
        "dates_note": report.dates_note,
        "negative_cash": negative_cash_data(report.negative_cash),
    }
    if series:
        points = report.series.points() if report.series is not None else []
        rolling = rolling_by_day(report)
        body["series"] = [
            {
                "date": point["date"],
                "value": money_text(point["value"]),
                "net_invested": money_text(point["net_invested"]),
                "twr": rate_text(point["twr"]),
                "drawdown": rate_text(point["drawdown"]),
                **rolling_point(rolling, point["date"]),
            }
            for point in points
        ]
    return body


def flows_data(report: FlowsReport) -> dict:
    return {
        "start": report.start,
        "end": report.end,
        "currency": report.currency,
        "start_value": money_text(report.start_value),
        "end_value": money_text(report.end_value),
        "flows": [
            {
                "date": flow.date,
                "kind": flow.kind,
                "direction": flow.direction,
                "amount": money_text(flow.amount),
                "transaction": flow.transaction_id,
            }
            for flow in report.flows
        ],
    }


def _income_totals(totals: IncomeTotals, key: str) -> dict:
    return {
        key: totals.key,
        "dividends": money_text(totals.dividends),
        "interest": money_text(totals.interest),
        "fees": money_text(totals.fees),
        "total": money_text(totals.total),
    }


def income_data(report: IncomeReport) -> dict:
    return {
        "currency": report.currency,
        "year": report.year,
        "years": report.years,
        "total": {
            "dividends": money_text(report.total.dividends),
            "interest": money_text(report.total.interest),
            "fees": money_text(report.total.fees),
            "total": money_text(report.total.total),
        },
        "by_year": [
            {**_income_totals(row, "year"), "year": int(row.key)} for row in report.by_year
        ],
        "by_month": [_income_totals(row, "month") for row in report.by_month],
        "by_asset": [
            {**_income_totals(row, "asset"), "name": row.label} for row in report.by_asset
        ],
    }


def _sale_data(sale: RealizedSale) -> dict:
    return {
        "transaction": sale.transaction_id,
        "date": sale.date,
        "tax_year": sale.tax_year,
        "asset": sale.symbol,
        "currency": sale.currency,
        "quantity": f"{sale.quantity.normalize():f}",
        "price": f"{sale.price.normalize():f}",
        "proceeds": money_text(sale.proceeds),
        "fees": money_text(sale.fee),
        "cost": money_text(sale.cost),
        "gain": money_text(sale.gain),
        "lots": [
            {
                "buy_transaction": lot.buy_transaction_id,
                "buy_date": lot.buy_date,
                "quantity": f"{lot.quantity.normalize():f}",
                "cost": money_text(lot.cost),
                "holding_days": lot.holding_days,
            }
            for lot in sale.lots
        ],
    }


def realized_data(report: RealizedReport) -> dict:
    total = report.total
    return {
        "currency": report.currency,
        "cost_basis_method": report.method,
        "year": report.year,
        "years": report.years,
        "total": {
            "proceeds": money_text(total.proceeds),
            "fees": money_text(total.fees),
            "cost": money_text(total.cost),
            "gain": money_text(total.gain),
            "sales": total.sales,
        },
        "by_year": [
            {
                "year": row.year,
                "proceeds": money_text(row.proceeds),
                "fees": money_text(row.fees),
                "cost": money_text(row.cost),
                "gain": money_text(row.gain),
                "sales": row.sales,
            }
            for row in report.by_year
        ],
        "sales": [_sale_data(sale) for sale in report.sales],
    }
