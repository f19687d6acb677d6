"""The ledger against Ghostfolio's published calculator specs (fixtures/reference/vectors.json).

Only the totals carry over (see fixtures/reference/README.md): current value, total investment
under moving-average cost, fees, interest, dividends, quantities and average prices. Ghostfolio's
ROAI percentages and net performance are not reproduced (its standalone fee has "no effect on
performance", while DESIGN §4 makes it an inflow).

Mapping of Ghostfolio's words onto ours:
- "investment" is price * quantity without the fee: our `purchase_value_*` (our cost basis adds
  the fee). "averagePrice" = investment / quantity: our `average_price_local`.
- "fee" sums trade fees and FEE activities: our `fees_base` (single-currency cases, so local
  equals base).
- A FEE/DIVIDEND activity's cash is quantity * unitPrice, plus its fee; a FEE activity with
  quantity 0 and fee 49 is a 49 charge (our fee charge = amount + fee).
- "positions" lists symbols whose first activity is a BUY, SELL or DIVIDEND: our positions that
  traded or received a dividend.
- Without a market price a holding is valued at its last transaction price, as in DESIGN §4.

The vectors are a copy inside the repository (fixtures/reference/); a missing file fails.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from portfolios.engine import (
    FxTable,
    Kind,
    LedgerState,
    Position,
    PriceTable,
    Txn,
    daily_series,
    replay,
    value_holdings,
)

VECTORS = Path(__file__).resolve().parent / "fixtures" / "reference" / "vectors.json"
KINDS = {
    "BUY": Kind.BUY,
    "SELL": Kind.SELL,
    "DIVIDEND": Kind.DIVIDEND,
    "INTEREST": Kind.INTEREST,
    "FEE": Kind.FEE,
}


def _cases() -> list[dict[str, Any]]:
    if not VECTORS.is_file():
        return []  # test_reference_vectors_are_present fails instead
    return [
        entry for entry in json.loads(VECTORS.read_text()) if entry["kind"] == "ghostfolio-roai"
    ]


CASES = _cases()


def _txns(case: dict[str, Any]) -> tuple[list[Txn], dict[str, int]]:
    asset_ids: dict[str, int] = {}
    txns = []
    for txn_id, activity in enumerate(case["inputs"]["activities"], start=1):
        if activity["type"] not in KINDS:
            pytest.fail(f"{case['id']}: no mapping for activity type {activity['type']}")
        kind = KINDS[activity["type"]]
        asset_id = asset_ids.setdefault(activity["symbol"], len(asset_ids) + 1)
        quantity, unit_price = Decimal(activity["quantity"]), Decimal(activity["unitPrice"])
        common = {
            "fee": Decimal(activity["fee"]),
            "currency": activity["assetCurrency"],
        }
        day = date.fromisoformat(activity["date"])
        if kind in (Kind.BUY, Kind.SELL):
            txns.append(
                Txn(txn_id, kind, day, asset_id, quantity=quantity, price=unit_price, **common)
            )
        else:
            txns.append(Txn(txn_id, kind, day, asset_id, amount=quantity * unit_price, **common))
    return txns, asset_ids


def _prices(case: dict[str, Any], asset_ids: dict[str, int]) -> PriceTable:
    market = case["inputs"]["market_prices"]
    if not isinstance(market, dict):
        return PriceTable()  # "none (mock returns 0 = no price for every date)"
    return PriceTable.from_mapping(
        {
            asset_ids[symbol]: {
                date.fromisoformat(day): Decimal(close) for day, close in by_day.items()
            }
            for symbol, by_day in market.items()
            if symbol in asset_ids
        }
    )


def _expected(case: dict[str, Any], target: str) -> Any:
    matches = [item["value"] for item in case["expected"] if item["target"] == target]
    return matches[0] if matches else None


def _investment_positions(state: LedgerState) -> list[Position]:
    return [
        position
        for _, position in sorted(state.positions.items())
        if position.currency is not None or position.dividends_base
    ]


def test_reference_vectors_are_present() -> None:
    assert VECTORS.is_file(), f"{VECTORS} is missing"
    assert len(CASES) >= 5, "expected Ghostfolio ledger vectors in vectors.json"


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_ghostfolio_snapshot_totals_are_reproduced(case: dict[str, Any]) -> None:
    base = case["inputs"]["base_currency"]
    today = date.fromisoformat(case["inputs"]["today"])
    txns, asset_ids = _txns(case)
    prices = _prices(case, asset_ids)
    fx = FxTable(base)  # single-currency specs: every rate is 1
    symbols = {asset_id: symbol for symbol, asset_id in asset_ids.items()}

    state = replay(txns, method="average", base_currency=base, fx=fx, until=today)
    valued = value_holdings(state, prices=prices, fx=fx, day=today)
    snapshot = _expected(case, "portfolioSnapshot")

    assert valued.value == pytest.approx(float(snapshot["currentValueInBaseCurrency"]), rel=1e-12)
    total_investment = sum((p.purchase_value_base for p in state.positions.values()), Decimal(0))
    assert total_investment == Decimal(snapshot["totalInvestment"])
    assert total_investment == Decimal(snapshot["totalInvestmentWithCurrencyEffect"])
    assert state.fees_base == Decimal(snapshot["totalFeesWithCurrencyEffect"])
    assert state.interest_base == Decimal(snapshot["totalInterestWithCurrencyEffect"])
    assert Decimal(snapshot["totalLiabilitiesWithCurrencyEffect"]) == 0  # not modelled

    holdings = {holding.asset_id: holding for holding in valued.holdings}
    positions = _investment_positions(state)
    assert [symbols[p.asset_id] for p in positions] == [p["symbol"] for p in snapshot["positions"]]
    for position, expected in zip(positions, snapshot["positions"], strict=True):
        holding = holdings[position.asset_id]
        assert position.currency == expected["currency"]
        assert position.quantity == Decimal(expected["quantity"])
        assert position.average_price_local == Decimal(expected["averagePrice"])
        assert position.purchase_value_local == Decimal(expected["investment"])
        assert position.purchase_value_base == Decimal(expected["investmentWithCurrencyEffect"])
        assert position.fees_base == Decimal(expected["fee"])
        assert position.fees_base == Decimal(expected["feeInBaseCurrency"])
        assert position.dividends_base == Decimal(expected["dividend"])
        assert position.dividends_base == Decimal(expected["dividendInBaseCurrency"])
        assert position.txn_count == int(expected["activitiesCount"])
        assert position.first_date == date.fromisoformat(expected["dateOfFirstActivity"])
        assert holding.value_base == pytest.approx(
            float(expected["valueInBaseCurrency"]), rel=1e-12
        )
        assert holding.price * holding.fx_rate == pytest.approx(
            float(expected["marketPriceInBaseCurrency"]), rel=1e-12
        )

    last_point = _expected(case, "portfolioSnapshot.historicalData.at(-1)")
    if last_point is not None:
        assert total_investment == Decimal(last_point["totalInvestment"])
        assert total_investment == Decimal(last_point["totalInvestmentValueWithCurrencyEffect"])


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_ghostfolio_daily_value_on_its_today_matches_the_current_value(
    case: dict[str, Any],
) -> None:
    base = case["inputs"]["base_currency"]
    today = date.fromisoformat(case["inputs"]["today"])
    txns, asset_ids = _txns(case)
    start = min((txn.date for txn in txns), default=today)
    series = daily_series(
        txns,
        method="average",
        base_currency=base,
        prices=_prices(case, asset_ids),
        fx=FxTable(base),
        start=start,
        end=today,
    )
    current_value = float(_expected(case, "portfolioSnapshot")["currentValueInBaseCurrency"])
    assert series.value[-1] == pytest.approx(current_value, rel=1e-12)


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if _expected(case, "investments") is not None],
    ids=[case["id"] for case in CASES if _expected(case, "investments") is not None],
)
def test_ghostfolio_investment_per_transaction_date_is_reproduced(case: dict[str, Any]) -> None:
    """getInvestments(): per transaction date, the summed investment (price * quantity, average
    cost on a sell) in the asset's currency."""
    base = case["inputs"]["base_currency"]
    txns, _ = _txns(case)
    produced = []
    for day in sorted({txn.date for txn in txns}):
        state = replay(txns, method="average", base_currency=base, fx=FxTable(base), until=day)
        invested = sum((p.purchase_value_local for p in state.positions.values()), Decimal(0))
        produced.append({"date": day.isoformat(), "investment": invested})
    expected = [
        {"date": item["date"], "investment": Decimal(item["investment"])}
        for item in _expected(case, "investments")
    ]
    assert produced == expected
