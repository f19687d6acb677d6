"""The targets page: editor, drift, plan and "record these trades", with and without HTMX."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from portfolios import services
from portfolios.models import Transaction
from portfolios.services import TargetInput
from portfolios.tests.factories import PortfolioFactory
from portfolios.tests.test_targets_plan import held

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user)


@pytest.fixture
def two(portfolio):
    return held(portfolio, "AAA", 10, 60), held(portfolio, "BBB", 10, 40)


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


def page_url(portfolio):
    return reverse("portfolio-targets", args=[portfolio.public_id])


def rows(*rows):
    """Formset data: (symbol, asset class, weight, band) per row."""
    data = {"t-TOTAL_FORMS": str(len(rows)), "t-INITIAL_FORMS": "0"}
    for index, (symbol, asset_class, weight, band) in enumerate(rows):
        data |= {
            f"t-{index}-symbol": symbol,
            f"t-{index}-asset_class": asset_class,
            f"t-{index}-weight": weight,
            f"t-{index}-band": band,
        }
    return data


def test_the_overview_links_to_the_targets_page(browser, portfolio):
    response = browser.get(reverse("portfolio-overview", args=[portfolio.public_id]))
    assert f'href="{page_url(portfolio)}"'.encode() in response.content


def test_saving_targets_shows_the_drift_outside_the_band(browser, portfolio, two):
    response = browser.post(
        page_url(portfolio), rows(("AAA", "", "50", "5"), ("bbb", "", "50", ""))
    )
    assert response.status_code == 302
    assert [(t.asset.symbol, t.weight, t.band) for t in portfolio.targets.order_by("id")] == [
        ("AAA", 50, 5),
        ("BBB", 50, None),
    ]
    html = browser.get(page_url(portfolio)).content.decode()
    # A is at 60 % against 50 (+10.00 %), beyond its band of 5.
    assert "+10.00%" in html and "outside band" in html


def test_targets_not_adding_up_are_refused_with_the_reason(browser, portfolio, two):
    response = browser.post(page_url(portfolio), rows(("AAA", "", "50", ""), ("BBB", "", "40", "")))
    assert response.status_code == 200
    assert "The weights add up to 90; they must add up to 100." in response.content.decode()
    assert not portfolio.targets.exists()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("AA\x00A", "", "100", ""), "Null characters are not allowed."),
        (("AA\x07A", "", "100", ""), "control character"),
        (("", "stock", "1e30", ""), "Ensure"),
        (("", "stock", "100", "-1"), "greater than or equal to 0"),
        (("", "nonsense", "100", ""), "Select a valid choice"),
    ],
)
def test_bad_editor_input_is_named(browser, portfolio, row, message):
    response = browser.post(page_url(portfolio), rows(row))
    assert response.status_code == 200
    assert message in response.content.decode()


def test_plan_then_record_the_trades(browser, portfolio, two):
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(D(50), asset=two[0]),
            TargetInput(D(50), asset=two[1]),
        ],
    )
    response = browser.get(
        page_url(portfolio),
        {"plan": "1", "cash": "105", "mode": "full", "whole_units": "on", "min_trade": ""},
    )
    html = response.content.decode()
    # Sell A 1 (60), buy B 4 (160), cash left 5.
    assert "Record these trades" in html and "5.00 USD" in html
    plan = response.context["plan"]
    count = Transaction.objects.count()
    response = browser.post(
        reverse("portfolio-rebalance-record", args=[portfolio.public_id]),
        {
            "cash": "105",
            "mode": "full",
            "whole_units": "on",
            "min_trade": "0",
            "fingerprint": plan.fingerprint,
        },
    )
    assert response.status_code == 302
    assert Transaction.objects.count() == count + 2


def test_recording_a_changed_plan_shows_the_new_one(browser, portfolio, two):
    services.targets_set(
        portfolio=portfolio,
        targets=[
            TargetInput(D(50), asset=two[0]),
            TargetInput(D(50), asset=two[1]),
        ],
    )
    response = browser.post(
        reverse("portfolio-rebalance-record", args=[portfolio.public_id]),
        {
            "cash": "0",
            "mode": "full",
            "min_trade": "0",
            "fingerprint": "stale",
        },
    )
    assert response.status_code == 200
    assert "The plan changed since it was shown" in response.content.decode()
    assert response.context["plan"] is not None


def test_htmx_gets_the_body_partial(browser, portfolio, two):
    response = browser.get(page_url(portfolio), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="targets-body">')
    assert "<html" not in html


def test_another_users_page_is_404(browser, other_user):
    theirs = PortfolioFactory(owner=other_user)
    assert browser.get(page_url(theirs)).status_code == 404
    assert browser.post(page_url(theirs), rows(("", "stock", "100", ""))).status_code == 404


def test_htmx_save_answers_the_body_with_a_confirmation(browser, portfolio, two):
    response = browser.post(
        page_url(portfolio),
        rows(("AAA", "", "50", ""), ("BBB", "", "50", "")),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="targets-saved"' in response.content.decode()
    assert portfolio.targets.count() == 2


def test_class_and_cash_targets_on_a_cash_portfolio_render_with_the_plan(browser, user):
    portfolio = PortfolioFactory(owner=user, records_cash=True)
    held(portfolio, "AAA", 10, 60)
    data = rows(("", "stock", "90", "2")) | {"cash_weight": "10", "cash_band": ""}
    assert browser.post(page_url(portfolio), data).status_code == 302
    # Cash is -600 (a buy without a deposit); new cash 1000: T = 1000, stock's goal 900 ->
    # buy 300 (5 units at 60), cash after 400 - 300 = 100 = its 10 %.
    response = browser.get(page_url(portfolio), {"plan": "1", "cash": "1000", "mode": "full"})
    html = response.content.decode()
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [(t.asset.symbol, t.side, t.quantity) for t in plan.trades] == [("AAA", "buy", D(5))]
    assert plan.cash_left == 100 and plan.deposit == 1000
    assert "the new cash is recorded as a deposit first" in html
    assert 'name="cash_weight" value="10"' in html
