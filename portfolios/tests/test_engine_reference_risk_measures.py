"""The further risk measures against empyrical's published test values
(fixtures/reference/empyrical_risk_measures.json, copied from empyrical's test_stats.py).

One parametrised case per vector, named by its id. Series are percentage lists divided by
``divide_by``; a published NaN is expected as ``None``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from portfolios.engine import risk_measures
from portfolios.tests.test_engine_reference_returns import assert_matches
from portfolios.tests.test_engine_reference_risk import periods_per_year, series

VECTORS = Path(__file__).parent / "fixtures" / "reference" / "empyrical_risk_measures.json"


def cases(kind: str) -> list[Any]:
    """The vectors of ``kind``; a kind without vectors is a FAILING case, never an empty suite."""
    vectors = [v for v in json.loads(VECTORS.read_text(encoding="utf-8")) if v["kind"] == kind]
    if not vectors:
        return [pytest.param(None, id=f"no-vectors-of-kind:{kind}")]
    return [pytest.param(v, id=v["id"]) for v in vectors]


def returns_of(vector: dict[str, Any], name: str = "returns") -> np.ndarray:
    assert vector is not None, f"no vectors in {VECTORS}"
    return series(vector["inputs"][name])[1]


@pytest.mark.parametrize("vector", cases("annual_return"))
def test_annual_return_reproduces_empyrical(vector):
    r = returns_of(vector)
    actual = risk_measures.annual_return(r, periods_per_year(vector["inputs"]["period"]))
    assert_matches(actual, vector["expected"]["annual_return"], vector["tolerance"])


@pytest.mark.parametrize("vector", cases("calmar"))
def test_calmar_ratio_reproduces_empyrical(vector):
    r = returns_of(vector)
    actual = risk_measures.calmar_ratio(r, periods_per_year(vector["inputs"]["period"]))
    assert_matches(actual, vector["expected"]["calmar_ratio"], vector["tolerance"])


@pytest.mark.parametrize("vector", cases("omega"))
def test_omega_ratio_reproduces_empyrical(vector):
    inputs = vector["inputs"] if vector else {}
    r = returns_of(vector)
    risk_free = inputs["risk_free"]
    rf = series(risk_free)[1] if isinstance(risk_free, dict) else float(risk_free)
    actual = risk_measures.omega_ratio(
        r, rf, float(inputs["required_return"]), float(inputs["annualization"])
    )
    assert_matches(actual, vector["expected"]["omega_ratio"], vector["tolerance"])


@pytest.mark.parametrize("vector", cases("tail_ratio"))
def test_tail_ratio_reproduces_empyrical(vector):
    actual = risk_measures.tail_ratio(returns_of(vector))
    assert_matches(actual, vector["expected"]["tail_ratio"], vector["tolerance"])


@pytest.mark.parametrize("vector", cases("value_at_risk"))
def test_value_at_risk_reproduces_empyrical(vector):
    cutoff = float(vector["inputs"]["cutoff"]) if vector else 0.0
    actual = risk_measures.value_at_risk(returns_of(vector), cutoff)
    assert_matches(actual, vector["expected"]["value_at_risk"], vector["tolerance"])


@pytest.mark.parametrize("vector", cases("value_at_risk"))
def test_expected_shortfall_is_the_mean_at_or_below_the_value_at_risk(vector):
    # empyrical's test_conditional_value_at_risk rule (its inputs are random there, so the
    # published VaR series stand in): CVaR = mean(r[r <= VaR]) at the same cutoff.
    r = returns_of(vector)
    cutoff = float(vector["inputs"]["cutoff"])
    var = risk_measures.value_at_risk(r, cutoff)
    expected = float(np.mean(r[r <= var]))
    assert risk_measures.conditional_value_at_risk(r, cutoff) == pytest.approx(expected, abs=1e-7)


CAPTURES = {
    "capture": risk_measures.capture,
    "up_capture": risk_measures.up_capture,
    "down_capture": risk_measures.down_capture,
}


@pytest.mark.parametrize("vector", [case for kind in CAPTURES for case in cases(kind)])
def test_capture_ratios_reproduce_empyrical(vector):
    kind = vector["kind"] if vector else "capture"
    actual = CAPTURES[kind](returns_of(vector), returns_of(vector, "factor_returns"))
    assert_matches(actual, vector["expected"][kind], vector["tolerance"])


@pytest.mark.parametrize("vector", cases("roll_sharpe"))
def test_rolling_sharpe_reproduces_empyrical(vector):
    r = returns_of(vector)
    rolled = risk_measures.rolling_sharpe(r, int(vector["inputs"]["window"]))
    published = vector["expected"]["roll_sharpe_ratio"]
    assert rolled.shape == (len(published),)
    for actual, expected in zip(rolled.tolist(), published, strict=True):
        # Published to 8 decimals: allow that rounding on top of decimal=8.
        assert abs(actual - float(expected)) < 1.5e-8 + 5e-9


@pytest.mark.parametrize("vector", cases("annual_volatility_window"))
def test_rolling_volatility_over_one_window_is_empyricals_annual_volatility(vector):
    r = returns_of(vector)
    rolled = risk_measures.rolling_volatility(r, window=r.size)
    assert rolled.shape == (1,)
    assert_matches(float(rolled[0]), vector["expected"]["annual_volatility"], vector["tolerance"])
