"""The weighting strategies (`engine.strategies`) against hand-worked values.

The covariance fixture: three assets over four daily returns built from mutually orthogonal,
zero-mean patterns u1 = (1, -1, 1, -1), u2 = (1, 1, -1, -1), u3 = (1, -1, -1, 1), so the
sample covariance (n - 1 = 3) of a·u_i and b·u_j is a·b·4/3 when i = j and 0 otherwise:

    A = 0.01 u1, B = 0.02 u2, C = 0.01 u1 + 0.01 u3
    Σ = k [[1, 0, 1], [0, 4, 0], [1, 0, 2]]   with k = 1e-4 · 4/3 (daily)
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

import numpy as np
import pytest

from portfolios.engine.market import day_range
from portfolios.engine.strategies import (
    RISK_PARITY_TOLERANCE,
    StrategyError,
    caps_apply,
    risk_contributions,
    strategy_weights,
    weights_rounded,
)

U1 = np.array([1, -1, 1, -1], dtype=float)
U2 = np.array([1, 1, -1, -1], dtype=float)
U3 = np.array([1, -1, -1, 1], dtype=float)
START = datetime.date(2024, 1, 1)


def closes_from_returns(*columns: np.ndarray) -> np.ndarray:
    """Closes from 100 compounding each column's returns (one more row than returns)."""
    returns = np.column_stack(columns)
    growth = np.vstack([np.ones(returns.shape[1]), np.cumprod(1 + returns, axis=0)])
    return 100 * growth


def days_for(rows: int, start: datetime.date = START) -> np.ndarray:
    return day_range(start, start + datetime.timedelta(days=rows - 1))


@pytest.fixture
def fixture_closes() -> tuple[np.ndarray, np.ndarray, datetime.date]:
    closes = closes_from_returns(0.01 * U1, 0.02 * U2, 0.01 * U1 + 0.01 * U3)
    days = days_for(closes.shape[0])
    return days, closes, START + datetime.timedelta(days=4)


def covariance() -> np.ndarray:
    return 1e-4 * 4 / 3 * np.array([[1, 0, 1], [0, 4, 0], [1, 0, 2]], dtype=float)


# ── equal ────────────────────────────────────────────────────────────────────


def test_equal_weights_are_one_over_n(fixture_closes):
    days, closes, as_of = fixture_closes
    result = strategy_weights("equal", days=days, closes=closes, as_of=as_of)
    assert result.weights == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-15)
    assert result.method == "equal" and result.as_of == as_of
    assert sum(result.weights) == pytest.approx(1, abs=1e-12)


# ── inverse volatility ───────────────────────────────────────────────────────


def test_inverse_volatility_weights_follow_one_over_sigma(fixture_closes):
    days, closes, as_of = fixture_closes
    result = strategy_weights(
        "inverse_volatility", days=days, closes=closes, as_of=as_of, params={"window": 4}
    )
    # s ∝ (1, 2, √2) → w ∝ (1, 1/2, 1/√2) = (1, 0.5, 0.7071068), sum 2.2071068:
    # w = (0.4530818, 0.2265409, 0.3203773).
    assert result.weights == pytest.approx((0.4530818, 0.2265409, 0.3203773), abs=1e-7)
    # s_A = √(1e-4 · 4/3) · √252 = 0.0115470 · 15.8745079 = 0.1833030.
    vols = result.inputs["volatilities"]
    assert vols == pytest.approx((0.1833030, 2 * 0.1833030, math.sqrt(2) * 0.1833030), abs=1e-6)
    assert result.inputs["window"] == 4 and result.inputs["observations"] == 4
    assert result.inputs["first_day"] == START
    assert result.inputs["last_day"] == as_of


# ── risk parity ──────────────────────────────────────────────────────────────


def test_risk_parity_equalises_risk_contributions(fixture_closes):
    days, closes, as_of = fixture_closes
    result = strategy_weights(
        "risk_parity", days=days, closes=closes, as_of=as_of, params={"window": 4}
    )
    # With w = (a, b, c): Σw / k = (a + c, 4b, a + 2c). Equal contributions
    # a(a + c) = 4b² = c(a + 2c) give a² = 2c², so a = √2 c, and 4b² = c²(2 + √2), so
    # b = c·√(2 + √2)/2 = 0.9238795 c. w ∝ (1.4142136, 0.9238795, 1), sum 3.3380931:
    # w = (1.4142136, 0.9238795, 1) / 3.3380931 = (0.4236591, 0.2767687, 0.2995722) — not inverse volatility's, as A and C correlate.
    assert result.weights == pytest.approx((0.4236591, 0.2767687, 0.2995722), abs=1e-7)
    shares = risk_contributions(result.weights, covariance())
    assert shares == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-9)
    assert result.inputs["risk_contributions"] == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-9)
    assert result.inputs["converged"] is True
    assert result.inputs["max_deviation"] <= RISK_PARITY_TOLERANCE
    assert result.inputs["tolerance"] == RISK_PARITY_TOLERANCE
    assert 1 <= result.inputs["iterations"] <= 20  # Newton: a handful of steps


def test_risk_parity_of_uncorrelated_assets_is_inverse_volatility():
    # A = 0.01 u1, B = 0.03 u2: uncorrelated, s_B = 3s_A, so w = (3/4, 1/4) either way.
    closes = closes_from_returns(0.01 * U1, 0.03 * U2)
    days = days_for(5)
    result = strategy_weights(
        "risk_parity",
        days=days,
        closes=closes,
        as_of=START + datetime.timedelta(days=4),
        params={"window": 4},
    )
    assert result.weights == pytest.approx((0.75, 0.25), abs=1e-9)


def test_risk_parity_refuses_a_singular_covariance():
    # B's returns are exactly twice A's: the covariance k[[1, 2], [2, 4]] has determinant 0.
    closes = closes_from_returns(0.01 * U1, 0.02 * U1)
    with pytest.raises(StrategyError, match="more daily returns than assets") as caught:
        strategy_weights(
            "risk_parity",
            days=days_for(5),
            closes=closes,
            as_of=START + datetime.timedelta(days=4),
            params={"window": 4},
        )
    assert caught.value.field == "window"


# ── momentum ─────────────────────────────────────────────────────────────────


@pytest.fixture
def momentum_closes():
    # Six rows, window 5 returns, skip 1: momentum = close[row 4] / close[row 0] - 1.
    closes = np.array(
        [
            #  A      B      C      D
            [100.0, 100.0, 100.0, 100.0],
            [101.0, 105.0, 99.0, 101.0],
            [103.0, 110.0, 98.0, 102.0],
            [106.0, 115.0, 97.0, 104.0],
            [110.0, 120.0, 95.0, 105.0],  # momentum: A 0.10, B 0.20, C -0.05, D 0.05
            [50.0, 200.0, 95.0, 105.0],  # the skipped last row: A crashes
        ]
    )
    return days_for(6), closes, START + datetime.timedelta(days=5)


def test_momentum_holds_the_top_n_equally_and_skips_the_last_month(momentum_closes):
    days, closes, as_of = momentum_closes
    params = {"window": 5, "skip": 1, "top_n": 2}
    result = strategy_weights("momentum", days=days, closes=closes, as_of=as_of, params=params)
    # B (0.20) and A (0.10) lead; A's crash on the skipped row does not count.
    assert result.weights == pytest.approx((0.5, 0.5, 0.0, 0.0), abs=1e-15)
    assert result.inputs["momentum"] == pytest.approx((0.10, 0.20, -0.05, 0.05), abs=1e-12)
    assert result.inputs["selected"] == (0, 1)
    assert result.inputs["momentum_end"] == START + datetime.timedelta(days=4)


def test_momentum_without_skip_reads_the_last_row(momentum_closes):
    days, closes, as_of = momentum_closes
    params = {"window": 5, "skip": 0, "top_n": 2}
    result = strategy_weights("momentum", days=days, closes=closes, as_of=as_of, params=params)
    # Now A = 50/100 - 1 = -0.5, B = 1.0, D = 0.05: B and D are held.
    assert result.weights == pytest.approx((0.0, 0.5, 0.0, 0.5), abs=1e-15)


def test_momentum_proportional_weights_leave_out_non_positive_momentum(momentum_closes):
    days, closes, as_of = momentum_closes
    params = {"window": 5, "skip": 1, "top_n": 4, "weighting": "proportional"}
    result = strategy_weights("momentum", days=days, closes=closes, as_of=as_of, params=params)
    # C (-0.05) is never held; A 0.10, B 0.20, D 0.05 over 0.35: 2/7, 4/7, 1/7.
    assert result.weights == pytest.approx((2 / 7, 4 / 7, 0.0, 1 / 7), abs=1e-12)


def test_momentum_with_nothing_positive_is_an_error():
    closes = np.array([[100.0, 100.0], [90.0, 100.0], [80.0, 100.0]])
    with pytest.raises(StrategyError, match="positive momentum"):
        strategy_weights(
            "momentum",
            days=days_for(3),
            closes=closes,
            as_of=START + datetime.timedelta(days=2),
            params={"window": 2, "skip": 0},
        )


# ── market cap ───────────────────────────────────────────────────────────────


def test_market_cap_weights_are_proportional_to_caps(fixture_closes):
    days, closes, as_of = fixture_closes
    result = strategy_weights(
        "market_cap", days=days, closes=closes, as_of=as_of, market_caps=[3e12, 1e12, 1e12]
    )
    # 3 / 5, 1 / 5, 1 / 5.
    assert result.weights == pytest.approx((0.6, 0.2, 0.2), abs=1e-15)
    assert result.inputs["market_caps"] == (3e12, 1e12, 1e12)


def test_market_cap_names_the_assets_without_one(fixture_closes):
    days, closes, as_of = fixture_closes
    with pytest.raises(StrategyError) as caught:
        strategy_weights(
            "market_cap", days=days, closes=closes, as_of=as_of, market_caps=[3e12, None, 0]
        )
    assert caught.value.columns == (1, 2)
    assert caught.value.message_for(["AAPL", "MSFT", "NVDA"]) == (
        "No market cap is known for: MSFT, NVDA."
    )


# ── caps ─────────────────────────────────────────────────────────────────────


def test_a_cap_redistributes_the_excess_in_proportion():
    # (0.5, 0.3, 0.2) capped at 0.35: A's 0.15 goes 0.6/0.4 → B 0.39, C 0.26; then B's 0.04
    # goes to C → (0.35, 0.35, 0.30).
    assert caps_apply([0.5, 0.3, 0.2], [0.35] * 3) == pytest.approx((0.35, 0.35, 0.30), abs=1e-12)


def test_caps_apply_to_a_strategy_and_are_reported(fixture_closes):
    days, closes, as_of = fixture_closes
    result = strategy_weights(
        "market_cap",
        days=days,
        closes=closes,
        as_of=as_of,
        market_caps=[3e12, 1e12, 1e12],
        params={"cap": 0.5},
    )
    # (0.6, 0.2, 0.2): A's 0.1 split equally → (0.5, 0.25, 0.25).
    assert result.weights == pytest.approx((0.5, 0.25, 0.25), abs=1e-12)
    assert result.inputs["caps"] == (0.5, 0.5, 0.5)
    assert result.inputs["uncapped_weights"] == pytest.approx((0.6, 0.2, 0.2))
    assert max(result.weights) <= 0.5 + 1e-12 and sum(result.weights) == pytest.approx(1)


def test_per_asset_caps_leave_uncapped_assets_free():
    # (0.6, 0.2, 0.2) with caps (0.4, None, 0.25): A's 0.2 goes half to B and half to C
    # → (0.4, 0.3, 0.3); C is over 0.25, its 0.05 goes to B → (0.4, 0.35, 0.25).
    assert caps_apply([0.6, 0.2, 0.2], [0.4, None, 0.25]) == pytest.approx(
        (0.4, 0.35, 0.25), abs=1e-12
    )


def test_infeasible_caps_are_an_error(fixture_closes):
    days, closes, as_of = fixture_closes
    with pytest.raises(StrategyError, match=r"add up to 75\.00%"):
        strategy_weights("equal", days=days, closes=closes, as_of=as_of, params={"cap": 0.25})


def test_caps_count_only_held_assets(momentum_closes):
    days, closes, as_of = momentum_closes
    # Two held (A, B) with a cap of 0.4 each: 0.8 < 1, though four assets x 0.4 would be 1.6.
    with pytest.raises(StrategyError, match="2 weighted assets"):
        strategy_weights(
            "momentum",
            days=days,
            closes=closes,
            as_of=as_of,
            params={"window": 5, "skip": 1, "top_n": 2, "cap": 0.4},
        )


def test_rounded_weights_add_up_to_exactly_one():
    # 1/3 each at 4 places: 0.3333 x 3 = 0.9999, the unit left goes to the first (ties).
    assert weights_rounded([1 / 3, 1 / 3, 1 / 3], 4) == (
        Decimal("0.3334"),
        Decimal("0.3333"),
        Decimal("0.3333"),
    )
    # 2/7, 4/7, 0, 1/7 x 10^4 = 2857.14, 5714.29, 0, 1428.57: floors sum to 9999 and the
    # largest remainder (1/7's, 0.57) takes the unit left: 0.2857, 0.5714, 0, 0.1429.
    assert weights_rounded([2 / 7, 4 / 7, 0.0, 1 / 7], 4) == (
        Decimal("0.2857"),
        Decimal("0.5714"),
        Decimal("0.0000"),
        Decimal("0.1429"),
    )


# ── windows, look-ahead and bad input ────────────────────────────────────────


def test_closes_after_as_of_do_not_change_the_answer(fixture_closes):
    days, closes, as_of = fixture_closes
    later = np.vstack([closes, [[1.0, 1e6, 3.0], [np.nan, 2.0, 1e-3]]])
    more_days = days_for(later.shape[0])
    for method in ("inverse_volatility", "risk_parity"):
        before = strategy_weights(
            method, days=days, closes=closes, as_of=as_of, params={"window": 4}
        )
        after = strategy_weights(
            method, days=more_days, closes=later, as_of=as_of, params={"window": 4}
        )
        assert after == before


def test_a_missing_close_takes_the_previous_one():
    # B has no close on row 2: it keeps row 1's 102, so its returns are (0.02, 0, 0.0392...).
    closes = np.array([[100.0, 100.0], [101.0, 102.0], [102.0, np.nan], [101.0, 106.0]])
    result = strategy_weights(
        "inverse_volatility",
        days=days_for(4),
        closes=closes,
        as_of=START + datetime.timedelta(days=3),
        params={"window": 3},
    )
    assert result.inputs["returns"][1] == pytest.approx(106 / 100 - 1, abs=1e-12)


def test_a_window_longer_than_the_history_is_an_error(fixture_closes):
    days, closes, as_of = fixture_closes
    with pytest.raises(StrategyError, match="Needs 6 days of closes") as caught:
        strategy_weights("risk_parity", days=days, closes=closes, as_of=as_of, params={"window": 5})
    assert caught.value.field == "window"


def test_an_asset_without_closes_at_the_window_start_is_named():
    closes = np.array([[100.0, np.nan], [101.0, 50.0], [102.0, 51.0]])
    with pytest.raises(StrategyError) as caught:
        strategy_weights(
            "inverse_volatility",
            days=days_for(3),
            closes=closes,
            as_of=START + datetime.timedelta(days=2),
            params={"window": 2},
        )
    assert caught.value.columns == (1,)


def test_a_flat_price_has_no_volatility_to_invert():
    closes = np.array([[100.0, 10.0], [101.0, 10.0], [102.0, 10.0]])
    with pytest.raises(StrategyError, match="No price movement") as caught:
        strategy_weights(
            "inverse_volatility",
            days=days_for(3),
            closes=closes,
            as_of=START + datetime.timedelta(days=2),
            params={"window": 2},
        )
    assert caught.value.columns == (1,)


@pytest.mark.parametrize(
    ("method", "params", "match"),
    [
        ("fancy", {}, "Unknown method"),
        ("equal", {"window": 5}, "equal takes no window"),
        ("risk_parity", {"window": 1}, "window must be at least 2"),
        ("risk_parity", {"window": "x"}, "window must be a whole number"),
        ("momentum", {"weighting": "cube"}, "weighting must be"),
        ("equal", {"cap": 0}, "cap must be above 0"),
        ("equal", {"cap": [0.5, 0.5]}, "one value per asset"),
    ],
)
def test_bad_parameters_are_errors(fixture_closes, method, params, match):
    days, closes, as_of = fixture_closes
    with pytest.raises(StrategyError, match=match):
        strategy_weights(method, days=days, closes=closes, as_of=as_of, params=params)


@pytest.mark.parametrize("method", ["inverse_volatility", "risk_parity", "momentum"])
def test_price_moves_beyond_floats_are_an_error_not_a_nan(method):
    # 1e-300 to 1e16 is a ratio of 1e316, beyond the largest float (1.8e308).
    closes = np.array([[100.0, 1e-300], [101.0, 1e16], [102.0, 1e-300], [101.0, 1e16]])
    momentum = {"window": 3, "skip": 0, "weighting": "proportional"}
    params = {"window": 3} if method != "momentum" else momentum
    with pytest.raises(StrategyError, match="extreme"):
        strategy_weights(
            method,
            days=days_for(4),
            closes=closes,
            as_of=START + datetime.timedelta(days=3),
            params=params,
        )
