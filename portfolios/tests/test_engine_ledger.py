"""Ledger replay: lots, cost basis methods, splits, FX, fees, cash and impossible histories.

Every expected number is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolios.engine import (
    Closes,
    FxTable,
    Kind,
    LedgerError,
    MissingFxRate,
    Txn,
    cash_effect,
    replay,
)
from portfolios.engine.ledger import LedgerState, apply_txn

D = Decimal
USD_ONLY = FxTable("USD")


def buy(txn_id: int, day: date, quantity: str, price: str, fee: str = "0", **extra: object) -> Txn:
    return Txn(
        txn_id,
        Kind.BUY,
        day,
        extra.pop("asset_id", 1),  # type: ignore[arg-type]
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        **extra,  # type: ignore[arg-type]
    )


def sell(txn_id: int, day: date, quantity: str, price: str, fee: str = "0", **extra: object) -> Txn:
    return Txn(
        txn_id,
        Kind.SELL,
        day,
        extra.pop("asset_id", 1),  # type: ignore[arg-type]
        quantity=D(quantity),
        price=D(price),
        fee=D(fee),
        **extra,  # type: ignore[arg-type]
    )


def cash_txn(
    txn_id: int, kind: Kind, day: date, amount: str, fee: str = "0", **extra: object
) -> Txn:
    return Txn(
        txn_id,
        kind,
        day,
        extra.pop("asset_id", None),  # type: ignore[arg-type]
        amount=D(amount),
        fee=D(fee),
        **extra,  # type: ignore[arg-type]
    )


def split(txn_id: int, day: date, ratio: Decimal, asset_id: int = 1) -> Txn:
    return Txn(txn_id, Kind.SPLIT, day, asset_id, ratio=ratio)


TWO_BUYS_ONE_SELL = [
    buy(1, date(2024, 1, 2), "10", "100", fee="5"),  # lot 1 costs 10*100 + 5 = 1005
    buy(2, date(2024, 2, 1), "10", "120", fee="5"),  # lot 2 costs 10*120 + 5 = 1205
    sell(3, date(2024, 3, 1), "15", "130", fee="5"),  # proceeds 15*130 = 1950, net 1945
]


def test_fifo_sells_the_oldest_lots_at_their_own_cost() -> None:
    state = replay(TWO_BUYS_ONE_SELL, method="fifo", base_currency="USD")
    position = state.positions[1]
    sale = state.sales[0]
    # All of lot 1 (1005) plus half of lot 2 (1205 / 2 = 602.5) = 1607.5.
    assert sale.cost_local == D("1607.5")
    # 1950 - 5 - 1607.5 = 337.5
    assert sale.realized_gain_local == D("337.5")
    assert state.realized_gain_base == D("337.5")
    assert position.quantity == D("5")
    assert position.cost_local == D("602.5")  # the other half of lot 2
    assert [(lot.buy_txn_id, lot.quantity, lot.cost_local) for lot in sale.lots] == [
        (1, D("10"), D("1005")),
        (2, D("5"), D("602.5")),
    ]


def test_average_cost_sells_at_the_moving_average() -> None:
    state = replay(TWO_BUYS_ONE_SELL, method="average", base_currency="USD")
    position = state.positions[1]
    sale = state.sales[0]
    # Average = (1005 + 1205) / 20 = 110.5 a unit; 15 units cost 1657.5.
    assert sale.cost_local == D("1657.5")
    # 1945 - 1657.5 = 287.5
    assert sale.realized_gain_base == D("287.5")
    # 5 units left at 110.5 = 552.5.
    assert position.cost_local == D("552.5")
    assert position.average_cost_local == D("110.5")
    # Lots are still consumed oldest first, for their dates; each unit costs 110.5.
    assert [(lot.buy_txn_id, lot.quantity, lot.cost_local) for lot in sale.lots] == [
        (1, D("10"), D("1105")),  # 10 * 110.5
        (2, D("5"), D("552.5")),  # 5 * 110.5
    ]
    (open_lot,) = position.open_lots()
    assert (open_lot.buy_txn_id, open_lot.quantity, open_lot.cost_local) == (2, D("5"), D("552.5"))


def test_partial_sell_across_lots_uses_oldest_lots_first() -> None:
    txns = [
        buy(1, date(2023, 1, 10), "5", "10"),  # lot 1: 5 @ 10 = 50
        buy(2, date(2023, 6, 10), "5", "20"),  # lot 2: 5 @ 20 = 100
        buy(3, date(2024, 1, 10), "5", "30"),  # lot 3: 5 @ 30 = 150
        sell(4, date(2024, 3, 1), "7", "40"),  # all of lot 1, 2 units of lot 2
    ]
    state = replay(txns, method="fifo", base_currency="USD")
    sale = state.sales[0]
    # 2023-01-10 -> 2024-01-10 is 365 days, + 21 (rest of Jan) + 29 (Feb 2024) + 1 = 416.
    # 2023-06-10 -> 2024-03-01: 20 + 31 + 31 + 30 + 31 + 30 + 31 + 31 + 29 + 1 = 265.
    assert [
        (lot.buy_txn_id, lot.quantity, lot.cost_local, lot.holding_days) for lot in sale.lots
    ] == [
        (1, D("5"), D("50"), 416),
        (2, D("2"), D("40"), 265),  # 2 of lot 2's 5 units: 100 * 2/5 = 40
    ]
    # 7 * 40 - (50 + 40) = 190
    assert sale.realized_gain_local == D("190")
    # Left: 3 units of lot 2 (60) and lot 3 untouched (150).
    assert [
        (lot.buy_txn_id, lot.quantity, lot.cost_local) for lot in state.positions[1].open_lots()
    ] == [
        (2, D("3"), D("60")),
        (3, D("5"), D("150")),
    ]
    assert state.positions[1].cost_local == D("210")


def test_split_multiplies_quantity_and_divides_unit_cost() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "100"),  # 10 units, cost 1000
        split(2, date(2024, 2, 1), D(4)),  # 4-for-1: 40 units, still 1000 (25 a unit)
        buy(3, date(2024, 3, 1), "10", "30"),  # 10 more at 30 = 300
        sell(4, date(2024, 4, 2), "45", "35"),  # all 40 of lot 1 (1000) + 5 of lot 2 (150)
    ]
    state = replay(txns, method="fifo", base_currency="USD", until=date(2024, 3, 31))
    position = state.positions[1]
    assert position.quantity == D("50")
    assert position.cost_local == D("1300")
    first_lot = position.open_lots()[0]
    assert (first_lot.quantity, first_lot.unit_cost_local) == (D("40"), D("25"))
    assert position.last_price == D("30")

    state = replay(txns, method="fifo", base_currency="USD")
    # 45 * 35 = 1575 - (1000 + 150) = 425
    assert state.sales[0].realized_gain_local == D("425")
    assert state.positions[1].quantity == D("5")


def test_split_divides_the_last_transaction_price() -> None:
    txns = [buy(1, date(2024, 1, 2), "10", "100"), split(2, date(2024, 2, 1), D(4))]
    state = replay(txns, method="fifo", base_currency="USD")
    assert state.positions[1].last_price == D("25")  # 100 / 4


def test_dividend_in_a_foreign_currency_converts_at_its_own_dates_fx() -> None:
    fx = FxTable(
        "USD",
        {
            "EURUSD=X": Closes.from_pairs(
                [
                    (date(2024, 1, 2), "1.10"),
                    (date(2024, 3, 15), "1.09"),
                    (date(2024, 3, 18), "1.08"),
                ]
            )
        },
    )
    txns = [
        buy(1, date(2024, 1, 2), "10", "20", fee="2", currency="EUR"),
        # Sunday 2024-03-17: Friday's close 1.09 is forward-filled.
        cash_txn(2, Kind.DIVIDEND, date(2024, 3, 17), "50", asset_id=1, currency="EUR"),
    ]
    state = replay(txns, method="fifo", base_currency="USD", fx=fx)
    position = state.positions[1]
    # Lot: 10 * 20 + 2 = 202 EUR at 1.10 = 222.2 USD.
    assert position.cost_local == D("202")
    assert position.cost_base == D("222.2")
    # 50 EUR * 1.09 = 54.5 USD.
    assert position.dividends_base == D("54.5")
    assert state.dividends_base == D("54.5")
    assert state.income_base == D("54.5")
    assert position.fees_base == D("2.2")  # 2 EUR * 1.10


def test_sale_proceeds_convert_at_the_sales_fx_and_cost_at_the_buys() -> None:
    fx = FxTable.from_mapping("USD", {"EURUSD=X": {date(2024, 1, 2): 1.10, date(2024, 6, 3): 1.20}})
    txns = [
        buy(1, date(2024, 1, 2), "10", "20", currency="EUR"),  # 200 EUR * 1.10 = 220 USD
        sell(2, date(2024, 6, 3), "10", "20", currency="EUR"),  # 200 EUR * 1.20 = 240 USD
    ]
    state = replay(txns, method="fifo", base_currency="USD", fx=fx)
    sale = state.sales[0]
    assert sale.realized_gain_local == D("0")  # no gain in euros
    assert sale.realized_gain_base == D("20")  # 240 - 220: all currency effect


def test_fx_rate_on_the_transaction_beats_the_fx_close() -> None:
    fx = FxTable.from_mapping("USD", {"EURUSD=X": {date(2024, 1, 2): "1.1"}})
    with_own_rate = [buy(1, date(2024, 1, 2), "10", "10", currency="EUR", fx_rate=D("1.2"))]
    with_close = [buy(1, date(2024, 1, 2), "10", "10", currency="EUR")]
    # 100 EUR at the transaction's 1.2 = 120; at the close 1.1 = 110.
    assert replay(with_own_rate, method="fifo", base_currency="USD", fx=fx).positions[
        1
    ].cost_base == D("120")
    assert replay(with_close, method="fifo", base_currency="USD", fx=fx).positions[
        1
    ].cost_base == D("110")


def test_inverse_pair_is_used_when_the_direct_one_is_missing() -> None:
    # Base EUR, USD holdings, only EURUSD=X (USD per EUR) loaded: EUR per USD = 1 / 1.25 = 0.8.
    fx = FxTable.from_mapping("EUR", {"EURUSD=X": {date(2024, 1, 2): "1.25"}})
    assert fx.rate("USD", date(2024, 1, 5)) == pytest.approx(0.8)
    assert fx.rate_decimal("USD", date(2024, 1, 5)) == D("0.8")
    state = replay(
        [buy(1, date(2024, 1, 2), "10", "10", currency="USD")],
        method="fifo",
        base_currency="EUR",
        fx=fx,
    )
    assert state.positions[1].cost_base == D("80")  # 100 USD * 0.8


def test_fx_close_is_forward_filled_over_weekends_and_missing_before_its_first_bar() -> None:
    fx = FxTable.from_mapping(
        "USD", {"EURUSD=X": {date(2024, 3, 15): "1.09", date(2024, 3, 18): "1.08"}}
    )
    assert fx.rate_decimal("EUR", date(2024, 3, 16)) == D("1.09")  # Saturday: Friday's close
    assert fx.rate_decimal("EUR", date(2024, 3, 17)) == D("1.09")  # Sunday
    assert fx.rate_decimal("EUR", date(2024, 3, 18)) == D("1.08")
    assert fx.rate("USD", date(2000, 1, 1)) == 1.0  # the base is always 1
    with pytest.raises(MissingFxRate):
        fx.rate("EUR", date(2024, 3, 14))


def test_required_pairs_names_direct_and_inverse_yahoo_symbols() -> None:
    assert FxTable.required_pairs({"USD", "EUR", "GBp", "CHF"}, "USD") == {
        "CHF": ("CHFUSD=X", "USDCHF=X"),
        "EUR": ("EURUSD=X", "USDEUR=X"),
        "GBp": ("GBPUSD=X", "USDGBP=X"),
    }


def test_pence_convert_through_pounds() -> None:
    fx = FxTable.from_mapping("USD", {"GBPUSD=X": {date(2024, 1, 2): "1.25"}})
    # 1 penny = 1.25 / 100 USD.
    assert fx.rate_decimal("GBp", date(2024, 1, 2)) == D("0.0125")


def test_missing_fx_rate_names_the_pair_and_the_transaction() -> None:
    txns = [buy(7, date(2024, 1, 2), "1", "10", currency="GBP")]
    with pytest.raises(MissingFxRate) as caught:
        replay(txns, method="fifo", base_currency="USD", fx=USD_ONLY)
    assert caught.value.txn_id == 7
    assert caught.value.currency == "GBP"
    assert "GBPUSD=X" in str(caught.value)


def test_selling_more_than_held_is_rejected_naming_the_transaction() -> None:
    txns = [buy(1, date(2024, 1, 2), "5", "10"), sell(42, date(2024, 3, 1), "10", "12")]
    with pytest.raises(LedgerError) as caught:
        replay(txns, method="fifo", base_currency="USD")
    assert caught.value.txn_id == 42
    assert str(caught.value) == "Sell of 10 on 1 Mar 2024 exceeds the 5 held"


def test_a_sell_entered_before_a_same_day_buy_is_rejected() -> None:
    # Replay is by (date, entry order): the sell comes first on 2024-01-02 and nothing is held.
    txns = [sell(1, date(2024, 1, 2), "5", "10"), buy(2, date(2024, 1, 2), "5", "10")]
    with pytest.raises(LedgerError) as caught:
        replay(txns, method="fifo", base_currency="USD")
    assert caught.value.txn_id == 1


def test_entry_order_is_kept_within_a_day_and_dates_reorder_the_rest() -> None:
    txns = [
        sell(3, date(2024, 2, 1), "5", "12"),  # entered first, dated last
        buy(1, date(2024, 1, 2), "5", "10"),
    ]
    state = replay(txns, method="fifo", base_currency="USD")
    assert state.sales[0].realized_gain_local == D("10")  # 5 * 12 - 5 * 10


@pytest.mark.parametrize(
    ("txns", "bad_id", "words"),
    [
        ([sell(1, date(2024, 1, 2), "1", "10")], 1, "never bought"),
        ([split(1, date(2024, 1, 2), D(2))], 1, "not held"),
        (
            [
                buy(1, date(2024, 1, 2), "1", "10"),
                sell(2, date(2024, 1, 3), "1", "10"),
                split(3, date(2024, 1, 4), D(2)),
            ],
            3,
            "not held",
        ),
        ([buy(1, date(2024, 1, 2), "0", "10")], 1, "quantity above zero"),
        ([buy(1, date(2024, 1, 2), "-1", "10")], 1, "quantity above zero"),
        ([buy(1, date(2024, 1, 2), "1", "-10")], 1, "price"),
        ([buy(1, date(2024, 1, 2), "1", "10", fee="-1")], 1, "fee"),
        (
            [Txn(1, Kind.BUY, date(2024, 1, 2), None, quantity=D(1), price=D(1))],
            1,
            "names no asset",
        ),
        ([buy(1, date(2024, 1, 2), "1", "10"), split(2, date(2024, 1, 3), D(0))], 2, "ratio"),
        ([cash_txn(1, Kind.DEPOSIT, date(2024, 1, 2), "0")], 1, "amount above zero"),
        (
            [cash_txn(1, Kind.WITHDRAWAL, date(2024, 1, 2), "5", asset_id=3)],
            1,
            "cannot name an asset",
        ),
        ([cash_txn(1, Kind.DIVIDEND, date(2024, 1, 2), "5")], 1, "names no asset"),
        ([cash_txn(1, Kind.INTEREST, date(2024, 1, 2), "-5")], 1, "amount"),
        (
            [
                buy(1, date(2024, 1, 2), "1", "10", currency="USD"),
                buy(2, date(2024, 1, 3), "1", "10", currency="EUR"),
            ],
            2,
            "trades in USD",
        ),
    ],
)
def test_impossible_histories_are_rejected(txns: list[Txn], bad_id: int, words: str) -> None:
    fx = FxTable.from_mapping("USD", {"EURUSD=X": {date(2024, 1, 1): "1.1"}})
    with pytest.raises(LedgerError) as caught:
        replay(txns, method="fifo", base_currency="USD", fx=fx)
    assert caught.value.txn_id == bad_id
    assert words in caught.value.message


def test_fees_count_in_the_cost_and_in_the_proceeds() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "50", fee="10"),  # cost 500 + 10 = 510 (51 a unit)
        sell(2, date(2024, 2, 1), "10", "60", fee="6"),  # proceeds 600, net 594
    ]
    state = replay(txns, method="fifo", base_currency="USD", until=date(2024, 1, 31))
    position = state.positions[1]
    assert position.cost_local == D("510")
    assert position.average_cost_local == D("51")
    assert position.purchase_value_local == D("500")  # price * quantity, without the fee
    assert position.average_price_local == D("50")

    state = replay(txns, method="fifo", base_currency="USD")
    sale = state.sales[0]
    assert (sale.proceeds_local, sale.fee_local, sale.cost_local) == (D("600"), D("6"), D("510"))
    assert sale.realized_gain_local == D("84")  # 600 - 6 - 510
    assert state.fees_base == D("16")  # 10 + 6 paid, reported (not deducted again)
    assert not state.positions[1].is_open
    assert state.positions[1].cost_local == D("0")


def test_fee_with_an_asset_is_attributed_to_it_but_not_capitalised() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "10"),  # cost 100
        cash_txn(2, Kind.FEE, date(2024, 2, 1), "3", asset_id=1),  # custody fee
        cash_txn(3, Kind.TAX, date(2024, 2, 1), "4", asset_id=1),
        cash_txn(4, Kind.FEE, date(2024, 2, 1), "0", fee="2", asset_id=9),  # fee kept in `fee`
    ]
    state = replay(txns, method="fifo", base_currency="USD")
    position = state.positions[1]
    assert position.cost_local == D("100")  # unchanged by the fee
    assert position.fees_base == D("3")
    assert position.taxes_base == D("4")
    assert state.positions[9].fees_base == D("2")  # amount 0 + fee 2
    assert not state.positions[9].is_open  # a fee creates no holding
    assert state.fees_base == D("5")  # 3 + 2
    assert state.taxes_base == D("4")


def test_a_dividend_may_arrive_after_the_position_is_sold() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "10"),
        sell(2, date(2024, 3, 1), "10", "11"),
        cash_txn(3, Kind.DIVIDEND, date(2024, 3, 15), "7", asset_id=1),
    ]
    state = replay(txns, method="fifo", base_currency="USD")
    assert state.positions[1].dividends_base == D("7")


def test_cash_balances_follow_every_kind_when_cash_is_recorded() -> None:
    txns = [
        cash_txn(1, Kind.DEPOSIT, date(2024, 1, 2), "1000"),  # 1000
        buy(2, date(2024, 1, 3), "5", "100", fee="1"),  # -501 -> 499
        cash_txn(3, Kind.DIVIDEND, date(2024, 2, 1), "10", asset_id=1),  # +10 -> 509
        cash_txn(4, Kind.FEE, date(2024, 2, 2), "2"),  # -2 -> 507
        cash_txn(5, Kind.TAX, date(2024, 2, 3), "3"),  # -3 -> 504
        sell(6, date(2024, 3, 1), "2", "110", fee="1"),  # +219 -> 723
        cash_txn(7, Kind.INTEREST, date(2024, 3, 31), "4"),  # +4 -> 727
        cash_txn(8, Kind.WITHDRAWAL, date(2024, 4, 2), "100", fee="1"),  # -101 -> 626
        cash_txn(9, Kind.DEPOSIT, date(2024, 4, 3), "200", currency="EUR", fx_rate=D("1.1")),
    ]
    state = replay(
        txns, method="fifo", base_currency="USD", records_cash=True, cash_per_currency=True
    )
    assert state.records_cash
    assert state.cash == {"USD": D("626"), "EUR": D("200")}
    assert state.interest_base == D("4")
    # Only deposits and withdrawals cross the boundary: 1000 + 200 * 1.1 in, 100 out.
    assert [(flow.txn_id, flow.direction, flow.amount) for flow in state.flows] == [
        (1, "in", D("1000")),
        (8, "out", D("100")),
        (9, "in", D("220.0")),
    ]
    assert state.net_invested_base == D("1120")  # 1000 + 220 - 100


def test_securities_only_flows_follow_trades_and_income() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "100", fee="5"),  # in 1005
        cash_txn(2, Kind.DIVIDEND, date(2024, 2, 1), "20", fee="1", asset_id=1),  # out 19 (net)
        sell(3, date(2024, 3, 1), "4", "110", fee="2"),  # out 440 - 2 = 438
        cash_txn(4, Kind.FEE, date(2024, 3, 2), "3"),  # in 3
        split(5, date(2024, 3, 3), D(2)),  # no flow
    ]
    state = replay(txns, method="fifo", base_currency="USD")
    assert [(flow.txn_id, flow.direction, flow.amount) for flow in state.flows] == [
        (1, "in", D("1005")),
        (2, "out", D("19")),
        (3, "out", D("438")),
        (4, "in", D("3")),
    ]
    assert state.net_invested_base == D("551")  # 1005 - 19 - 438 + 3


def test_realized_gains_are_grouped_by_tax_year() -> None:
    txns = [
        buy(1, date(2023, 1, 2), "10", "10"),
        sell(2, date(2023, 12, 29), "4", "15"),  # 4 * (15 - 10) = 20
        sell(3, date(2024, 1, 3), "6", "8"),  # 6 * (8 - 10) = -12
    ]
    state = replay(txns, method="fifo", base_currency="USD")
    assert state.realized_gain_by_tax_year() == {2023: D("20"), 2024: D("-12")}


def test_selling_what_a_non_terminating_split_left_closes_the_position() -> None:
    # 99 shares, 1-for-3 reverse split: 99 * 0.333...3 = 32.99...97, a hair under 33.
    txns = [
        buy(1, date(2024, 1, 2), "99", "1"),
        split(2, date(2024, 2, 1), D(1) / D(3)),
        sell(3, date(2024, 3, 1), "33", "4"),
    ]
    state = replay(txns, method="fifo", base_currency="USD")
    assert state.positions[1].quantity == 0
    assert state.sales[0].realized_gain_local == D("33")  # 33 * 4 - 99


def test_replay_from_a_checkpoint_equals_a_full_replay() -> None:
    txns = [
        buy(1, date(2024, 1, 2), "10", "100"),
        buy(2, date(2024, 2, 1), "10", "120"),
        sell(3, date(2024, 3, 1), "15", "130"),
        buy(4, date(2024, 3, 5), "3", "90"),
    ]
    checkpoint = replay(txns, method="fifo", base_currency="USD", until=date(2024, 2, 29))
    # A sell dated 2024-03-02 is inserted later; everything before 2024-03-01 is unchanged.
    changed = [*txns, sell(5, date(2024, 3, 2), "2", "140")]
    resumed = replay(changed, method="fifo", base_currency="USD", checkpoint=checkpoint)
    full = replay(changed, method="fifo", base_currency="USD")
    assert resumed.positions[1].quantity == full.positions[1].quantity == D("6")  # 20 - 15 - 2 + 3
    assert resumed.positions[1].cost_local == full.positions[1].cost_local
    assert resumed.sales == full.sales
    assert resumed.realized_gain_base == full.realized_gain_base
    assert checkpoint.positions[1].quantity == D("20")  # the checkpoint itself is untouched


_AMOUNTS = st.decimals(min_value="0.01", max_value="5000", places=2)
_FEES = st.decimals(min_value="0", max_value="20", places=2)


@st.composite
def _valid_history(draw) -> list[Txn]:
    """A possible history of every kind over two assets and two currencies: sells and splits
    only of what is held."""
    txns: list[Txn] = []
    held = {1: D(0), 2: D(0)}
    currency = {1: "USD", 2: "EUR"}
    day = date(2024, 1, 1)
    for txn_id in range(1, draw(st.integers(min_value=1, max_value=25)) + 1):
        day = date.fromordinal(day.toordinal() + draw(st.integers(min_value=0, max_value=3)))
        kind = draw(st.sampled_from(list(Kind)))
        asset_id = draw(st.sampled_from([1, 2]))
        fee = draw(_FEES)
        cash_currency = draw(st.sampled_from(["USD", "EUR"]))
        if kind in (Kind.SELL, Kind.SPLIT) and not held[asset_id]:
            kind = Kind.BUY
        if kind in (Kind.BUY, Kind.SELL):
            limit = held[asset_id] if kind == Kind.SELL else D(100)
            quantity = min(draw(st.decimals(min_value="0.001", max_value="100", places=3)), limit)
            held[asset_id] += quantity if kind == Kind.BUY else -quantity
            txns.append(
                Txn(
                    txn_id,
                    kind,
                    day,
                    asset_id,
                    quantity=quantity,
                    price=draw(_AMOUNTS),
                    fee=fee,
                    currency=currency[asset_id],
                    fx_rate=D("1.1"),
                )
            )
        elif kind == Kind.SPLIT:
            ratio = draw(st.sampled_from([D(2), D(3), D("0.5")]))
            held[asset_id] *= ratio
            txns.append(Txn(txn_id, kind, day, asset_id, ratio=ratio, currency=currency[asset_id]))
        else:
            asset = asset_id if kind == Kind.DIVIDEND else None
            txns.append(
                Txn(
                    txn_id,
                    kind,
                    day,
                    asset,
                    amount=draw(_AMOUNTS),
                    fee=fee,
                    currency=currency[asset_id] if asset else cash_currency,
                    fx_rate=D("1.1"),
                )
            )
    return txns


@settings(max_examples=60, deadline=None)
@given(_valid_history(), st.booleans(), st.booleans())
def test_cash_effect_is_what_the_ledger_books(txns, track_lots, per_currency):
    """`cash_effect` (which the read model's gain split uses) restates the ledger's cash rules:
    summed per currency over any history, it equals the balances a replay recording cash
    leaves; settled in the base cash (the default), each foreign one counts at its rate."""
    state = LedgerState("fifo", "USD", True, per_currency, track_lots=track_lots)
    for txn in txns:
        apply_txn(state, txn, fx=None)
    expected: dict[str, D] = {}
    for txn in txns:
        if per_currency or txn.currency == "USD":
            expected[txn.currency] = expected.get(txn.currency, D(0)) + cash_effect(txn)
        else:
            rate = txn.fx_rate or D(1)  # a split (no rate) moves no cash
            expected["USD"] = expected.get("USD", D(0)) + cash_effect(txn) * rate
    assert {c: b for c, b in state.cash.items() if b} == {c: b for c, b in expected.items() if b}


def test_messages_print_dates_as_the_tables_do_not_in_iso():
    from portfolios.engine.market import MissingFxRate
    from portfolios.engine.types import format_date

    assert format_date(date(2024, 3, 1)) == "1 Mar 2024"
    assert format_date(date(2026, 1, 10)) == "10 Jan 2026"
    missing = MissingFxRate("USD", "EUR", date(2024, 12, 31))
    assert "on or before 31 Dec 2024" in missing.message
