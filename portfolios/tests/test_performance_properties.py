"""Properties of DESIGN.md §4's figures, checked through the read model (database, prices,
cache and engine together) on portfolios hypothesis makes up:

- scaling every quantity, amount and fee by the same factor changes no rate;
- splitting a buy into two buys on the same day at the same price changes nothing;
- over a period with no flows, TWR = V_end / V_{start-1} - 1;
- one asset bought once without a fee has TWR = last close / buy price - 1;
- over a year or more with no flows inside, MWR = annualised TWR.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portfolios.tests.performance_builders import asset, portfolio, report, txn

pytestmark = pytest.mark.django_db

BASE = dt.date(2023, 1, 2)
RATES = (
    "twr",
    "twr_annualized",
    "mwr",
    "simple_return",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "beta",
    "correlation",
)
MONEY = ("start_value", "end_value", "gain", "price_gain", "income", "fees", "taxes")
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_symbols = itertools.count()


def closes_strategy(days: int):
    """Daily closes over `days` calendar days, as a random walk (moves of at most 6%)."""
    return st.lists(
        st.floats(min_value=-0.06, max_value=0.06, allow_nan=False),
        min_size=days,
        max_size=days,
    ).map(_walk)


def _walk(moves: list[float]) -> list[float]:
    level, out = 100.0, []
    for move in moves:
        level *= 1 + move
        out.append(round(level, 4))
    return out


quantities = st.decimals(min_value="0.01", max_value="500", places=2)
fees = st.decimals(min_value="0", max_value="9.99", places=2)


@st.composite
def trades(draw, days: int, assets: int, last_day: int | None = None):
    """Buys and sells (never more than held) of `assets` assets on days 0..last_day."""
    last_day = days - 1 if last_day is None else last_day
    count = draw(st.integers(min_value=1, max_value=8))
    held = [Decimal(0)] * assets
    out = []
    for day in sorted(draw(st.lists(st.integers(0, last_day), min_size=count, max_size=count))):
        index = draw(st.integers(0, assets - 1))
        if held[index] > 0 and draw(st.booleans()):
            share = draw(st.sampled_from(["0.25", "0.5", "1"]))
            quantity = (held[index] * Decimal(share)).quantize(Decimal("0.01"))
            if quantity <= 0:
                continue
            held[index] -= quantity
            out.append(("sell", day, index, quantity, draw(fees)))
        else:
            quantity = draw(quantities)
            held[index] += quantity
            out.append(("buy", day, index, quantity, draw(fees)))
    return out


def build(
    closes: list[list[float]],
    rows,
    *,
    scale: Decimal = Decimal(1),
    deposits=None,
    split_first=False,
):
    """A portfolio from closes per asset (day i = BASE + i) and trade rows; quantities, amounts
    and fees times `scale`; the first buy in two halves when `split_first`."""
    cache.clear()
    tag = next(_symbols)
    pf = portfolio(records_cash=bool(deposits))
    bench = asset(f"IDX{tag}", asset_class="index", closes={BASE - dt.timedelta(days=1): 100.0})
    bench_closes = _walk([0.01 * ((i * 7) % 5 - 2) for i in range(len(closes[0]))])
    from portfolios.tests.performance_builders import set_closes

    set_closes(bench, {BASE + dt.timedelta(days=i): c for i, c in enumerate(bench_closes)})
    pf.benchmark = bench
    pf.save()
    assets = [
        asset(f"P{tag}X{n}", closes={BASE + dt.timedelta(days=i): c for i, c in enumerate(series)})
        for n, series in enumerate(closes)
    ]
    for day, amount in deposits or ():
        txn(pf, "deposit", BASE + dt.timedelta(days=day), None, amount=amount * scale)
    split_done = False
    for kind, day, index, quantity, fee in rows:
        date = BASE + dt.timedelta(days=day)
        price = Decimal(repr(closes[index][day])).quantize(Decimal("0.0001"))
        if split_first and kind == "buy" and not split_done:
            split_done = True
            first = (quantity * scale / 3).quantize(Decimal("0.0001"))
            txn(pf, kind, date, assets[index], quantity=first, price=price, fee=fee * scale / 2)
            txn(
                pf,
                kind,
                date,
                assets[index],
                quantity=quantity * scale - first,
                price=price,
                fee=fee * scale - fee * scale / 2,
            )
            continue
        txn(pf, kind, date, assets[index], quantity=quantity * scale, price=price, fee=fee * scale)
    return pf


def assert_close(a, b, rel=1e-7, abs_=1e-9, name=""):
    if a is None or b is None:
        assert a is None and b is None, name
    else:
        assert a == pytest.approx(b, rel=rel, abs=abs_), name


DAYS = 45
TODAY = BASE + dt.timedelta(days=DAYS - 1)


@SETTINGS
@given(
    closes=st.lists(closes_strategy(DAYS), min_size=1, max_size=2),
    data=st.data(),
    factor=st.sampled_from([Decimal(2), Decimal(3), Decimal("0.5"), Decimal(10)]),
    cash=st.booleans(),
)
def test_scaling_quantities_amounts_and_fees_changes_no_rate(closes, data, factor, cash):
    rows = data.draw(trades(DAYS, len(closes)))
    deposits = [(0, Decimal(20000))] if cash else None
    one = build(closes, rows, deposits=deposits)
    scaled = build(closes, rows, scale=factor, deposits=deposits)
    for params in ({"period": "MAX"}, {"start": BASE + dt.timedelta(days=10), "end": TODAY}):
        a = report(one, today=TODAY, **params)
        b = report(scaled, today=TODAY, **params)
        for name in RATES:
            assert_close(getattr(b, name), getattr(a, name), rel=1e-6, abs_=1e-9, name=name)
        for name in MONEY:
            assert_close(
                getattr(b, name), getattr(a, name) * float(factor), rel=1e-9, abs_=1e-6, name=name
            )


@SETTINGS
@given(closes=st.lists(closes_strategy(DAYS), min_size=1, max_size=2), data=st.data())
def test_splitting_a_buy_in_two_on_the_same_day_changes_nothing(closes, data):
    rows = data.draw(trades(DAYS, len(closes)))
    assume(any(row[0] == "buy" for row in rows))
    whole = report(build(closes, rows), today=TODAY, period="MAX")
    halves = report(build(closes, rows, split_first=True), today=TODAY, period="MAX")
    for name in (*RATES, *MONEY, "currency_effect"):
        assert_close(getattr(halves, name), getattr(whole, name), rel=1e-9, abs_=1e-6, name=name)


@SETTINGS
@given(closes=st.lists(closes_strategy(DAYS), min_size=1, max_size=3), data=st.data())
def test_without_flows_twr_is_the_value_ratio(closes, data):
    rows = data.draw(trades(DAYS, len(closes), last_day=15))
    pf = build(closes, rows)
    result = report(pf, today=TODAY, start=BASE + dt.timedelta(days=20), end=TODAY)
    assume(result.start_value > 1e-6)
    assert result.inflows == 0 and result.outflows == 0
    assert result.twr == pytest.approx(
        result.end_value / result.start_value - 1, rel=1e-9, abs=1e-12
    )


@SETTINGS
@given(
    closes=closes_strategy(DAYS),
    day=st.integers(0, DAYS - 1),
    quantity=quantities,
    price=st.decimals(min_value="0.5", max_value="500", places=4),
)
def test_one_asset_bought_once_without_fee_returns_last_close_over_buy_price(
    closes, day, quantity, price
):
    cache.clear()
    pf = portfolio()
    held = asset(
        f"ONE{next(_symbols)}",
        closes={BASE + dt.timedelta(days=i): c for i, c in enumerate(closes)},
    )
    txn(pf, "buy", BASE + dt.timedelta(days=day), held, quantity=quantity, price=price)
    result = report(pf, today=TODAY, period="MAX")
    assert result.twr == pytest.approx(closes[-1] / float(price) - 1, rel=1e-9, abs=1e-12)


LONG = 420


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    closes=st.lists(closes_strategy(LONG), min_size=1, max_size=2),
    data=st.data(),
    extra=st.integers(0, 40),
)
def test_over_a_year_without_flows_mwr_is_the_annualised_twr(closes, data, extra):
    rows = data.draw(trades(LONG, len(closes), last_day=10))
    pf = build(closes, rows)
    end = BASE + dt.timedelta(days=LONG - 1)
    start = end - dt.timedelta(days=364 + extra)  # 365 + extra days, both ends included
    result = report(pf, today=end, start=start, end=end)
    assume(result.start_value > 1e-6 and result.end_value > 1e-6)
    assert result.n_days >= 365
    assert result.mwr == pytest.approx(result.twr_annualized, rel=1e-7, abs=1e-9)
