"""`manage.py seed_demo`: two demo portfolios priced offline, created once."""

import pytest
from django.core.management import call_command

from accounts.models import User
from market.models import FetchJob, Price
from portfolios import selectors
from portfolios.models import Portfolio, Transaction

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_two_priced_portfolios_once():
    call_command("seed_demo")
    user = User.objects.get(email="demo@portfolia.local")
    usd, eur = (
        Portfolio.objects.get(owner=user, name="Growth & Income"),
        Portfolio.objects.get(owner=user, name="Euro Core"),
    )
    assert (usd.base_currency, eur.base_currency) == ("USD", "EUR")
    kinds = set(usd.transactions.values_list("kind", flat=True))
    assert {"deposit", "withdrawal", "buy", "sell", "dividend", "fee", "split"} <= kinds
    assert not eur.transactions.filter(kind__in=["deposit", "withdrawal"]).exists()
    classes = set(
        Transaction.objects.filter(portfolio__owner=user, asset__isnull=False).values_list(
            "asset__asset_class", flat=True
        )
    )
    assert {"stock", "etf", "crypto", "bond", "commodity"} <= classes
    assert not FetchJob.objects.exists()  # prices were loaded directly: nothing to fetch

    summaries = {s.portfolio.name: s for s in selectors.portfolio_list_with_summary(user)}
    usd = selectors.holdings(portfolio=summaries["Growth & Income"].portfolio)
    assert usd.records_cash and usd.cash > 0
    assert usd.realized_gain < 0  # the sale at a loss
    assert summaries["Growth & Income"].value == usd.total_value
    assert not summaries["Euro Core"].pending  # EUR converts through EURUSD=X
    assert 9 <= len(usd.rows) + summaries["Euro Core"].holding_count <= 13

    counts = (Transaction.objects.count(), Price.objects.count())
    call_command("seed_demo")
    assert (Transaction.objects.count(), Price.objects.count()) == counts
    assert Portfolio.objects.filter(owner=user).count() == 2


def test_the_demo_split_it_records_is_one_the_stored_provider_data_reports():
    call_command("seed_demo")
    split = Transaction.objects.get(portfolio__owner__email="demo@portfolia.local", kind="split")
    assert split.asset.corporate_actions.filter(kind="split", date=split.date).exists()
    assert selectors.transaction_warnings(transaction=split) == []


def test_seed_demo_stores_demo_market_caps_for_its_stocks():
    from market.models import Asset

    call_command("seed_demo")

    aapl = Asset.objects.get(symbol="AAPL")
    # The demo's 15.4 billion shares at a close of tens to hundreds of dollars.
    assert aapl.market_cap is not None and 1e11 < aapl.market_cap < 1e13
    assert Asset.objects.get(symbol="^GSPC").market_cap is None  # an index has none


def test_the_usd_demo_has_class_targets_adding_up_to_100_and_a_plan():
    from portfolios.selectors.rebalancing import rebalance_plan, targets_report

    call_command("seed_demo")
    portfolio = Portfolio.objects.get(base_currency="USD")
    targets = list(portfolio.targets.all())
    # stock 40 + etf 20 + bond 20 + commodity 7 + crypto 3 + cash 10.
    assert sum(t.weight for t in targets) == 100
    assert {t.asset_class for t in targets if t.asset_class} == {
        "stock",
        "etf",
        "bond",
        "commodity",
        "crypto",
    }
    assert targets_report(portfolio=portfolio).kind == "asset_class"
    assert rebalance_plan(portfolio).trades  # the demo drifted: the plan has trades
