"""portfolio_create, portfolio_update and portfolio_delete."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from portfolios import services
from portfolios.models import Portfolio, Transaction
from portfolios.tests.factories import (
    AssetFactory,
    ManualAssetFactory,
    PortfolioFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db


def test_a_new_portfolio_takes_the_owners_base_currency_by_default(user):
    user.base_currency = "EUR"
    portfolio = services.portfolio_create(owner=user, name="  Retirement  ")
    assert portfolio.base_currency == "EUR"
    assert portfolio.name == "Retirement"
    assert portfolio.cost_basis_method == "fifo"
    assert portfolio.public_id is not None


def test_names_are_unique_per_owner_whatever_their_case(user, other_user):
    services.portfolio_create(owner=user, name="Main")
    with pytest.raises(ValidationError) as error:
        services.portfolio_create(owner=user, name="MAIN")
    assert "name" in error.value.message_dict
    services.portfolio_create(owner=other_user, name="Main")  # another owner may use it
    assert Portfolio.objects.count() == 2


def test_a_benchmark_must_be_an_asset_the_owner_may_use(user, other_user):
    someone_elses = ManualAssetFactory(owner=other_user, symbol="PRIVATE")
    with pytest.raises(ValidationError) as error:
        services.portfolio_create(owner=user, name="Main", benchmark=someone_elses)
    assert "benchmark" in error.value.message_dict
    index = AssetFactory(symbol="^GSPC", asset_class="index")
    portfolio = services.portfolio_create(owner=user, name="Main", benchmark=index)
    assert portfolio.benchmark == index


def test_choosing_a_benchmark_ensures_its_history_after_the_commit(
    user, history_calls, django_capture_on_commit_callbacks
):
    index = AssetFactory(symbol="^GSPC", asset_class="index")
    with django_capture_on_commit_callbacks(execute=True):
        services.portfolio_create(owner=user, name="Main", benchmark=index)
    assert [symbol for symbol, _since in history_calls] == ["^GSPC"]


def test_update_changes_only_the_given_fields(user):
    portfolio = services.portfolio_create(owner=user, name="Main", description="Old")
    services.portfolio_update(portfolio=portfolio, data={"cost_basis_method": "average"})
    portfolio.refresh_from_db()
    assert portfolio.cost_basis_method == "average"
    assert portfolio.description == "Old"


def test_update_refuses_a_name_already_used_by_the_owner(user):
    services.portfolio_create(owner=user, name="Main")
    other = services.portfolio_create(owner=user, name="Side")
    with pytest.raises(ValidationError):
        services.portfolio_update(portfolio=other, data={"name": "main"})


def test_update_refuses_unknown_fields(user):
    portfolio = services.portfolio_create(owner=user, name="Main")
    with pytest.raises(ValueError):
        services.portfolio_update(portfolio=portfolio, data={"owner": None})


def test_delete_removes_the_portfolio_and_its_transactions():
    portfolio = PortfolioFactory()
    TransactionFactory(portfolio=portfolio, date=dt.date(2024, 1, 2))
    services.portfolio_delete(portfolio=portfolio)
    assert not Portfolio.objects.exists()
    assert not Transaction.objects.exists()
