"""The rebalancing maths (`engine.rebalance`) against hand-computed plans."""

from decimal import Decimal as D

from portfolios.engine.rebalance import CASH, Line, Side, line_targets, plan_rebalance


def line(asset_id, key, quantity, price, value=None):
    """A line worth quantity * price (or `value` when it has no price: not tradable)."""
    quantity = D(quantity)
    if price is None:
        return Line(asset_id, key, quantity, D(value), None, tradable=False)
    return Line(asset_id, key, quantity, quantity * D(price), D(price))


def lines(*specs, split_by_value=False, targets=None):
    built = [line(*spec) for spec in specs]
    weights = {key: D(value) for key, value in (targets or {}).items()}
    return line_targets(built, weights, split_by_value=split_by_value)


def trades_of(result):
    return {(t.asset_id, t.side.value): (t.quantity, t.amount) for t in result.trades}


def test_full_rebalance_sells_the_overweight_and_buys_the_underweight():
    # A: 10 @ 60 = 600, B: 10 @ 40 = 400, targets 50/50, T = 1000 -> 500 each.
    # Sell A 100 / 60 = 1.66666666.67 -> 1.66666667 (nearest 1e-8) = 100.0000002;
    # buy B (budget 100.0000002) 100 / 40 = 2.5 exactly (its shortfall is 100).
    result = plan_rebalance(lines((1, "a", 10, 60), (2, "b", 10, 40), targets={"a": 50, "b": 50}))
    assert trades_of(result) == {
        (1, "sell"): (D("1.66666667"), D("100.00000020")),
        (2, "buy"): (D("2.5"), D("100.0")),
    }
    assert result.cash_left == D("0.0000002")  # 100.0000002 - 100
    assert round(result.weights_after["a"], 6) == D("50.000000")
    assert result.weights_before == {"a": D(60), "b": D(40)}


def test_buy_only_spends_the_new_cash_on_the_underweight_only():
    # A 600, B 400, new cash 100: T = 1100, targets 550 each. A is above (no sale in
    # buy_only); B lacks 150 > budget 100 -> buy B for 100 = 2.5 units @ 40.
    result = plan_rebalance(
        lines((1, "a", 10, 60), (2, "b", 10, 40), targets={"a": 50, "b": 50}),
        mode="buy_only",
        new_cash=D(100),
    )
    assert trades_of(result) == {(2, "buy"): (D("2.5"), D("100.0"))}
    assert result.cash_left == 0
    # after: A 600 / 1100 = 54.5454..%, B 500 / 1100 = 45.4545..%
    assert round(result.weights_after["a"], 4) == D("54.5455")
    assert round(result.weights_after["b"], 4) == D("45.4545")


def test_buy_only_fills_the_most_underweight_first_under_a_tight_budget():
    # A 100, B 300, C 600 (prices 1), targets 40/30/30, new cash 200: T = 1200,
    # goals 480 / 360 / 360; shortfalls A 380, B 60, C -240. Water-fill with 200:
    # lambda over {A}: 380 - 200 = 180 >= 60 -> only A, b_A = 200.
    result = plan_rebalance(
        lines(
            (1, "a", 100, 1),
            (2, "b", 300, 1),
            (3, "c", 600, 1),
            targets={"a": 40, "b": 30, "c": 30},
        ),
        mode="buy_only",
        new_cash=D(200),
    )
    assert trades_of(result) == {(1, "buy"): (D(200), D(200))}


def test_buy_only_splits_the_budget_to_level_the_shortfalls():
    # Shortfalls A 300, B 100 (prices 1), budget 300: lambda = (300 + 100 - 300) / 2 = 50 ->
    # b_A = 250, b_B = 50. Built: A 0, B 200, C 500 (held, target 0... here 30%), T = 1000.
    # goals: A 30% = 300, B 30% = 300, C 40% = 400 (C 500 is above: not sold in buy_only).
    result = plan_rebalance(
        lines(
            (1, "a", 0, 1), (2, "b", 200, 1), (3, "c", 500, 1), targets={"a": 30, "b": 30, "c": 40}
        ),
        mode="buy_only",
        new_cash=D(300),
    )
    assert trades_of(result) == {(1, "buy"): (D(250), D(250)), (2, "buy"): (D(50), D(50))}
    assert result.cash_left == 0


def test_whole_units_round_without_spending_more_than_there_is():
    # A 10 @ 60 = 600, B 10 @ 40 = 400, new cash 105: T = 1105, goals 552.5 each.
    # Sell A: 47.5 / 60 = 0.79 -> 1 unit = 60. Budget for buys 105 + 60 = 165; B lacks
    # 152.5 -> 3.8125 units, 3 (120), left 45; one more (40 <= 45, B still lacks 32.5 > 20)
    # -> 4 units = 160. Cash left 165 - 160 = 5.
    result = plan_rebalance(
        lines((1, "a", 10, 60), (2, "b", 10, 40), targets={"a": 50, "b": 50}),
        new_cash=D(105),
        whole_units=True,
    )
    assert trades_of(result) == {(1, "sell"): (D(1), D(60)), (2, "buy"): (D(4), D(160))}
    assert result.cash_left == D(5)
    assert result.bought <= result.sold + D(105)


def test_whole_units_never_overspend_even_when_rounding_down_a_unit_would_be_closer():
    # A 0 @ 300, B 0 @ 70, new cash 500, targets 50/50: goals 250 each. A: 250 / 300 = 0.83 ->
    # 0 units; B: 250 / 70 = 3.57 -> 3 (210). Left 290: A (300) does not fit; B one more (70,
    # still lacks 40 > 35) -> 4 units = 280, left 220; B again lacks -30: stop.
    result = plan_rebalance(
        lines((1, "a", 0, 300), (2, "b", 0, 70), targets={"a": 50, "b": 50}),
        new_cash=D(500),
        whole_units=True,
    )
    assert trades_of(result) == {(2, "buy"): (D(4), D(280))}
    assert result.cash_left == D(220)


def test_min_trade_drops_small_trades_and_replans_the_rest():
    # A 100, B 340, C 560 (prices 1), targets 30/30/40, T = 1000: A +200, B -40, C -160.
    # min_trade 50 drops B's sale; B is kept: sell C 160, budget 160 -> buy A 160.
    result = plan_rebalance(
        lines(
            (1, "a", 100, 1),
            (2, "b", 340, 1),
            (3, "c", 560, 1),
            targets={"a": 30, "b": 30, "c": 40},
        ),
        min_trade=D(50),
    )
    assert trades_of(result) == {(3, "sell"): (D(160), D(160)), (1, "buy"): (D(160), D(160))}
    assert result.kept == {2}


def test_asset_class_targets_split_over_the_class_by_value():
    # Stocks S1 300 + S2 100 (class "stock"), bond B1 600; targets stock 60, bond 40. T = 1000:
    # stock 600 split 3:1 -> S1 450, S2 150; bond 400. S1 +150, S2 +50, B1 -200.
    result = plan_rebalance(
        lines(
            (1, "stock", 300, 1),
            (2, "stock", 100, 1),
            (3, "bond", 600, 1),
            targets={"stock": 60, "bond": 40},
            split_by_value=True,
        )
    )
    assert trades_of(result) == {
        (1, "buy"): (D(150), D(150)),
        (2, "buy"): (D(50), D(50)),
        (3, "sell"): (D(200), D(200)),
    }
    assert result.weights_after == {"stock": D(60), "bond": D(40)}


def test_an_untradable_asset_keeps_its_value_and_its_gap_stays_cash():
    # A 500 tradable @ 1, X 500 with no price (value at its last price), targets A 25, X 75,
    # new cash 0: T = 1000, A's goal 250 -> sell 250; X cannot be bought: budget 250 stays.
    result = plan_rebalance(
        lines((1, "a", 500, 1), (2, "x", 5, None, 500), targets={"a": 25, "x": 75})
    )
    assert trades_of(result) == {(1, "sell"): (D(250), D(250))}
    assert result.cash_left == D(250)


def test_cash_target_with_cash_records():
    # A 800 @ 1, recorded cash 200, targets A 90, cash 10: T = 1000, A's goal 900, cash 100.
    # Buy A 100 (budget 200 - 100 = 100). Cash after 100 = 10 %.
    result = plan_rebalance(
        lines((1, "a", 800, 1), targets={"a": 90}),
        records_cash=True,
        cash_balance=D(200),
        cash_target=D("0.1"),
    )
    assert trades_of(result) == {(1, "buy"): (D(100), D(100))}
    assert result.cash_left == D(100)
    assert result.weights_before == {"a": D(80), CASH: D(20)}
    assert result.weights_after == {"a": D(90), CASH: D(10)}


def test_selling_everything_sells_the_whole_holding():
    # A 2.5 units @ 40 = 100 with target 0: the sale is all 2.5 units (never more).
    result = plan_rebalance(
        lines((1, "a", D("2.5"), 40), (2, "b", 10, 10), targets={"b": 100}), whole_units=True
    )
    assert (1, Side.SELL.value) in trades_of(result)
    assert trades_of(result)[(1, "sell")] == (D("2.5"), D("100.0"))
