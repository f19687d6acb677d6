"""`targets_set` (validation, atomic replace) and `rebalance_record` (one confirmed, atomic step
through the transaction services)."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from market.tests.factories import ManualAssetFactory
from portfolia.errors import ConflictError
from portfolios import services
from portfolios.errors import LedgerViolation
from portfolios.models import Portfolio, TargetAllocation, Transaction
from portfolios.selectors import holdings
from portfolios.selectors.rebalancing import RebalanceInputs, rebalance_plan, targets_report
from portfolios.services import TargetInput
from portfolios.tests.factories import AssetFactory, PortfolioFactory
from portfolios.tests.test_targets_plan import held

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory()


def problems(portfolio, targets) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        services.targets_set(portfolio=portfolio, targets=targets)
    return caught.value.message_dict["targets"]


def test_targets_must_add_up_to_100(portfolio):
    a, b = AssetFactory(), AssetFactory()
    found = problems(portfolio, [TargetInput(D(50), asset=a), TargetInput(D("45.5"), asset=b)])
    assert found == ["The weights add up to 95.5; they must add up to 100."]
    assert not TargetAllocation.objects.exists()


def test_targets_are_by_asset_or_by_class_not_both(portfolio):
    found = problems(
        portfolio,
        [TargetInput(D(50), asset=AssetFactory()), TargetInput(D(50), asset_class="bond")],
    )
    assert "either by asset or by asset class, not both" in found[0]


def test_a_cash_target_needs_cash_records(portfolio):
    found = problems(
        portfolio, [TargetInput(D(90), asset_class="stock"), TargetInput(D(10), cash=True)]
    )
    assert found == [
        "Target 2: A cash target needs cash records: this portfolio does not record cash "
        "(Settings, “Cash records”)."
    ]
    cash_portfolio = PortfolioFactory(records_cash=True)
    services.targets_set(
        portfolio=cash_portfolio,
        targets=[TargetInput(D(90), asset_class="stock"), TargetInput(D(10), cash=True)],
    )
    assert cash_portfolio.targets.filter(is_cash=True).get().weight == 10


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (TargetInput(D(101), asset_class="stock"), "The weight must be from 0 to 100"),
        (TargetInput(D("1E+30"), asset_class="stock"), "The weight must be from 0 to 100"),
        (TargetInput(D("NaN"), asset_class="stock"), "The weight must be a number."),
        (TargetInput(D("33.33333"), asset_class="stock"), "at most 4 decimals"),
        (TargetInput(D(100), asset_class="st\x00ock"), "Unknown asset class."),
        (TargetInput(D(100), asset_class="stock", band=D(-1)), "The band must be from 0 to 100"),
        (TargetInput(D(100)), "Name exactly one of an asset, an asset class or cash."),
    ],
)
def test_each_target_is_checked(portfolio, target, message):
    assert message in problems(portfolio, [target])[0]


def test_duplicate_targets_and_other_users_assets_are_refused(portfolio):
    a = AssetFactory()
    assert (
        "one target only"
        in problems(portfolio, [TargetInput(D(50), asset=a), TargetInput(D(50), asset=a)])[0]
    )
    theirs = ManualAssetFactory()
    assert (
        "catalogue or your own assets"
        in problems(portfolio, [TargetInput(D(100), asset=theirs)])[0]
    )


def test_targets_set_replaces_the_whole_set_and_an_empty_list_clears_it(portfolio):
    services.targets_set(portfolio=portfolio, targets=[TargetInput(D(100), asset_class="stock")])
    services.targets_set(
        portfolio=portfolio,
        targets=[TargetInput(D(60), asset_class="etf"), TargetInput(D(40), asset_class="bond")],
    )
    assert sorted(portfolio.targets.values_list("asset_class", flat=True)) == ["bond", "etf"]
    services.targets_set(portfolio=portfolio, targets=[])
    assert not portfolio.targets.exists()


# --- Recording -----------------------------------------------------------------------------------


@pytest.fixture
def two(portfolio):
    a = held(portfolio, "AAA", 10, 60)
    b = held(portfolio, "BBB", 10, 40)
    services.targets_set(
        portfolio=portfolio, targets=[TargetInput(D(50), asset=a), TargetInput(D(50), asset=b)]
    )
    return a, b


def record(portfolio, fingerprint=None, **inputs):
    inputs = RebalanceInputs(**inputs)
    if fingerprint is None:
        fingerprint = rebalance_plan(portfolio, **vars(inputs)).fingerprint
    return services.rebalance_record(portfolio=portfolio, inputs=inputs, fingerprint=fingerprint)


def test_recording_a_plan_records_its_trades_and_reaches_the_targets(portfolio, two):
    version = Portfolio.objects.get(pk=portfolio.pk).ledger_version
    # New cash 200, whole units: T = 1200, goals 600: A is at 600, B buys 200 / 40 = 5.
    created = record(portfolio, cash=D(200), whole_units=True)
    assert [(t.kind, t.asset.symbol, t.quantity, t.price, t.note) for t in created] == [
        ("buy", "BBB", D(5), D(40), "Rebalance")
    ]
    assert Portfolio.objects.get(pk=portfolio.pk).ledger_version == version + 1
    rows = {row.label: row for row in targets_report(portfolio=portfolio).rows}
    assert (rows["AAA"].current, rows["BBB"].current) == (50, 50)


def test_recording_with_cash_records_deposits_the_new_cash_first():
    portfolio = PortfolioFactory(records_cash=True)
    a = held(portfolio, "AAA", 10, 60)
    services.targets_set(
        portfolio=portfolio, targets=[TargetInput(D(80), asset=a), TargetInput(D(20), cash=True)]
    )
    # Cash before: the buy of 600 with no deposit leaves -600; with the new cash 1000 the money
    # is C = 400 and T = 600 + 400 = 1000. A's goal 800 (lacks 200), cash's 200: budget
    # 400 - 200 = 200 -> 200 / 60 = 3.33 -> 3 whole units (180); cash after 400 - 180 = 220.
    created = record(portfolio, cash=D(1000), whole_units=True)
    assert [(t.kind, t.amount, t.quantity) for t in created] == [
        ("deposit", D(1000), None),
        ("buy", None, D(3)),
    ]
    snapshot = holdings(portfolio=portfolio)
    assert snapshot.cash == D(220)  # -600 + 1000 - 180


def test_a_changed_plan_records_nothing(portfolio, two):
    fingerprint = rebalance_plan(portfolio).fingerprint
    services.targets_set(
        portfolio=portfolio,
        targets=[TargetInput(D(40), asset=two[0]), TargetInput(D(60), asset=two[1])],
    )
    count = Transaction.objects.count()
    with pytest.raises(ConflictError, match="The plan changed since it was shown"):
        record(portfolio, fingerprint=fingerprint)
    assert Transaction.objects.count() == count


def test_a_failure_midway_records_nothing(portfolio, two, monkeypatch):
    # The second row's check fails: neither the sell nor the buy is stored, nor the version.
    from portfolios.services import transactions

    checked = []
    original = transactions._validate_row

    def failing(txn, portfolio):
        checked.append(txn)
        if len(checked) == 2:
            raise ValidationError({"price": ["Broken on purpose."]})
        original(txn, portfolio)

    monkeypatch.setattr(transactions, "_validate_row", failing)
    count, version = (
        Transaction.objects.count(),
        Portfolio.objects.get(pk=portfolio.pk).ledger_version,
    )
    with pytest.raises(ValidationError):
        record(portfolio)
    assert len(checked) == 2
    assert Transaction.objects.count() == count
    assert Portfolio.objects.get(pk=portfolio.pk).ledger_version == version


def test_a_sale_the_ledger_refuses_records_nothing(portfolio, two, monkeypatch):
    # The plan's sale asks for more than is held (the plan is forced to): the ledger replay
    # refuses it and the buy before it in the same step is not stored either.
    from portfolios.selectors.rebalancing import PlanTrade, RebalancePlan

    plan = rebalance_plan(portfolio)
    broken = [
        PlanTrade(
            t.asset,
            t.side,
            t.quantity * 100 if t.side == "sell" else t.quantity,
            t.amount,
            t.price,
            t.currency,
            t.fx_rate,
            t.price_date,
        )
        for t in plan.trades
    ]
    forced = RebalancePlan(**{**vars(plan), "trades": broken})
    monkeypatch.setattr("portfolios.services.targets.rebalance_plan", lambda *a, **k: forced)
    count = Transaction.objects.count()
    with pytest.raises(LedgerViolation):
        record(portfolio, fingerprint=plan.fingerprint)
    assert Transaction.objects.count() == count


def test_strategy_weights_become_targets_adding_up_to_exactly_100(portfolio):
    a, b, c, d = (AssetFactory() for _ in range(4))
    # Thirds: 33.3333.. each -> 33.3333 x 3 = 99.9999; the last step (0.0001) goes to the
    # largest remainder (all equal: the first), so 33.3334 + 33.3333 + 33.3333 = 100.
    # D is weighted 0: no target.
    services.targets_set_from_weights(
        portfolio=portfolio, assets=[a, b, c, d], weights=[1 / 3, 1 / 3, 1 / 3, 0.0]
    )
    weights = {t.asset_id: t.weight for t in portfolio.targets.all()}
    assert weights == {a.pk: D("33.3334"), b.pk: D("33.3333"), c.pk: D("33.3333")}
