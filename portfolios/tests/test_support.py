"""Roles: support staff view customers' portfolios read only (every view audited, every unsafe
method 403); investors get 403 on support pages; the data status and the diagnostics go by
permission. Groups and permissions decide, never the ``is_staff`` flag."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from portfolios.models import Portfolio
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory, prices

pytestmark = pytest.mark.django_db

UNSAFE = ("post", "put", "patch", "delete")


@pytest.fixture
def customer():
    return UserFactory(email="customer@example.com")


@pytest.fixture
def held(customer):
    portfolio = PortfolioFactory(owner=customer, name="Retirement")
    aapl = AssetFactory(symbol="AAPL", name="Apple Inc.")
    prices(aapl, {dt.date(2024, 1, 2): 100.0, dt.date(2024, 3, 1): 130.0})
    TransactionFactory(portfolio=portfolio, asset=aapl, quantity=Decimal(10), price=Decimal(100))
    return portfolio


@pytest.fixture
def support(client):
    agent = UserFactory(email="agent@example.com", roles=["Support"])
    client.force_login(agent)
    client.agent = agent
    return client


def pages(customer, portfolio) -> list[str]:
    return [
        reverse("support-customers"),
        reverse("support-customer", args=[customer.pk]),
        reverse("support-portfolio", args=[portfolio.public_id]),
        reverse("support-performance", args=[portfolio.public_id]),
    ]


def test_support_lists_customers_then_their_portfolios_then_holdings_and_performance(
    support, customer, held
):
    listing = support.get(reverse("support-customers"), {"q": "customer@"}).content.decode()
    assert "customer@example.com" in listing and "agent@example.com" not in listing
    own = support.get(reverse("support-customer", args=[customer.pk])).content.decode()
    assert "Retirement" in own
    overview = support.get(reverse("support-portfolio", args=[held.public_id]))
    assert overview.status_code == 200
    # 10 AAPL at the last close 130 = 1,300 (cost 1,000), from the holdings selector.
    assert 'data-symbol="AAPL"' in overview.content.decode()
    assert "1,300" in overview.content.decode()
    performance = support.get(reverse("support-performance", args=[held.public_id]))
    assert performance.status_code == 200
    assert 'data-figure="end_value" data-value="1300' in performance.content.decode()


def test_every_support_view_of_a_customers_data_is_an_audit_entry_the_customer_sees(
    support, customer, held
):
    for url in pages(customer, held)[1:]:
        assert support.get(url).status_code == 200
    entries = AuditEntry.objects.filter(action="view").order_by("id")
    assert [(e.door, e.object_type, e.after["page"]) for e in entries] == [
        ("support", "user", "portfolios"),
        ("support", "portfolio", "overview"),
        ("support", "portfolio", "performance"),
    ]
    assert {(e.actor_user_id, e.owner_user_id) for e in entries} == {
        (support.agent.pk, customer.pk)
    }
    support.force_login(customer)
    body = support.get("/api/v1/audit/").json()
    assert [r["actor"] for r in body["results"] if r["action"] == "view"] == [
        "agent@example.com"
    ] * 3


@pytest.mark.parametrize("method", UNSAFE)
def test_support_pages_answer_403_to_every_unsafe_method_and_change_nothing(
    support, customer, held, method
):
    for url in pages(customer, held):
        response = getattr(support, method)(url, {"name": "Hacked"})
        assert response.status_code == 403, (method, url)
    assert Portfolio.objects.get().name == "Retirement"
    assert not AuditEntry.objects.filter(action="view").exists()  # refused before any read


def test_an_investor_gets_403_on_every_support_page(client, customer, held):
    client.force_login(UserFactory())
    for url in pages(customer, held):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "support" in response.content.decode()
    assert not AuditEntry.objects.filter(action="view").exists()


def test_a_visitor_who_is_not_logged_in_goes_to_the_login_page(client, customer, held):
    response = client.get(reverse("support-customers"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_is_staff_flag_alone_opens_neither_support_nor_the_data_status(client, customer, held):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("support-customers")).status_code == 403
    assert client.get("/assets/status/").status_code == 403
    assert client.get("/api/v1/diagnostics/").status_code == 403


def test_the_staff_group_opens_the_data_status_diagnostics_and_support(client, customer, held):
    client.force_login(UserFactory(roles=["Staff"]))  # no is_staff flag: the group decides
    assert client.get("/assets/status/").status_code == 200
    assert client.get("/api/v1/diagnostics/").status_code == 200
    assert client.get(reverse("support-portfolio", args=[held.public_id])).status_code == 200


def test_support_staff_see_no_data_status_or_diagnostics(support):
    assert support.get("/assets/status/").status_code == 403
    assert support.get("/api/v1/diagnostics/").status_code == 403


def test_support_pages_take_bad_input_without_failing(support, customer):
    assert support.get(reverse("support-customers"), {"q": "a\x00b" * 200}).status_code == 200
    assert support.get(reverse("support-customers"), {"page": "99999999999"}).status_code == 200
    assert support.get("/support/users/99999999/").status_code == 404
    portfolio = PortfolioFactory(owner=customer)
    url = reverse("support-performance", args=[portfolio.public_id])
    assert support.get(url, {"start": "0001-01-01", "end": "9999-12-31"}).status_code == 200
    assert support.get(url, {"period": "\x00"}).status_code == 200


def test_the_groups_hold_the_permissions_of_their_role():
    staff, agent = UserFactory(roles=["Staff"]), UserFactory(roles=["Support"])
    assert staff.has_perm("accounts.view_operations")
    assert staff.has_perm("portfolios.view_portfolio") and staff.has_perm(
        "accounts.view_auditentry"
    )
    assert not staff.has_perm("portfolios.change_transaction")  # transactions: services only
    assert agent.has_perm("accounts.view_customer_data")
    assert not agent.has_perm("accounts.view_operations")
    assert not any(agent.has_perm(f"portfolios.{verb}_portfolio") for verb in ("change", "delete"))
