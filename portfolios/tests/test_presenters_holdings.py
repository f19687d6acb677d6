"""The overview's holdings order and allocation charts (`presenters`), on plain rows: no DB."""

from decimal import Decimal
from types import SimpleNamespace

from portfolios import presenters

D = Decimal


def _row(symbol: str, value: str) -> SimpleNamespace:
    return SimpleNamespace(asset=SimpleNamespace(symbol=symbol), market_value=D(value))


ROWS = [_row("BBB", "50"), _row("AAA", "10"), _row("CCC", "200")]


def test_an_unknown_sort_orders_by_value_largest_first() -> None:
    sort, descending, rows = presenters.holdings_sorted(ROWS, "nonsense", None)
    assert (sort, descending) == ("value", True)
    assert [row.asset.symbol for row in rows] == ["CCC", "BBB", "AAA"]  # 200, 50, 10


def test_symbols_ascend_unless_asked_otherwise() -> None:
    _, descending, rows = presenters.holdings_sorted(ROWS, "symbol", None)
    assert not descending and [row.asset.symbol for row in rows] == ["AAA", "BBB", "CCC"]
    _, descending, rows = presenters.holdings_sorted(ROWS, "symbol", "desc")
    assert descending and [row.asset.symbol for row in rows] == ["CCC", "BBB", "AAA"]


def test_the_allocation_chart_draws_only_what_is_held() -> None:
    slices = [
        SimpleNamespace(key="AAA", label="Alpha", value=D("75"), weight=D("0.75")),
        SimpleNamespace(key="cash", label="Cash", value=D("-5"), weight=None),
    ]
    chart = presenters.allocation_chart_data({"asset": slices, "currency": slices})
    # The asset chart names assets by symbol, the others by label; negative cash is left out.
    assert chart["asset"] == {"labels": ["AAA"], "values": [75.0], "weights": [0.75]}
    assert chart["currency"]["labels"] == ["Alpha"]
