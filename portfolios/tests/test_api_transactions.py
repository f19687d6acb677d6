"""/api/v1/portfolios/{id}/transactions/: CRUD, filters, ledger errors as 422, CSV import."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portfolios.importers import COLUMNS
from portfolios.models import Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user)


@pytest.fixture
def aapl():
    return AssetFactory(symbol="AAPL")


def base(portfolio) -> str:
    return f"/api/v1/portfolios/{portfolio.public_id}/transactions/"


def test_creating_a_buy_answers_201_with_exact_decimal_strings(auth_client, portfolio, aapl):
    response = auth_client.post(
        base(portfolio),
        {
            "kind": "buy",
            "date": "2024-01-02",
            "asset": str(aapl.public_id),
            "quantity": "10",
            "price": "185.50",
            "fee": "1",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["symbol"] == "AAPL" and body["asset"] == str(aapl.public_id)
    assert (body["quantity"], body["price"], body["fee"], body["amount"]) == (
        "10",
        "185.5",
        "1",
        None,
    )
    assert body["currency"] == "USD"
    assert Transaction.objects.get().public_id.hex == body["id"].replace("-", "")


def test_selling_more_than_held_answers_422_in_the_error_shape(auth_client, portfolio, aapl):
    response = auth_client.post(
        base(portfolio),
        {
            "kind": "sell",
            "date": "2024-01-02",
            "asset": str(aapl.public_id),
            "quantity": "1",
            "price": "1",
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "ledger_error"
    assert error["message"] == "Sell of 1 on 2 Jan 2024: this asset was never bought"
    assert error["fields"] == {}


def test_missing_fields_answer_400_with_field_errors(auth_client, portfolio, aapl):
    response = auth_client.post(
        base(portfolio), {"kind": "buy", "date": "2024-01-02", "asset": str(aapl.public_id)}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"quantity", "price"}


def test_the_list_filters_by_asset_kind_and_dates_and_orders(auth_client, portfolio, aapl):
    other = AssetFactory(symbol="MSFT")
    TransactionFactory(portfolio=portfolio, asset=aapl, date=dt.date(2024, 1, 2))
    TransactionFactory(portfolio=portfolio, asset=other, date=dt.date(2024, 2, 2))
    TransactionFactory(
        portfolio=portfolio, asset=aapl, kind="sell", quantity=1, date=dt.date(2024, 3, 2)
    )

    def symbols(**query):
        return [
            (t["symbol"], t["kind"])
            for t in auth_client.get(base(portfolio), query).json()["results"]
        ]

    assert symbols() == [("AAPL", "buy"), ("MSFT", "buy"), ("AAPL", "sell")]
    assert symbols(asset=str(aapl.public_id)) == [("AAPL", "buy"), ("AAPL", "sell")]
    assert symbols(kind="sell") == [("AAPL", "sell")]
    assert symbols(start="2024-02-01", end="2024-02-29") == [("MSFT", "buy")]
    assert symbols(ordering="-date")[0] == ("AAPL", "sell")


def test_a_patch_that_breaks_a_later_sell_is_refused_with_422(auth_client, portfolio, aapl):
    first = TransactionFactory(portfolio=portfolio, asset=aapl, quantity=10)
    TransactionFactory(
        portfolio=portfolio, asset=aapl, kind="sell", quantity=8, date=dt.date(2024, 3, 1)
    )
    response = auth_client.patch(f"{base(portfolio)}{first.public_id}/", {"quantity": "5"})
    assert response.status_code == 422
    assert "the sell of 8 AAPL on 1 Mar 2024" in response.json()["error"]["message"]
    first.refresh_from_db()
    assert first.quantity == 10


def test_retrieve_patch_and_delete(auth_client, portfolio, aapl):
    txn = TransactionFactory(portfolio=portfolio, asset=aapl, quantity=10)
    url = f"{base(portfolio)}{txn.public_id}/"
    assert auth_client.get(url).json()["quantity"] == "10"
    assert auth_client.patch(url, {"note": "Long term"}).json()["note"] == "Long term"
    assert auth_client.delete(url).status_code == 204
    assert not Transaction.objects.exists()


def test_a_delete_that_breaks_a_later_sell_answers_422(auth_client, portfolio, aapl):
    first = TransactionFactory(portfolio=portfolio, asset=aapl, quantity=10)
    TransactionFactory(
        portfolio=portfolio, asset=aapl, kind="sell", quantity=8, date=dt.date(2024, 3, 1)
    )
    response = auth_client.delete(f"{base(portfolio)}{first.public_id}/")
    assert response.status_code == 422
    assert Transaction.objects.count() == 2


def test_a_transaction_of_another_portfolio_is_not_found(auth_client, portfolio, aapl, user):
    elsewhere = TransactionFactory(portfolio=PortfolioFactory(owner=user), asset=aapl)
    assert auth_client.get(f"{base(portfolio)}{elsewhere.public_id}/").status_code == 404


def upload(*lines: str) -> SimpleUploadedFile:
    content = "\n".join([",".join(COLUMNS), *lines]) + "\n"
    return SimpleUploadedFile("t.csv", content.encode(), content_type="text/csv")


def test_import_dry_run_answers_the_report_and_saves_nothing(auth_client, portfolio, aapl):
    response = auth_client.post(
        f"{base(portfolio)}import/",
        {"file": upload("2024-01-02,buy,AAPL,10,100,,,,,,,"), "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["saved"], body["new"], body["errors"]) == (True, False, 1, 0)
    assert body["rows"][0]["values"]["symbol"] == "AAPL"
    assert not Transaction.objects.exists()


def test_import_saves_with_201(auth_client, portfolio, aapl):
    response = auth_client.post(
        f"{base(portfolio)}import/",
        {"file": upload("2024-01-02,buy,AAPL,10,100,,,,,,,"), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["created"] == 1
    assert Transaction.objects.get().quantity == Decimal(10)


def test_an_import_with_a_bad_row_answers_422_with_the_report(auth_client, portfolio, aapl):
    response = auth_client.post(
        f"{base(portfolio)}import/",
        {
            "file": upload("2024-01-02,buy,AAPL,10,100,,,,,,,", "2024-01-03,buy,AAPL,x,1,,,,,,,"),
            "dry_run": "false",
        },
        format="multipart",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "import_invalid"
    assert [row["status"] for row in body["report"]["rows"]] == ["new", "error"]
    assert body["report"]["rows"][1]["errors"]["quantity"]
    assert not Transaction.objects.exists()


# ── Assets by symbol ─────────────────────────────────────────────────────────


def test_a_buy_can_name_its_asset_by_symbol(auth_client, portfolio, aapl):
    response = auth_client.post(
        base(portfolio),
        {"kind": "buy", "date": "2024-01-02", "symbol": "aapl", "quantity": "2", "price": "3"},
    )

    assert response.status_code == 201, response.json()
    assert (response.json()["asset"], response.json()["symbol"]) == (str(aapl.public_id), "AAPL")
    assert Transaction.objects.get().asset == aapl


def test_a_symbol_the_catalogue_lacks_is_found_with_the_provider_as_the_import_does(
    auth_client, portfolio
):
    response = auth_client.post(
        base(portfolio),
        {"kind": "buy", "date": "2024-01-02", "symbol": "MSFT", "quantity": "1", "price": "1"},
    )

    assert response.status_code == 201, response.json()
    assert Transaction.objects.get().asset.symbol == "MSFT"


def test_an_unknown_symbol_answers_400_naming_it(auth_client, portfolio):
    response = auth_client.post(
        base(portfolio),
        {
            "kind": "buy",
            "date": "2024-01-02",
            "symbol": "NOPE-ZZZ-1",
            "quantity": "1",
            "price": "1",
        },
    )

    assert response.status_code == 400
    assert "NOPE-ZZZ-1" in response.json()["error"]["fields"]["symbol"][0]
    assert not Transaction.objects.exists()


def test_a_symbol_and_an_asset_that_disagree_answer_400(auth_client, portfolio, aapl):
    msft = AssetFactory(symbol="MSFT")
    response = auth_client.post(
        base(portfolio),
        {
            "kind": "buy",
            "date": "2024-01-02",
            "asset": str(msft.public_id),
            "symbol": "AAPL",
            "quantity": "1",
            "price": "1",
        },
    )

    assert response.status_code == 400
    assert "MSFT" in response.json()["error"]["fields"]["symbol"][0]
    assert not Transaction.objects.exists()


def test_a_symbol_and_an_asset_that_agree_are_accepted(auth_client, portfolio, aapl):
    response = auth_client.post(
        base(portfolio),
        {
            "kind": "buy",
            "date": "2024-01-02",
            "asset": str(aapl.public_id),
            "symbol": "AAPL",
            "quantity": "1",
            "price": "1",
        },
    )

    assert response.status_code == 201, response.json()


def test_a_patch_can_change_the_asset_by_symbol(auth_client, portfolio, aapl):
    msft = AssetFactory(symbol="MSFT")
    txn = TransactionFactory(portfolio=portfolio, asset=aapl)

    response = auth_client.patch(f"{base(portfolio)}{txn.public_id}/", {"symbol": "MSFT"})

    assert response.status_code == 200, response.json()
    txn.refresh_from_db()
    assert txn.asset == msft


def test_the_schema_documents_symbol_as_an_input_of_a_transaction(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    fields = schema["components"]["schemas"]["TransactionRequest"]["properties"]

    assert "symbol" in fields and "asset" in fields
    assert "CSV import" in fields["symbol"]["description"]
