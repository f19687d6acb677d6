"""The risk engine against published test vectors (fixtures/reference/vectors.json).

One parametrised case per vector of the kinds pp-volatility, pp-drawdown, sharpe, sortino,
downside_risk, annual_volatility, max_drawdown and alpha_beta, named by the vector's id.

empyrical's cases are percentage lists divided by ``divide_by`` on a date index; NaNs are
skipped; "nan" results are expected as ``None``. Portfolio Performance's cases use PP's own
conventions, which each test converts to ours and says how.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

from portfolios.engine import risk
from portfolios.tests.test_engine_reference_returns import (
    assert_matches,
    reference_cases,
    require,
)

PERIODS_PER_YEAR = {"daily": 252, "weekly": 52, "monthly": 12}


def periods_per_year(period: str) -> int:
    return PERIODS_PER_YEAR[period.split()[0]]


def parse_values(values: list[str] | str) -> np.ndarray:
    """The published list, or the few spelled as an expression ("np.linspace(...)")."""
    if isinstance(values, str):
        spec = re.match(r"np\.linspace\(([^,]+), ([^,]+), num=(\d+)\)", values)
        assert spec, f"unknown values expression {values!r}"
        return np.linspace(float(spec[1]), float(spec[2]), num=int(spec[3]))
    return np.array([float(x) for x in values])


def parse_slice(text: str | None) -> slice:
    if not text:
        return slice(None)
    bounds = re.match(r"\[(-?\d*):(-?\d*)\]", text)
    assert bounds, f"unknown slice {text!r}"
    return slice(int(bounds[1]) if bounds[1] else None, int(bounds[2]) if bounds[2] else None)


def series(spec: dict[str, Any], column: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(dates, returns) of an empyrical series: values / divide_by, negated and sliced."""
    raw = spec[column] if column else spec["values"]
    values = parse_values(raw) / float(spec["divide_by"])
    if spec.get("negate") == "true":
        values = -values
    index = spec["index"]
    start = np.datetime64(
        "-".join(f"{int(p):02d}" for p in index["pandas_date_range_start"].split("-")), "D"
    )
    periods = int(index["periods"])
    # Only daily indexes are ever aligned below; others just keep their order.
    step = {"D": 1, "W": 7}.get(index["freq"], 30)
    dates = start + np.arange(periods) * np.timedelta64(step, "D")
    cut = parse_slice(spec.get("slice"))
    return dates[cut], values[cut]


def aligned(
    left: tuple[np.ndarray, np.ndarray], right: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Inner join on dates, as pandas aligns two series."""
    _, i, j = np.intersect1d(left[0], right[0], return_indices=True)
    return left[1][i], right[1][j]


def rate_or_series(value: str | dict[str, Any], returns_spec: dict[str, Any]) -> Any:
    """A scalar risk-free/required rate, or a series aligned with the returns."""
    if isinstance(value, dict):
        r_dates, _ = series(returns_spec)
        rf_dates, rf = series(value)
        assert np.array_equal(r_dates, rf_dates)
        return rf
    return float(value)


def columns(spec: dict[str, Any]) -> list[str | None]:
    return ["one", "two"] if "one" in spec else [None]


# ── empyrical ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("vector", reference_cases("sharpe"))
def test_sharpe_ratio_reproduces_empyrical(vector):
    v = require(vector)
    inputs, tolerance = v["inputs"], v["tolerance"]
    _, r = series(inputs["returns"])
    if "window" in inputs:  # rolling: one value per full window of observations
        window = int(inputs["window"])
        published = v["expected"]["roll_sharpe_ratio"]
        rolled = [risk.sharpe_ratio(r[k - window : k]) for k in range(window, r.size + 1)]
        assert len(rolled) == len(published)
        for actual, expected in zip(rolled, published, strict=True):
            # Published to 8 decimals, so allow the rounding on top of decimal=8.
            assert actual is not None and abs(actual - float(expected)) < 1.5e-8 + 5e-9
        return
    rf = rate_or_series(inputs["risk_free"], inputs["returns"])
    actual = risk.sharpe_ratio(r, rf, periods_per_year(inputs["period"]))
    assert_matches(actual, v["expected"]["sharpe_ratio"], tolerance)


@pytest.mark.parametrize("vector", reference_cases("sortino"))
def test_sortino_ratio_reproduces_empyrical(vector):
    v = require(vector)
    inputs = v["inputs"]
    required = rate_or_series(inputs["required_return"], inputs["returns"])
    expected = v["expected"]["sortino_ratio"]
    for column in columns(inputs["returns"]):
        _, r = series(inputs["returns"], column)
        actual = risk.sortino_ratio(r, required, periods_per_year(inputs["period"]))
        assert_matches(actual, expected[column] if column else expected, v["tolerance"])


@pytest.mark.parametrize("vector", reference_cases("downside_risk"))
def test_downside_risk_reproduces_empyrical(vector):
    v = require(vector)
    inputs = v["inputs"]
    required = rate_or_series(inputs["required_return"], inputs["returns"])
    expected = v["expected"]["downside_risk"]
    for column in columns(inputs["returns"]):
        _, r = series(inputs["returns"], column)
        actual = risk.downside_risk(r, required, periods_per_year(inputs["period"]))
        assert_matches(actual, expected[column] if column else expected, v["tolerance"])


@pytest.mark.parametrize("vector", reference_cases("annual_volatility"))
def test_annual_volatility_reproduces_empyrical(vector):
    v = require(vector)
    inputs = v["inputs"]
    _, r = series(inputs["returns"])
    actual = risk.annual_volatility(r, periods_per_year(inputs["period"]))
    assert_matches(actual, v["expected"]["annual_volatility"], v["tolerance"])


@pytest.mark.parametrize("vector", reference_cases("max_drawdown"))
def test_max_drawdown_reproduces_empyrical(vector):
    v = require(vector)
    inputs, tolerance = v["inputs"], v["tolerance"]
    _, r = series(inputs["returns"])
    if "window" in inputs:
        window = int(inputs["window"])
        published = v["expected"]["roll_max_drawdown"]
        rolled = [
            risk.max_drawdown_of_returns(r[k - window : k]) for k in range(window, r.size + 1)
        ]
        assert len(rolled) == len(published)
        for actual, expected in zip(rolled, published, strict=True):
            assert_matches(actual, expected, tolerance)
        return
    expected = v["expected"]["max_drawdown"]
    if expected == "expr: empyrical.cum_returns_final(all_negative_returns)":
        # An all-negative series never recovers: its drawdown is its compounded return.
        expected = repr(math.prod(1.0 + float(x) for x in r) - 1.0)
    assert_matches(risk.max_drawdown_of_returns(r), expected, tolerance)


@pytest.mark.parametrize("vector", reference_cases("alpha_beta"))
def test_alpha_and_beta_reproduce_empyrical(vector):
    v = require(vector)
    inputs, expected, tolerance = v["inputs"], v["expected"], v["tolerance"]
    r, b = aligned(series(inputs["returns"]), series(inputs["factor_returns"]))
    if "down_beta" in expected:
        # Down-market alpha/beta: the same statistics over the days the benchmark fell.
        falling = b < 0
        alpha, beta = risk.alpha_beta(r[falling], b[falling])
        assert_matches(alpha, expected["down_alpha"], tolerance)
        assert_matches(beta, expected["down_beta"], tolerance)
        return
    alpha, beta = risk.alpha_beta(r, b)
    assert_matches(beta, expected["beta"], tolerance)
    assert_matches(risk.beta(r, b), expected["beta"], tolerance)
    if "alpha" in expected:
        assert_matches(alpha, expected["alpha"], tolerance)


# ── Portfolio Performance ────────────────────────────────────────────────────


def pp_returns(spec: list[str] | str) -> np.ndarray:
    """PP's returns: a list (with the Java expression "-1 / 300d") or "20 x 0.1"."""
    if isinstance(spec, str):
        count, value = re.fullmatch(r"(\d+) x ([-\d.]+)", spec).groups()
        return np.full(int(count), float(value))
    out = []
    for text in spec:
        fraction = re.fullmatch(r"\s*(-?[\d.]+)\s*/\s*([\d.]+)d?\s*", text)
        out.append(float(fraction[1]) / float(fraction[2]) if fraction else float(text))
    return np.array(out)


@pytest.mark.parametrize("vector", reference_cases("pp-volatility"))
def test_pp_volatility_reproduces_portfolio_performance(vector):
    v = require(vector)
    assert v["inputs"]["filter"] == "all"
    r = pp_returns(v["inputs"]["returns"])
    n = r.size
    # PP works on LOG returns l and does not annualise with 252: its standard deviation is
    # sqrt(sum((l - mean)^2) / (n - 1) * n), i.e. our sample sd of l "annualised" over n
    # periods, and its semi-deviation sqrt(sum_{l < mean}((l - mean)^2) / (n - 1) * n), i.e.
    # our downside risk of l below mean(l) with an annualisation factor of n^2 / (n - 1).
    log_returns = np.log1p(r)
    standard = risk.annual_volatility(log_returns, periods_per_year=n)
    semi = risk.downside_risk(log_returns, float(np.mean(log_returns)), n * n / (n - 1))
    assert_matches(standard, v["expected"]["standardDeviation"], v["tolerance"])
    assert_matches(semi, v["expected"]["semiDeviation"], v["tolerance"])


@pytest.mark.parametrize("vector", reference_cases("pp-drawdown"))
def test_pp_drawdown_reproduces_portfolio_performance(vector):
    v = require(vector)
    inputs = v["inputs"]
    accumulated = np.array([float(x) for x in inputs["values"]])
    assert inputs["startAt"] == "0"
    assert inputs["dates"].startswith("consecutive days starting 2015-01-01")
    days = np.datetime64("2015-01-01") + np.arange(accumulated.size)
    # PP's values are accumulated returns with the first point as the base; we take that
    # point as "the day before start" with W = 1, so W_t = (1 + v_t) / (1 + v_0) after it.
    # PP reports the drawdown as a positive fraction, we as the (negative) fall.
    wealth = (1.0 + accumulated[1:]) / (1.0 + accumulated[0])
    result = risk.max_drawdown(days[1:], wealth)
    assert result is not None
    assert -result.max_drawdown == float(v["expected"]["maxDrawdown"])
    assert result.longest_days == int(v["expected"]["maxDrawdownDuration_days"])
