"""Backtests: check a simulation's inputs, run it (inline when small, else in a Celery task that
saves its progress) and fail runs that would stay running for good. Saving a finished run as a
portfolio is `simulation_save`.

The maths is `portfolios.engine.simulate`; the price matrix in one currency comes from
`selectors.backtests.simulation_market_load` (the read model's loaders and FX rule).

Strategies plug in through `SIMULATION_METHODS`: a method name maps to a factory that takes the
run's parameters and returns an engine `Rule` (``(date, days, closes) → weights``): ``"fixed"``
(the weights given) and every weighting strategy of `engine.strategies` but market cap, re-run
at each rebalance date on the closes up to it.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from market import selectors as market_selectors
from market.models import Asset
from portfolia.validators import control_character_problem, date_problem, number_problem
from portfolios.engine.market import to_date
from portfolios.engine.simulate import REBALANCE_CHOICES, Rule, SimulationError, simulate
from portfolios.engine.strategies import (
    METHOD_PARAMETERS,
    StrategyError,
    rows_needed,
    strategy_weights,
)
from portfolios.engine.strategies import METHODS as STRATEGY_METHODS
from portfolios.errors import SimulationInputError
from portfolios.models import SimulationRun
from portfolios.performance.benchmark import benchmark_queue
from portfolios.selectors.backtests import simulation_market_load

logger = logging.getLogger(__name__)

__all__ = [
    "SIMULATION_METHODS",
    "SIMULATION_METHOD_NAMES",
    "SimulationSpec",
    "simulation_run_execute",
    "simulation_run_fail",
    "simulation_runs_sweep",
    "simulation_spec_check",
    "simulation_start",
]


def _strategy_rule(method: str, params: Mapping[str, object]) -> Rule:
    """The engine rule of a weighting strategy: at each rebalance date its weights from the
    business days up to that date (the rows `engine.strategies` counts its windows in), so a
    252-day window is a trading year, as on the Strategies page."""

    # Only the trailing rows the method reads are handed on (a slack of calendar days for
    # weekends and holidays): the whole history at every rebalance would cost O(days²).
    calendar_rows = 2 * rows_needed(params) + 14

    def rule(day: datetime.date, days: np.ndarray, closes: np.ndarray) -> Sequence[float]:
        days, closes = days[-calendar_rows:], closes[-calendar_rows:]
        business = np.is_busday(days.astype("datetime64[D]"))
        try:
            chosen = strategy_weights(
                method, days=days[business], closes=closes[business], as_of=day, params=params
            )
        except StrategyError as error:
            raise SimulationError(f"{method} on {day.isoformat()}: {error}") from error
        return chosen.weights

    return rule


# method name → factory(params) → Rule. "fixed" uses the weights given (no factory needed).
# Every weighting strategy but market_cap: the provider knows only today's market caps, so a
# backtest weighting by them would look ahead. A method other than "fixed" always runs in a
# task (its cost is the strategy's).
SIMULATION_METHODS: dict[str, Callable[[Mapping[str, object]], Rule] | None] = {
    "fixed": None,
    **{
        method: (lambda params, m=method: _strategy_rule(m, params))
        for method in STRATEGY_METHODS
        if method != "market_cap"
    },
}
SIMULATION_METHOD_NAMES = tuple(sorted(SIMULATION_METHODS))

MAX_ASSETS = 100
MAX_AMOUNT = Decimal(10) ** 12  # a trillion: beyond any backtest, well inside a float's digits
MAX_DRIFT_BAND = Decimal(50)
WEIGHT_TOLERANCE = Decimal("0.000001")
PROGRESS_STEP = 0.02  # save progress at most every 2 % of the days ...
PROGRESS_SECONDS = 1.0  # ... and at most once a second


def _inline_cells() -> int:
    """Runs of at most this many (calendar days x assets), with fixed weights, finish in the
    request; bigger ones, and every strategy, go to a task."""
    return int(settings.SIMULATION_INLINE_CELLS)


@dataclass(frozen=True)
class SimulationSpec:
    """A backtest's checked inputs. `weights` are fractions adding up to 1 (None with a
    strategy method); amounts are in `currency`; `drift_band` is in points."""

    assets: tuple[Asset, ...]
    weights: tuple[Decimal, ...] | None
    method: str
    start: datetime.date
    end: datetime.date
    initial_amount: Decimal
    monthly_contribution: Decimal
    rebalance: str
    drift_band: Decimal | None
    fee: Decimal
    currency: str
    benchmark: Asset | None
    params: dict = field(default_factory=dict)

    def inputs(self) -> dict:
        """The inputs as JSON, assets by public id (what the API takes and the task reloads)."""
        return {
            "assets": [str(asset.public_id) for asset in self.assets],
            "weights": [str(w) for w in self.weights] if self.weights is not None else None,
            "method": self.method,
            "params": self.params,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "initial_amount": str(self.initial_amount),
            "monthly_contribution": str(self.monthly_contribution),
            "rebalance": self.rebalance,
            "drift_band": str(self.drift_band) if self.drift_band is not None else None,
            "fee": str(self.fee),
            "currency": self.currency,
            "benchmark": str(self.benchmark.public_id) if self.benchmark else None,
        }

    @property
    def cells(self) -> int:
        return ((self.end - self.start).days + 1) * len(self.assets)


def _problem(fields: dict[str, list[str]], name: str, message: str) -> None:
    fields.setdefault(name, []).append(message)


def _amount_problem(value: Decimal, name: str, fields: dict, *, positive: bool = False) -> None:
    problem = number_problem(value, MAX_AMOUNT)
    if problem is None and (value <= 0 if positive else value < 0):
        problem = "must be more than 0" if positive else "must be zero or more"
    if problem:
        _problem(fields, name, f"The {name.replace('_', ' ')} {problem}.")


def simulation_spec_check(
    *,
    assets: Sequence[Asset],
    weights: Sequence[Decimal] | None,
    method: str = "fixed",
    start: datetime.date,
    end: datetime.date,
    initial_amount: Decimal,
    monthly_contribution: Decimal = Decimal(0),
    rebalance: str = "monthly",
    drift_band: Decimal | None = None,
    fee: Decimal = Decimal(0),
    currency: str,
    benchmark: Asset | None = None,
    params: Mapping[str, object] | None = None,
) -> SimulationSpec:
    """Check a backtest's inputs (the form and the API both call this) and return its spec.

    Weights add up to 1 or to 100 (then they are percentages); every asset needs prices in
    [start, end], and with fixed weights a close on or before the start. Raises
    `SimulationInputError` (a 400) naming each field's problem.
    """
    fields: dict[str, list[str]] = {}
    if not assets:
        _problem(fields, "assets", "Choose at least one asset.")
    elif len(assets) > MAX_ASSETS:
        _problem(fields, "assets", f"A backtest takes at most {MAX_ASSETS} assets.")
    elif len({asset.pk for asset in assets}) != len(assets):
        _problem(fields, "assets", "An asset is listed twice.")
    if method not in SIMULATION_METHODS:
        _problem(fields, "method", f"Unknown method {method!r}.")
    fractions: tuple[Decimal, ...] | None = None
    if method == "fixed":
        fractions = _weights_check(weights, len(assets), fields)
    for name, day in (("start", start), ("end", end)):
        if problem := date_problem(day, days_ahead=0):
            _problem(fields, name, problem)
    if end <= start:
        _problem(fields, "end", "The end must be after the start.")
    _amount_problem(initial_amount, "initial_amount", fields, positive=True)
    _amount_problem(monthly_contribution, "monthly_contribution", fields)
    _amount_problem(fee, "fee", fields)
    if rebalance not in REBALANCE_CHOICES:
        _problem(fields, "rebalance", f"Choose one of {', '.join(REBALANCE_CHOICES)}.")
    if rebalance == "drift":
        if drift_band is None or not (0 < drift_band <= MAX_DRIFT_BAND):  # NaN is neither
            _problem(
                fields,
                "drift_band",
                f"Give a band of more than 0 and up to {MAX_DRIFT_BAND} points.",
            )
    else:
        drift_band = None
    allowed = METHOD_PARAMETERS.get(method, frozenset())
    if unknown := sorted(str(name) for name in (params or {}) if name not in allowed):
        known = ", ".join(sorted(allowed)) or "none"
        _problem(fields, "params", f"{method} takes no {', '.join(unknown)} (it takes: {known}).")
    for text in _texts(params or {}):
        if problem := control_character_problem(text):
            _problem(fields, "params", f"A parameter {problem}.")
            break
    if not fields:
        _prices_check(assets, fractions, start, end, fields)
    if fields:
        first = next(iter(fields.values()))[0]
        raise SimulationInputError(first, fields=fields)
    return SimulationSpec(
        assets=tuple(assets),
        weights=fractions,
        method=method,
        start=start,
        end=end,
        initial_amount=initial_amount,
        monthly_contribution=monthly_contribution,
        rebalance=rebalance,
        drift_band=drift_band,
        fee=fee,
        currency=currency,
        benchmark=benchmark,
        params=dict(params or {}),
    )


def _texts(value: object) -> list[str]:
    """Every string in a JSON value (keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for key, item in value.items() for text in [str(key), *_texts(item)]]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    return []


def _weights_check(
    weights: Sequence[Decimal] | None, count: int, fields: dict
) -> tuple[Decimal, ...] | None:
    """Weights as fractions adding up to 1 (given as fractions or as percentages)."""
    if weights is None or len(weights) != count:
        _problem(fields, "weights", "Give one weight per asset.")
        return None
    for weight in weights:
        if problem := number_problem(weight, Decimal(1000)):
            _problem(fields, "weights", f"A weight {problem}.")
            return None
        if weight < 0:
            _problem(fields, "weights", "A weight must be zero or more.")
            return None
    total = sum(weights, Decimal(0))
    if abs(total - 100) <= WEIGHT_TOLERANCE * 100:
        return tuple(weight / 100 for weight in weights)
    if abs(total - 1) <= WEIGHT_TOLERANCE:
        return tuple(weights)
    _problem(fields, "weights", f"The weights add up to {total}: they must add up to 100 (or 1).")
    return None


def _prices_check(
    assets: Sequence[Asset],
    weights: tuple[Decimal, ...] | None,
    start: datetime.date,
    end: datetime.date,
    fields: dict,
) -> None:
    """Every asset has closes in [start, end]; with fixed weights one on or before the start."""
    for index, asset in enumerate(assets):
        first, last = asset.first_price_date, asset.last_price_date
        if first is None or first > end or (last is not None and last < start):
            _problem(fields, "assets", f"{asset.symbol} has no prices between {start} and {end}.")
        elif weights is not None and weights[index] > 0 and first > start:
            _problem(
                fields,
                "start",
                f"{asset.symbol}'s prices start on {first}: start on or after it, or give it no weight.",
            )


def _rule(spec: SimulationSpec) -> tuple[Sequence[float] | None, Rule | None]:
    factory = SIMULATION_METHODS.get(spec.method)
    if factory is None:
        assert spec.weights is not None
        return [float(w) for w in spec.weights], None
    return None, factory(spec.params)


def _result(spec: SimulationSpec, market, outcome) -> dict:
    """The run's result as JSON of plain numbers (serializers format them)."""
    trades = outcome.trades
    rows = np.searchsorted(market.days, trades.days)
    rates = [
        float(market.rates[spec.assets[int(column)].currency][row])
        for row, column in zip(rows, trades.assets, strict=True)
    ]
    trade_list = [
        {
            "date": to_date(trades.days[i]).isoformat(),
            "asset": str(spec.assets[int(trades.assets[i])].public_id),
            "symbol": spec.assets[int(trades.assets[i])].symbol,
            "side": "buy" if trades.sides[i] > 0 else "sell",
            "quantity": float(trades.quantities[i]),
            "price": float(trades.prices[i]),
            "fee": float(trades.fees[i]),
            "fx_rate": rates[i],
        }
        for i in range(len(trades))
    ]

    def metrics(m) -> dict | None:
        return None if m is None else asdict(m)

    bench = outcome.benchmark_value
    return {
        "currency": spec.currency,
        "start": to_date(outcome.days[0]).isoformat(),
        "end": to_date(outcome.days[-1]).isoformat(),
        "series": {
            "dates": [to_date(day).isoformat() for day in outcome.days[[0, -1]]],
            "value": outcome.value.tolist(),
            "benchmark": bench.tolist() if bench is not None else None,
        },
        "contributions": [
            {"date": day.isoformat(), "amount": amount} for day, amount in outcome.contributions
        ],
        "trades": trade_list,
        "holdings": [
            {
                "asset": str(asset.public_id),
                "symbol": asset.symbol,
                "quantity": float(outcome.quantities[i]),
            }
            for i, asset in enumerate(spec.assets)
        ],
        "cash": float(outcome.cash),
        "rebalances": int(outcome.rebalance_days.size),
        "final_weights": outcome.weights[-1].tolist(),
        "metrics": metrics(outcome.metrics),
        "benchmark": {
            "symbol": market.benchmark_symbol,
            "metrics": metrics(outcome.benchmark_metrics),
        },
        "notes": _notes(spec, market, outcome),
    }


def _notes(spec: SimulationSpec, market, outcome) -> list[str]:
    """What the page says about the result; a benchmark without prices has its history asked
    for (on commit, at most hourly: the performance pages' `benchmark_queue`)."""
    notes = []
    if outcome.benchmark_metrics is None:
        notes.append(f"{market.benchmark_symbol} has no prices for this period in this currency.")
        if market.benchmark is None or market.benchmark.first is None:
            benchmark_queue(
                market.benchmark_symbol,
                market.benchmark.id if market.benchmark else None,
                spec.start - datetime.timedelta(days=7),
            )
    return notes


def _run(spec: SimulationSpec, owner, progress: Callable[[float], None] | None = None) -> dict:
    market = simulation_market_load(
        owner=owner,
        assets=list(spec.assets),
        currency=spec.currency,
        benchmark=spec.benchmark,
        start=spec.start,
        end=spec.end,
    )
    if market.missing_fx:
        raise SimulationError(f"No exchange rate converts {', '.join(market.missing_fx)}.")
    weights, rule = _rule(spec)
    outcome = simulate(
        days=market.days,
        closes=market.closes,
        start=spec.start,
        end=spec.end,
        initial_amount=float(spec.initial_amount),
        weights=weights,
        rule=rule,
        monthly_contribution=float(spec.monthly_contribution),
        rebalance=spec.rebalance,
        drift_band=float(spec.drift_band) if spec.drift_band is not None else None,
        fee=float(spec.fee),
        benchmark=market.benchmark_closes,
        risk_free_rate=float(settings.RISK_FREE_RATE),
        progress=progress,
    )
    return _result(spec, market, outcome)


@db_transaction.atomic
def simulation_start(
    *, owner, spec: SimulationSpec, background: bool | None = None
) -> SimulationRun:
    """A new run of `spec` for `owner`: run now when small (fixed weights, at most
    SIMULATION_INLINE_CELLS days x assets), else queued for a worker on commit. An inline run
    whose prices cannot be simulated raises `SimulationInputError` and saves nothing."""
    simulation_runs_sweep()
    if background is None:
        background = spec.method != "fixed" or spec.cells > _inline_cells()
    run = SimulationRun.objects.create(owner=owner, inputs=spec.inputs())
    if background:
        db_transaction.on_commit(lambda: _enqueue(run.pk))
        return run
    now = timezone.now()
    try:
        result = _run(spec, owner)
    except SimulationError as error:
        raise SimulationInputError(str(error)) from error
    run.status, run.result, run.progress = SimulationRun.Status.SUCCEEDED, result, 1.0
    run.started_at = run.heartbeat_at = now
    run.finished_at = timezone.now()
    run.save()
    return run


def _enqueue(run_id: int) -> None:
    from portfolios.tasks import simulation_run  # the tasks module imports this one

    try:
        simulation_run.delay(run_id)
    except Exception:
        logger.exception("Could not queue simulation run %s", run_id)
        simulation_run_fail(
            run_id=run_id,
            reason="The run could not be queued: the task broker is unavailable. Try again later.",
        )


def _spec_from_inputs(run: SimulationRun) -> SimulationSpec:
    """The spec of a stored run, its assets read again (still visible to the owner)."""
    inputs = run.inputs
    visible = market_selectors.assets_visible(user=run.owner)
    by_id = {str(a.public_id): a for a in visible.filter(public_id__in=inputs["assets"])}
    if len(by_id) != len(inputs["assets"]):
        raise SimulationError("An asset of this run no longer exists.")
    benchmark = None
    if inputs.get("benchmark"):
        benchmark = visible.filter(public_id=inputs["benchmark"]).first()
    weights = inputs.get("weights")
    band = inputs.get("drift_band")
    return SimulationSpec(
        assets=tuple(by_id[key] for key in inputs["assets"]),
        weights=tuple(Decimal(w) for w in weights) if weights is not None else None,
        method=inputs["method"],
        params=inputs.get("params") or {},
        start=datetime.date.fromisoformat(inputs["start"]),
        end=datetime.date.fromisoformat(inputs["end"]),
        initial_amount=Decimal(inputs["initial_amount"]),
        monthly_contribution=Decimal(inputs["monthly_contribution"]),
        rebalance=inputs["rebalance"],
        drift_band=Decimal(band) if band is not None else None,
        fee=Decimal(inputs["fee"]),
        currency=inputs["currency"],
        benchmark=benchmark,
    )


def simulation_run_fail(*, run_id: int, reason: str) -> None:
    """End an unfinished run as failed with `reason` (a finished one is left as it is)."""
    SimulationRun.objects.filter(
        pk=run_id, status__in=[SimulationRun.Status.QUEUED, SimulationRun.Status.RUNNING]
    ).update(status=SimulationRun.Status.FAILED, error=reason, finished_at=timezone.now())


def simulation_run_execute(*, run_id: int) -> SimulationRun:
    """Run a queued run (the task's body), saving progress as it goes; a run that cannot be
    simulated ends failed with the reason."""
    now = timezone.now()
    started = SimulationRun.objects.filter(
        pk=run_id, status__in=[SimulationRun.Status.QUEUED, SimulationRun.Status.RUNNING]
    ).update(status=SimulationRun.Status.RUNNING, started_at=now, heartbeat_at=now, progress=0.0)
    run = SimulationRun.objects.select_related("owner").get(pk=run_id)
    if not started:
        return run
    saved = {"share": 0.0, "at": time.monotonic()}

    def progress(share: float) -> None:
        if (
            share - saved["share"] < PROGRESS_STEP
            or time.monotonic() - saved["at"] < PROGRESS_SECONDS
        ):
            return
        saved.update(share=share, at=time.monotonic())
        SimulationRun.objects.filter(pk=run_id).update(
            progress=min(share, 0.99), heartbeat_at=timezone.now()
        )

    try:
        result = _run(_spec_from_inputs(run), run.owner, progress)
    except SimulationError as error:
        simulation_run_fail(run_id=run_id, reason=str(error))
    else:
        SimulationRun.objects.filter(pk=run_id, status=SimulationRun.Status.RUNNING).update(
            status=SimulationRun.Status.SUCCEEDED,
            result=result,
            progress=1.0,
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def simulation_runs_sweep(*, now: datetime.datetime | None = None) -> int:
    """Fail the runs that would stay unfinished for good, as market's fetch-job sweep does:
    running with no sign of the worker for longer than the task time limit (it died or was
    stopped), or queued for longer than a job may wait for a worker. Returns how many."""
    now = now or timezone.now()
    stuck = SimulationRun.objects.annotate(
        last_sign=Coalesce("heartbeat_at", "started_at", "created_at")
    ).filter(
        Q(
            status=SimulationRun.Status.RUNNING,
            last_sign__lt=now - market_selectors.job_running_limit(),
        )
        | Q(
            status=SimulationRun.Status.QUEUED,
            last_sign__lt=now - market_selectors.job_queued_limit(),
        )
    )
    return stuck.update(
        status=SimulationRun.Status.FAILED,
        error="The run stopped: its worker died, it ran past the task time limit, or no worker "
        "took it up. Start it again.",
        finished_at=now,
    )
