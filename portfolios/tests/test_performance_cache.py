"""The read model's cache: a change of transactions or prices shows at once, an unchanged
portfolio costs two queries, and an incremental recomputation equals a full one."""

import datetime as dt
import math

import numpy as np
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from market.providers.base import Bar
from market.services import price_upsert
from portfolios import performance, services
from portfolios.engine.snapshots import ledger_pack, ledger_unpack
from portfolios.models import Transaction
from portfolios.performance import loading
from portfolios.performance.state import cache_key
from portfolios.tests.performance_builders import (
    D,
    asset,
    fx_pair,
    portfolio,
    report,
    set_closes,
    txn,
)

pytestmark = pytest.mark.django_db

TODAY = D(2024, 1, 8)


@pytest.fixture
def small(user):
    pf = portfolio(owner=user)
    a = asset("A", closes={D(2024, 1, 2): 100, D(2024, 1, 3): 110, D(2024, 1, 8): 120})
    txn(pf, "buy", D(2024, 1, 2), a, quantity=10, price=100)
    return pf, a


def test_an_unchanged_portfolio_is_answered_from_the_cache_in_two_queries(small):
    pf, _ = small
    first = report(pf, today=TODAY, period="MAX")
    with CaptureQueriesContext(connection) as queries:
        second = report(pf, today=TODAY, period="MAX")
    # The portfolio itself (read by `report`), its ledger version and the assets' dates.
    assert len(queries) == 3
    assert second.twr == first.twr


def test_a_new_transaction_shows_at_once(small):
    pf, a = small
    before = report(pf, today=TODAY, period="MAX")
    services.transaction_create(
        portfolio=pf, kind="buy", date=D(2024, 1, 3), asset=a, quantity=10, price=110
    )
    after = report(pf, today=TODAY, period="MAX")
    assert after.end_value == pytest.approx(20 * 120)
    assert after.end_value != before.end_value


def test_an_edited_or_deleted_transaction_shows_at_once(small):
    pf, a = small
    extra = txn(pf, "buy", D(2024, 1, 3), a, quantity=1, price=110)
    assert report(pf, today=TODAY, period="MAX").end_value == pytest.approx(11 * 120)
    services.transaction_update(transaction=extra, data={"quantity": 2})
    assert report(pf, today=TODAY, period="MAX").end_value == pytest.approx(12 * 120)
    services.transaction_delete(transaction=Transaction.objects.get(pk=extra.pk))
    assert report(pf, today=TODAY, period="MAX").end_value == pytest.approx(10 * 120)


def test_a_new_price_shows_at_once(small):
    pf, a = small
    assert report(pf, today=D(2024, 1, 9), period="MAX").end_value == pytest.approx(1200)
    set_closes(a, {D(2024, 1, 9): 130})
    assert report(pf, today=D(2024, 1, 9), period="MAX").end_value == pytest.approx(1300)


def test_an_older_price_backfilled_shows_at_once(small):
    pf, a = small
    # Without a close on 2 Jan the buy day is valued at the trade price.
    a.prices.filter(date=D(2024, 1, 2)).delete()
    assert report(pf, today=TODAY, period="MAX").series.value[0] == pytest.approx(1000)
    set_closes(a, {D(2024, 1, 2): 95})
    assert report(pf, today=TODAY, period="MAX").series.value[0] == pytest.approx(950)


def test_a_new_day_extends_the_series(small):
    pf, _ = small
    report(pf, today=TODAY, period="MAX")
    later = report(pf, today=D(2024, 1, 10), period="MAX")
    assert later.end == D(2024, 1, 10)
    assert later.end_value == pytest.approx(1200)


def test_a_changed_setting_recomputes(small):
    pf, _ = small
    report(pf, today=TODAY, period="MAX")
    pf.cost_basis_method = "average"
    pf.save()
    assert report(pf, today=TODAY, period="MAX").end_value == pytest.approx(1200)


def test_an_evicted_state_is_recomputed(small):
    pf, _ = small
    report(pf, today=TODAY, period="MAX")
    head = cache.get(cache_key("head", pf.pk))
    cache.delete(cache_key("body", pf.pk, head.token))
    assert report(pf, today=TODAY, period="1W").end_value == pytest.approx(1200)


# ── Incremental recomputation equals a full one ─────────────────────────────

START = D(2021, 1, 4)
END = D(2023, 12, 29)


@pytest.fixture
def history(user):
    """Three years: monthly deposits, buys and sells of two USD and one EUR asset, dividends,
    a split and fees; closes on every weekday. It records cash per currency (the EUR asset's
    trades move EUR cash)."""
    rng = np.random.default_rng(3)
    pf = portfolio(owner=user, records_cash=True, cash_per_currency=True)
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    weekdays = [day for day in days if day.weekday() < 5]

    def walk(level):
        steps = rng.normal(0.0003, 0.012, len(weekdays))
        return dict(
            zip(weekdays, (level * np.exp(np.cumsum(steps))).round(4).tolist(), strict=True)
        )

    usd_a = asset("UA", closes=walk(50))
    usd_b = asset("UB", closes=walk(200))
    eur = asset("EA.DE", "EUR", closes=walk(30))
    fx_pair("EURUSD=X", {day: 1.1 + 0.05 * math.sin(i / 40) for i, day in enumerate(weekdays)})
    held = {usd_a.pk: 0, usd_b.pk: 0, eur.pk: 0}
    month = START
    while month < END:
        txn(pf, "deposit", month, None, amount=3000)
        for target, quantity in ((usd_a, 10), (usd_b, 3), (eur, 20)):
            day = month + dt.timedelta(days=int(rng.integers(1, 20)))
            txn(
                pf,
                "buy",
                day,
                target,
                quantity=quantity,
                price=target.prices.filter(date__lte=day).latest("date").close,
                fee=1,
            )
            held[target.pk] += quantity
        if month.month % 3 == 0:
            day = month + dt.timedelta(days=21)
            txn(
                pf,
                "sell",
                day,
                usd_a,
                quantity=5,
                price=usd_a.prices.filter(date__lte=day).latest("date").close,
                fee=1,
            )
            held[usd_a.pk] -= 5
            txn(pf, "dividend", day, eur, amount=12)
        month = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    txn(pf, "split", D(2022, 6, 1), usd_b, ratio=2)
    txn(pf, "fee", D(2023, 2, 1), None, amount=15)
    txn(pf, "tax", D(2023, 3, 15), None, amount=40)
    return pf, usd_a


def figures(result):
    return {
        name: getattr(result, name)
        for name in (
            "start_value",
            "end_value",
            "gain",
            "twr",
            "twr_annualized",
            "mwr",
            "simple_return",
            "price_gain",
            "income",
            "fees",
            "taxes",
            "currency_effect",
            "volatility",
            "sharpe",
            "sortino",
            "max_drawdown",
        )
    }


def assert_same(incremental, full):
    for name, value in figures(full).items():
        other = getattr(incremental, name)
        if value is None:
            assert other is None, name
        else:
            assert other == pytest.approx(value, rel=1e-9, abs=1e-6), name
    for name in ("value", "inflow", "outflow", "net_invested", "twr", "drawdown"):
        np.testing.assert_allclose(
            getattr(incremental.series, name), getattr(full.series, name), rtol=1e-10, atol=1e-6
        )


def test_an_edit_six_months_back_recomputes_from_a_checkpoint_and_equals_a_full_run(
    history, resumes
):
    pf, _ = history
    report(pf, today=END, period="MAX")
    edited = Transaction.objects.filter(portfolio=pf, kind="buy", date__gte=D(2023, 6, 1)).first()
    services.transaction_update(transaction=edited, data={"quantity": edited.quantity + 1})
    incremental = report(pf, today=END, period="MAX")
    assert edited.date.month == 6
    assert resumes == [None, D(2023, 5, 31)]  # the last month end before the change
    cache.clear()
    full = report(pf, today=END, period="MAX")
    assert resumes[-1] is None
    assert_same(incremental, full)
    assert incremental.end_value != pytest.approx(0)


def test_a_new_day_and_new_prices_recompute_the_tail_only(history, resumes):
    pf, usd_a = history
    report(pf, today=D(2023, 12, 20), period="1Y")
    report(pf, today=D(2023, 12, 27), period="1Y")  # a week later: from the last end on
    assert resumes == [None, D(2023, 12, 20)]
    # The refresh brings a bar after the last one (29 Dec) and corrects one within its overlap,
    # 22 Dec, so the computation resumes at the end before it, 20 Dec.
    price_upsert(
        asset=usd_a,
        bars=[Bar(D(2023, 12, 22), 1, 1, 1, 1.0, 0), Bar(D(2024, 1, 2), 998, 998, 998, 998.0, 0)],
    )
    incremental = report(pf, today=D(2024, 1, 2), period="1Y")
    assert resumes[-1] == D(2023, 12, 20)
    cache.clear()
    full = report(pf, today=D(2024, 1, 2), period="1Y")
    assert_same(incremental, full)


def test_several_price_writes_recompute_from_the_earliest_they_touched(history, resumes):
    pf, usd_a = history
    report(pf, today=END, period="MAX")
    # A week of nightly refreshes, one of which corrects a close in August.
    correction = usd_a.prices.get(date=D(2023, 8, 15))
    price_upsert(asset=usd_a, bars=[Bar(correction.date, 1, 1, 1, correction.close * 1.5, 0)])
    for day in (D(2023, 12, 26), D(2023, 12, 27), D(2023, 12, 28)):
        stored = usd_a.prices.get(date=day)
        price_upsert(asset=usd_a, bars=[Bar(day, 1, 1, 1, stored.close + 0.25, 0)])
    incremental = report(pf, today=END, period="MAX")
    assert resumes == [None, D(2023, 7, 31)]  # the last month end before the correction
    cache.clear()
    assert_same(incremental, report(pf, today=END, period="MAX"))


def test_a_change_before_the_first_checkpoint_recomputes_everything(history, resumes):
    pf, _ = history
    report(pf, today=END, period="MAX")
    first = Transaction.objects.filter(portfolio=pf, kind="buy").order_by("date").first()
    first.delete()  # around the services (it would break a later sell): recorded by hand
    services.ledger_changed(portfolio=pf, since=first.date)
    report(pf, today=END, period="MAX")
    assert resumes == [None, None]


@pytest.mark.parametrize(
    "choice",
    [
        {"records_cash": False},
        {"records_cash": True, "cash_per_currency": False},
    ],
)
def test_changing_the_cash_choice_recomputes_everything(history, resumes, choice):
    pf, _ = history
    report(pf, today=END, period="MAX")
    services.portfolio_cash_records_change(portfolio=pf, **choice)
    incremental = report(pf, today=END, period="MAX")
    assert resumes[-1] is None
    cache.clear()
    assert_same(incremental, report(pf, today=END, period="MAX"))


def test_a_packed_ledger_state_unpacks_equal(history):
    from portfolios.engine.ledger import replay

    pf, _ = history
    inputs = performance.portfolio_ledger_load(portfolio=pf)
    state = replay(inputs.txns, method="fifo", base_currency="USD", fx=inputs.fx)
    back = ledger_unpack(ledger_pack(state))
    assert back.positions == state.positions
    assert back.cash == state.cash
    for name in ("realized_gain_base", "fees_base", "taxes_base", "inflow_base", "txn_count"):
        assert getattr(back, name) == getattr(state, name), name
    assert back.sales == [] and back.flows == []


def test_engine_transactions_carry_every_field_of_their_rows(history):
    from portfolios.engine.types import Kind, Txn
    from portfolios.models import TXN_COLUMNS, txns_from_rows
    from portfolios.models import Transaction as Row

    pf, _ = history
    stored = Row.objects.filter(portfolio=pf).order_by("date", "id")
    built = txns_from_rows(stored.values_list(*TXN_COLUMNS))
    assert built == [
        Txn(
            id=row.pk,
            kind=Kind(row.kind),
            date=row.date,
            asset_id=row.asset_id,
            quantity=row.quantity,
            price=row.price,
            amount=row.amount,
            ratio=row.ratio,
            fee=row.fee,
            currency=row.currency,
            fx_rate=row.fx_rate,
        )
        for row in stored
    ]
    assert {txn.kind for txn in built} >= {Kind.BUY, Kind.SELL, Kind.DEPOSIT, Kind.SPLIT}


def test_a_price_correction_far_in_the_past_recomputes_from_its_date(history, resumes):
    from market.services import price_upsert

    pf, usd_a = history
    report(pf, today=END, period="MAX")
    corrected = D(2022, 3, 1)  # a Tuesday, nearly two years before the last close
    old_close = usd_a.prices.get(date=corrected).close
    price_upsert(asset=usd_a, bars=[_bar(corrected, old_close * 2)])
    incremental = report(pf, today=END, period="MAX")
    assert resumes[-1] is not None and resumes[-1] < corrected  # resumed before it, not cached
    cache.clear()
    full = report(pf, today=END, period="MAX")
    assert_same(incremental, full)


def test_an_unchanged_price_upsert_keeps_the_cached_state(history, resumes):
    from market.services import price_upsert

    pf, usd_a = history
    report(pf, today=END, period="MAX")
    close = usd_a.prices.get(date=D(2022, 3, 1)).close
    price_upsert(asset=usd_a, bars=[_bar(D(2022, 3, 1), close)])
    report(pf, today=END, period="MAX")
    assert resumes == [None]


def _bar(day, close):
    from market.providers.base import Bar

    return Bar(date=day, open=None, high=None, low=None, close=close, volume=None)


def test_the_transaction_rows_are_those_the_orm_reads(history):
    from portfolios.models import TXN_COLUMNS

    pf, _ = history
    expected = list(
        Transaction.objects.filter(portfolio=pf).order_by("date", "id").values_list(*TXN_COLUMNS)
    )
    rows = loading.txn_rows(pf, after=None)
    assert [tuple(row) for row in rows] == expected
    assert all(
        type(a) is type(b)
        for got, want in zip(rows, expected, strict=True)
        for a, b in zip(got, want, strict=True)
    )
