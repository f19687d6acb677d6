"""`portfolio_performance`: the report of a period, from the cached state (computed when
needed), itself cached under the state's token, the benchmark's price marks, the risk-free rate
and the period."""

from __future__ import annotations

import datetime
from dataclasses import replace

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from portfolios.engine.period import gain_split, period_returns
from portfolios.engine.returns import (
    annualise,
    money_weighted,
    monthly_returns,
    mwr_cash_flows,
    wealth_index,
    yearly_returns,
)
from portfolios.engine.risk import drawdown_series, risk_metrics
from portfolios.engine.risk_measures import RollingRisk, rolling_risk, tail_risk
from portfolios.engine.valuation import DailySeries
from portfolios.models import Portfolio
from portfolios.performance.benchmark import benchmark_figures, marks_text
from portfolios.performance.loading import Market
from portfolios.performance.periods import Period, period_resolve
from portfolios.performance.results import BenchmarkResult, PerformanceReport, PerformanceSeries
from portfolios.performance.series import state_current
from portfolios.performance.state import REPORT_TIMEOUT, Body, Head, cache_key


def risk_free_rate() -> float:
    return float(getattr(settings, "RISK_FREE_RATE", 0.0) or 0.0)


def report_key(portfolio: Portfolio, head: Head, market: Market, period: Period) -> str:
    return cache_key(
        "report",
        portfolio.pk,
        head.token,
        marks_text(market.benchmark),
        marks_text(market.benchmark_fx),
        repr(risk_free_rate()),
        period.label,
        period.start.isoformat(),
        period.end.isoformat(),
    )


def portfolio_performance(
    *,
    portfolio: Portfolio,
    period: str | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    series: bool = True,
    today: datetime.date | None = None,
) -> PerformanceReport:
    """The portfolio's performance over a named period (PERIODS, 1Y by default) or a custom
    start/end; raises PeriodError for a bad one. See the module docstring for every figure.

    Queries: 2 when nothing changed (the ledger version with the ledger summary, and the assets'
    price dates), plus the benchmark's closes when they are not cached yet, plus the price
    write logs of the assets whose prices changed, and the transactions and closes a
    recomputation needs (1-3). Whatever the number of holdings.
    """
    today = today or timezone.localdate()
    head, body, market, digest = state_current(portfolio=portfolio, today=today)
    resolved = period_resolve(
        period=period, start=start, end=end, first_date=digest.first_measured, today=today
    )
    report = report_get(portfolio=portfolio, head=head, body=body, market=market, period=resolved)
    if not series and report.series is not None:
        report = replace(report, series=None)
    if head is not None and head.negative_cash:
        report = replace(report, negative_cash=head.negative_cash)
    return report


def empty_report(
    portfolio: Portfolio, period: Period, market: Market, **extra
) -> PerformanceReport:
    return PerformanceReport(
        portfolio_id=portfolio.public_id,
        currency=portfolio.base_currency,
        period=period.label,
        start=period.start,
        end=period.end,
        n_days=period.n_days,
        benchmark_symbol=market.benchmark_symbol,
        risk_free_rate=risk_free_rate(),
        **extra,
    )


def report_get(
    *,
    portfolio: Portfolio,
    head: Head | None,
    body: Body | None,
    market: Market,
    period: Period,
) -> PerformanceReport:
    if head is None:
        return empty_report(portfolio, period, market, has_transactions=False)
    if head.error is not None:
        return empty_report(portfolio, period, market, has_transactions=True, pending=head.error)
    key = report_key(portfolio, head, market, period)
    report = cache.get(key)
    if report is not None:
        return report
    if body is None:
        body = cache.get(cache_key("body", portfolio.pk, head.token))
        if body is None:  # evicted: compute afresh
            cache.delete(cache_key("head", portfolio.pk))
            head, body, market, _ = state_current(portfolio=portfolio, today=head.end)
            if head is None or head.error is not None or body is None:
                return report_get(
                    portfolio=portfolio, head=head, body=body, market=market, period=period
                )
    report = report_compute(portfolio=portfolio, head=head, body=body, market=market, period=period)
    cache.set(key, report, REPORT_TIMEOUT)
    return report


def report_compute(
    *,
    portfolio: Portfolio,
    head: Head,
    body: Body,
    market: Market,
    period: Period,
) -> PerformanceReport:
    start = max(period.start, head.start or period.start)
    lo = (start - head.start).days  # type: ignore[operator]
    hi = (period.end - head.start).days + 1  # type: ignore[operator]
    daily = body.series
    if hi <= 0 or lo >= daily.days.size:
        return empty_report(portfolio, period, market, has_transactions=True)
    days = daily.days[lo:hi]
    value = daily.value[lo:hi]
    inflow = daily.inflow[lo:hi]
    outflow = daily.outflow[lo:hi]
    start_value = float(daily.value[lo - 1]) if lo > 0 else 0.0
    r = period_returns(value, inflow, outflow, start_value)
    wealth = wealth_index(r)
    twr = float(wealth[-1] - 1.0)
    inflows, outflows = float(inflow.sum()), float(outflow.sum())
    end_value = float(value[-1])
    split = gain_split(
        start_value=start_value,
        end_value=end_value,
        inflows=inflows,
        outflows=outflows,
        income=float(daily.income[lo:hi].sum()),
        # The engine books what was paid (>= 0); the gain split counts it against the gain.
        fees=-float(daily.fees[lo:hi].sum()),
        taxes=-float(daily.taxes[lo:hi].sum()),
        currency_effect=float(body.currency_effect[lo:hi].sum()),
    )
    rf = risk_free_rate()
    risk = risk_metrics(days, wealth, rf)
    drawdown = risk.drawdown
    benchmark, note, bench_curve = benchmark_figures(
        market, replace(period, start=start), portfolio.base_currency, days, wealth, rf
    )

    tail = tail_risk(days, wealth, rf)
    notes = {**tail.notes, **_capture_notes(benchmark, note)}
    rolling = _rolling(daily, hi, start, rf)
    if not len(rolling):
        notes["rolling"] = (
            f"The rolling figures need {rolling.window} business days of history before a day; "
            "none of this period's days has them yet."
        )

    months = monthly_returns(days, r)
    years = yearly_returns(days, r)
    n_days = (period.end - start).days + 1
    weighted = money_weighted(*mwr_cash_flows(days, value, inflow, outflow, start_value), n_days)
    return PerformanceReport(
        portfolio_id=portfolio.public_id,
        currency=portfolio.base_currency,
        period=period.label,
        start=start,
        end=period.end,
        n_days=n_days,
        has_transactions=True,
        start_value=start_value,
        end_value=end_value,
        inflows=inflows,
        outflows=outflows,
        net_flows=inflows - outflows,
        gain=split.gain,
        twr=twr,
        twr_annualized=annualise(twr, n_days),
        mwr=weighted.annual,
        mwr_period=weighted.period,
        mwr_note=weighted.note,
        simple_return=split.simple_return,
        price_gain=split.price_gain,
        income=split.income,
        fees=split.fees,
        taxes=split.taxes,
        currency_effect=split.currency_effect,
        volatility=risk.volatility,
        sharpe=risk.sharpe,
        sortino=risk.sortino,
        downside_risk=risk.downside_risk,
        max_drawdown=drawdown.max_drawdown if drawdown else None,
        drawdown_peak=drawdown.peak if drawdown else None,
        drawdown_trough=drawdown.trough if drawdown else None,
        drawdown_recovery=drawdown.recovery if drawdown else None,
        beta=benchmark.beta if benchmark else None,
        correlation=benchmark.correlation if benchmark else None,
        calmar=tail.calmar,
        value_at_risk=tail.value_at_risk,
        expected_shortfall=tail.expected_shortfall,
        omega=tail.omega,
        tail_ratio=tail.tail_ratio,
        up_capture=benchmark.up_capture if benchmark else None,
        down_capture=benchmark.down_capture if benchmark else None,
        risk_notes=notes,
        rolling=rolling,
        benchmark=benchmark,
        benchmark_symbol=market.benchmark_symbol,
        benchmark_note=note,
        dates_note=head.digest.dates_note,
        risk_free_rate=rf,
        monthly=tuple(months),
        yearly=tuple(years),
        series=PerformanceSeries(
            days=days,
            value=value,
            inflow=inflow,
            outflow=outflow,
            start_value=start_value,
            net_invested=daily.net_invested[lo:hi],
            twr=wealth - 1.0,
            drawdown=drawdown_series(wealth),
            benchmark=bench_curve,
        ),
    )


def _capture_notes(benchmark: BenchmarkResult | None, note: str | None) -> dict[str, str]:
    """Why up or down capture is None: the benchmark's own note when it has no figures."""
    if benchmark is None:
        why = note or "No benchmark data for this period."
        return {"up_capture": why, "down_capture": why}
    return dict(benchmark.capture_notes)


def _rolling(daily: DailySeries, hi: int, start: datetime.date, rf: float) -> RollingRisk:
    """Rolling one-year volatility and Sharpe on the period's business days, each over the
    252 business-day returns ending that day, measured on the whole history up to the period's
    end (so a window may begin before the period does)."""
    r = period_returns(daily.value[:hi], daily.inflow[:hi], daily.outflow[:hi], 0.0)
    return rolling_risk(daily.days[:hi], wealth_index(r), rf, since=np.datetime64(start, "D"))
