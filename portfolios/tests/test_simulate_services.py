"""Backtest services: inputs checked, inline and task runs, FX, the stuck-run sweep, and
"save as portfolio" through the transaction services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from portfolios import selectors, services
from portfolios.errors import SimulationInputError
from portfolios.models import SimulationRun, Transaction
from portfolios.tests.factories import AssetFactory, FxAssetFactory, prices
from portfolios.tests.performance_builders import business_days
from portfolios.tests.simulate_builders import two_assets

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return two_assets()


def spec(assets, weights=("50", "50"), **changes):
    options = {
        "assets": list(assets),
        "weights": [Decimal(w) for w in weights] if weights is not None else None,
        "start": D(2024, 1, 2),
        "end": D(2024, 2, 29),
        "initial_amount": Decimal(1000),
        "rebalance": "monthly",
        "currency": "USD",
    }
    options.update(changes)
    return services.simulation_spec_check(**options)


def test_an_inline_run_stores_the_hand_computed_result(user, pair):
    run = services.simulation_start(owner=user, spec=spec(pair))
    assert run.status == SimulationRun.Status.SUCCEEDED
    result = run.result
    # 2 Jan: 50 A @ 10, 10 B @ 50. 1 Feb: 50 * 20 + 10 * 50 = 1500 -> 750 each:
    # A 37.5, B 15. End: 37.5 * 20 + 15 * 50 = 1500, TWR 50 %.
    assert [h["quantity"] for h in result["holdings"]] == pytest.approx([37.5, 15.0])
    assert result["metrics"]["end_value"] == pytest.approx(1500.0)
    assert result["metrics"]["twr"] == pytest.approx(0.5)
    assert [(t["date"], t["side"]) for t in result["trades"]] == [
        ("2024-01-02", "buy"),
        ("2024-01-02", "buy"),
        ("2024-02-01", "sell"),
        ("2024-02-01", "buy"),
    ]
    assert result["benchmark"]["symbol"] == "^GSPC"
    assert result["benchmark"]["metrics"] is None  # no ^GSPC prices stored
    assert result["notes"]


def test_closes_convert_into_the_simulation_currency(user):
    eur = AssetFactory(symbol="SAP.DE", currency="EUR")
    days = business_days(D(2024, 1, 2), D(2024, 1, 31))
    prices(eur, dict.fromkeys(days, 10.0))
    prices(FxAssetFactory(), dict.fromkeys(days, 1.1))  # EURUSD=X: 1.1 USD per EUR
    eur.refresh_from_db()
    run = services.simulation_start(
        owner=user,
        spec=spec([eur], weights=("100",), end=D(2024, 1, 31), initial_amount=Decimal(1100)),
    )
    # 10 EUR = 11 USD: 1100 USD buys 100.
    assert run.result["holdings"][0]["quantity"] == pytest.approx(100.0)
    assert run.result["trades"][0]["price"] == pytest.approx(11.0)
    assert run.result["trades"][0]["fx_rate"] == pytest.approx(1.1)
    # Saved, the buy is booked in EUR at the rate used: 100 @ 10 EUR, 1.1 USD per EUR.
    portfolio = services.simulation_run_save_as_portfolio(run=run, name="Euro")
    buy = Transaction.objects.get(portfolio=portfolio)
    assert (buy.currency, buy.price, buy.quantity, buy.fx_rate) == (
        "EUR",
        Decimal(10),
        Decimal(100),
        Decimal("1.1"),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weights": ["60", "30"]}, "weights"),
        ({"weights": ["0.6", "0.3"]}, "weights"),
        ({"weights": ["100"]}, "weights"),
        ({"end": D(2024, 1, 1)}, "end"),
        ({"start": D(1800, 1, 1)}, "start"),
        ({"start": D(2023, 1, 2), "end": D(2023, 6, 30)}, "assets"),
        ({"start": D(2023, 12, 1)}, "start"),  # before the first close, with a weight
        ({"initial_amount": Decimal("1e30")}, "initial_amount"),
        ({"initial_amount": Decimal(0)}, "initial_amount"),
        ({"fee": Decimal("-1")}, "fee"),
        ({"rebalance": "drift"}, "drift_band"),
        ({"rebalance": "weekly"}, "rebalance"),
        ({"method": "astrology"}, "method"),
    ],
)
def test_inputs_that_cannot_be_simulated_are_refused(pair, changes, field):
    if "weights" in changes:
        changes["weights"] = [Decimal(w) for w in changes["weights"]]
    with pytest.raises(SimulationInputError) as error:
        spec(pair, **changes)
    assert field in error.value.fields
    assert error.value.status_code == 400


def test_percent_and_fraction_weights_are_the_same(pair):
    assert spec(pair, weights=("0.5", "0.5")).weights == spec(pair).weights


def test_a_background_run_goes_through_the_task_eagerly_and_ends_with_progress_1(
    user, pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.simulation_start(owner=user, spec=spec(pair), background=True)
    assert run.status == SimulationRun.Status.QUEUED  # as the request left it
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.SUCCEEDED
    assert run.progress == 1.0
    assert run.result["metrics"]["twr"] == pytest.approx(0.5)


def test_a_run_that_cannot_be_simulated_in_the_task_ends_failed_with_the_reason(
    user, pair, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(params):
        return lambda day, days, closes: [0.7, 0.7]

    monkeypatch.setitem(services.SIMULATION_METHODS, "broken", broken)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.simulation_start(owner=user, spec=spec(pair, method="broken"))
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.FAILED
    assert "add up" in run.error


def test_a_strategy_method_plugs_in_as_a_rule_and_runs_in_the_background(
    user, pair, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setitem(
        services.SIMULATION_METHODS, "all_b", lambda params: lambda d, days, c: [0.0, 1.0]
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.simulation_start(owner=user, spec=spec(pair, method="all_b", weights=None))
    run.refresh_from_db()
    # Everything in B at 50: 20 units, flat: TWR 0.
    assert run.result["holdings"][1]["quantity"] == pytest.approx(20.0)
    assert run.result["metrics"]["twr"] == pytest.approx(0.0)


@override_settings(CELERY_TASK_TIME_LIMIT=600)
def test_the_sweep_fails_a_run_whose_worker_went_silent(user):
    stale = timezone.now() - dt.timedelta(hours=1)
    run = SimulationRun.objects.create(
        owner=user, inputs={}, status=SimulationRun.Status.RUNNING, heartbeat_at=stale
    )
    fresh = SimulationRun.objects.create(
        owner=user, inputs={}, status=SimulationRun.Status.RUNNING, heartbeat_at=timezone.now()
    )
    assert services.simulation_runs_sweep() == 1
    run.refresh_from_db()
    fresh.refresh_from_db()
    assert run.status == SimulationRun.Status.FAILED and "Start it again" in run.error
    assert fresh.status == SimulationRun.Status.RUNNING


def test_saving_as_a_portfolio_records_the_trades_and_holdings_match(user, pair):
    run = services.simulation_start(owner=user, spec=spec(pair, fee=Decimal(1)))
    portfolio = services.simulation_run_save_as_portfolio(run=run, name="Backtest 50/50")
    assert portfolio.owner == user and portfolio.base_currency == "USD"
    assert Transaction.objects.filter(portfolio=portfolio).count() == len(run.result["trades"])
    held = selectors.holdings(portfolio=portfolio, date=D(2024, 2, 29))
    quantities = {row.asset.symbol: row.quantity for row in held.rows}
    simulated = {h["symbol"]: h["quantity"] for h in run.result["holdings"]}
    # 998 after two fees: 49.9 A, 9.98 B; 1 Feb: 49.9 * 20 + 9.98 * 50 = 1497, two fees: 747.5
    # each -> A 37.375, B 14.95.
    assert simulated == pytest.approx({"AAA": 37.375, "BBB": 14.95})
    assert {k: float(v) for k, v in quantities.items()} == pytest.approx(simulated, abs=1e-9)
    run.refresh_from_db()
    assert run.portfolio == portfolio


def test_saving_with_cash_records_adds_the_contributions_as_deposits(user, pair):
    run = services.simulation_start(owner=user, spec=spec(pair, monthly_contribution=Decimal(500)))
    portfolio = services.simulation_run_save_as_portfolio(
        run=run, name="With cash", records_cash=True
    )
    deposits = Transaction.objects.filter(portfolio=portfolio, kind="deposit").order_by("date")
    # The initial 1000 on 2 Jan and 500 on 1 Feb.
    assert [(d.date, d.amount) for d in deposits] == [
        (D(2024, 1, 2), Decimal(1000)),
        (D(2024, 2, 1), Decimal(500)),
    ]


def test_an_unfinished_run_cannot_be_saved(user):
    run = SimulationRun.objects.create(owner=user, inputs={})
    with pytest.raises(SimulationInputError):
        services.simulation_run_save_as_portfolio(run=run, name="Nope")


def test_a_task_stopped_at_the_time_limit_fails_its_run(user):
    from celery.exceptions import TimeLimitExceeded

    from portfolios.tasks import simulation_run

    run = SimulationRun.objects.create(owner=user, inputs={}, status=SimulationRun.Status.RUNNING)
    simulation_run.on_failure(TimeLimitExceeded(600), "task-id", (run.pk,), {}, None)
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.FAILED
    assert "time limit" in run.error and run.finished_at is not None


def test_the_beat_schedule_runs_the_sweep():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="portfolios.sweep_simulations").exists()


def test_a_missing_default_benchmark_has_its_history_asked_for(user, pair, benchmark_queue):
    services.simulation_start(owner=user, spec=spec(pair))
    # ^GSPC does not exist yet: asked for from a week before the start.
    assert benchmark_queue == [("^GSPC", None, D(2023, 12, 26))]


def test_a_pence_quoted_asset_is_saved_in_pounds(user):
    shell = AssetFactory(symbol="SHEL.L", currency="GBp")
    days = business_days(D(2024, 1, 2), D(2024, 1, 31))
    prices(shell, dict.fromkeys(days, 250.0))  # 250 pence = 2.50 GBP
    shell.refresh_from_db()
    run = services.simulation_start(
        owner=user,
        spec=spec(
            [shell],
            weights=("100",),
            end=D(2024, 1, 31),
            currency="GBP",
            initial_amount=Decimal(500),
        ),
    )
    assert run.result["holdings"][0]["quantity"] == pytest.approx(200.0)  # 500 / 2.50
    portfolio = services.simulation_run_save_as_portfolio(run=run, name="Pence")
    buy = Transaction.objects.get(portfolio=portfolio)
    assert (buy.currency, buy.price, buy.quantity, buy.fx_rate) == (
        "GBP",
        Decimal("2.5"),
        Decimal(200),
        None,
    )


def test_a_task_run_saves_its_progress_as_it_goes(
    user, django_capture_on_commit_callbacks, monkeypatch
):
    asset = AssetFactory(symbol="LONG")
    prices(asset, dict.fromkeys(business_days(D(2023, 1, 2), D(2023, 12, 29)), 10.0))
    asset.refresh_from_db()
    monkeypatch.setattr("portfolios.services.simulations.PROGRESS_SECONDS", 0.0)
    seen: list[float] = []

    def factory(params):
        def rule(day, days, closes):
            seen.append(SimulationRun.objects.get().progress)  # what a poll would read
            return [1.0]

        return rule

    monkeypatch.setitem(services.SIMULATION_METHODS, "watched", factory)
    with django_capture_on_commit_callbacks(execute=True):
        services.simulation_start(
            owner=user,
            spec=spec(
                [asset], weights=None, method="watched", start=D(2023, 1, 2), end=D(2023, 12, 29)
            ),
        )
    # 12 rule runs (2 Jan, then the first row of each month); the progress saved before each
    # later one grows from 0 and stays below 1 until the run ends.
    assert len(seen) == 12
    assert seen[0] == 0.0 and seen == sorted(seen) and 0.5 < seen[-1] < 1.0
    assert SimulationRun.objects.get().progress == 1.0


def test_the_equal_weight_strategy_rebalances_as_fixed_halves_do(
    user, pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.simulation_start(owner=user, spec=spec(pair, method="equal", weights=None))
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.SUCCEEDED, run.error
    # As with fixed 50/50 (the first test's arithmetic): 2 Jan 50 A @ 10 and 10 B @ 50; on
    # 1 Feb 1,500 split 750/750: A 37.5, B 15; the end value 1,500, TWR 50 %.
    assert [h["quantity"] for h in run.result["holdings"]] == pytest.approx([37.5, 15.0])
    assert run.result["metrics"]["twr"] == pytest.approx(0.5)


def test_a_strategy_window_longer_than_the_history_fails_the_run_naming_method_and_day(
    user, pair, django_capture_on_commit_callbacks
):
    # Inverse volatility reads 252 business-day returns; two months of closes hold ~40.
    with django_capture_on_commit_callbacks(execute=True):
        run = services.simulation_start(
            owner=user, spec=spec(pair, method="inverse_volatility", weights=None)
        )
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.FAILED
    assert run.error.startswith("inverse_volatility on 2024-01-02:")


def test_a_parameter_the_strategy_does_not_take_is_refused(pair):
    with pytest.raises(SimulationInputError) as raised:
        spec(pair, method="equal", weights=None, params={"window": 20})
    assert "equal takes no window" in raised.value.fields["params"][0]


def test_market_cap_is_no_backtest_method_since_only_todays_caps_are_known():
    assert "market_cap" not in services.SIMULATION_METHODS
    assert {"equal", "inverse_volatility", "risk_parity", "momentum"} <= set(
        services.SIMULATION_METHODS
    )


def test_a_strategy_rule_reads_only_the_trailing_rows_and_answers_as_on_the_whole_history():
    import numpy as np

    from portfolios.engine.strategies import strategy_weights

    days = np.arange(
        np.datetime64("2023-01-01"), np.datetime64("2024-06-30"), dtype="datetime64[D]"
    )
    rng = np.random.default_rng(3)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, [0.01, 0.02, 0.03], (days.size, 3)), axis=0))
    day = D(2024, 6, 28)
    business = np.is_busday(days)
    for method in ("inverse_volatility", "risk_parity", "momentum"):
        params = {"window": 60, "top_n": 2} if method == "momentum" else {"window": 60}
        rule = services.SIMULATION_METHODS[method](params)
        whole = strategy_weights(
            method, days=days[business], closes=closes[business], as_of=day, params=params
        )
        assert rule(day, days, closes) == pytest.approx(whole.weights, abs=1e-12), method
