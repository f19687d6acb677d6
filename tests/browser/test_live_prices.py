"""Live prices in headless Chromium: the overview open, a new close written in the database,
and the key figures and the holdings row change within a poll, without a reload (a marker set
on `window` survives) and with no console error."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from market.providers.base import Bar
from market.services import price_upsert
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory, prices
from tests.browser.test_assets import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_overview_shows_a_new_close_without_a_reload(page, settings):
    settings.LIVE_PRICES_SECONDS = 1
    today = timezone.localdate()
    user = UserFactory(email="live@example.com")
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.", currency="USD")
    prices(asset, {today - dt.timedelta(days=3): 100.0, today - dt.timedelta(days=1): 110.0})
    portfolio = PortfolioFactory(owner=user, base_currency="USD", name="Main")
    TransactionFactory(
        portfolio=portfolio, asset=asset, date=today - dt.timedelta(days=3), quantity=10, price=100
    )
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    polls: list[int] = []
    page.on("response", lambda r: "live=" in r.url and polls.append(r.status))
    log_in(page, user)
    page.goto(f"/portfolios/{portfolio.public_id}/")
    row = page.locator('tr[data-symbol="AAPL"]')
    assert "1,100.00" in row.inner_text()  # 10 x 110
    page.evaluate("() => { window.liveMarker = 'kept'; }")
    page.wait_for_timeout(2500)  # a poll or two with nothing new: 204, nothing swapped
    assert polls and set(polls) == {204}

    value = 123.45
    price_upsert(asset=asset, bars=[Bar(today, value, value, value, value, 0)])

    page.wait_for_function(
        "() => document.querySelector('tr[data-symbol=\"AAPL\"]').innerText.includes('1,234.50')"
    )  # 10 x 123.45
    assert "1,234.50" in page.locator("section.cards").inner_text()
    assert page.evaluate("() => window.liveMarker") == "kept"  # no reload
    assert 200 in polls
    assert not errors


def test_a_hidden_tab_stops_polling_and_asks_once_it_is_back(page, settings):
    settings.LIVE_PRICES_SECONDS = 1
    user = UserFactory(email="hidden@example.com")
    portfolio = PortfolioFactory(owner=user, name="Main")
    asset = AssetFactory(symbol="AAPL")
    prices(asset, {timezone.localdate() - dt.timedelta(days=1): 100.0})
    TransactionFactory(portfolio=portfolio, asset=asset, quantity=1, price=100)
    polls: list[str] = []
    page.on("request", lambda r: "live=" in r.url and polls.append(r.url))
    log_in(page, user)
    page.goto(f"/portfolios/{portfolio.public_id}/")
    page.wait_for_timeout(1500)
    assert polls  # visible: it polls
    page.evaluate(
        "() => { Object.defineProperty(document, 'visibilityState',"
        " {configurable: true, get: () => 'hidden'});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    page.wait_for_timeout(300)  # a poll already on its way may land
    before = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == before  # hidden: no request at all
    page.evaluate(
        "() => { Object.defineProperty(document, 'visibilityState',"
        " {configurable: true, get: () => 'visible'});"
        " document.dispatchEvent(new Event('visibilitychange')); }"
    )
    page.wait_for_timeout(300)  # back in view: it asks at once, not a second later
    assert len(polls) > before


def test_the_dashboard_and_the_asset_page_show_a_new_close_without_a_reload(page, settings):
    settings.LIVE_PRICES_SECONDS = 1
    today = timezone.localdate()
    user = UserFactory(email="dash@example.com")
    asset = AssetFactory(symbol="MSFT", name="Microsoft", currency="USD")
    prices(asset, {today - dt.timedelta(days=3): 200.0, today - dt.timedelta(days=1): 210.0})
    portfolio = PortfolioFactory(owner=user, base_currency="USD", name="Main")
    TransactionFactory(
        portfolio=portfolio, asset=asset, date=today - dt.timedelta(days=3), quantity=4, price=200
    )
    log_in(page, user)
    page.goto("/")
    assert "840.00" in page.locator(".portfolio-card").inner_text()  # 4 x 210
    page.evaluate("() => { window.liveMarker = 'kept'; }")
    price_upsert(asset=asset, bars=[Bar(today, 1, 1, 1, 212.5, 0)])
    page.wait_for_function(
        "() => document.querySelector('.portfolio-card').innerText.includes('850.00')"
    )  # 4 x 212.5
    assert page.evaluate("() => window.liveMarker") == "kept"

    page.goto(f"/assets/{asset.public_id}/")
    page.evaluate("() => { window.liveMarker = 'kept'; }")
    price_upsert(asset=asset, bars=[Bar(today, 1, 1, 1, 213.75, 0)])
    page.wait_for_function(
        "() => document.querySelector('.asset-cards').innerText.includes('213.75')"
    )
    assert page.evaluate("() => window.liveMarker") == "kept"
