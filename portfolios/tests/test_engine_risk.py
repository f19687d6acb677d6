"""Behaviour of the risk engine: hand-checked numbers (worked in the comments) and properties.
No database, no Django."""

from __future__ import annotations

import datetime
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolios.engine import risk

D = datetime.date
SQRT_252 = math.sqrt(252)


def day_range(start: str, n: int) -> np.ndarray:
    return np.datetime64(start, "D") + np.arange(n)


# ── business-day sampling ────────────────────────────────────────────────────


def test_weekend_moves_fold_into_monday():
    # Fri 2024-01-05 .. Mon 2024-01-08, W = 1.01, 1.02, 1.03, 1.04.
    # Fri: 1.01 / 1 - 1 = 1 %; Mon: 1.04 / 1.01 - 1 = 2.9703 % (Sat and Sun included).
    days, r = risk.business_day_returns(day_range("2024-01-05", 4), [1.01, 1.02, 1.03, 1.04])
    assert days.tolist() == [D(2024, 1, 5), D(2024, 1, 8)]
    assert r == pytest.approx([0.01, 0.0297029702970297], abs=1e-15)


def test_a_period_starting_on_saturday_measures_monday_from_the_start():
    # Sat +2 %, Sun to 0.99, Mon closes at 1.05: the one business return is 1.05 / 1 - 1.
    days, r = risk.business_day_returns(day_range("2024-01-06", 3), [1.02, 0.99, 1.05])
    assert days.tolist() == [D(2024, 1, 8)]
    assert r == pytest.approx([0.05], abs=1e-15)


def test_a_trailing_weekend_is_in_no_business_return():
    # Thu 1.01, Fri 1.02, Sat 1.5, Sun 1.6: only Thu and Fri are sampled.
    days, r = risk.business_day_returns(day_range("2024-01-04", 4), [1.01, 1.02, 1.5, 1.6])
    assert days.tolist() == [D(2024, 1, 4), D(2024, 1, 5)]
    assert r == pytest.approx([0.01, 1.02 / 1.01 - 1], abs=1e-15)


def test_a_weekday_holiday_is_a_zero_return():
    # Mon 2024-01-01 (New Year, no bar: value unchanged) stays in as 0.
    _, r = risk.business_day_returns(day_range("2023-12-29", 4), [1.0, 1.0, 1.0, 1.0])
    assert r.tolist() == [0.0, 0.0]


# ── drawdown ─────────────────────────────────────────────────────────────────


def test_drawdown_dates_peak_trough_and_recovery():
    # 2024-01-01.. W = 1.1, 1.2, 0.9, 1.0, 1.2, 1.3: from the 1.2 high (Jan 2) to 0.9
    # (Jan 3) = 0.9 / 1.2 - 1 = -25 %; back at 1.2 on Jan 5.
    # Highs: Dec 31 (W = 1), Jan 1, Jan 2, Jan 6 -> longest gap Jan 2 -> Jan 6 = 4 days.
    result = risk.max_drawdown(day_range("2024-01-01", 6), [1.1, 1.2, 0.9, 1.0, 1.2, 1.3])
    assert result is not None
    assert result.max_drawdown == pytest.approx(-0.25)
    assert (result.peak, result.trough, result.recovery) == (
        D(2024, 1, 2),
        D(2024, 1, 3),
        D(2024, 1, 5),
    )
    assert result.longest_days == 4


def test_an_unrecovered_fall_from_the_start_has_no_recovery_date():
    # W = 0.8, 0.9: the high is W = 1 the day before start (Dec 31); -20 % on Jan 1.
    # No new high by Jan 2, so the open stretch Dec 31 -> Jan 2 is 2 days.
    result = risk.max_drawdown(day_range("2024-01-01", 2), [0.8, 0.9])
    assert result is not None
    assert result.max_drawdown == pytest.approx(-0.2)
    assert (result.peak, result.trough, result.recovery) == (D(2023, 12, 31), D(2024, 1, 1), None)
    assert result.longest_days == 2


def test_the_peak_is_the_last_day_at_the_high():
    # Flat at 1.2 on Jan 1 and Jan 2, then 1.0: drawdown 1 / 1.2 - 1 from Jan 2.
    result = risk.max_drawdown(day_range("2024-01-01", 3), [1.2, 1.2, 1.0])
    assert result is not None
    assert result.max_drawdown == pytest.approx(1 / 1.2 - 1)
    assert result.peak == D(2024, 1, 2)


def test_a_rising_series_has_no_drawdown():
    result = risk.max_drawdown(day_range("2024-01-01", 3), [1.01, 1.02, 1.03])
    assert result == risk.Drawdown(0.0, None, None, None, 1)
    assert risk.max_drawdown(day_range("2024-01-01", 0), []) is None


def test_drawdown_series_is_the_underwater_curve():
    # Highs 1.1, 1.2, 1.2: 0, 0, 0.9 / 1.2 - 1.
    assert risk.drawdown_series([1.1, 1.2, 0.9]) == pytest.approx([0.0, 0.0, -0.25])


# ── volatility, Sharpe, Sortino ──────────────────────────────────────────────


def test_volatility_is_the_annualised_sample_deviation():
    # +1 %, -1 %: mean 0, sample variance (1e-4 + 1e-4) / 1, sd 0.014142; x sqrt(252) = 0.2245.
    assert risk.volatility([0.01, -0.01]) == pytest.approx(math.sqrt(0.0002 * 252))
    assert risk.volatility([0.01]) is None


def test_daily_risk_free_compounds_to_the_annual_rate():
    # (1.05)^(1/252) - 1 = 0.000193631...; 252 such days compound back to 5 %.
    daily = risk.daily_risk_free(0.05)
    assert daily == pytest.approx(0.00019363, abs=1e-8)
    assert (1 + daily) ** 252 == pytest.approx(1.05)
    assert risk.daily_risk_free(0.0) == 0.0


def test_sharpe_uses_the_daily_risk_free_rate():
    # r = 1 %, 2 %, 0 %: mean 1 %, sample sd 1 % -> Sharpe = 1 x sqrt(252) = 15.87.
    r = [0.01, 0.02, 0.0]
    assert risk.sharpe(r) == pytest.approx(SQRT_252)
    # With 5 % a year the excess mean is 1 % - 0.0193631 %, the sd unchanged.
    assert risk.sharpe(r, 0.05) == pytest.approx((0.01 - 0.000193631) / 0.01 * SQRT_252, rel=1e-6)


def test_return_level_ratios_annualise_with_the_given_frequency():
    # Monthly returns 1 %, 2 %, 0 %: mean 1 %, sd 1 % -> Sharpe sqrt(12); volatility 1 % x sqrt(12).
    assert risk.sharpe_ratio([0.01, 0.02, 0.0], 0.0, 12) == pytest.approx(math.sqrt(12))
    assert risk.annual_volatility([0.01, 0.02, 0.0], 12) == pytest.approx(0.01 * math.sqrt(12))


def test_sortino_divides_by_the_downside_of_all_days():
    # +3 %, -1 %: mean 1 % -> 2.52 a year; downside sqrt((0 + 1e-4) / 2) x sqrt(252) = 0.11225;
    # Sortino = 2.52 / 0.11225 = 22.4499.
    assert risk.sortino([0.03, -0.01]) == pytest.approx(22.449944, abs=1e-6)
    assert risk.downside_risk([0.03, -0.01]) == pytest.approx(0.1122497, abs=1e-7)


def test_ratios_are_undefined_without_spread_or_downside():
    assert risk.sharpe([0.01, 0.01, 0.01]) is None  # no variation
    assert risk.sharpe([]) is None
    assert risk.sortino([0.01, 0.02]) is None  # no day below the risk-free rate
    assert risk.downside_risk([0.01, 0.02]) == 0.0


# ── benchmark ────────────────────────────────────────────────────────────────


def test_beta_and_correlation_against_a_benchmark():
    b = np.array([0.01, -0.02, 0.03, 0.0])
    assert risk.beta(2 * b + 0.001, b) == pytest.approx(2.0)
    assert risk.correlation(2 * b + 0.001, b) == pytest.approx(1.0)
    assert risk.beta(-0.5 * b, b) == pytest.approx(-0.5)
    assert risk.correlation(-0.5 * b, b) == pytest.approx(-1.0)
    # A benchmark that does not move explains nothing.
    assert risk.beta(b, np.full(4, 0.01)) is None
    assert risk.correlation(b, np.zeros(4)) is None


def test_beta_uses_population_moments():
    # r = 1, 3; b = 1, 2 (%): cov = ((-1)(-0.5) + (1)(0.5)) / 2 = 0.5; var(b) = 0.25 -> 2.
    # (Sample moments give the same ratio; correlation needs both the same way.)
    assert risk.beta([0.01, 0.03], [0.01, 0.02]) == pytest.approx(2.0)


def test_benchmark_comparison_measures_from_the_close_before_start():
    # Mon 2024-01-01 .. Fri 2024-01-05; the benchmark closed at 100 on the day before start,
    # has no bar on Jan 2 (forward-filled 101) and ends at 104: TWR = 104 / 100 - 1 = 4 %.
    days = day_range("2024-01-01", 5)
    close = np.array([101.0, np.nan, 103.0, 102.0, 104.0])
    filled = np.array([101.0, 101.0, 103.0, 102.0, 104.0])
    bench = np.diff(np.concatenate([[100.0], filled])) / np.concatenate([[100.0], filled[:-1]])
    # A portfolio doubling each benchmark day move: beta 2, correlation 1.
    wealth = np.cumprod(1 + 2 * bench)
    result = risk.benchmark_comparison(days, wealth, close, 100.0)
    assert result is not None
    assert result.twr == pytest.approx(0.04)
    assert result.excess_return == pytest.approx(wealth[-1] - 1 - 0.04)
    assert result.beta == pytest.approx(2.0)
    assert result.correlation == pytest.approx(1.0)
    assert risk.benchmark_comparison(days, wealth, close, float("nan")) is None


def test_risk_metrics_of_a_week():
    # Business returns +1 %, -1 %, +1 %, -1 %, 0: mean 0, sample sd sqrt(4e-4 / 4) = 1 %;
    # volatility 0.01 x sqrt(252); downside sqrt(2e-4 / 5) x sqrt(252) = 0.100399.
    r = np.array([0.01, -0.01, 0.01, -0.01, 0.0])
    wealth = np.cumprod(1 + r)
    metrics = risk.risk_metrics(day_range("2024-01-01", 5), wealth)
    assert metrics.observations == 5
    assert metrics.volatility == pytest.approx(0.01 * SQRT_252, rel=1e-9)
    assert metrics.downside_risk == pytest.approx(math.sqrt(2e-4 / 5) * SQRT_252, rel=1e-9)
    assert metrics.sharpe == pytest.approx(0.0, abs=1e-12)
    assert metrics.drawdown is not None
    # W = 1.01, 0.9999, 1.009899, 0.99980001, ...: never back above 1.01, deepest at the end.
    assert metrics.drawdown.max_drawdown == pytest.approx(0.99980001 / 1.01 - 1)
    assert metrics.risk_free_rate == 0.0


def test_risk_of_4400_days_takes_milliseconds():
    rng = np.random.default_rng(2)
    n = 4400
    days = day_range("2013-01-01", n)
    wealth = np.cumprod(1 + rng.normal(0.0003, 0.01, n))
    close = 100 * np.cumprod(1 + rng.normal(0.0002, 0.01, n))
    begin = time.perf_counter()
    risk.risk_metrics(days, wealth, 0.02)
    risk.benchmark_comparison(days, wealth, close, 100.0, 0.02)
    assert time.perf_counter() - begin < 0.05


# ── properties ───────────────────────────────────────────────────────────────

wealth_paths = st.lists(st.floats(0.01, 100.0), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(wealth=wealth_paths, start=st.dates(D(2000, 1, 1), D(2030, 12, 31)))
def test_max_drawdown_is_the_worst_fall_between_any_two_days(wealth, start):
    # Brute force over every pair (i <= j) of the index with W = 1 prepended.
    level = [1.0, *wealth]
    worst = min(level[j] / level[i] - 1 for j in range(len(level)) for i in range(j + 1))
    days = np.datetime64(start, "D") + np.arange(len(wealth))
    result = risk.max_drawdown(days, wealth)
    assert result is not None
    assert result.max_drawdown == pytest.approx(worst, abs=1e-12)
    if result.peak is None:
        return
    first = start - datetime.timedelta(days=1)  # index 0 of `level`
    peak, trough = (result.peak - first).days, (result.trough - first).days
    assert peak < trough
    assert level[trough] / max(level[: peak + 1]) - 1 == pytest.approx(worst, abs=1e-12)
    after = range(trough + 1, len(level))
    back = [k for k in after if level[k] >= level[peak]]
    expected = first + datetime.timedelta(days=back[0]) if back else None
    assert result.recovery == expected


@settings(max_examples=200, deadline=None)
@given(wealth=wealth_paths, start=st.dates(D(2000, 1, 1), D(2030, 12, 31)))
def test_business_day_returns_compound_to_the_last_business_days_wealth(wealth, start):
    days = np.datetime64(start, "D") + np.arange(len(wealth))
    business_days, r = risk.business_day_returns(days, wealth)
    weekdays = [i for i, d in enumerate(days.tolist()) if d.weekday() < 5]
    assert business_days.tolist() == [days[i].item() for i in weekdays]
    expected = wealth[weekdays[-1]] if weekdays else 1.0
    assert math.prod(1 + x for x in r.tolist()) == pytest.approx(expected, rel=1e-12)


def test_extreme_daily_returns_give_no_infinite_or_overflowing_figure():
    # A portfolio that goes x100, -90 %, x100 ... against a calm benchmark: a mean daily alpha
    # of ~49 compounds over 252 days beyond any float, so alpha is undefined, never an error.
    days = day_range("2024-01-01", 60)  # a Monday
    r = np.where(np.arange(60) % 2 == 0, 99.0, -0.9)
    wealth = np.cumprod(1.0 + r)
    bench_close = 100.0 * np.cumprod(1.0 + np.where(np.arange(60) % 3 == 0, 0.01, -0.005))
    comparison = risk.benchmark_comparison(days, wealth, bench_close, 100.0)
    assert comparison is not None
    assert comparison.alpha is None
    assert comparison.beta is not None and math.isfinite(comparison.beta)
    metrics = risk.risk_metrics(days, wealth)
    for figure in (metrics.volatility, metrics.sharpe, metrics.sortino, metrics.downside_risk):
        assert figure is None or math.isfinite(figure)
