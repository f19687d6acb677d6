"""`portfolio_performance` on small portfolios whose figures are worked out by hand from
DESIGN.md §4 (in the comments), never by calling the code under test."""

import datetime as dt
import math
import statistics
from fractions import Fraction as F

import pytest
from pyxirr import xirr as reference_xirr

from portfolios.performance import PeriodError
from portfolios.tests.performance_builders import D, asset, fx_pair, portfolio, report, txn

pytestmark = pytest.mark.django_db


def close_to(value, expected, tolerance=1e-9):
    return value is not None and math.isclose(
        value, float(expected), rel_tol=tolerance, abs_tol=1e-9
    )


# ── A securities-only portfolio in the base currency ─────────────────────────
#
# A: closes 2 Jan 100, 3 Jan 110, 4 Jan 99, 5 Jan 108 (Fri), 8 Jan 120 (Mon); forward-filled
# over the weekend. Benchmark B: 29 Dec 50, 2 Jan 51, 3 Jan 49, 4 Jan 52, 5 Jan 52, 8 Jan 55.
#
#   2 Jan  buy 10 A @ 100, fee 5   inflow 1005 (price x quantity + fee)  V = 1000
#   3 Jan                                                                V = 1100
#   4 Jan  dividend 20             outflow 20 (paid out to the investor) V = 990
#   5 Jan  sell 5 A @ 108, fee 2   outflow 538 (540 - 2)                 V = 540
#   6,7 Jan                                                              V = 540
#   8 Jan  fee 3 (account fee)     inflow 3 (paid in by the investor)    V = 600
#
# r_t = (V_t + O_t) / (V_{t-1} + I_t) - 1 with V_{start-1} = 0:
R = [
    F(1000, 0 + 1005),  # 2 Jan
    F(1100, 1000),  # 3 Jan
    F(990 + 20, 1100),  # 4 Jan
    F(540 + 538, 990),  # 5 Jan
    F(540, 540),  # 6 Jan
    F(540, 540),  # 7 Jan
    F(600, 540 + 3),  # 8 Jan
]
TODAY = D(2024, 1, 8)


@pytest.fixture
def simple(user):
    pf = portfolio(owner=user)
    a = asset(
        "A",
        closes={
            D(2024, 1, 2): 100,
            D(2024, 1, 3): 110,
            D(2024, 1, 4): 99,
            D(2024, 1, 5): 108,
            D(2024, 1, 8): 120,
        },
    )
    b = asset(
        "B",
        asset_class="index",
        closes={
            D(2023, 12, 29): 50,
            D(2024, 1, 2): 51,
            D(2024, 1, 3): 49,
            D(2024, 1, 4): 52,
            D(2024, 1, 5): 52,
            D(2024, 1, 8): 55,
        },
    )
    pf.benchmark = b
    pf.save()
    txn(pf, "buy", D(2024, 1, 2), a, quantity=10, price=100, fee=5)
    txn(pf, "dividend", D(2024, 1, 4), a, amount=20)
    txn(pf, "sell", D(2024, 1, 5), a, quantity=5, price=108, fee=2)
    txn(pf, "fee", D(2024, 1, 8), None, amount=3)
    return pf


def product(factors):
    total = F(1)
    for factor in factors:
        total *= factor
    return total


def test_twr_gain_and_simple_return_by_hand(simple):
    result = report(simple, today=TODAY, period="MAX")
    assert (result.start, result.end, result.n_days) == (D(2024, 1, 2), TODAY, 7)
    assert close_to(result.twr, product(R) - 1)
    assert result.twr_annualized is None  # 7 days < 365
    # Gain = V_end - V_{start-1} - ΣI + ΣO = 600 - 0 - (1005 + 3) + (20 + 538) = 150
    assert result.gain == pytest.approx(150)
    assert result.start_value == 0
    assert result.end_value == pytest.approx(600)
    assert result.net_flows == pytest.approx(1008 - 558)
    # Simple return = gain / (V_{start-1} + ΣI) = 150 / 1008
    assert close_to(result.simple_return, F(150, 1008))


def test_gain_parts_by_hand(simple):
    result = report(simple, today=TODAY, period="MAX")
    # income: the dividend, 20; fees: 5 + 2 + 3 = 10 paid; taxes: none; no foreign currency;
    # price gain: bought 10 at 100 (1000), sold 5 at 108 (540), 5 left at 120 (600):
    # 600 - 1000 + 540 = 140 = 150 - 20 + 10.
    assert result.income == pytest.approx(20)
    assert result.fees == pytest.approx(-10)
    assert result.taxes == 0
    assert result.currency_effect == 0
    assert result.price_gain == pytest.approx(140)
    assert sum(amount for _, _, amount in result.gain_parts) == pytest.approx(result.gain)


def test_mwr_is_the_xirr_of_the_investors_flows(simple):
    result = report(simple, today=TODAY, period="MAX")
    # -1005 on 2 Jan, +20 on 4 Jan, +538 on 5 Jan, -3 + 600 on 8 Jan (the end value).
    dates = [D(2024, 1, 2), D(2024, 1, 4), D(2024, 1, 5), D(2024, 1, 8)]
    amounts = [-1005, 20, 538, 597]
    npv = sum(
        a / (1 + result.mwr) ** ((d - dates[0]).days / 365)
        for d, a in zip(dates, amounts, strict=True)
    )
    assert abs(npv) < 1e-6
    assert result.mwr == pytest.approx(reference_xirr(dates, amounts), rel=1e-6)


def test_drawdown_with_peak_trough_and_recovery_by_hand(simple):
    result = report(simple, today=TODAY, period="MAX")
    # W: 2 Jan 1000/1005; 3 Jan x1.1 (a new high); 4 Jan x1010/1100 -> down 1 - 1010/1100;
    # 5 Jan x1078/990 = 1.09431 < 1.09453 (not back yet); 8 Jan x600/543 -> above the high.
    assert close_to(result.max_drawdown, F(1010, 1100) - 1)
    assert (result.drawdown_peak, result.drawdown_trough, result.drawdown_recovery) == (
        D(2024, 1, 3),
        D(2024, 1, 4),
        D(2024, 1, 8),
    )


def test_volatility_sharpe_and_sortino_by_hand(simple):
    result = report(simple, today=TODAY, period="MAX")
    # Business days 2, 3, 4, 5 and 8 Jan; the weekend's (zero) moves fold into Monday.
    business = [float(r - 1) for r in (R[0], R[1], R[2], R[3], R[4] * R[5] * R[6])]
    sd = statistics.stdev(business)
    assert result.volatility == pytest.approx(sd * math.sqrt(252), rel=1e-9)
    mean = statistics.fmean(business)
    assert result.sharpe == pytest.approx(mean / sd * math.sqrt(252), rel=1e-9)
    downside = math.sqrt(statistics.fmean(min(0.0, r) ** 2 for r in business)) * math.sqrt(252)
    assert result.sortino == pytest.approx(mean * 252 / downside, rel=1e-9)


def test_benchmark_twr_beta_and_correlation_by_hand(simple):
    result = report(simple, today=TODAY, period="MAX")
    # Benchmark TWR: close on 8 Jan over the close of the day before start (29 Dec forward-
    # filled to 1 Jan): 55 / 50 - 1 = 0.1. Excess return = TWR - 0.1.
    assert result.benchmark is not None
    assert result.benchmark.symbol == "B"
    assert close_to(result.benchmark.twr, F(1, 10))
    assert close_to(result.benchmark.excess_return, product(R) - 1 - F(1, 10))
    portfolio_r = [float(r - 1) for r in (R[0], R[1], R[2], R[3], R[4] * R[5] * R[6])]
    bench_r = [51 / 50 - 1, 49 / 51 - 1, 52 / 49 - 1, 52 / 52 - 1, 55 / 52 - 1]
    mp, mb = statistics.fmean(portfolio_r), statistics.fmean(bench_r)
    cov = statistics.fmean((p - mp) * (b - mb) for p, b in zip(portfolio_r, bench_r, strict=True))
    var_b = statistics.fmean((b - mb) ** 2 for b in bench_r)
    var_p = statistics.fmean((p - mp) ** 2 for p in portfolio_r)
    assert result.beta == pytest.approx(cov / var_b, rel=1e-9)
    assert result.correlation == pytest.approx(cov / math.sqrt(var_b * var_p), rel=1e-9)


def test_sub_period_starts_from_the_close_before(simple):
    result = report(simple, today=TODAY, start=D(2024, 1, 4), end=D(2024, 1, 5))
    # V_{start-1} = V(3 Jan) = 1100; flows: dividend 20 and sale 538 out; V_end = 540.
    assert result.start_value == pytest.approx(1100)
    assert close_to(result.twr, R[2] * R[3] - 1)
    assert result.gain == pytest.approx(540 - 1100 + 20 + 538)
    assert result.fees == pytest.approx(-2)


def test_monthly_and_yearly_tables_chain_the_daily_returns(simple):
    result = report(simple, today=TODAY, period="MAX")
    assert [(row.start, row.end) for row in result.monthly] == [(D(2024, 1, 2), TODAY)]
    assert close_to(result.monthly[0].twr, product(R) - 1)
    assert close_to(result.yearly[0].twr, product(R) - 1)
    table = result.monthly_table()
    assert table[0]["year"] == 2024 and table[0]["months"][1:] == [None] * 11


def test_the_daily_series_matches_the_values(simple):
    series = report(simple, today=TODAY, period="MAX").series
    assert [float(v) for v in series.value] == pytest.approx([1000, 1100, 990, 540, 540, 540, 600])
    assert float(series.twr[-1]) == pytest.approx(float(product(R) - 1))
    assert float(series.net_invested[0]) == pytest.approx(1005)
    assert float(series.drawdown[2]) == pytest.approx(float(F(1010, 1100) - 1))
    assert float(series.benchmark[-1]) == pytest.approx(0.1)


def test_series_can_be_left_out(simple):
    assert report(simple, today=TODAY, period="MAX", series=False).series is None


# ── Cash records, in the base currency ───────────────────────────────────────


def test_cash_account_figures_by_hand(user):
    # Deposits are the only flows; interest and fees are performance.
    #   2 Jan deposit 1000; buy 5 X @ 100 fee 1 -> cash 499, securities 500: V = 999, I = 1000
    #   3 Jan interest 2 -> cash 501; X closes 110: V = 550 + 501 = 1051
    pf = portfolio(owner=user, records_cash=True)
    x = asset("X", closes={D(2024, 1, 2): 100, D(2024, 1, 3): 110})
    txn(pf, "deposit", D(2024, 1, 2), None, amount=1000)
    txn(pf, "buy", D(2024, 1, 2), x, quantity=5, price=100, fee=1)
    txn(pf, "interest", D(2024, 1, 3), None, amount=2)
    result = report(pf, today=D(2024, 1, 3), period="MAX")
    # r = 999 / 1000 - 1, then 1051 / 999 - 1: TWR = 1051 / 1000 - 1 = 0.051
    assert close_to(result.twr, F(51, 1000))
    assert result.gain == pytest.approx(51)
    assert result.income == pytest.approx(2)
    assert result.fees == pytest.approx(-1)
    assert result.price_gain == pytest.approx(50)  # 5 x (110 - 100)
    assert result.currency_effect == pytest.approx(0)


# ── A foreign-currency holding: the currency effect ─────────────────────────


def test_currency_effect_by_hand(user):
    # Base USD, securities only. E trades in EUR; EURUSD=X: 1 Jan 1.10, 3 Jan 1.20.
    # E closes: 2 Jan 100, 3 Jan 100, 4 Jan 110 (EUR).
    #   2 Jan buy 10 E @ 100 EUR at the day's 1.10: inflow 1,100 USD   V = 1000 x 1.10 = 1100
    #   3 Jan                                                           V = 1000 x 1.20 = 1200
    #   4 Jan dividend 5 EUR at 1.20: outflow 6; sell 2 E @ 110 with its own rate 1.25:
    #         outflow 220 x 1.25 = 275                                  V = 880 x 1.20 = 1056
    # Gain = 1056 - 1100 + 6 + 275 = 237.
    # Currency effect: the 1,000 EUR held at the close of 2 Jan x (1.20 - 1.10) = 100, none on
    # 4 Jan (the rate did not move), and on the sale booked at 1.25 instead of the day's 1.20:
    # -(220) x (1.20 - 1.25) = +11. Total 111.
    # Price gain: on 4 Jan the local value less the net trades, (880 - 1000 + 220) EUR = 100 EUR,
    # at 1.20 = 120. Income 6. 120 + 6 + 111 = 237.
    pf = portfolio(owner=user)
    fx_pair("EURUSD=X", {D(2024, 1, 1): 1.10, D(2024, 1, 3): 1.20})
    e = asset("E.DE", "EUR", closes={D(2024, 1, 2): 100, D(2024, 1, 3): 100, D(2024, 1, 4): 110})
    txn(pf, "buy", D(2024, 1, 2), e, quantity=10, price=100)
    txn(pf, "dividend", D(2024, 1, 4), e, amount=5)
    txn(pf, "sell", D(2024, 1, 4), e, quantity=2, price=110, fx_rate="1.25")
    result = report(pf, today=D(2024, 1, 4), period="MAX")
    assert result.pending is None
    assert result.end_value == pytest.approx(1056)
    assert result.gain == pytest.approx(237)
    assert result.income == pytest.approx(6)
    assert result.currency_effect == pytest.approx(111)
    assert result.price_gain == pytest.approx(120)
    assert result.fees == 0


def test_foreign_cash_settled_in_the_base_currency_has_no_currency_effect(user):
    # Cash records, settled in USD (the default): 1,000 EUR deposited on 2 Jan at 1.10 arrive
    # as 1,100 USD. EURUSD=X moves to 1.20 on 3 Jan: V stays 1,100, no gain.
    pf = portfolio(owner=user, records_cash=True)
    fx_pair("EURUSD=X", {D(2024, 1, 2): 1.10, D(2024, 1, 3): 1.20})
    txn(pf, "deposit", D(2024, 1, 2), None, amount=1000, currency="EUR")
    result = report(pf, today=D(2024, 1, 3), period="MAX")
    assert result.end_value == pytest.approx(1100)
    assert result.gain == pytest.approx(0, abs=1e-9)
    assert result.currency_effect == pytest.approx(0, abs=1e-9)


def test_a_foreign_buy_in_a_cash_account_owes_no_foreign_cash(user):
    # Cash records, settled in USD: deposit 1,000 USD; buy 10 E @ 50 EUR on 2 Jan at 1.10,
    # paid 550 USD. 3 Jan: EURUSD=X 1.20, E still 50: V = 450 + 500 x 1.20 = 1,050.
    # Gain 50, all currency effect (500 EUR x 0.10); no EUR cash cancels it.
    pf = portfolio(owner=user, records_cash=True)
    fx_pair("EURUSD=X", {D(2024, 1, 2): 1.10, D(2024, 1, 3): 1.20})
    e = asset("E.DE", "EUR", closes={D(2024, 1, 2): 50, D(2024, 1, 3): 50})
    txn(pf, "deposit", D(2024, 1, 2), None, amount=1000)
    txn(pf, "buy", D(2024, 1, 2), e, quantity=10, price=50)
    result = report(pf, today=D(2024, 1, 3), period="MAX")
    assert result.end_value == pytest.approx(1050)
    assert result.gain == pytest.approx(50)
    assert result.currency_effect == pytest.approx(50)
    assert result.price_gain == pytest.approx(0, abs=1e-9)


def test_currency_effect_of_foreign_cash(user):
    # Cash kept per currency: deposit 1,000 EUR on 2 Jan at 1.10 (inflow 1,100 USD), held as
    # EUR cash. EURUSD=X moves to 1.20 on 3 Jan: V = 1,200, gain 100, all currency effect.
    pf = portfolio(owner=user, records_cash=True, cash_per_currency=True)
    fx_pair("EURUSD=X", {D(2024, 1, 2): 1.10, D(2024, 1, 3): 1.20})
    txn(pf, "deposit", D(2024, 1, 2), None, amount=1000, currency="EUR")
    result = report(pf, today=D(2024, 1, 3), period="MAX")
    assert result.gain == pytest.approx(100)
    assert result.currency_effect == pytest.approx(100)
    assert result.price_gain == pytest.approx(0, abs=1e-9)
    assert close_to(result.twr, F(1200, 1100) - 1)


def test_missing_exchange_rate_is_pending_not_an_error(user):
    pf = portfolio(owner=user)
    e = asset("E.DE", "EUR", closes={D(2024, 1, 2): 100})
    txn(pf, "buy", D(2024, 1, 2), e, quantity=1, price=100)
    result = report(pf, today=D(2024, 1, 3), period="MAX")
    assert result.pending and "Exchange rates" in result.pending
    assert result.twr is None


# ── Benchmarks ───────────────────────────────────────────────────────────────


def test_default_benchmark_is_gspc_from_the_catalogue(simple):
    simple.benchmark = None
    simple.save()
    gspc = asset("^GSPC", asset_class="index", closes={D(2024, 1, 1): 4000, D(2024, 1, 8): 4400})
    result = report(simple, today=TODAY, period="MAX")
    assert result.benchmark.asset_id == gspc.pk
    assert close_to(result.benchmark.twr, F(4400, 4000) - 1)


def test_benchmark_without_prices_is_null_and_queued_on_commit(
    simple, benchmark_queue, django_capture_on_commit_callbacks
):
    simple.benchmark = None
    simple.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = report(simple, today=TODAY, period="MAX")
    assert result.benchmark is None
    assert result.beta is None and result.correlation is None
    assert "^GSPC" in result.benchmark_note
    assert benchmark_queue == [("^GSPC", None, D(2024, 1, 1))]
    with django_capture_on_commit_callbacks(execute=True):
        report(simple, today=TODAY, period="1W")
    assert len(benchmark_queue) == 1  # asked once, not on every request


def test_benchmark_in_another_currency_is_converted(user):
    # Base EUR; the benchmark is in USD. EURUSD=X 1.25 then 1.00: USD closes 100 -> 100 become
    # 80 -> 100 EUR, a benchmark return of +25% in EUR.
    pf = portfolio(owner=user, base_currency="EUR")
    fx_pair("EURUSD=X", {D(2024, 1, 1): 1.25, D(2024, 1, 3): 1.00})
    bench = asset("SPX", "USD", asset_class="index", closes={D(2024, 1, 1): 100})
    pf.benchmark = bench
    pf.save()
    x = asset("X.DE", "EUR", closes={D(2024, 1, 2): 10, D(2024, 1, 3): 11})
    txn(pf, "buy", D(2024, 1, 2), x, quantity=1, price=10)
    result = report(pf, today=D(2024, 1, 3), period="MAX")
    assert close_to(result.benchmark.twr, F(1, 4))


# ── Errors and edge cases ────────────────────────────────────────────────────


def test_empty_portfolio_has_no_figures(user):
    result = report(portfolio(owner=user), today=TODAY, period="1Y")
    assert result.has_transactions is False
    assert result.twr is None and result.mwr is None
    assert result.series is None


def test_bad_period_is_an_error(simple):
    with pytest.raises(PeriodError):
        report(simple, today=TODAY, period="10Y")
    with pytest.raises(PeriodError):
        report(simple, today=TODAY, start=D(2024, 1, 5), end=D(2024, 1, 3))


def test_annualised_twr_needs_a_year(user):
    pf = portfolio(owner=user)
    a = asset("A", closes={D(2023, 1, 2): 100, D(2024, 1, 1): 121})
    txn(pf, "buy", D(2023, 1, 2), a, quantity=1, price=100)
    # 2 Jan 2023 .. 1 Jan 2024: 365 days; TWR = 121/100 - 1 = 0.21, annualised alike.
    result = report(pf, today=D(2024, 1, 1), period="MAX")
    assert result.n_days == 365
    assert close_to(result.twr, F(21, 100))
    assert close_to(result.twr_annualized, F(21, 100))
    # MWR: -100 on 2 Jan 2023 (the inflow's own day), +121 on 1 Jan 2024, 364 days later:
    # 1.21^(365/364) - 1.
    assert result.mwr == pytest.approx(1.21 ** (365 / 364) - 1, rel=1e-9)


def test_later_days_without_a_price_are_forward_filled_and_untraded_assets_valued_at_cost(user):
    pf = portfolio(owner=user)
    quiet = asset("Q")  # no prices at all: valued at its last transaction price
    txn(pf, "buy", D(2024, 1, 2), quiet, quantity=3, price=10)
    result = report(pf, today=D(2024, 1, 10), period="MAX")
    assert result.end_value == pytest.approx(30)
    assert result.twr == pytest.approx(0)


def test_dates_of_the_report_are_plain(simple):
    result = report(simple, today=TODAY, period="1W")
    assert isinstance(result.start, dt.date) and result.start == D(2024, 1, 2)


def test_a_portfolio_with_only_future_transactions_has_no_figures_yet(user):
    pf = portfolio(owner=user)
    txn(pf, "buy", D(2024, 2, 1), asset("F"), quantity=1, price=10)
    result = report(pf, today=D(2024, 1, 15), period="MAX")
    assert result.twr is None and result.start == result.end == D(2024, 1, 15)


def test_transactions_after_today_are_left_out(simple):
    txn(simple, "deposit", D(2024, 2, 1), None, amount=100)
    result = report(simple, today=TODAY, period="MAX")
    assert result.end == TODAY
    assert result.pending is None


def test_prices_in_pence_convert_to_pounds(user):
    # Base GBP; a London stock quoted in GBp (pence): 10 bought at 250p with a 100p fee = 26 GBP
    # paid in; the close of 300p values them at 30 GBP; a 50p dividend is 0.50 GBP.
    pf = portfolio(owner=user, base_currency="GBP")
    lse = asset("LSE.L", "GBp", closes={D(2024, 1, 2): 250, D(2024, 1, 3): 300})
    txn(pf, "buy", D(2024, 1, 2), lse, quantity=10, price=250, fee=100)
    txn(pf, "dividend", D(2024, 1, 3), lse, amount=50)
    result = report(pf, today=D(2024, 1, 3), period="MAX")
    assert result.end_value == pytest.approx(30)
    assert result.fees == pytest.approx(-1)
    assert result.income == pytest.approx(0.5)
    assert result.gain == pytest.approx(30 - 26 + 0.5)
    assert result.currency_effect == pytest.approx(0)
    assert result.price_gain == pytest.approx(5)  # 10 x (3.00 - 2.50) GBP
