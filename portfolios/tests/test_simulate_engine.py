"""The backtest engine (`portfolios.engine.simulate`) against hand-computed examples (no DB)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from portfolios.engine.returns import xirr
from portfolios.engine.simulate import SimulationError, simulate

D = dt.date


def rows(*days: str) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


# Jan 31, Feb 1, Feb 2, Mar 1 2024: a month change on Feb 1 and on Mar 1.
DAYS = rows("2024-01-31", "2024-02-01", "2024-02-02", "2024-03-01")
CLOSES = np.array([[10.0, 20.0], [12.0, 20.0], [12.0, 25.0], [16.0, 25.0]])


def run(**kwargs):
    options = {
        "days": DAYS,
        "closes": CLOSES,
        "start": D(2024, 1, 31),
        "end": D(2024, 3, 1),
        "initial_amount": 1000.0,
        "weights": [0.5, 0.5],
    }
    options.update(kwargs)
    return simulate(**options)


def value_on(sim, day: dt.date) -> float:
    return float(sim.value[(day - D(2024, 1, 31)).days])


def test_never_rebalancing_equals_buy_and_hold():
    sim = run(weights=[0.6, 0.4], rebalance="never")
    # 600 / 10 = 60 of A and 400 / 20 = 20 of B, held throughout.
    assert sim.quantities == pytest.approx([60.0, 20.0])
    assert len(sim.trades) == 2
    # Feb 2: 60 * 12 + 20 * 25 = 1220; Mar 1: 60 * 16 + 20 * 25 = 1460.
    assert value_on(sim, D(2024, 2, 2)) == pytest.approx(1220.0)
    assert value_on(sim, D(2024, 3, 1)) == pytest.approx(1460.0)
    # A weekend day carries Friday's value: Sat 3 Feb = Fri 2 Feb.
    assert value_on(sim, D(2024, 2, 3)) == pytest.approx(1220.0)
    assert sim.metrics.twr == pytest.approx(0.46)  # 1460 / 1000 - 1
    assert sim.days.size == 31  # 31 Jan .. 1 Mar 2024, both ends included


def test_monthly_rebalancing_of_two_assets_matches_the_hand_computed_example():
    sim = run(rebalance="monthly")
    # 31 Jan: 50 A @ 10, 25 B @ 20.
    # 1 Feb: 50 * 12 + 25 * 20 = 1100 → 550 each: A 550/12 = 45.8333 (sell 4.1667),
    #        B 550/20 = 27.5 (buy 2.5).
    # 2 Feb: 45.8333 * 12 + 27.5 * 25 = 550 + 687.5 = 1237.5.
    # 1 Mar: 45.8333 * 16 + 27.5 * 25 = 733.3333 + 687.5 = 1420.8333 → 710.41667 each:
    #        A 710.41667/16 = 44.401042 (sell 1.432292), B 710.41667/25 = 28.416667 (buy 0.916667).
    assert value_on(sim, D(2024, 2, 1)) == pytest.approx(1100.0)
    assert value_on(sim, D(2024, 2, 2)) == pytest.approx(1237.5)
    assert value_on(sim, D(2024, 3, 1)) == pytest.approx(1420.833333)
    assert sim.quantities == pytest.approx([44.401042, 28.416667])
    trades = sim.trades
    assert [str(d) for d in trades.days] == ["2024-01-31"] * 2 + ["2024-02-01"] * 2 + [
        "2024-03-01"
    ] * 2
    assert trades.sides.tolist() == [1, 1, -1, 1, -1, 1]
    assert trades.quantities == pytest.approx([50, 25, 4.166667, 2.5, 1.432292, 0.916667])
    assert trades.prices.tolist() == [10, 20, 12, 20, 16, 25]
    assert sim.metrics.twr == pytest.approx(0.4208333)  # 1420.8333 / 1000 - 1
    assert sim.rebalance_days.size == 3  # the start, 1 Feb, 1 Mar


def test_contributions_are_flows_twr_ignores_them_mwr_does_not():
    days = rows("2024-01-31", "2024-02-01", "2024-02-29")
    closes = np.array([[10.0], [10.0], [20.0]])
    common = {"days": days, "closes": closes, "start": D(2024, 1, 31), "end": D(2024, 2, 29)}
    alone = simulate(**common, initial_amount=1000.0, weights=[1.0])
    added = simulate(**common, initial_amount=1000.0, weights=[1.0], monthly_contribution=1000.0)
    # 100 units, +100 more at 10 on 1 Feb: 200 * 20 = 4000 at the end.
    assert added.metrics.end_value == pytest.approx(4000.0)
    assert added.metrics.invested == pytest.approx(2000.0)
    assert added.contributions == [(D(2024, 1, 31), 1000.0), (D(2024, 2, 1), 1000.0)]
    # TWR is the price's: 20 / 10 - 1 = 100 %, with or without the contribution.
    assert alone.metrics.twr == pytest.approx(1.0)
    assert added.metrics.twr == pytest.approx(1.0)
    # MWR: XIRR of the investor's flows (-1000, -1000, +4000) vs (-1000, +2000).
    expected = xirr([(D(2024, 1, 31), -1000), (D(2024, 2, 1), -1000), (D(2024, 2, 29), 4000)])
    assert added.metrics.mwr == pytest.approx(expected, rel=1e-9)
    # Two flows: (2000 / 1000)^(365/29) - 1 over the 29 days from 31 Jan to 29 Feb.
    assert alone.metrics.mwr == pytest.approx(2.0 ** (365 / 29) - 1, rel=1e-9)
    assert added.metrics.mwr != pytest.approx(alone.metrics.mwr, rel=1e-3)


def test_a_fee_is_paid_per_trade_out_of_the_money_invested():
    sim = run(rebalance="never", fee=1.0)
    # Two trades of 1: 998 invested, 499 each → 49.9 A and 24.95 B.
    assert sim.quantities == pytest.approx([49.9, 24.95])
    assert sim.trades.fees.tolist() == [1.0, 1.0]
    assert value_on(sim, D(2024, 1, 31)) == pytest.approx(998.0)
    # Mar 1: 49.9 * 16 + 24.95 * 25 = 798.4 + 623.75 = 1422.15.
    assert sim.metrics.twr == pytest.approx(0.42215)
    assert sim.cash == pytest.approx(0.0, abs=1e-9)


def test_monthly_fees_and_contribution_join_the_rebalance():
    sim = run(rebalance="monthly", fee=1.0, monthly_contribution=100.0)
    # 1 Feb: 49.9 * 12 + 24.95 * 20 = 1097.8, + 100 = 1197.8, two trades: 1195.8 → 597.9 each.
    assert value_on(sim, D(2024, 2, 1)) == pytest.approx(1195.8)


def test_the_rule_never_sees_a_day_after_the_rebalance_date():
    seen: list[dt.date] = []
    daily = rows(*[str(np.datetime64("2023-12-01") + i) for i in range(120)])
    closes = np.column_stack([np.linspace(10, 20, 120), np.linspace(30, 20, 120)])

    def spy(day: dt.date, days: np.ndarray, window: np.ndarray) -> list[float]:
        assert days[-1] == np.datetime64(day)  # the slice ends at the rebalance date
        assert window.shape == (days.size, 2)
        # The rows it gets are exactly those up to that day, nothing later.
        assert np.array_equal(window, closes[: days.size])
        seen.append(day)
        return [0.5, 0.5]

    simulate(
        days=daily,
        closes=closes,
        start=D(2024, 1, 10),
        end=D(2024, 3, 20),
        initial_amount=1000.0,
        rule=spy,
        rebalance="monthly",
    )
    assert seen == [D(2024, 1, 10), D(2024, 2, 1), D(2024, 3, 1)]


def test_quarterly_and_yearly_rebalance_on_the_first_row_of_a_quarter_or_year():
    daily = rows(*[str(np.datetime64("2023-11-01") + i) for i in range(200)])  # to 18 May 2024
    closes = np.column_stack([np.linspace(10, 20, 200), np.full(200, 5.0)])
    for rebalance, expected in (
        ("quarterly", [D(2023, 11, 1), D(2024, 1, 1), D(2024, 4, 1)]),
        ("yearly", [D(2023, 11, 1), D(2024, 1, 1)]),
    ):
        sim = simulate(
            days=daily,
            closes=closes,
            start=D(2023, 11, 1),
            end=D(2024, 5, 18),
            initial_amount=100.0,
            weights=[0.5, 0.5],
            rebalance=rebalance,
        )
        assert [str(d) for d in sim.rebalance_days] == [d.isoformat() for d in expected]


def test_drift_band_rebalances_only_when_a_weight_leaves_its_band():
    days = rows("2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08")
    closes = np.array([[10.0, 10.0], [12.0, 10.0], [15.0, 10.0], [16.0, 10.0], [16.0, 10.0]])
    sim = simulate(
        days=days,
        closes=closes,
        start=D(2024, 1, 2),
        end=D(2024, 1, 8),
        initial_amount=1000.0,
        weights=[0.5, 0.5],
        rebalance="drift",
        drift_band=10.0,
    )
    # 50 A, 50 B. Weight of A: 600/1100 = 54.5 % (4.5 points), 750/1250 = 60 % (10 points: not
    # beyond the band), 800/1300 = 61.5 % (11.5 points) → rebalance on 5 Jan: 650 each,
    # A 650/16 = 40.625, B 650/10 = 65.
    assert [str(d) for d in sim.rebalance_days] == ["2024-01-02", "2024-01-05"]
    assert sim.quantities == pytest.approx([40.625, 65.0])
    assert float(sim.value[-1]) == pytest.approx(1300.0)


def test_the_benchmark_is_bought_with_the_same_flows():
    days = rows("2024-01-31", "2024-02-01", "2024-02-29")
    closes = np.array([[10.0], [10.0], [20.0]])
    bench = np.array([100.0, 100.0, 110.0])
    sim = simulate(
        days=days,
        closes=closes,
        start=D(2024, 1, 31),
        end=D(2024, 2, 29),
        initial_amount=1000.0,
        weights=[1.0],
        monthly_contribution=1000.0,
        benchmark=bench,
    )
    # 10 units, then 10 more on 1 Feb: 20 * 110 = 2200; its TWR 110 / 100 - 1 = 10 %.
    assert float(sim.benchmark_value[-1]) == pytest.approx(2200.0)
    assert sim.benchmark_metrics.twr == pytest.approx(0.10)
    assert sim.benchmark_metrics.invested == pytest.approx(2000.0)


def test_metrics_come_with_risk_figures():
    sim = run(rebalance="monthly")
    assert sim.metrics.volatility is not None and sim.metrics.volatility > 0
    assert sim.metrics.max_drawdown is not None and sim.metrics.max_drawdown <= 0


def test_no_prices_in_the_range_is_refused():
    with pytest.raises(SimulationError, match="no prices"):
        run(start=D(2025, 1, 1), end=D(2025, 2, 1))


def test_a_weight_on_an_asset_without_a_price_is_refused():
    closes = CLOSES.copy()
    closes[0, 1] = np.nan
    with pytest.raises(SimulationError, match="no price"):
        run(closes=closes)


def test_weights_from_a_rule_must_add_up_to_one():
    with pytest.raises(SimulationError, match="add up"):
        run(weights=None, rule=lambda day, days, closes: [0.5, 0.4])
