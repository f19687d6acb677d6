"""Ledger-state snapshots (`engine.snapshots`): a state packed to plain tuples and unpacked is
the same state (less its sales and flows histories), and a position two checkpoints share is
packed once. No database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portfolios.engine import FxTable, Kind, Txn, replay
from portfolios.engine.snapshots import ledger_pack, ledger_unpack
from portfolios.tests.test_engine_ledger import buy, sell

D = Decimal


def _history() -> list[Txn]:
    return [
        Txn(1, Kind.DEPOSIT, date(2024, 1, 2), None, amount=D("1000"), fee=D("0"), currency="USD"),
        buy(2, date(2024, 1, 3), "10", "100", fee="1"),  # cash 1000 - 1001 = -1
        buy(3, date(2024, 1, 4), "5", "20", asset_id=2),  # cash -1 - 100 = -101
        sell(4, date(2024, 2, 1), "4", "120", fee="2"),  # cash -101 + 478 = 377
    ]


def _state(until: date | None = None):
    return replay(
        _history(),
        method="fifo",
        base_currency="USD",
        fx=FxTable("USD"),
        records_cash=True,
        until=until,
    )


def test_a_packed_state_unpacks_to_the_same_state_without_its_histories() -> None:
    state = _state()
    back = ledger_unpack(ledger_pack(state))
    assert back.positions == state.positions
    # Asset 1 keeps one lot of 6 from the buy of 10 at 100 + 1 fee: cost 1001 x 6/10 = 600.6.
    assert back.positions[1].quantity == D("6")
    assert back.positions[1].cost_base == D("600.6")
    assert [lot.quantity for lot in back.positions[1].lots] == [D("6")]
    assert back.cash == {"USD": D("377")}
    # The balance first closed below zero on 3 Jan (1000 - 1001 = -1).
    assert [(found.first_date, found.amount) for found in back.negative_cash_list()] == [
        (date(2024, 1, 3), D("-1"))
    ]
    # Realized: 4 x 120 - 2 fee - 4/10 x 1001 = 478 - 400.4 = 77.6.
    assert back.realized_gain_base == state.realized_gain_base == D("77.6")
    assert (back.as_of, back.txn_count, back.records_cash) == (date(2024, 2, 1), 4, True)
    assert back.sales == [] and back.flows == []


def test_a_position_two_checkpoints_share_is_packed_once() -> None:
    january = _state(until=date(2024, 1, 31))
    february = _state().copy(share_from=january, changed_assets={1})
    assert february.positions[2] is january.positions[2]  # asset 2 untouched since January
    memo: dict[int, tuple] = {}
    packed_january = ledger_pack(january, memo)
    packed_february = ledger_pack(february, memo)
    january_positions = dict(zip(january.positions, packed_january[2], strict=True))
    february_positions = dict(zip(february.positions, packed_february[2], strict=True))
    assert february_positions[2] is january_positions[2]
    assert february_positions[1] is not january_positions[1]


def test_an_unpacked_state_lets_a_later_pack_reuse_its_positions() -> None:
    memo: dict[int, tuple] = {}
    back = ledger_unpack(ledger_pack(_state()), memo)
    later = back.copy(share_from=back, changed_assets=set())
    again = ledger_pack(later, memo)
    assert all(
        position is memo[id(back.positions[key])]
        for key, position in zip(back.positions, again[2], strict=True)
    )
