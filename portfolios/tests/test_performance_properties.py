"""Properties of DESIGN.md §4's figures, checked through the read model (database, prices,
cache and engine together) on portfolios hypothesis makes up:

- scaling every quantity, amount and fee by the same factor changes no rate;
- splitting a buy into two buys on the same day at the same price changes nothing;
- over a period with no flows, TWR = V_end / V_{start-1} - 1;
- one asset bought once without a fee has TWR = last close / buy price - 1;
- over a year or more with no flows inside, MWR = annualised TWR;
- extreme daily moves (-90 %, x100, runs of them) over every period never make the API or the
  page fail or show a non-finite number.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from portfolios.performance import PERIODS
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


# ── Extreme daily moves through the API and the page ─────────────────────────

EXTREME_MOVES = (-0.9, 99.0, 0.5, -0.5, 0.0, 9.0, -0.99)
EXTREME_YEARS = 6  # enough history for 5Y and MAX
NON_FINITE = re.compile(r"\b(NaN|nan|Infinity|inf)\b")


def _extreme_walk(moves: list[float]) -> list[float]:
    level, out = 100.0, []
    for move in moves:
        level *= 1 + move
        out.append(level)
    return out


@st.composite
def extreme_closes(draw, days: int):
    """Mostly flat closes with extreme days (-90 %, x100, ...) scattered over the years and
    in runs over the last fortnight, so every period from 1D to MAX holds some."""
    moves = [0.0] * days
    for index in draw(st.lists(st.integers(0, days - 15), max_size=8)):
        moves[index] = draw(st.sampled_from(EXTREME_MOVES))
    tail = draw(st.lists(st.sampled_from(EXTREME_MOVES), min_size=14, max_size=14))
    moves[-14:] = tail
    return _extreme_walk(moves)


def _strict_json(text: bytes):
    def refuse(constant: str):
        raise ValueError(f"non-finite {constant} in the JSON")

    return json.loads(text, parse_constant=refuse)


def _no_non_finite(value, where: str) -> None:
    """No float NaN/inf anywhere, and no string that spells one."""
    if isinstance(value, dict):
        for key, item in value.items():
            _no_non_finite(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_non_finite(item, f"{where}[{index}]")
    elif isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, str):
        assert not NON_FINITE.search(value), (where, value)


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking ~1,000-bar series is slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    trade_days=st.lists(st.integers(1, 13), max_size=3),
    custom=st.tuples(st.integers(0, 2000), st.integers(0, 40)),
)
def test_extreme_daily_moves_never_break_the_api_or_the_page(user, data, trade_days, custom):
    from django.test import Client
    from django.utils import timezone
    from rest_framework.test import APIClient

    cache.clear()
    today = timezone.localdate()
    days = EXTREME_YEARS * 366
    first = today - dt.timedelta(days=days - 1)
    tag = next(_symbols)
    held_closes = data.draw(extreme_closes(days))
    bench_closes = data.draw(extreme_closes(days))
    when = [first + dt.timedelta(days=i) for i in range(days)]

    def bars(levels: list[float]) -> dict:  # a bar where the level moves (forward-filled)
        return {
            when[i]: level
            for i, level in enumerate(levels)
            if i == 0 or level != levels[i - 1] or i >= days - 14
        }

    pf = portfolio(owner=user)
    pf.benchmark = asset(f"XB{tag}", asset_class="index", closes=bars(bench_closes))
    pf.save()
    held = asset(f"XH{tag}", closes=bars(held_closes))

    def price(index: int) -> Decimal:
        return Decimal(repr(held_closes[index])).quantize(Decimal("0.000001")) or Decimal(
            "0.000001"
        )

    txn(pf, "buy", first, held, quantity=10, price=price(0))
    for back in sorted(set(trade_days), reverse=True):
        index = days - 1 - back
        kind = "sell" if back % 2 else "buy"
        txn(pf, kind, when[index], held, quantity=1, price=price(index))

    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    start = today - dt.timedelta(days=custom[0] + custom[1])
    queries = [{"period": name} for name in PERIODS] + [
        {"start": start.isoformat(), "end": (today - dt.timedelta(days=custom[1])).isoformat()}
    ]
    for query in queries:
        response = api.get(f"/api/v1/portfolios/{pf.public_id}/performance/", query)
        assert response.status_code == 200, (query, response.status_code)
        _no_non_finite(_strict_json(response.content), str(query))
        response = page.get(f"/portfolios/{pf.public_id}/performance/", query)
        assert response.status_code == 200, (query, response.status_code)
        html = response.content.decode()
        chart = re.search(r'id="performance-data" type="application/json">(.*?)</script>', html)
        assert chart is not None
        _no_non_finite(_strict_json(chart.group(1).encode()), f"chart {query}")
        visible = re.sub(r"<script.*?</script>", "", html, flags=re.S)
        assert not NON_FINITE.search(visible), query
        response = page.get(f"/portfolios/{pf.public_id}/performance/daily.csv", query)
        assert response.status_code == 200, query
        assert not NON_FINITE.search(response.content.decode()), query
