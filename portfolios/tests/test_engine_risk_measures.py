"""The portfolio-level risk measures (engine.risk_measures) on hand-worked calendar series:
business-day sampling, the short-period rules and their notes, captures and rolling figures."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from portfolios.engine.risk_measures import (
    CALMAR_MIN_DAYS,
    TAIL_MIN_OBSERVATIONS,
    capture_ratios,
    conditional_value_at_risk,
    rolling_risk,
    tail_risk,
)


def calendar(start: dt.date, business_returns: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Calendar days from ``start`` (a Monday) and the wealth index whose business-day returns
    are ``business_returns``: weekends keep Friday's value."""
    days, wealth, level, day = [], [], 1.0, start
    remaining = list(business_returns)
    while remaining:
        if day.weekday() < 5:
            level *= 1.0 + remaining.pop(0)
        days.append(day)
        wealth.append(level)
        day += dt.timedelta(days=1)
    return np.array(days, dtype="datetime64[D]"), np.array(wealth)


MONDAY = dt.date(2024, 1, 1)


def test_tail_figures_of_twenty_business_days_match_the_hand_worked_ones():
    # Returns: -5 %, -3 %, then eighteen days of +1 %. Sorted: -0.05, -0.03, 0.01 x 18.
    returns = [-0.05, -0.03] + [0.01] * 18
    days, wealth = calendar(MONDAY, returns)
    figures = tail_risk(days, wealth)
    assert figures.observations == 20
    # VaR: position 0.05 x 19 = 0.95 between -0.05 and -0.03: -0.05 + 0.95 x 0.02 = -0.031.
    assert figures.value_at_risk == pytest.approx(-0.031, abs=1e-12)
    # ES: k = floor(19 x 0.05) = 0, the mean of the lowest one: -0.05.
    assert figures.expected_shortfall == pytest.approx(-0.05, abs=1e-12)
    # Tail ratio: the 95th percentile (position 18.05) is 0.01; 0.01 / 0.031.
    assert figures.tail_ratio == pytest.approx(0.01 / 0.031, rel=1e-9)
    # Omega at rf 0: gains 18 x 0.01 = 0.18 over losses 0.05 + 0.03 = 0.08: 2.25.
    assert figures.omega == pytest.approx(2.25, rel=1e-9)
    # Four weeks are under a year: no Calmar, and the note says why.
    assert figures.calmar is None
    assert "a year or more" in figures.notes["calmar"]
    assert set(figures.notes) == {"calmar"}


def test_a_year_with_one_fall_has_the_calmar_of_its_growth_over_that_fall():
    # 2024 has 366 days and 262 business days. Business day 10 falls 10 %, day 100 rises 20 %:
    # W ends at 0.9 x 1.2 = 1.08; the max drawdown is -10 % (1 -> 0.9, then a new high).
    returns = [0.0] * 262
    returns[9], returns[99] = -0.10, 0.20
    days, wealth = calendar(MONDAY, returns)
    assert days.size == 366
    figures = tail_risk(days, wealth)
    # Calmar = annual return / |max drawdown| = (1.08^(252/262) - 1) / 0.10 (~0.7683).
    assert figures.calmar == pytest.approx((1.08 ** (252 / 262) - 1) / 0.10, rel=1e-12)
    assert "calmar" not in figures.notes


def test_omega_counts_only_what_lies_beyond_the_daily_risk_free_rate():
    # rf 2.52 % a year is (1.0252)^(1/252) - 1 ~ 0.0000989 a day. Returns +1 %, -1 % alternating
    # over 20 days: gains 10 x (0.01 - rf), losses 10 x (0.01 + rf).
    returns = [0.01, -0.01] * 10
    days, wealth = calendar(MONDAY, returns)
    daily = 1.0252 ** (1 / 252) - 1
    figures = tail_risk(days, wealth, risk_free_rate=0.0252)
    assert figures.omega == pytest.approx((0.01 - daily) / (0.01 + daily), rel=1e-9)


def test_a_short_period_has_no_tail_figures_and_says_why():
    days, wealth = calendar(MONDAY, [0.01, -0.02, 0.03])
    figures = tail_risk(days, wealth)
    assert figures.observations == 3
    assert figures.value_at_risk is None and figures.expected_shortfall is None
    assert figures.tail_ratio is None
    assert f"at least {TAIL_MIN_OBSERVATIONS} business days" in figures.notes["value_at_risk"]
    assert "(the period has 3)" in figures.notes["expected_shortfall"]
    # Omega needs only two returns: 0.04 / 0.02.
    assert figures.omega == pytest.approx(2.0, rel=1e-9)


def test_a_weekend_only_period_has_no_figure_but_a_note_for_each():
    days = np.array(["2024-01-06", "2024-01-07"], dtype="datetime64[D]")  # Saturday, Sunday
    figures = tail_risk(days, np.array([1.01, 1.02]))
    assert figures.observations == 0
    assert (figures.calmar, figures.value_at_risk, figures.omega) == (None, None, None)
    assert set(figures.notes) == {
        "calmar",
        "value_at_risk",
        "expected_shortfall",
        "omega",
        "tail_ratio",
    }


def test_a_period_that_never_loses_has_no_omega_nor_calmar_and_says_why():
    days, wealth = calendar(MONDAY, [0.01] * 270)
    assert (days[-1] - days[0]).astype(int) + 1 >= CALMAR_MIN_DAYS
    figures = tail_risk(days, wealth)
    assert figures.omega is None and "risk-free" in figures.notes["omega"]
    assert figures.calmar is None and "No drawdown" in figures.notes["calmar"]


def test_expected_shortfall_averages_the_worst_days_up_to_the_cutoff_position():
    # 41 returns -0.20, -0.10, 0, 0.01 ... : k = floor(40 x 0.05) = 2, the mean of the three
    # lowest: (-0.20 - 0.10 + 0) / 3 = -0.1.
    returns = np.array([-0.20, -0.10, 0.0] + [0.01] * 38)
    assert conditional_value_at_risk(returns) == pytest.approx(-0.1, abs=1e-12)
    assert conditional_value_at_risk([np.nan]) is None


def test_captures_split_the_days_by_the_benchmarks_direction():
    # Mon-Fri; benchmark closes from 100 (the day before start): 102, 99.96, 101.9592, 100.939608,
    # 102.95840016 = +2 %, -2 %, +2 %, -1 %, +2 %. Portfolio: +1 %, -1 %, +1 %, -2 %, +3 %.
    days, wealth = calendar(MONDAY, [0.01, -0.01, 0.01, -0.02, 0.03])
    bench = np.array([102.0, 99.96, 101.9592, 100.939608, 102.95840016])
    found = capture_ratios(days, wealth, bench, 100.0)
    # Up days (1, 3, 5): the portfolio's (1.01 x 1.01 x 1.03)^(252/3) - 1 over the benchmark's
    # 1.02^(3 x 84) - 1; down days (2, 4): (0.99 x 0.98)^(126) - 1 over (0.98 x 0.99)^126 - 1 = 1.
    up = ((1.01 * 1.01 * 1.03) ** 84 - 1) / (1.02**252 - 1)
    assert found.up_capture == pytest.approx(up, rel=1e-9)
    assert found.down_capture == pytest.approx(1.0, rel=1e-9)
    assert found.notes == {}


def test_captures_name_a_direction_the_benchmark_never_took():
    days, wealth = calendar(MONDAY, [0.01, 0.02])
    found = capture_ratios(days, wealth, np.array([101.0, 102.0]), 100.0)
    assert found.down_capture is None
    assert "fell on no business day" in found.notes["down_capture"]
    assert found.up_capture is not None
    assert capture_ratios(days, wealth, np.array([101.0, 102.0]), math.nan) is None


def test_rolling_figures_are_dated_by_each_windows_last_business_day():
    # Window 3 over returns 0.01, 0.03, -0.01, 0.05 (Mon-Thu): two windows.
    days, wealth = calendar(MONDAY, [0.01, 0.03, -0.01, 0.05])
    rolled = rolling_risk(days, wealth, window=3)
    assert rolled.days.tolist() == [dt.date(2024, 1, 3), dt.date(2024, 1, 4)]
    # Window 1: mean 0.01, sd = sqrt(((0)^2 + 0.02^2 + 0.02^2) / 2) = 0.02.
    # Window 2: mean 0.0233.., deviations 0.00667, -0.0333, 0.0267: sd = sqrt(0.0018667/2).
    sd2 = math.sqrt(((0.03 - 0.07 / 3) ** 2 + (-0.01 - 0.07 / 3) ** 2 + (0.05 - 0.07 / 3) ** 2) / 2)
    assert rolled.volatility.tolist() == pytest.approx(
        [0.02 * math.sqrt(252), sd2 * math.sqrt(252)], rel=1e-9
    )
    assert rolled.sharpe.tolist() == pytest.approx(
        [0.01 / 0.02 * math.sqrt(252), (0.07 / 3) / sd2 * math.sqrt(252)], rel=1e-9
    )
    # With rf 2.52 % a year, each window's Sharpe is over r - rf_d, rf_d = 1.0252^(1/252) - 1.
    daily = 1.0252 ** (1 / 252) - 1
    with_rf = rolling_risk(days, wealth, risk_free_rate=0.0252, window=3)
    assert with_rf.sharpe.tolist() == pytest.approx(
        [(0.01 - daily) / 0.02 * math.sqrt(252), (0.07 / 3 - daily) / sd2 * math.sqrt(252)],
        rel=1e-9,
    )
    later = rolling_risk(days, wealth, window=3, since=np.datetime64("2024-01-04"))
    assert later.days.tolist() == [dt.date(2024, 1, 4)]


def test_rolling_figures_are_empty_before_a_full_window_and_gaps_where_flat():
    days, wealth = calendar(MONDAY, [0.01] * 10)
    assert len(rolling_risk(days, wealth)) == 0  # 10 returns, a 252-day window
    flat = rolling_risk(days, wealth, window=5)
    assert len(flat) == 6
    assert np.all(flat.volatility == pytest.approx(0.0, abs=1e-12))
    assert np.all(np.isnan(flat.sharpe))  # no spread: Sharpe undefined, a gap in the chart
