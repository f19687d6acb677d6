"""Targets and rebalancing in headless Chromium: set targets, see the drift, plan with new
cash, record the trades, and the holdings then match the targets."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from market.models import Price
from market.tests.factories import AssetFactory
from portfolios.models import Transaction
from portfolios.selectors import holdings
from portfolios.tests.factories import PortfolioFactory, TransactionFactory
from tests.browser.test_portfolio_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def priced(symbol: str, close: float):
    asset = AssetFactory(symbol=symbol, name=f"{symbol} Inc.")
    Price.objects.create(asset=asset, date=dt.date(2023, 12, 1), close=close)
    Price.objects.create(asset=asset, date=timezone.localdate() - dt.timedelta(days=1), close=close)
    return asset


def test_set_targets_see_drift_plan_and_record(page, screenshot):
    investor = UserFactory(email="targets@example.com")
    portfolio = PortfolioFactory(owner=investor, name="Balanced")
    for asset, price in ((priced("AAA", 60.0), 60), (priced("BBB", 40.0), 40)):
        TransactionFactory(
            portfolio=portfolio, asset=asset, date=dt.date(2024, 1, 2), quantity=10, price=price
        )
    log_in(page, investor)
    page.goto(f"/portfolios/{portfolio.public_id}/")
    page.locator("nav.subnav").get_by_role("link", name="Targets").click()
    page.wait_for_url("**/targets/")

    # The editor lists the holdings (largest first): AAA 600, BBB 400.
    editor = page.locator("#targets-editor")
    expect(editor.get_by_label("Asset 1", exact=True)).to_have_value("AAA")
    editor.get_by_label("Weight 1").fill("50")
    editor.get_by_label("Band 1").fill("5")
    editor.get_by_label("Weight 2").fill("50")
    editor.get_by_role("button", name="Save targets").click()

    # AAA is at 60 % against 50: +10 points, outside its band of 5.
    drift = page.locator("#drift")
    expect(drift.locator("tr.outside-band")).to_have_count(1)
    expect(drift.locator("tr.outside-band")).to_contain_text("+10.00%")
    screenshot("targets-drift")

    plan = page.locator("#plan")
    plan.get_by_label("New cash").fill("200")
    plan.get_by_label("Mode").select_option("buy_only")
    plan.get_by_label("Whole units only").check()
    plan.get_by_role("button", name="Plan the trades").click()
    # T = 1200, goals 600 each: BBB lacks 200 = 5 units at 40; cash left 0.
    trades = page.locator("#plan-trades tbody tr")
    expect(trades).to_have_count(1)
    expect(trades.first).to_contain_text("BBB")
    expect(trades.first).to_contain_text("200.00 USD")
    expect(page.locator("#cash-left")).to_have_text("0.00 USD")
    screenshot("targets-plan")

    page.get_by_role("button", name="Record these trades").click()
    expect(page.locator(".messages")).to_contain_text("Recorded 1 transaction")
    buy = Transaction.objects.get(note="Rebalance")
    assert (buy.kind, buy.asset.symbol, buy.quantity) == ("buy", "BBB", Decimal(5))
    expect(page.locator("#drift tr.outside-band")).to_have_count(0)
    screenshot("targets-recorded")

    snapshot = holdings(portfolio=portfolio)
    weights = {row.asset.symbol: row.weight for row in snapshot.rows}
    assert abs(weights["AAA"] - Decimal("0.5")) < Decimal("0.005")
    assert abs(weights["BBB"] - Decimal("0.5")) < Decimal("0.005")
