"""The returns engine against published test vectors (fixtures/reference/vectors.json).

One parametrised case per vector of the kinds xirr, xnpv, pp-irr, pp-trade-irr,
pp-security-irr and pp-ttwror, named by the vector's id. The expected numbers are the
publishers' (Excel's documentation, pyxirr's and Portfolio Performance's test suites), never
this code's. A vector "NaN" (that solver found no rate) is expected as ``None``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from portfolios.engine import returns

VECTORS_PATH = Path(__file__).resolve().parent / "fixtures" / "reference" / "vectors.json"


def reference_cases(*kinds: str) -> list[Any]:
    """pytest params (id = vector id) for the vectors of ``kinds``.

    A missing file or a kind without vectors becomes a case that FAILS: a silently empty
    suite would prove nothing.
    """
    if not VECTORS_PATH.is_file():
        return [pytest.param(None, id=f"missing:{VECTORS_PATH}")]
    vectors = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    cases: list[Any] = []
    for kind in kinds:
        of_kind = [v for v in vectors if v["kind"] == kind]
        if not of_kind:
            cases.append(pytest.param(None, id=f"no-vectors-of-kind:{kind}"))
        cases.extend(pytest.param(v, id=v["id"]) for v in of_kind)
    return cases


def require(vector: dict[str, Any] | None) -> dict[str, Any]:
    if vector is None:
        pytest.fail(f"reference vectors unavailable: {VECTORS_PATH} missing or incomplete")
    return vector


def is_nan_text(text: str) -> bool:
    return text.strip().lower() == "nan"


def assert_matches(actual: float | None, expected: str, tolerance: dict[str, str]) -> None:
    """Compare with a published number under the vector's own tolerance rule."""
    if is_nan_text(expected):
        assert actual is None, f"expected no result (published NaN), got {actual!r}"
        return
    assert actual is not None, f"expected {expected}, got None"
    kind = tolerance.get("type", "")
    if kind == "abs":
        assert abs(actual - float(expected)) <= float(tolerance["value"]), (actual, expected)
    elif kind == "round-to-8-decimals-equal":
        # PP rounds both sides HALF_UP to 8 decimals and compares exactly.
        quantum = Decimal("1e-8")
        ours = Decimal(repr(actual)).quantize(quantum, rounding=ROUND_HALF_UP)
        assert ours == Decimal(expected).quantize(quantum, rounding=ROUND_HALF_UP)
    elif kind.startswith("numpy.assert_almost_equal decimal="):
        decimals = int(kind.rsplit("=", 1)[1])
        assert abs(actual - float(expected)) < 1.5 * 10.0**-decimals, (actual, expected)
    elif kind == "exact":
        assert actual == float(expected)
    else:
        pytest.fail(f"unknown tolerance rule {tolerance}")


def cash_flows(rows: list[dict[str, str]]) -> list[tuple[str, Decimal]]:
    return [(row["date"], Decimal(row["amount"])) for row in rows]


# ── XIRR / XNPV ──────────────────────────────────────────────────────────────


@pytest.mark.parametrize("vector", reference_cases("xirr"))
def test_xirr_reproduces_published_rate(vector):
    v = require(vector)
    flows = cash_flows(v["inputs"]["cashflows"])
    # No guess is passed even where Excel's example names 0.1: the published root must come
    # out of the default start.
    assert_matches(returns.xirr(flows), v["expected"]["xirr"], v["tolerance"])


@pytest.mark.parametrize("vector", reference_cases("xnpv"))
def test_xnpv_reproduces_published_value(vector):
    v = require(vector)
    flows = cash_flows(v["inputs"]["cashflows"])
    actual = returns.xnpv(float(v["inputs"]["rate"]), flows)
    assert_matches(actual, v["expected"]["xnpv"], v["tolerance"])


# ── Portfolio Performance: IRR ───────────────────────────────────────────────


@pytest.mark.parametrize("vector", reference_cases("pp-irr"))
def test_pp_irr_reproduces_published_rate(vector):
    v = require(vector)
    flows = cash_flows(v["inputs"]["cashflows"])
    # PP counts days from the FIRST LISTED date, XIRR from the earliest: the same date here.
    assert flows[0][0] == min(date for date, _ in flows)
    assert_matches(returns.xirr(flows), v["expected"]["irr"], v["tolerance"])


def security_irr_flows(transactions: list[dict[str, str]]) -> list[tuple[str, Decimal]]:
    """PP's security-level IRR flows: fees stay in, taxes are added back (pre-tax view)."""
    flows: list[tuple[str, Decimal]] = []
    for t in transactions:
        amount = Decimal(t["amount"])
        if t["type"] == "BUY":  # amount is the total debited, fee included
            flows.append((t["date"], -amount))
        elif t["type"] == "DIVIDENDS":  # net credited; the withheld tax is added back
            flows.append((t["date"], amount + Decimal(t.get("tax_unit", "0"))))
        elif t["type"] == "SELL":  # net credited after fee and tax; only the tax is added back
            flows.append((t["date"], amount + Decimal(t.get("taxes", "0"))))
        else:
            pytest.fail(f"unexpected transaction type {t['type']}")
    return flows


@pytest.mark.parametrize("vector", reference_cases("pp-security-irr"))
def test_pp_security_irr_reproduces_published_rate(vector):
    v = require(vector)
    flows = security_irr_flows(v["inputs"]["transactions"])
    crosscheck = v["expected"].get("excel_crosscheck_cashflows_from_test_comment")
    if crosscheck:  # the flows PP's test comment feeds to Excel
        assert flows == cash_flows(crosscheck)
    assert_matches(returns.xirr(flows), v["expected"]["irr"], v["tolerance"])


def closed_trade_flows(transactions: list[dict[str, str]]) -> list[tuple[str, Decimal]]:
    """Entry and exit flows of the closed part of a long trade, lots matched FIFO."""
    lots: deque[list[Any]] = deque()  # [date, shares left, price]
    flows: list[tuple[str, Decimal]] = []
    for t in transactions:
        shares, price = Decimal(t["shares"]), Decimal(t["price"])
        if t["type"] == "BUY":
            lots.append([t["date"], shares, price])
            continue
        to_close = shares
        while to_close > 0:
            lot = lots[0]
            used = min(lot[1], to_close)
            flows.append((lot[0], -used * lot[2]))
            lot[1] -= used
            to_close -= used
            if lot[1] == 0:
                lots.popleft()
        flows.append((t["date"], shares * price))
    return flows


def evaluate_sum_of_products(expression: str) -> Decimal:
    """'12 * 10 + 5 * 12 + 1 * 30' -> 210 (the test's amount expressions)."""
    assert re.fullmatch(r"[\d.\s*+]+", expression), expression
    total = Decimal(0)
    for term in expression.split("+"):
        product = Decimal(1)
        for factor in term.split("*"):
            product *= Decimal(factor.strip())
        total += product
    return total


@pytest.mark.parametrize("vector", reference_cases("pp-trade-irr"))
def test_pp_closed_trade_irr_reproduces_published_rate(vector):
    v = require(vector)
    expected = v["expected"]
    flows = closed_trade_flows(v["inputs"]["transactions"])
    if "closed_trade_entry_amount_expr" in expected:
        entry = -sum((amount for _, amount in flows if amount < 0), Decimal(0))
        exit_ = sum((amount for _, amount in flows if amount > 0), Decimal(0))
        assert entry == evaluate_sum_of_products(expected["closed_trade_entry_amount_expr"])
        assert exit_ == evaluate_sum_of_products(expected["closed_trade_exit_amount_expr"])
    published = expected.get("closed_trade_irr", expected.get("irr"))
    assert_matches(returns.xirr(flows), published, v["tolerance"])


# ── Portfolio Performance: true time-weighted return (cash account) ──────────

_INFLOW_TYPES = {"DEPOSIT"}
_OUTFLOW_TYPES = {"REMOVAL"}
_INCOME_TYPES = {"INTEREST", "DIVIDENDS"}
_CHARGE_TYPES = {"FEES", "TAXES"}


def cash_account_series(inputs: dict[str, Any]):
    """Daily (days, V, I, O, V_before_start) of a cash-only account.

    DESIGN.md's "with cash records" mode: deposits are inflows, removals outflows; interest,
    fees and taxes change the balance without being flows, so they are performance.
    """
    start = np.datetime64(inputs["interval"]["start"], "D")
    end = np.datetime64(inputs["interval"]["end"], "D")
    days = np.arange(start, end + np.timedelta64(1, "D"), dtype="datetime64[D]")
    change = np.zeros(days.size)
    inflow = np.zeros(days.size)
    outflow = np.zeros(days.size)
    before_start = 0.0
    for t in inputs["account_transactions"]:
        amount = float(t.get("amount", t.get("amount_raw_long")))
        kind = t["type"]
        if kind in _INFLOW_TYPES or kind in _INCOME_TYPES:
            signed = amount
        elif kind in _OUTFLOW_TYPES or kind in _CHARGE_TYPES:
            signed = -amount
        else:
            pytest.fail(f"unexpected account transaction {kind}")
        day = np.datetime64(t["date"], "D")
        if day < start:
            before_start += signed
            continue
        k = int((day - start).astype(int))
        change[k] += signed
        if kind in _INFLOW_TYPES:
            inflow[k] += amount
        elif kind in _OUTFLOW_TYPES:
            outflow[k] += amount
    value = before_start + np.cumsum(change)
    return days, value, inflow, outflow, before_start


@pytest.mark.parametrize("vector", reference_cases("pp-ttwror"))
def test_pp_true_time_weighted_return_reproduces_published_series(vector):
    v = require(vector)
    days, value, inflow, outflow, before_start = cash_account_series(v["inputs"])
    daily = returns.daily_returns(value, inflow, outflow, before_start)
    accumulated = returns.wealth_index(daily) - 1.0
    expected = v["expected"]
    tolerance = v["tolerance"]

    if v["inputs"].get("aggregation") == "WEEKLY":
        # PP compounds the daily deltas within each Monday-Sunday week.
        weeks = returns.period_returns(days, daily, "week")
        delta = np.array([w.twr for w in weeks])
        accumulated = np.cumprod(1.0 + delta) - 1.0
        assert weeks[0].start == days[0].item()  # the first week is the partial Sat-Sun one
    else:
        delta = daily

    if "delta" in expected:
        assert len(delta) == len(expected["delta"])
        for actual, published in zip(delta, expected["delta"], strict=True):
            assert_matches(float(actual), published, tolerance)
    if "accumulated" in expected:
        assert len(accumulated) == len(expected["accumulated"])
        for actual, published in zip(accumulated, expected["accumulated"], strict=True):
            assert_matches(float(actual), published, tolerance)
    if "dates_count_expr" in expected:  # daysBetween(start, end) + 1: both ends included
        assert len(days) == int((days[-1] - days[0]).astype(int)) + 1
    for key, published in expected.items():
        indexed = re.fullmatch(r"accumulated\[(-?\d+)\]", key)
        if indexed:
            assert_matches(float(accumulated[int(indexed.group(1))]), published, tolerance)
    # The first day has no prior day to move from: PP asserts exactly 0.
    if "delta" in expected and v["inputs"].get("aggregation") is None:
        assert delta[0] == 0.0
