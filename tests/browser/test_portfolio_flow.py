"""A portfolio's life in headless Chromium: create it, add a buy and watch the holdings update in
place, edit the buy, delete it; and a CSV import whose one bad row saves nothing."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from market.models import Price
from market.tests.factories import AssetFactory
from portfolios.models import Portfolio, Transaction
from portfolios.tests.factories import PortfolioFactory, TransactionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def investor():
    return UserFactory(email="flow@example.com", name="Flo Flow")


@pytest.fixture
def aapl():
    """AAPL priced at 120 yesterday, with history back far enough that nothing is fetched."""
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Price.objects.create(asset=asset, date=dt.date(2023, 12, 1), close=90.0)
    Price.objects.create(asset=asset, date=yesterday, close=120.0)
    return asset


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_create_a_portfolio_then_add_edit_and_delete_a_buy(page, screenshot, investor, aapl):
    log_in(page, investor)
    expect(page.get_by_role("heading", name="No portfolios yet")).to_be_visible()
    form = page.locator("#portfolio-form")
    form.get_by_label("Name").fill("Browser portfolio")
    form.get_by_role("button", name="Create portfolio").click()
    page.wait_for_url("**/transactions/")
    portfolio = Portfolio.objects.get(owner=investor)
    assert portfolio.name == "Browser portfolio"
    holdings = page.locator("#holdings")
    expect(holdings).to_contain_text("No holdings yet")
    screenshot("portfolio-new")

    add = page.locator("#transaction-form")
    add.get_by_label("Kind").select_option("buy")
    add.get_by_label("Date").fill("2024-01-02")
    add.get_by_label("Asset").fill("AAPL")
    add.get_by_label("Quantity").fill("10")
    add.get_by_label("Unit price").fill("100")
    url_before = page.url
    add.get_by_role("button", name="Add transaction").click()

    # The holdings update in place: same page, new table.
    expect(holdings.locator("tbody tr")).to_have_count(1)
    expect(holdings).to_contain_text("AAPL")
    expect(holdings).to_contain_text("1,200.00 USD")
    expect(holdings).to_contain_text("+200.00 USD")
    expect(page.locator("#transaction-form")).to_contain_text("Added the buy of AAPL")
    expect(page.locator("#transaction-list tbody.txn")).to_have_count(1)
    assert page.url == url_before
    txn = Transaction.objects.get()
    assert (txn.quantity, txn.price) == (10, 100)
    screenshot("portfolio-buy-added")

    row = page.locator(f"#txn-{txn.public_id}")
    row.get_by_role("link", name="Edit").click()
    edit = row.locator("form")
    expect(edit.get_by_label("Quantity")).to_have_value("10")
    edit.get_by_label("Quantity").fill("15")
    screenshot("portfolio-buy-editing")
    edit.get_by_role("button", name="Save").click()
    expect(holdings).to_contain_text("1,800.00 USD")
    expect(page.locator(f"#txn-{txn.public_id}")).not_to_have_class("txn editing")
    txn.refresh_from_db()
    assert txn.quantity == 15
    screenshot("portfolio-buy-edited")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#txn-{txn.public_id}").get_by_role("link", name="Delete").click()
    expect(page.locator(f"#txn-{txn.public_id}")).to_have_count(0)
    expect(holdings).to_contain_text("No holdings yet")
    assert not Transaction.objects.exists()
    screenshot("portfolio-buy-deleted")


def test_an_edit_that_breaks_a_later_sell_is_refused_inline(page, screenshot, investor, aapl):
    portfolio = PortfolioFactory(owner=investor, name="Sells")
    TransactionFactory(
        portfolio=portfolio,
        kind="buy",
        date=dt.date(2024, 1, 2),
        asset=aapl,
        quantity=10,
        price=100,
        currency="USD",
    )
    TransactionFactory(
        portfolio=portfolio,
        kind="sell",
        date=dt.date(2024, 3, 1),
        asset=aapl,
        quantity=8,
        price=110,
        currency="USD",
    )
    log_in(page, investor)
    page.goto(f"/portfolios/{portfolio.public_id}/transactions/")
    buy = Transaction.objects.get(kind="buy")
    row = page.locator(f"#txn-{buy.public_id}")
    row.get_by_role("link", name="Edit").click()
    row.locator("form").get_by_label("Quantity").fill("5")
    row.locator("form").get_by_role("button", name="Save").click()
    expect(row.get_by_role("alert")).to_contain_text("the sell of 8 AAPL on 1 Mar 2024 impossible")
    screenshot("portfolio-edit-refused")
    buy.refresh_from_db()
    assert buy.quantity == 10


def test_a_csv_with_one_bad_row_shows_the_error_and_saves_nothing(page, screenshot, investor, aapl):
    portfolio = PortfolioFactory(owner=investor, name="Imported", records_cash=True)
    log_in(page, investor)
    page.goto(f"/portfolios/{portfolio.public_id}/transactions/import/")
    content = (
        b"date,kind,symbol,quantity,price,amount,ratio,fee,currency,fx_rate,note,external_id\n"
        b"2024-01-02,deposit,,,,5000,,,USD,,Opening,\n"
        b"2024-01-03,buy,AAPL,10,100,,,1,USD,,,B-1\n"
        b"2024-01-04,buy,AAPL,ten,100,,,1,USD,,,B-2\n"
    )
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "broker.csv", "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="Preview").click()
    result = page.locator("#import-result")
    expect(result.locator("tr.import-row")).to_have_count(3)
    bad = result.locator("tr.import-row.status-error")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("“ten” is not a number")
    expect(result).to_contain_text("Nothing was saved.")
    expect(result.get_by_role("button", name="Import")).to_have_count(0)
    screenshot("portfolio-import-error")
    assert not Transaction.objects.exists()

    fixed = content.replace(b",ten,", b",10,")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "broker.csv", "mimeType": "text/csv", "buffer": fixed}]
    )
    page.get_by_role("button", name="Preview").click()
    expect(result.locator("tr.import-row.status-error")).to_have_count(0)
    assert not Transaction.objects.exists()
    screenshot("portfolio-import-preview")
    result.get_by_role("button", name="Import 3 transactions").click()
    page.wait_for_url("**/transactions/")
    expect(page.locator("#transaction-list tbody.txn")).to_have_count(3)
    assert Transaction.objects.count() == 3
