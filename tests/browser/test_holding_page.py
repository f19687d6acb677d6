"""The holding page in headless Chromium: from the overview's row to the page of that asset,
whose price chart draws the closes with the buys and sells marked (no console error)."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory, prices
from tests.browser.test_assets import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_overview_row_opens_the_holding_page_with_trades_on_its_chart(page, screenshot):
    user = UserFactory(email="holding@example.com")
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.")
    prices(asset, {dt.date(2024, 1, 2) + dt.timedelta(days=n): 100.0 + n for n in range(60)})
    portfolio = PortfolioFactory(owner=user, name="Main")
    TransactionFactory(portfolio=portfolio, asset=asset, quantity=10, price=100)
    TransactionFactory(
        portfolio=portfolio,
        asset=asset,
        kind="sell",
        date=dt.date(2024, 2, 1),
        quantity=4,
        price=Decimal(130),
    )
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(page, user)
    page.goto(f"/portfolios/{portfolio.public_id}/")
    page.locator("a.holding-link", has_text="AAPL").click()
    page.wait_for_url(f"**/holdings/{asset.public_id}/")
    page.wait_for_function(
        "() => { const c = document.querySelector('canvas[data-price-chart]');"
        " return c && c._chart && c._chart.data.datasets.length === 3; }"
    )
    marks = page.evaluate(
        "() => document.querySelector('canvas[data-price-chart]')._chart.data.datasets"
        ".slice(1).map(d => d.data.filter(v => v !== null))"
    )
    assert marks == [[100], [130]]  # one buy at 100, one sell at 130
    assert page.locator(".lots-table tbody tr").count() == 1
    assert not errors
    screenshot("holding-page")
