"""The staff view of a portfolio: owner, read-only transactions and figures from the selector."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from portfolios.models import Portfolio
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory, prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_change_page_shows_value_cost_and_gains_from_the_holdings_selector(staff_client):
    portfolio = PortfolioFactory(name="Client A")
    asset = AssetFactory(symbol="AAPL")
    prices(asset, {dt.date(2024, 1, 2): 150.0})
    TransactionFactory(portfolio=portfolio, asset=asset, quantity=10, price=100, note="first")
    content = staff_client.get(
        reverse("admin:portfolios_portfolio_change", args=[portfolio.pk])
    ).content.decode()
    assert "1,500.00 USD" in content  # value
    assert "1,000.00 USD" in content  # cost basis
    assert "+500.00 USD (+50.00%)" in content  # unrealized gain
    assert "first" in content  # the transaction inline


def test_the_list_filters_by_owner_and_currency(staff_client):
    PortfolioFactory(name="In euros", base_currency="EUR")
    PortfolioFactory(name="In dollars", base_currency="USD")
    content = staff_client.get(
        reverse("admin:portfolios_portfolio_changelist"), {"base_currency": "EUR"}
    ).content.decode()
    assert "In euros" in content and "In dollars" not in content


def test_a_name_change_goes_through_the_service(staff_client):
    portfolio = PortfolioFactory(name="Old")
    url = reverse("admin:portfolios_portfolio_change", args=[portfolio.pk])
    response = staff_client.post(
        url,
        {
            "name": "New",
            "description": "",
            "base_currency": "USD",
            "cost_basis_method": "fifo",
            "benchmark": "",
            "transactions-TOTAL_FORMS": "0",
            "transactions-INITIAL_FORMS": "0",
            "transactions-MIN_NUM_FORMS": "0",
            "transactions-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Portfolio.objects.get().name == "New"


def test_the_transaction_inline_shows_decimals_without_padding_zeros(staff_client):
    portfolio = PortfolioFactory()
    asset = AssetFactory(symbol="AAPL")
    TransactionFactory(
        portfolio=portfolio, asset=asset, quantity="39736.6", price="185.5", note="padded"
    )
    content = staff_client.get(
        reverse("admin:portfolios_portfolio_change", args=[portfolio.pk])
    ).content.decode()
    assert "39,736.6<" in content and "185.5<" in content
    assert "39736.6000000000" not in content and "185.50000000" not in content
