"""Browser: a real Interactive Brokers export uploaded, its unknown instruments answered on the
preview, imported, and the holdings are the file's positions."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from market.models import Price
from market.tests.factories import AssetFactory
from portfolios.models import Transaction
from portfolios.tests.factories import PortfolioFactory
from tests.browser.test_portfolio_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = (
    Path(__file__).resolve().parents[2] / "portfolios/tests/fixtures/brokers/ibkr-trades-export.csv"
)


def test_a_broker_file_is_resolved_then_imported_and_the_holdings_match(page, screenshot):
    investor = UserFactory(email="broker@example.com")
    portfolio = PortfolioFactory(owner=investor, name="From IBKR", base_currency="USD")
    vt = AssetFactory(symbol="VT", name="Vanguard Total World Stock ETF", currency="USD")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Price.objects.create(asset=vt, date=dt.date(2023, 5, 1), close=90.0)
    Price.objects.create(asset=vt, date=yesterday, close=110.0)
    log_in(page, investor)
    page.goto(f"/portfolios/{portfolio.public_id}/transactions/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "ibkr.csv", "mimeType": "text/csv", "buffer": SAMPLE.read_bytes()}]
    )
    page.get_by_role("button", name="Preview").click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("Interactive Brokers")
    expect(result.locator("tr.import-row.status-unresolved")).to_have_count(8)
    expect(result.locator("tr.import-row.status-skipped")).to_have_count(3)
    screenshot("broker-import-unresolved")
    result.get_by_label("US9220427424").fill("VT")
    result.get_by_label("CH0111762537").fill("manual")
    result.get_by_role("button", name="Preview with these symbols").click()
    expect(result.locator("tr.import-row.status-new")).to_have_count(8)
    assert not Transaction.objects.exists()
    result.get_by_role("button", name="Import 8 transactions").click()
    page.wait_for_url("**/transactions/")
    page.goto(f"/portfolios/{portfolio.public_id}/")
    holdings = page.locator("main")
    # VT: 95 + 105 + 11 + 1 + 2 + 97 + 12 = 323 shares; the Swiss fund: 7 (sample lines 2-9)
    expect(holdings.get_by_role("row").filter(has_text="VT").first).to_contain_text("323")
    expect(holdings.get_by_role("row").filter(has_text="CH0111762537").first).to_contain_text("7")
    screenshot("broker-import-holdings")
    assert Transaction.objects.count() == 8
