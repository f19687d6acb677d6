"""Transactions page: filters, add/edit/delete in place over HTMX (and without it), inline
errors, the asset picker, CSV import with preview and confirm, and the export."""

import base64
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolios.importers import COLUMNS
from portfolios.models import Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def htmx(target: str) -> dict:
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": target}


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def aapl():
    return AssetFactory(symbol="AAPL", name="Apple Inc.")


def url(name, portfolio, txn=None):
    args = [portfolio.public_id] + ([txn.public_id] if txn else [])
    return reverse(name, args=args)


def buy_form(**overrides):
    return {
        "kind": "buy",
        "date": "2024-01-02",
        "symbol": "AAPL",
        "quantity": "10",
        "price": "100",
        **overrides,
    }


def test_the_list_shows_transactions_newest_first(logged_in, portfolio, aapl):
    TransactionFactory(portfolio=portfolio, asset=aapl, date=dt.date(2024, 1, 2), quantity=3)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=dt.date(2024, 5, 2), quantity=7)
    content = logged_in.get(url("portfolio-transactions", portfolio)).content.decode()
    assert content.index("2 May 2024") < content.index("2 Jan 2024")
    assert 'id="holdings"' in content  # today's holdings, refreshed in place after each change


def test_the_list_filters_by_asset_kind_and_dates(logged_in, portfolio, aapl):
    other = AssetFactory(symbol="MSFT")
    TransactionFactory(portfolio=portfolio, asset=aapl, date=dt.date(2024, 1, 2))
    TransactionFactory(portfolio=portfolio, asset=other, date=dt.date(2024, 2, 2))
    TransactionFactory(
        portfolio=portfolio,
        kind="deposit",
        asset=None,
        quantity=None,
        price=None,
        amount=Decimal(10),
        date=dt.date(2024, 3, 2),
    )

    def rows(**query):
        response = logged_in.get(
            url("portfolio-transactions", portfolio), query, **htmx("transaction-list")
        )
        return response.content.decode().count('<tbody id="txn-')

    assert rows() == 3
    assert rows(asset=str(aapl.public_id)) == 1
    assert rows(kind="deposit") == 1
    assert rows(start="2024-02-01") == 2
    assert rows(start="2024-02-01", end="2024-02-28") == 1
    content = logged_in.get(
        url("portfolio-transactions", portfolio), {"kind": "split"}, **htmx("transaction-list")
    ).content.decode()
    assert "No transaction matches these filters" in content


def test_adding_a_buy_over_htmx_returns_a_fresh_form_and_triggers_refreshes(
    logged_in, portfolio, aapl
):
    response = logged_in.post(
        url("transaction-new", portfolio), buy_form(), **htmx("transaction-form")
    )
    txn = Transaction.objects.get()
    assert (txn.asset, txn.quantity, txn.price, txn.currency) == (aapl, 10, 100, "USD")
    content = response.content.decode()
    assert content.lstrip().startswith('<article id="transaction-form"')
    assert "Added the buy of AAPL" in content
    assert set(json.loads(response["HX-Trigger"])) == {"transaction-added", "holdings-changed"}


def test_adding_without_javascript_redirects_back_to_the_list(logged_in, portfolio, aapl):
    response = logged_in.post(url("transaction-new", portfolio), buy_form())
    assert response.status_code == 302
    assert response["Location"] == url("portfolio-transactions", portfolio)


def test_field_errors_come_back_inline_on_the_form(logged_in, portfolio, aapl):
    response = logged_in.post(
        url("transaction-new", portfolio),
        buy_form(quantity="-1", price=""),
        **htmx("transaction-form"),
    )
    content = response.content.decode()
    assert 'id="id_new_quantity_error"' in content
    assert "The quantity must be above zero." in content
    assert 'id="id_new_price_error"' in content
    assert not Transaction.objects.exists()


def test_an_unknown_symbol_is_an_error_on_the_asset_field(logged_in, portfolio):
    response = logged_in.post(
        url("transaction-new", portfolio), buy_form(symbol="NOPE-ZZZ-1"), **htmx("transaction-form")
    )
    assert 'id="id_new_symbol_error"' in response.content.decode()


def test_a_symbol_the_catalogue_lacks_is_added_from_the_provider(logged_in, portfolio):
    logged_in.post(
        url("transaction-new", portfolio), buy_form(symbol="msft"), **htmx("transaction-form")
    )
    assert Transaction.objects.get().asset.symbol == "MSFT"


def test_selling_more_than_held_is_shown_at_the_top_of_the_form(logged_in, portfolio, aapl):
    response = logged_in.post(
        url("transaction-new", portfolio), buy_form(kind="sell"), **htmx("transaction-form")
    )
    assert "Sell of 10 on 2 Jan 2024: this asset was never bought" in response.content.decode()
    assert not Transaction.objects.exists()


def test_edit_in_place_shows_the_form_then_the_saved_row(logged_in, portfolio, aapl):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl, quantity=10, price=100)
    form = logged_in.get(url("transaction-edit", portfolio, txn), **htmx(f"txn-{txn.public_id}"))
    content = form.content.decode()
    assert content.lstrip().startswith(f'<tbody id="txn-{txn.public_id}" class="txn editing"')
    assert 'value="AAPL"' in content and 'value="10"' in content
    response = logged_in.post(
        url("transaction-edit", portfolio, txn),
        buy_form(quantity="15"),
        **htmx(f"txn-{txn.public_id}"),
    )
    txn.refresh_from_db()
    assert txn.quantity == 15
    assert response.content.decode().lstrip().startswith(f'<tbody id="txn-{txn.public_id}"')
    assert "holdings-changed" in response["HX-Trigger"]


def test_an_edit_that_breaks_a_later_sell_is_refused_inline(logged_in, portfolio, aapl):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl, quantity=10, price=100)
    TransactionFactory(
        portfolio=portfolio, asset=aapl, kind="sell", quantity=8, date=dt.date(2024, 3, 1)
    )
    response = logged_in.post(
        url("transaction-edit", portfolio, txn), buy_form(quantity="5"), **htmx("x")
    )
    assert "would make the sell of 8 AAPL on 1 Mar 2024 impossible" in response.content.decode()
    txn.refresh_from_db()
    assert txn.quantity == 10


def test_the_edit_page_works_without_javascript(logged_in, portfolio, aapl):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl)
    page = logged_in.get(url("transaction-edit", portfolio, txn))
    assert b"<html" in page.content
    response = logged_in.post(url("transaction-edit", portfolio, txn), buy_form(quantity="2"))
    assert response.status_code == 302


def test_cancel_returns_the_row(logged_in, portfolio, aapl):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl)
    response = logged_in.get(url("transaction-detail", portfolio, txn), **htmx("x"))
    assert response.content.decode().lstrip().startswith(f'<tbody id="txn-{txn.public_id}"')
    assert logged_in.get(url("transaction-detail", portfolio, txn)).status_code == 302


def test_delete_in_place_removes_the_row(logged_in, portfolio, aapl):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl)
    response = logged_in.post(url("transaction-delete", portfolio, txn), **htmx("x"))
    assert response.status_code == 200 and response.content == b""
    assert "holdings-changed" in response["HX-Trigger"]
    assert not Transaction.objects.exists()


def test_a_delete_that_breaks_a_later_sell_keeps_the_row_with_the_reason(
    logged_in, portfolio, aapl
):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl, quantity=10)
    TransactionFactory(
        portfolio=portfolio, asset=aapl, kind="sell", quantity=8, date=dt.date(2024, 3, 1)
    )
    response = logged_in.post(url("transaction-delete", portfolio, txn), **htmx("x"))
    content = response.content.decode()
    assert 'class="row-error"' in content
    assert "would make the sell of 8 AAPL on 1 Mar 2024 impossible" in content
    assert Transaction.objects.count() == 2


def test_delete_without_javascript_asks_first(logged_in, portfolio, aapl):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl)
    assert (
        b"Delete the buy of AAPL"
        in logged_in.get(url("transaction-delete", portfolio, txn)).content
    )
    assert logged_in.post(url("transaction-delete", portfolio, txn)).status_code == 302
    assert not Transaction.objects.exists()


def test_the_asset_picker_suggests_local_and_provider_assets(logged_in, portfolio, aapl):
    response = logged_in.get(url("portfolio-asset-options", portfolio), {"symbol": "AAP"})
    content = response.content.decode()
    assert '<option value="AAPL">Apple Inc. · Stock · USD</option>' in content
    content = logged_in.get(url("portfolio-asset-options", portfolio), {"symbol": "MSF"}).content
    assert b'value="MSFT"' in content and b"(new)" in content  # from the demo provider


def csv_upload(*lines: str):
    data = ("\n".join([HEADER, *lines]) + "\n").encode()
    upload = io.BytesIO(data)
    upload.name = "transactions.csv"
    return upload, data


def test_import_preview_shows_every_row_and_its_error_and_saves_nothing(logged_in, portfolio, aapl):
    upload, _data = csv_upload(
        "2024-01-02,buy,AAPL,10,100,,,,,,,", "2024-01-03,buy,AAPL,abc,100,,,,,,,"
    )
    response = logged_in.post(
        url("transaction-import", portfolio), {"file": upload}, **htmx("import-result")
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="import-result"')
    assert content.count('class="import-row') == 2
    assert "“abc” is not a number" in content
    assert "Nothing was saved." in content
    assert "Import 1 transaction" not in content
    assert not Transaction.objects.exists()


def test_import_confirm_saves_the_previewed_file(logged_in, portfolio, aapl):
    upload, data = csv_upload("2024-01-02,buy,AAPL,10,100,,,,,,Note with, a comma,")
    preview = logged_in.post(url("transaction-import", portfolio), {"file": upload})
    assert b"Import 1 transaction" in preview.content
    assert not Transaction.objects.exists()
    encoded = base64.b64encode(data).decode()
    assert encoded.encode() in preview.content
    response = logged_in.post(url("transaction-import", portfolio), {"csv_file": encoded})
    assert response.status_code == 302
    assert Transaction.objects.get().quantity == 10


def test_a_damaged_confirmation_is_refused(logged_in, portfolio):
    response = logged_in.post(url("transaction-import", portfolio), {"csv_file": "%%%"})
    assert b"damaged" in response.content
    assert not Transaction.objects.exists()


def test_the_export_downloads_the_import_format(logged_in, portfolio, aapl):
    TransactionFactory(
        portfolio=portfolio, asset=aapl, quantity=Decimal("2.5"), price=Decimal("10")
    )
    response = logged_in.get(url("transaction-export", portfolio))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == f"{HEADER}\n2024-01-02,buy,AAPL,2.5,10,,,0,USD,,,\n"
