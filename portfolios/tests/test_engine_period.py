"""engine.period: a period's returns, gain split and benchmark inputs, on numbers worked by hand."""

import math

import numpy as np
import pytest

from portfolios.engine.period import (
    benchmark_base,
    benchmark_curve,
    gain_split,
    period_returns,
)

NAN = float("nan")


def test_the_gain_is_end_minus_start_minus_inflows_plus_outflows_and_splits_exactly():
    # V_{start-1} 1,000, V_end 1,250, paid in 200, paid out 50:
    # gain = 1250 - 1000 - 200 + 50 = 100; simple return = 100 / (1000 + 200) = 1/12.
    # Income 30, fees -5, taxes -3, currency effect 12: price gain = 100 - 30 + 5 + 3 - 12 = 66.
    split = gain_split(
        start_value=1000.0,
        end_value=1250.0,
        inflows=200.0,
        outflows=50.0,
        income=30.0,
        fees=-5.0,
        taxes=-3.0,
        currency_effect=12.0,
    )
    assert split.gain == 100.0
    assert split.simple_return == pytest.approx(1 / 12, rel=1e-15)
    assert split.price_gain == 66.0
    assert (split.income, split.fees, split.taxes, split.currency_effect) == (
        30.0,
        -5.0,
        -3.0,
        12.0,
    )
    parts = split.price_gain + split.income + split.fees + split.taxes + split.currency_effect
    assert parts == split.gain


def test_a_loss_made_of_fees_and_a_falling_currency_has_a_positive_price_gain():
    # Start 500, nothing paid in or out, end 480: gain -20, simple return -20 / 500 = -4 %.
    # Fees -4 and a currency effect of -25: the prices themselves added -20 + 4 + 25 = 9.
    split = gain_split(
        start_value=500.0,
        end_value=480.0,
        inflows=0.0,
        outflows=0.0,
        income=0.0,
        fees=-4.0,
        taxes=0.0,
        currency_effect=-25.0,
    )
    assert split.gain == -20.0
    assert split.simple_return == pytest.approx(-0.04, rel=1e-15)
    assert split.price_gain == 9.0


def test_no_capital_means_no_simple_return():
    # Nothing before the period and nothing paid in: V_{start-1} + ΣI = 0, so no simple return;
    # a dividend of 7 still shows as the gain (7), all of it income.
    split = gain_split(
        start_value=0.0,
        end_value=0.0,
        inflows=0.0,
        outflows=7.0,
        income=7.0,
        fees=0.0,
        taxes=0.0,
        currency_effect=0.0,
    )
    assert split.gain == 7.0
    assert split.simple_return is None
    assert split.price_gain == 0.0


def test_period_returns_follow_the_flow_convention_and_zero_rounding_noise():
    # V_{start-1} = 100. Day 1: V 110, no flows: 110 / 100 - 1 = 0.1.
    # Day 2: V 110 + 1e-12 (the same price valued from floats and Decimals): 9.1e-15, below
    # 1e-12, so 0. Day 3: 50 paid in at the start of the day, V 176: 176 / (110 + 50) - 1 = 0.1.
    # Day 4: 20 paid out at the end of the day, V 140: (140 + 20) / 176 - 1 = -1/11.
    r = period_returns(
        np.array([110.0, 110.0 + 1e-12, 176.0, 140.0]),
        np.array([0.0, 0.0, 50.0, 0.0]),
        np.array([0.0, 0.0, 0.0, 20.0]),
        100.0,
    )
    assert r[0] == pytest.approx(0.1, rel=1e-12)
    assert r[1] == 0.0
    assert r[2] == pytest.approx(0.1, rel=1e-12)
    assert r[3] == pytest.approx(-1 / 11, rel=1e-12)


def test_a_return_just_above_the_noise_is_kept():
    # 100 → 100.000001: r = 1e-8, a real (tiny) move.
    r = period_returns(np.array([100.000001]), np.array([0.0]), np.array([0.0]), 100.0)
    assert r[0] == pytest.approx(1e-8, rel=1e-6)


def test_the_benchmark_base_is_the_close_of_the_day_before_start():
    # Closes on the day before start (40) and on three days of the period (44, none, 50).
    closes, base = benchmark_base(np.array([40.0, 44.0, NAN, 50.0]))
    assert base == 40.0
    assert closes.tolist()[0] == 44.0 and math.isnan(closes[1]) and closes[2] == 50.0


def test_without_a_close_before_start_the_first_close_in_the_period_is_the_base():
    # No close on the day before start nor on the first day (a Monday start): the first close in
    # the period, 50 on the second day, stands in.
    closes, base = benchmark_base(np.array([NAN, NAN, 50.0, 55.0]))
    assert base == 50.0
    assert closes.size == 3


@pytest.mark.parametrize(
    "values",
    [
        [NAN, NAN, NAN],  # no close in the period at all
        [0.0, 10.0, 11.0],  # a base of zero measures nothing
        [-5.0, 10.0],  # nor a negative one
        [math.inf, 10.0],  # nor an infinite one
    ],
)
def test_no_usable_base_means_no_benchmark(values):
    assert benchmark_base(np.array(values)) is None


def test_the_benchmark_curve_forward_fills_and_starts_from_the_base():
    # Base 40. Day 1 has no close yet (the base stands in: 0 %); day 2 closes at 50 (+25 %);
    # day 3 has none (50 carried: +25 %); day 4 closes at 55 (55 / 40 - 1 = +37.5 %).
    curve = benchmark_curve(np.array([NAN, 50.0, NAN, 55.0]), 40.0)
    assert curve.tolist() == pytest.approx([0.0, 0.25, 0.25, 0.375], rel=1e-15)


def test_the_benchmark_curve_does_not_change_its_input():
    closes = np.array([NAN, 20.0])
    benchmark_curve(closes, 10.0)
    assert math.isnan(closes[0])
