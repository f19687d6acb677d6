"""Live prices on the overview and the dashboard: a poll with the current version answers 204
in few queries and writes nothing; after a new close it answers the fragment with new figures."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from market.providers.base import Bar
from market.services import price_upsert
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory, prices

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "snapshot"}


def close(asset, on: dt.date, value: float) -> None:
    price_upsert(asset=asset, bars=[Bar(on, value, value, value, value, 0)])


@pytest.fixture
def held(user):
    """10 AAPL bought at 100 three days ago, closed at 110 yesterday."""
    today = timezone.localdate()
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.", currency="USD")
    prices(asset, {today - dt.timedelta(days=3): 100.0, today - dt.timedelta(days=1): 110.0})
    portfolio = PortfolioFactory(owner=user, base_currency="USD")
    TransactionFactory(
        portfolio=portfolio,
        asset=asset,
        date=today - dt.timedelta(days=3),
        quantity=10,
        price=100,
        fee=0,
    )
    return portfolio, asset


def version_in(html: str) -> str:
    return re.search(r'data-live-version="([0-9a-f]+)"', html).group(1)


def overview(portfolio) -> str:
    return reverse("portfolio-overview", args=[portfolio.public_id])


def test_the_overview_carries_a_polling_element_paused_in_hidden_tabs(client, user, held):
    portfolio, _ = held
    client.force_login(user)
    html = client.get(overview(portfolio)).content.decode()
    assert 'hx-trigger="every 60s, live-poll"' in html
    assert "js/live-prices.js" in html  # pauses the polls of a hidden tab
    assert f"?live={version_in(html)}" in html


def test_an_unchanged_poll_answers_204_in_few_queries_and_writes_nothing(client, user, held):
    portfolio, _ = held
    client.force_login(user)
    version = version_in(client.get(overview(portfolio)).content.decode())
    with CaptureQueriesContext(connection) as captured:
        response = client.get(overview(portfolio), {"live": version}, **HX)
    assert response.status_code == 204 and response.content == b""
    sql = [query["sql"] for query in captured.captured_queries]
    # session, user, portfolio, ledger version, assets with their price versions
    assert len(sql) <= 5, sql
    assert not [s for s in sql if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]


def test_a_poll_after_a_new_close_answers_the_new_figures(client, user, held):
    portfolio, asset = held
    client.force_login(user)
    page = client.get(overview(portfolio)).content.decode()
    assert "1,100.00" in page  # 10 x 110
    version = version_in(page)
    close(asset, timezone.localdate(), 123.45)  # moves the asset's price version

    response = client.get(overview(portfolio), {"live": version}, **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="snapshot">')
    assert "1,234.50" in html  # 10 x 123.45
    assert version_in(html) != version
    # and the new version is current again
    again = client.get(overview(portfolio), {"live": version_in(html)}, **HX)
    assert again.status_code == 204


def test_a_plain_request_with_a_stale_version_gets_the_whole_page(client, user, held):
    portfolio, _ = held
    client.force_login(user)
    response = client.get(overview(portfolio), {"live": "0" * 32})
    assert response.status_code == 200 and b"<html" in response.content


def test_a_poll_of_another_users_portfolio_is_404(client, held, other_user):
    portfolio, _ = held
    client.force_login(other_user)
    assert client.get(overview(portfolio), {"live": "x"}, **HX).status_code == 404


@pytest.mark.parametrize("bad", ["\x00", "9" * 5000, "<script>"])
def test_a_poll_with_a_garbage_version_answers_the_fragment(client, user, held, bad):
    portfolio, _ = held
    client.force_login(user)
    response = client.get(overview(portfolio), {"live": bad}, **HX)
    assert response.status_code == 200 and b'id="snapshot"' in response.content


DASHBOARD_HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dashboard-figures"}


def test_an_unchanged_dashboard_poll_answers_204_in_few_queries(client, user, held):
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'hx-target="#dashboard-figures"' in page
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard"), {"live": version_in(page)}, **DASHBOARD_HX)
    assert response.status_code == 204
    sql = [query["sql"] for query in captured.captured_queries]
    assert len(sql) <= 4, sql  # session, user, the portfolios, their assets' price versions
    assert not [s for s in sql if re.match(r"\s*(INSERT|UPDATE|DELETE)", s, re.I)]


def test_a_dashboard_poll_after_a_new_close_answers_the_new_card_and_net_worth(client, user, held):
    _, asset = held
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "1,100.00" in page  # 10 x 110
    close(asset, timezone.localdate(), 123.45)

    response = client.get(reverse("dashboard"), {"live": version_in(page)}, **DASHBOARD_HX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-figures">')
    assert 'id="portfolio-form"' not in html
    assert html.count("1,234.50") >= 2  # 10 x 123.45 on the card and in the net worth
