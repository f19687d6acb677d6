"""Reports as the API sends them: plain dicts of strings, dates and None, built without DRF.

The API serializes these bodies (their schemas are in `portfolios.serializers`) and the pages
take their exact values from the same functions (`portfolios.presenters`), so a page and the
API cannot disagree and no HTML view imports an API serializer. Performance rates travel as
decimal-fraction strings with RATE_PLACES places ("0.1234000000" is 12.34 %), money as strings
with two places, all rounded by `portfolia.money.quantize` through `rate_text` and
`money_text`; dates stay `datetime.date` (the renderer writes ISO 8601); None where a figure is
undefined. Also the further risk measures, strategy weights and backtest results, for the
same reason.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from portfolia.money import MONEY_PLACES, RATIO_PLACES, quantize
from portfolios.engine.strategies import weights_rounded
from portfolios.models import SimulationRun
from portfolios.performance import FlowsReport, PerformanceReport
from portfolios.reports import IncomeReport, IncomeTotals, RealizedReport, RealizedSale
from portfolios.selectors.networth import NetWorth
from portfolios.selectors.positions import ALLOCATION_KINDS
from portfolios.selectors.strategy_inputs import StrategyResult

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


def net_worth_data(result: NetWorth, *, series: bool = True) -> dict:
    """The API body of the net worth (`selectors.networth`): the performance body's keys where
    they overlap, with the same strings, plus the totals, each portfolio's share and the
    allocation of everything by asset, asset class and currency."""
    body = {
        "start": result.start,
        "end": result.end,
        "period": result.period,
        "currency": result.currency,
        "portfolio_count": result.portfolio_count,
        "total_value": money_text(result.total_value),
        "day_change": money_text(result.day_change),
        "day_change_pct": rate_text(result.day_change_pct),
        "total_gain": money_text(result.total_gain),
        "total_gain_pct": rate_text(result.total_gain_pct),
        "start_value": money_text(result.start_value),
        "end_value": money_text(result.end_value),
        "inflows": money_text(result.inflows),
        "outflows": money_text(result.outflows),
        "net_flows": money_text(result.net_flows),
        "gain": money_text(result.gain),
        "twr": rate_text(result.twr),
        "twr_annualized": rate_text(result.twr_annualized),
        "mwr": rate_text(result.mwr),
        "mwr_period": rate_text(result.mwr_period),
        "mwr_note": result.mwr_note,
        "simple_return": rate_text(result.simple_return),
        "internal_transfers": result.transfers,
        "portfolios": [
            {
                "id": item.public_id,
                "name": item.name,
                "currency": item.currency,
                "value_local": money_text(item.value_local),
                "value": money_text(item.value),
                "share": rate_text(item.share),
            }
            for item in result.portfolios
        ],
        "allocation": {
            by: [
                {
                    "key": piece.key,
                    "label": piece.label,
                    "value": money_text(piece.value),
                    "weight": _text(piece.weight, RATIO_PLACES),
                }
                for piece in result.allocations.get(by, ())
            ]
            for by in ALLOCATION_KINDS
        },
    }
    if series:
        points = result.series.points() if result.series is not None else []
        body["series"] = [
            {
                "date": point["date"],
                "value": money_text(point["value"]),
                "net_invested": money_text(point["net_invested"]),
                "twr": rate_text(point["twr"]),
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


RISK_KEYS = (
    "calmar",
    "value_at_risk",
    "expected_shortfall",
    "omega",
    "tail_ratio",
    "up_capture",
    "down_capture",
)


def risk_data(report: PerformanceReport) -> dict:
    """The ``risk`` object: each measure as a decimal string (null when undefined) and, for
    each null one (and the rolling series when it is empty), the note saying why."""
    body: dict = {key: rate_text(getattr(report, key)) for key in RISK_KEYS}
    body["notes"] = dict(report.risk_notes)
    return body


NO_ROLLING = {"rolling_volatility": None, "rolling_sharpe": None}


def rolling_by_day(report: PerformanceReport) -> dict:
    """{date: the two rolling keys of its series point} for the report's business days with a
    full window (a key null where its figure is undefined)."""
    rolling = report.rolling
    if rolling is None or not len(rolling):
        return {}
    return {
        day: {"rolling_volatility": rate_text(volatility), "rolling_sharpe": rate_text(sharpe)}
        for day, volatility, sharpe in zip(
            rolling.days.astype(object).tolist(),
            rolling.volatility.tolist(),
            rolling.sharpe.tolist(),
            strict=True,
        )
    }


def rolling_point(rolling: dict, day) -> dict:
    """The two rolling keys of one series point (null on days without a full window)."""
    return rolling.get(day, NO_ROLLING)


WEIGHT_PLACES = 10


def _plain(value: float | None) -> str | None:
    return None if value is None else format(Decimal(repr(float(value))), "f")


def _column(values, index: int, text=rate_text):
    return None if values is None else text(values[index])


def strategy_data(result: StrategyResult) -> dict:
    """The API body of strategy weights, with exactly the keys of StrategyResponseSerializer."""
    weights, inputs = result.weights, result.weights.inputs
    caps = inputs.get("caps")
    selected = inputs.get("selected")
    rounded = weights_rounded(weights.weights, WEIGHT_PLACES)
    per_asset = []
    for index, asset in enumerate(result.assets):
        cap_day = result.market_cap_days[index] if result.market_cap_days else None
        per_asset.append(
            {
                "asset": asset.public_id,
                "symbol": asset.symbol,
                "total_return": _column(inputs.get("returns"), index),
                "volatility": _column(inputs.get("volatilities"), index),
                "momentum": _column(inputs.get("momentum"), index),
                "selected": None if selected is None else index in selected,
                "risk_contribution": _column(inputs.get("risk_contributions"), index),
                "market_cap": _column(inputs.get("market_caps"), index, money_text),
                "market_cap_date": cap_day,
                "uncapped_weight": _column(inputs.get("uncapped_weights"), index),
            }
        )
    return {
        "method": weights.method,
        "as_of": weights.as_of,
        "weights": [
            {
                "asset": asset.public_id,
                "symbol": asset.symbol,
                "name": asset.name,
                "currency": asset.currency,
                "weight": f"{weight:f}",
            }
            for asset, weight in zip(result.assets, rounded, strict=True)
        ],
        "inputs": {
            "as_of": inputs["as_of"],
            **{
                name: inputs.get(name)
                for name in (
                    "window",
                    "first_day",
                    "last_day",
                    "observations",
                    "skip",
                    "top_n",
                    "weighting",
                    "momentum_start",
                    "momentum_end",
                    "max_iterations",
                    "iterations",
                    "converged",
                )
            },
            "tolerance": _plain(inputs.get("tolerance")),
            "max_deviation": _plain(inputs.get("max_deviation")),
            "cap": rate_text(caps[0]) if caps else None,  # one cap for all, as requests give it
            "market_cap_currency": result.market_cap_currency,
            "assets": per_asset,
        },
    }


def _metrics_data(metrics: dict | None) -> dict | None:
    if metrics is None:
        return None
    money = {"end_value", "invested", "gain"}
    return {
        name: (
            value
            if name == "mwr_note"
            else money_text(value)
            if name in money
            else rate_text(value)
        )
        for name, value in metrics.items()
    }


def series_points(result: dict) -> list[dict]:
    """The daily points of a result: consecutive calendar days from its first date."""
    series = result["series"]
    first = datetime.date.fromisoformat(series["dates"][0])
    bench = series["benchmark"] or [None] * len(series["value"])
    return [
        {"date": first + datetime.timedelta(days=i), "value": value, "benchmark": b}
        for i, (value, b) in enumerate(zip(series["value"], bench, strict=True))
    ]


def simulation_result_data(result: dict) -> dict:
    """A stored result as the API sends it (decimal strings)."""
    return {
        "currency": result["currency"],
        "start": result["start"],
        "end": result["end"],
        "metrics": _metrics_data(result["metrics"]),
        "benchmark": {
            "symbol": result["benchmark"]["symbol"],
            "metrics": _metrics_data(result["benchmark"]["metrics"]),
        },
        "rebalances": result["rebalances"],
        "cash": money_text(result["cash"]),
        "holdings": [{**h, "quantity": rate_text(h["quantity"])} for h in result["holdings"]],
        "trades": [
            {
                "date": trade["date"],
                "asset": trade["asset"],
                "symbol": trade["symbol"],
                "side": trade["side"],
                "quantity": rate_text(trade["quantity"]),
                "price": rate_text(trade["price"]),
                "fee": money_text(trade["fee"]),
            }
            for trade in result["trades"]
        ],
        "contributions": [
            {"date": flow["date"], "amount": money_text(flow["amount"])}
            for flow in result["contributions"]
        ],
        "series": [
            {
                "date": point["date"].isoformat(),
                "value": money_text(point["value"]),
                "benchmark": money_text(point["benchmark"]),
            }
            for point in series_points(result)
        ],
        "notes": result["notes"],
    }


def simulation_run_data(run: SimulationRun, *, url: str) -> dict:
    """A run as the API sends it, with exactly the documented keys."""
    return {
        "id": str(run.public_id),
        "status": run.status,
        "progress": run.progress,
        "error": run.error,
        "inputs": run.inputs,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "portfolio": str(run.portfolio.public_id) if run.portfolio_id else None,
        "url": url,
        "result": simulation_result_data(run.result) if run.result else None,
    }
