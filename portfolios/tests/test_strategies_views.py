"""The strategies page: the form, the weights in the HTMX partial and the full page (the API's
numbers), refusals shown in place, and only the user's own assets offered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from market.tests.factories import ManualAssetFactory
from portfolios.tests.factories import AssetFactory, PortfolioFactory, prices
from portfolios.tests.test_strategies_engine import U1, U2, U3, closes_from_returns

pytestmark = pytest.mark.django_db

URL = "/strategies/"
MONDAY = dt.date(2024, 1, 1)


@pytest.fixture
def client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trio():
    closes = closes_from_returns(0.01 * U1, 0.02 * U2, 0.01 * U1 + 0.01 * U3)
    assets = [AssetFactory(symbol=symbol) for symbol in ("AAA", "BBB", "CCC")]
    for column, asset in enumerate(assets):
        prices(
            asset,
            {MONDAY + dt.timedelta(days=row): float(closes[row, column]) for row in range(5)},
        )
    return assets


def query(assets, method, **params):
    return {"assets": [str(asset.public_id) for asset in assets], "method": method, **params}


def test_the_page_offers_the_priced_assets_and_the_methods(client, trio, other_user):
    ManualAssetFactory(owner=other_user, symbol="THEIRS")
    AssetFactory(symbol="NOPRICE")

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "AAA" in page and "Risk parity" in page and "Pick assets and a method" in page
    assert "THEIRS" not in page  # another user's manual asset
    assert "NOPRICE" not in page  # nothing to weight it with yet


def test_the_partial_shows_risk_parity_weights_and_convergence(client, trio):
    params = query(trio, "risk_parity", window=4, skip=21, top_n=10, as_of="2024-01-05")

    response = client.get(URL, params, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="strategy-result"')  # the partial only
    # The hand-worked weights (test_strategies_engine): 42.37 %, 27.68 %, 29.96 %.
    assert 'data-symbol="AAA" data-weight="0.4236591' in page
    assert "42.37%" in page and "27.68%" in page and "29.96%" in page
    assert 'data-converged="true"' in page
    assert "33.33%" in page  # each risk share
    assert "HX-Request" in response["Vary"]


def test_the_full_page_answers_the_same_url_without_htmx(client, trio):
    response = client.get(URL, query(trio, "equal", window=252, cap_percent="50"))

    page = response.content.decode()
    assert "<form" in page and 'id="strategy-result"' in page
    assert 'data-weight="0.3333333334"' in page
    assert "cap 50.00% per asset" in page


def test_a_refusal_is_shown_in_place(client, trio):
    response = client.get(URL, query(trio, "equal", cap_percent="20"), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page and "add up to 60.00%, below 100%" in page


@pytest.mark.parametrize(
    "params",
    [
        {"method": "equal", "assets": ["\x00"]},
        {"method": "nope"},
        {"method": "risk_parity", "window": "99999999999999999999"},
        {"method": "equal", "as_of": "2999-01-01"},
        {"method": "equal", "cap_percent": "1e400"},
    ],
)
def test_bad_input_is_marked_on_the_form(client, trio, params):
    response = client.get(URL, {"assets": [str(trio[0].public_id)], **params})

    assert response.status_code == 200
    assert "Please correct the fields marked above." in response.content.decode()


def test_the_page_needs_a_login():
    response = Client().get(URL)

    assert response.status_code == 302


def test_the_result_offers_use_as_targets_with_the_same_inputs(client, user, trio):
    portfolio = PortfolioFactory(owner=user, name="Core")
    response = client.get(URL, query(trio, "equal", as_of="2024-01-05"))
    page = response.content.decode()
    assert 'action="/strategies/targets/"' in page
    assert f'<option value="{portfolio.public_id}">Core</option>' in page
    assert '<input type="hidden" name="method" value="equal">' in page
    assert f'<input type="hidden" name="assets" value="{trio[2].public_id}">' in page


def test_use_as_targets_sets_the_weights_and_opens_the_targets_page(client, user, trio):
    portfolio = PortfolioFactory(owner=user)
    response = client.post(
        "/strategies/targets/",
        {**query(trio, "equal", as_of="2024-01-05"), "portfolio": str(portfolio.public_id)},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/portfolios/{portfolio.public_id}/targets/"
    # Thirds in points with four places: 33.3334 (the first takes the last step) + 33.3333 x 2.
    assert sorted(t.weight for t in portfolio.targets.all()) == [
        Decimal("33.3333"),
        Decimal("33.3333"),
        Decimal("33.3334"),
    ]


def test_use_as_targets_of_another_users_portfolio_is_404(client, other_user, trio):
    portfolio = PortfolioFactory(owner=other_user)
    response = client.post(
        "/strategies/targets/", {**query(trio, "equal"), "portfolio": str(portfolio.public_id)}
    )
    assert response.status_code == 404
    assert not portfolio.targets.exists()


def test_a_refused_strategy_shows_why_and_sets_no_targets(client, user, trio):
    portfolio = PortfolioFactory(owner=user)
    response = client.post(
        "/strategies/targets/",
        {
            **query(trio, "risk_parity", window=40, as_of="2024-01-05"),
            "portfolio": str(portfolio.public_id),
        },
    )
    assert response.status_code == 200
    assert "40" in response.content.decode()  # the refusal names the window it lacked
    assert not portfolio.targets.exists()
