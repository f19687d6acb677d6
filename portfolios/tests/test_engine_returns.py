"""Behaviour of the returns engine: hand-checked numbers (worked in the comments) and
properties that must hold for any series. No database, no Django."""

from __future__ import annotations

import datetime
import math
import random
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolios.engine import returns

D = datetime.date


def day_range(start: str, n: int) -> np.ndarray:
    return np.datetime64(start, "D") + np.arange(n)


# ── daily returns ────────────────────────────────────────────────────────────


def test_an_inflow_arrives_at_the_start_of_the_day():
    # V_{t-1} = 100, 50 paid in, close 160: r = 160 / (100 + 50) - 1 = 0.0666...
    r = returns.daily_returns([160.0], [50.0], [0.0], 100.0)
    assert r[0] == pytest.approx(160 / 150 - 1, rel=1e-15)
    assert r[0] == pytest.approx(0.066666666666667, abs=1e-14)


def test_an_outflow_leaves_at_the_end_of_the_day():
    # V_{t-1} = 100, close 80 after 30 was taken out: r = (80 + 30) / 100 - 1 = 0.10.
    r = returns.daily_returns([80.0], [0.0], [30.0], 100.0)
    assert r[0] == pytest.approx(0.10, abs=1e-15)


def test_day_with_nothing_invested_has_zero_return():
    # Nothing held and nothing paid in: 0 by definition, even if a value appears.
    r = returns.daily_returns([0.0, 5.0], [0.0, 0.0], [0.0, 0.0], 0.0)
    assert r.tolist() == [0.0, 0.0]


def test_first_buy_from_a_zero_start_value_measures_the_day_from_the_buy():
    # V_{start-1} = 0; buy 1,000 (an inflow) closing at 1,010: r = 1010 / 1000 - 1 = 1 %.
    # Next day 1,010 -> 999.9: r = 999.9 / 1010 - 1 = -1 %.
    r = returns.daily_returns([1010.0, 999.9], [1000.0, 0.0], [0.0, 0.0], 0.0)
    assert r == pytest.approx([0.01, -0.01], abs=1e-15)


def test_wealth_index_and_twr_chain_the_daily_returns():
    # +10 %, -10 %, +20 %: W = 1.1, 0.99, 1.188, so TWR = 18.8 %.
    assert returns.wealth_index([0.1, -0.1, 0.2]) == pytest.approx([1.1, 0.99, 1.188])
    # The same as a value series: 100 -> 110 -> 99 -> 118.8 without flows.
    assert returns.twr([110.0, 99.0, 118.8], [0, 0, 0], [0, 0, 0], 100.0) == pytest.approx(0.188)


def test_twr_ignores_the_size_of_flows():
    # 100 grows 10 % (110); 1,000 paid in; the 1,110 then falls 10 % to 999.
    # TWR = 1.1 * 0.9 - 1 = -1 %, although the money-weighted result is far worse.
    v, i, o = [110.0, 999.0], [0.0, 1000.0], [0.0, 0.0]
    assert returns.twr(v, i, o, 100.0) == pytest.approx(-0.01)


# ── annualisation, gain, simple return ───────────────────────────────────────


def test_annualisation_only_from_a_full_year():
    assert returns.annualise(0.10, 364) is None
    assert returns.annualise(0.10, 365) == pytest.approx(0.10)
    # Two years at 21 %: 1.21^(365/730) - 1 = 1.1 - 1.
    assert returns.annualise(0.21, 730) == pytest.approx(0.10)
    assert returns.annualise(None, 1000) is None


def test_gain_and_simple_return_count_flows_once():
    # Start 1,000; 500 paid in; 200 taken out; end 1,450.
    # gain = 1450 - 1000 - 500 + 200 = 150; simple return = 150 / (1000 + 500) = 10 %.
    v, i, o = [1200.0, 1450.0], [500.0, 0.0], [0.0, 200.0]
    assert returns.gain(v, i, o, 1000.0) == pytest.approx(150.0)
    assert returns.simple_return(v, i, o, 1000.0) == pytest.approx(0.10)


def test_simple_return_is_undefined_without_capital():
    assert returns.simple_return([0.0], [0.0], [0.0], 0.0) is None


# ── XIRR / XNPV ──────────────────────────────────────────────────────────────

EXCEL_FLOWS = [
    (D(2008, 1, 1), -10000),
    (D(2008, 3, 1), 2750),
    (D(2008, 10, 30), 4250),
    (D(2009, 2, 15), 3250),
    (D(2009, 4, 1), 2750),
]


def test_xirr_matches_excels_documentation_example():
    # Microsoft's XIRR page: =XIRR(...) = 0.373362535 (37.34 %).
    assert returns.xirr(EXCEL_FLOWS) == pytest.approx(0.373362535, abs=1e-6)


def test_xirr_ignores_order_and_repeated_dates():
    # The same flows shuffled, the first split in two on its date, and as ISO strings.
    split = [(D(2008, 1, 1), -4000), (D(2008, 1, 1), -6000), *EXCEL_FLOWS[1:]]
    random.Random(3).shuffle(split)
    assert returns.xirr(split) == pytest.approx(0.373362535, abs=1e-6)
    as_text = [(d.isoformat(), str(a)) for d, a in reversed(EXCEL_FLOWS)]
    assert returns.xirr(as_text) == pytest.approx(0.373362535, abs=1e-6)


def test_xirr_of_two_flows_is_the_annualised_growth():
    # 100 -> 121 over 730 days (Actual/365 = 2 years): 1.21^(1/2) - 1 = 10 %.
    assert returns.xirr([(D(2020, 1, 1), -100), (D(2021, 12, 31), 121)]) == pytest.approx(0.1)


def test_xirr_has_no_result_when_all_flows_have_one_sign():
    assert returns.xirr([(D(2020, 1, 1), -100), (D(2021, 1, 1), -5)]) is None
    assert returns.xirr([(D(2020, 1, 1), 100), (D(2021, 1, 1), 0)]) is None
    assert returns.xirr([]) is None
    # Flows that net to nothing on their only date have no rate either.
    assert returns.xirr([(D(2020, 1, 1), -100), (D(2020, 1, 1), 100)]) is None


def test_xnpv_discounts_actual_over_365_from_the_earliest_date():
    # -100 today, +110 in 365 days at 10 %: 110 / 1.1 - 100 = 0.
    flows = [(D(2021, 1, 1), 110.0), (D(2020, 1, 1), -100.0)]  # 2020 is a leap year: 366 days
    assert returns.xnpv(0.10, flows) == pytest.approx(110 / 1.1 ** (366 / 365) - 100)
    assert returns.xnpv(-1.0, flows) is None


@settings(max_examples=150, deadline=None)
@given(
    amounts=st.lists(st.floats(10, 10_000), min_size=1, max_size=40),
    offsets=st.lists(st.integers(0, 6000), min_size=40, max_size=40),
    multiple=st.floats(0.2, 5.0),
)
def test_xirr_finds_the_root_of_conventional_flows(amounts, offsets, multiple):
    # Money in over time, one payout after the last: the NPV falls monotonically in the rate,
    # so exactly one root exists and must be reported. Checked two independent ways: the
    # NPV, evaluated here in plain Python, changes sign across the rate; and pyxirr agrees
    # whenever it answers (it gives up on some near-total losses).
    pyxirr = pytest.importorskip("pyxirr")
    start = D(2005, 1, 1)
    dates = sorted(start + datetime.timedelta(days=o) for o in offsets[: len(amounts)])
    flows = [(d, -a) for d, a in zip(dates, amounts, strict=True)]
    flows.append((dates[-1] + datetime.timedelta(days=30), multiple * sum(amounts)))
    rate = returns.xirr(flows)
    assert rate is not None
    span = (flows[-1][0] - start).days / 365

    def npv_times_growth(y: float) -> float:
        # XNPV x (1 + r)^T at r = e^y - 1: same sign, and no overflow near r = -1.
        return math.fsum(a * math.exp(y * (span - (d - start).days / 365)) for d, a in flows)

    y = math.log1p(rate)
    step = 1e-9 * max(1.0, abs(y))
    assert npv_times_growth(y - step) > 0 > npv_times_growth(y + step)
    theirs = pyxirr.xirr(flows)
    if theirs is not None:
        assert rate == pytest.approx(theirs, rel=1e-7, abs=1e-9)


def test_where_xirr_and_pyxirr_differ_a_near_total_loss_is_no_rate_not_minus_100_percent():
    # pyxirr is the second solver the engine is checked against (a dev dependency only). They
    # agree wherever both answer (above), and differ here: 686.80 in, 0.73 back 30 days later is
    # r = (0.73 / 686.80)^(365/30) - 1, about -1 + 1e-37, which no float above -100 % can hold.
    # pyxirr rounds it to -1.0 (a total loss, which it was not); ours reports no rate.
    pyxirr = pytest.importorskip("pyxirr")
    flows = [(D(2009, 4, 11), -686.7973703249007), (D(2009, 5, 11), 0.7258526014465152)]
    assert pyxirr.xirr(flows) == -1.0
    assert returns.xirr(flows) is None


def test_xirr_on_fifteen_thousand_flows_is_fast():
    rng = np.random.default_rng(5)
    days = np.sort(np.datetime64("2013-01-01") + rng.integers(0, 4400, 15_000))
    amounts = -rng.uniform(100, 1000, 15_000)
    amounts[-1] = -2 * amounts.sum()
    flows = list(zip(days.astype(object), amounts.tolist(), strict=True))
    returns.xirr(flows)
    elapsed = min(_timed(lambda: returns.xirr(flows)) for _ in range(5))
    assert elapsed < 0.05  # ~2 ms here; pyxirr takes ~1 ms


def _timed(call) -> float:
    begin = time.perf_counter()
    call()
    return time.perf_counter() - begin


# ── money-weighted return and the period summary ─────────────────────────────


def test_mwr_flows_follow_the_design():
    # Day before start: -V_{start-1}; each day -I + O; the end day also +V_end.
    days = day_range("2024-01-01", 3)
    dates, amounts = returns.mwr_cash_flows(days, [100, 150, 170], [0, 40, 0], [0, 0, 10], 90)
    assert dates.tolist() == [D(2023, 12, 31), D(2024, 1, 2), D(2024, 1, 3)]
    assert amounts.tolist() == [-90.0, -40.0, 180.0]


def test_mwr_of_a_year_without_flows_is_the_growth():
    # 100 the day before 2024-01-01, 110 on 2024-12-30: 365 days, so MWR = 10 %.
    days = day_range("2024-01-01", 365)
    value = np.linspace(100.0, 110.0, 365)
    zeros = np.zeros(365)
    assert returns.money_weighted_return(days, value, zeros, zeros, 100.0) == pytest.approx(0.10)


def test_mwr_weights_the_money_invested():
    # 100 at the start (2023-12-31), 100 more on 2024-07-01 (183 days later), 220 at the end
    # 2024-12-30 (365 days). XIRR r solves -100 - 100 v^(183/365) + 220 v = 0, v = 1/(1+r);
    # checked with pyxirr's independent solver.
    pyxirr = pytest.importorskip("pyxirr")
    days = day_range("2024-01-01", 365)
    value = np.full(365, 100.0)
    value[182:] = 200.0
    value[-1] = 220.0
    inflow = np.zeros(365)
    inflow[182] = 100.0
    mwr = returns.money_weighted_return(days, value, inflow, np.zeros(365), 100.0)
    expected = pyxirr.xirr([D(2023, 12, 31), D(2024, 7, 1), D(2024, 12, 30)], [-100, -100, 220])
    assert mwr == pytest.approx(expected, rel=1e-9)
    assert 0.10 < mwr < 0.14  # 20 gained on ~150 average capital


def test_a_one_day_period_has_its_own_mwr_where_the_annual_rate_is_too_large():
    # 100 the day before, 150 at the close: the day earned 50 %; a year of such days, 1.5^365
    # (~10^64), is no useful figure, so the annual rate is None and says why.
    days = day_range("2026-01-05", 1)
    weighted = returns.money_weighted(*returns.mwr_cash_flows(days, [150.0], [0], [0], 100.0), 1)
    assert weighted.period == pytest.approx(0.5, rel=1e-12)
    assert weighted.annual is None
    assert "too large to represent" in weighted.note


@pytest.mark.parametrize("close", [0.1, 10.0, 1e4, 1e-6])
def test_the_period_mwr_of_an_extreme_day_is_the_days_move(close):
    days = day_range("2026-01-05", 1)
    perf = returns.performance(days, [close * 100], [0.0], [0.0], 100.0)
    assert perf.mwr_period == pytest.approx(close - 1, rel=1e-9)
    assert perf.mwr is None or math.isfinite(perf.mwr)
    assert perf.mwr_note is not None


def test_the_period_mwr_is_the_annual_rate_brought_to_the_period():
    # 30 days with 50 paid in on day 11: (1 + MWR)^(30/365) - 1, solved for with 30-day units.
    days = day_range("2024-03-01", 30)
    value = np.linspace(100.0, 170.0, 30)
    inflow = np.zeros(30)
    inflow[10] = 50.0
    perf = returns.performance(days, value, inflow, np.zeros(30), 100.0)
    assert perf.mwr is not None and perf.mwr_note is None
    assert perf.mwr_period == pytest.approx((1 + perf.mwr) ** (30 / 365) - 1, rel=1e-9)


def test_a_year_or_longer_has_no_separate_period_mwr():
    days = day_range("2024-01-01", 365)
    perf = returns.performance(days, np.full(365, 110.0), np.zeros(365), np.zeros(365), 100.0)
    assert perf.mwr == pytest.approx(0.10)
    assert perf.mwr_period is None and perf.mwr_note is None


def test_xirr_in_other_units_of_time_is_the_annual_rate_brought_to_them():
    annual = returns.xirr(EXCEL_FLOWS)
    per_30_days = returns.xirr(EXCEL_FLOWS, basis=30)
    assert per_30_days == pytest.approx((1 + annual) ** (30 / 365) - 1, rel=1e-9)


def test_performance_summarises_a_period():
    # 2024-01-01..2024-01-03; start value 1,000; +500 in on day 2; -100 out on day 3.
    days = day_range("2024-01-01", 3)
    perf = returns.performance(days, [1010, 1530, 1450], [0, 500, 0], [0, 0, 100], 1000.0)
    assert (perf.start, perf.end, perf.n_days) == (D(2024, 1, 1), D(2024, 1, 3), 3)
    assert (perf.start_value, perf.end_value) == (1000.0, 1450.0)
    assert (perf.inflows, perf.outflows, perf.net_flows) == (500.0, 100.0, 400.0)
    # gain = 1450 - 1000 - 500 + 100 = 50; simple return = 50 / 1500.
    assert perf.gain == pytest.approx(50.0)
    assert perf.simple_return == pytest.approx(50 / 1500)
    # r = 1010/1000, 1530/(1010 + 500), (1450 + 100)/1530: TWR = 1.01 * 1530/1510 * 1550/1530 - 1
    assert perf.twr == pytest.approx(1.01 * 1550 / 1510 - 1)
    assert perf.twr_annualized is None  # three days
    assert perf.mwr is not None and perf.mwr > 0


def test_performance_of_4400_days_takes_milliseconds():
    rng = np.random.default_rng(1)
    n = 4400
    days = day_range("2013-01-01", n)
    inflow = np.where(rng.random(n) < 0.05, rng.uniform(100, 1000, n), 0.0)
    outflow = np.where(rng.random(n) < 0.01, rng.uniform(10, 100, n), 0.0)
    value = np.cumsum(inflow - outflow) * np.cumprod(1 + rng.normal(0.0003, 0.01, n)) + 1000
    returns.performance(days, value, inflow, outflow, 1000.0)
    elapsed = min(
        _timed(lambda: returns.performance(days, value, inflow, outflow, 1000.0)) for _ in range(5)
    )
    assert elapsed < 0.05


# ── return tables ────────────────────────────────────────────────────────────


def test_monthly_returns_chain_within_each_calendar_month():
    # Jan 30: +10 %, Jan 31: 0 -> January 10 %; Feb 1: -50 %, Feb 2: +20 % -> 0.5*1.2-1 = -40 %.
    days = day_range("2024-01-30", 4)
    table = returns.monthly_returns(days, [0.1, 0.0, -0.5, 0.2])
    assert [(row.start, row.end) for row in table] == [
        (D(2024, 1, 30), D(2024, 1, 31)),
        (D(2024, 2, 1), D(2024, 2, 2)),
    ]
    assert [row.twr for row in table] == pytest.approx([0.1, -0.4])


def test_yearly_returns_split_on_new_year():
    days = day_range("2023-12-31", 3)
    table = returns.yearly_returns(days, [0.5, 0.1, 0.1])
    assert [(row.start.year, row.end) for row in table] == [
        (2023, D(2023, 12, 31)),
        (2024, D(2024, 1, 2)),
    ]
    assert [row.twr for row in table] == pytest.approx([0.5, 0.21])


def test_weeks_run_monday_to_sunday():
    # 2024-01-06 is a Saturday: Sat+Sun are one week, Mon starts the next.
    days = day_range("2024-01-06", 3)
    table = returns.period_returns(days, [0.1, 0.1, 0.1], "week")
    assert [(row.start, row.end) for row in table] == [
        (D(2024, 1, 6), D(2024, 1, 7)),
        (D(2024, 1, 8), D(2024, 1, 8)),
    ]


# ── properties ───────────────────────────────────────────────────────────────

positive_values = st.lists(st.floats(1.0, 1e6), min_size=1, max_size=80)


@settings(max_examples=200, deadline=None)
@given(values=positive_values, before=st.floats(1.0, 1e6))
def test_without_flows_twr_is_end_over_start_value(values, before):
    zeros = [0.0] * len(values)
    growth = 1.0 + returns.twr(values, zeros, zeros, before)  # compare 1 + R: no cancellation
    assert growth == pytest.approx(values[-1] / before, rel=1e-10)


@st.composite
def series_with_flows(draw):
    n = draw(st.integers(1, 60))
    value = draw(st.lists(st.floats(1.0, 1e5), min_size=n, max_size=n))
    flow = st.one_of(st.just(0.0), st.floats(1.0, 1e4))
    inflow = draw(st.lists(flow, min_size=n, max_size=n))
    outflow = draw(st.lists(flow, min_size=n, max_size=n))
    before = draw(st.one_of(st.just(0.0), st.floats(1.0, 1e5)))
    return np.array(value), np.array(inflow), np.array(outflow), before


@settings(max_examples=200, deadline=None)
@given(series=series_with_flows(), factor=st.floats(1e-3, 1e3))
def test_scaling_values_and_flows_changes_no_rate(series, factor):
    value, inflow, outflow, before = series
    days = day_range("2022-03-01", value.size)
    plain = returns.performance(days, value, inflow, outflow, before)
    scaled = returns.performance(
        days, value * factor, inflow * factor, outflow * factor, before * factor
    )
    assert scaled.twr == pytest.approx(plain.twr, rel=1e-9, abs=1e-12)
    assert (scaled.simple_return is None) == (plain.simple_return is None)
    if plain.simple_return is not None:
        assert scaled.simple_return == pytest.approx(plain.simple_return, rel=1e-9, abs=1e-12)
    assert (scaled.mwr is None) == (plain.mwr is None)
    if plain.mwr is not None:
        assert scaled.mwr == pytest.approx(plain.mwr, rel=1e-6, abs=1e-9)
    assert scaled.gain == pytest.approx(plain.gain * factor, rel=1e-9, abs=1e-6 * factor)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(365, 2000),
    before=st.floats(1.0, 1e6),
    daily=st.lists(st.floats(-0.01, 0.01), min_size=1, max_size=30),
)
def test_without_flows_over_a_year_mwr_equals_annualised_twr(n, before, daily):
    moves = np.resize(np.array(daily), n)
    value = before * np.cumprod(1.0 + moves)
    zeros = np.zeros(n)
    perf = returns.performance(day_range("2015-06-01", n), value, zeros, zeros, before)
    assert perf.twr_annualized is not None and perf.mwr is not None
    # TWR is carried as R, not 1 + R: a near-total loss costs digits to cancellation.
    assert perf.mwr == pytest.approx(perf.twr_annualized, rel=1e-7, abs=1e-12)
