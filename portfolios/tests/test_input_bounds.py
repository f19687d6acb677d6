"""Bad input to transactions gets a clear 4xx and saves nothing, on every path: the form, the
API, the CSV import (API, page preview and page confirm) and the date query parameters. Dates
run from 1 Jan 1900 to a week from today; numbers stay below what their columns hold; text
has no control characters (PostgreSQL refuses to store a NUL, SQLite does not, so these tests
mean most on PostgreSQL: run them with DATABASE_URL too)."""

import base64
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portfolios.importers import COLUMNS, MAX_BYTES
from portfolios.models import Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user, records_cash=True)  # deposits are among the rows


@pytest.fixture
def aapl():
    return AssetFactory(symbol="AAPL")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def api(portfolio, path: str = "transactions/") -> str:
    return f"/api/v1/portfolios/{portfolio.public_id}/{path}"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def api_import(auth_client, portfolio, data: bytes, dry_run: bool = False):
    return auth_client.post(
        api(portfolio, "transactions/import/"),
        {"file": SimpleUploadedFile("t.csv", data), "dry_run": str(dry_run).lower()},
        format="multipart",
    )


def page_confirm(logged_in, portfolio, data: bytes):
    return logged_in.post(
        reverse("transaction-import", args=[portfolio.public_id]),
        {"csv_file": base64.b64encode(data).decode()},
    )


def page_preview(logged_in, portfolio, data: bytes):
    return logged_in.post(
        reverse("transaction-import", args=[portfolio.public_id]),
        {"file": SimpleUploadedFile("t.csv", data)},
    )


def buy(**overrides) -> dict:
    return {"kind": "buy", "date": "2024-01-02", "quantity": "1", "price": "1", **overrides}


# ── Dates ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_the_api_refuses_a_transaction_date_out_of_range_naming_the_range(
    auth_client, portfolio, aapl, day
):
    response = auth_client.post(api(portfolio), buy(asset=str(aapl.public_id), date=day))

    assert response.status_code == 400
    message = response.json()["error"]["fields"]["date"][0]
    assert "dates go from 1 Jan 1900 to" in message
    assert not Transaction.objects.exists()


def test_a_trade_a_week_ahead_is_accepted_and_a_day_later_refused(auth_client, portfolio, aapl):
    week = timezone.localdate() + dt.timedelta(days=7)
    ok = auth_client.post(api(portfolio), buy(asset=str(aapl.public_id), date=week.isoformat()))
    late = auth_client.post(
        api(portfolio), buy(asset=str(aapl.public_id), date=str(week + dt.timedelta(days=1)))
    )

    assert ok.status_code == 201, ok.json()
    assert late.status_code == 400


def test_the_form_refuses_a_date_out_of_range_on_the_date_field(logged_in, portfolio, aapl):
    response = logged_in.post(
        reverse("transaction-new", args=[portfolio.public_id]),
        {**buy(symbol="AAPL"), "date": "0001-01-01"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="transaction-form",
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_new_date_error"' in content
    assert "1 Jan 0001 is too early" in content
    assert not Transaction.objects.exists()


def test_the_csv_import_refuses_dates_out_of_range_with_the_row(auth_client, portfolio, aapl):
    data = csv_bytes("0001-01-01,buy,AAPL,1,1,,,,,,,", "9999-12-31,deposit,,,,5,,,,,,")

    response = api_import(auth_client, portfolio, data)

    assert response.status_code == 422
    rows = response.json()["report"]["rows"]
    assert [(row["line"], list(row["errors"])) for row in rows] == [(2, ["date"]), (3, ["date"])]
    assert "1 Jan 0001 is too early" in rows[0]["errors"]["date"][0]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "holdings/?date=0001-01-01",
        "allocation/?date=9999-12-31",
        "performance/?start=0001-01-01&end=2024-01-05",
        "performance/flows/?start=0001-01-01",
        "transactions/?start=0001-01-01",
        "transactions/?end=9999-12-31",
    ],
)
def test_date_query_parameters_out_of_range_answer_400_with_the_message(
    auth_client, portfolio, query
):
    TransactionFactory(portfolio=portfolio)

    response = auth_client.get(api(portfolio, query))

    assert response.status_code == 400
    messages = [m for ms in response.json()["error"]["fields"].values() for m in ms]
    assert any("dates go from 1 Jan 1900" in message for message in messages)


@pytest.mark.parametrize(
    "page, query",
    [
        ("portfolio-overview", "date=0001-01-01"),
        ("portfolio-performance", "start=0001-01-01&end=2024-01-05"),
        ("portfolio-transactions", "start=0001-01-01"),
    ],
)
def test_pages_with_a_date_out_of_range_answer_without_error(logged_in, portfolio, page, query):
    TransactionFactory(portfolio=portfolio)

    response = logged_in.get(f"{reverse(page, args=[portfolio.public_id])}?{query}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "page, query, message",
    [
        ("portfolio-overview", "date=0001-01-01", "Showing today instead."),
        ("portfolio-transactions", "start=0001-01-01", "Showing every transaction."),
    ],
)
def test_the_overview_and_transactions_pages_say_why_a_date_is_ignored(
    logged_in, portfolio, page, query, message
):
    TransactionFactory(portfolio=portfolio)

    response = logged_in.get(f"{reverse(page, args=[portfolio.public_id])}?{query}")

    content = response.content.decode()
    assert "1 Jan 0001 is too early: dates go from 1 Jan 1900" in content
    assert message in content


def test_the_performance_page_says_why_a_date_is_refused(logged_in, portfolio):
    TransactionFactory(portfolio=portfolio)
    url = reverse("portfolio-performance", args=[portfolio.public_id])

    response = logged_in.get(f"{url}?start=0001-01-01&end=2024-01-05")

    assert "1 Jan 0001 is too early" in response.content.decode()


# ── Control characters ───────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "line, column",
    [
        ("2024-01-02,buy,AAPL,1,1,,,,,,a\x00b,", "note"),
        ("2024-01-02,buy,AAPL,1,1,,,,,,,x\x00y", "external_id"),
        ("2024-01-02,buy,AA\x00PL,1,1,,,,,,,", "symbol"),
        ("2024-01-02,buy,AAPL,1,1,,,,,,bell\x07,", "note"),
    ],
)
def test_a_control_character_in_a_csv_cell_is_a_row_error_on_the_api(
    auth_client, portfolio, aapl, line, column
):
    response = api_import(auth_client, portfolio, csv_bytes("2024-01-02,buy,AAPL,1,1,,,,,,,", line))

    assert response.status_code == 422
    rows = response.json()["report"]["rows"]
    assert rows[0]["status"] == "new"
    assert rows[1]["line"] == 3 and list(rows[1]["errors"]) == [column]
    assert "character" in rows[1]["errors"][column][0]
    assert not Transaction.objects.exists()


def test_a_nul_in_a_csv_cell_is_named_in_the_page_preview_with_its_line(logged_in, portfolio, aapl):
    data = csv_bytes("2024-01-02,buy,AAPL,1,1,,,,,,,", "2024-01-03,buy,AAPL,1,1,,,,,,,x\x00y")

    response = page_preview(logged_in, portfolio, data)

    content = response.content.decode()
    assert response.status_code == 200
    assert "The external id contains a NUL character (U+0000) at character 2" in content
    assert not Transaction.objects.exists()


def test_a_nul_in_a_csv_cell_on_the_page_confirm_saves_nothing(logged_in, portfolio, aapl):
    data = csv_bytes("2024-01-02,buy,AAPL,1,1,,,,,,note\x00,")

    response = page_confirm(logged_in, portfolio, data)

    assert response.status_code == 200
    assert "NUL character" in response.content.decode()
    assert not Transaction.objects.exists()


def test_the_api_refuses_control_characters_in_a_note(auth_client, portfolio, aapl):
    response = auth_client.post(api(portfolio), buy(asset=str(aapl.public_id), note="a\x1bb"))

    assert response.status_code == 400
    assert "control character (U+001B)" in response.json()["error"]["fields"]["note"][0]


def test_a_portfolio_name_with_a_control_character_is_refused(auth_client):
    response = auth_client.post("/api/v1/portfolios/", {"name": "Bell\x07", "base_currency": "USD"})

    assert response.status_code == 400
    assert "control character (U+0007)" in response.json()["error"]["fields"]["name"][0]


# ── Large numbers ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"quantity": "1e30"}, "quantity"),
        ({"price": "999999999999999999.9"}, "price"),
        ({"quantity": "99999999999", "price": "99999999999"}, "quantity"),  # the trade's value
        ({"fee": "1e20"}, "fee"),
        ({"fx_rate": "1e40", "currency": "EUR"}, "fx_rate"),
    ],
)
def test_the_api_refuses_numbers_too_large_for_their_column(
    auth_client, portfolio, aapl, overrides, field
):
    response = auth_client.post(api(portfolio), buy(asset=str(aapl.public_id), **overrides))

    assert response.status_code == 400, response.json()
    assert "must be below" in response.json()["error"]["fields"][field][0]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"kind": "deposit", "amount": "1e16"}, "amount"),
        ({"kind": "split", "ratio": "1e18"}, "ratio"),
        ({"kind": "deposit", "amount": "1e10", "fx_rate": "1e10", "currency": "EUR"}, "amount"),
    ],
)
def test_the_api_refuses_amounts_and_ratios_too_large(
    auth_client, portfolio, aapl, overrides, field
):
    body = {"date": "2024-01-02", "asset": str(aapl.public_id), **overrides}
    if overrides["kind"] == "deposit":
        body.pop("asset")

    response = auth_client.post(api(portfolio), body)

    assert response.status_code == 400, response.json()
    assert "must be below" in response.json()["error"]["fields"][field][0]


def test_the_form_refuses_a_huge_quantity_with_its_bound(logged_in, portfolio, aapl):
    response = logged_in.post(
        reverse("transaction-new", args=[portfolio.public_id]),
        {**buy(symbol="AAPL"), "quantity": "1e30"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="transaction-form",
    )

    assert "The quantity must be below 100,000,000,000,000,000." in response.content.decode()
    assert not Transaction.objects.exists()


def test_the_csv_import_refuses_huge_numbers_with_one_message_per_cell(
    auth_client, portfolio, aapl
):
    data = csv_bytes("2024-01-02,buy,AAPL,1e30,1,,,,,,,", "2024-01-02,deposit,,,,1e25,,,,,,")

    response = api_import(auth_client, portfolio, data)

    rows = response.json()["report"]["rows"]
    assert rows[0]["errors"] == {
        "quantity": ["The quantity must be below 100,000,000,000,000,000."]
    }
    assert rows[1]["errors"] == {"amount": ["The amount must be below 1,000,000,000,000,000."]}


def test_the_largest_accepted_trade_reads_back_and_values_without_error(
    auth_client, portfolio, aapl
):
    response = auth_client.post(
        api(portfolio), buy(asset=str(aapl.public_id), quantity="99999999", price="9999999")
    )
    assert response.status_code == 201, response.json()

    assert auth_client.get(api(portfolio, "holdings/")).status_code == 200
    assert auth_client.get(api(portfolio, "performance/?period=MAX")).status_code == 200


# ── Large files ──────────────────────────────────────────────────────────────


def oversized_csv() -> bytes:
    line = b"2024-01-02,deposit,,,,100,,,USD,,," + b"x" * 80 + b",\n"
    return HEADER.encode() + b"\n" + line * (MAX_BYTES // len(line) + 1)


def test_an_oversized_csv_answers_413_in_the_error_shape_on_the_api(auth_client, portfolio):
    response = api_import(auth_client, portfolio, oversized_csv(), dry_run=True)

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and "larger than 20 MB" in error["message"]


def test_an_oversized_csv_is_refused_on_the_page_upload_form(logged_in, portfolio):
    response = page_preview(logged_in, portfolio, oversized_csv())

    assert response.status_code == 200
    assert "larger than 20 MB" in response.content.decode()


def test_a_file_of_the_largest_accepted_size_is_staged_not_carried_on_the_page(
    logged_in, portfolio
):
    # The preview carries a small file back in a form field (base64); a big one (more than
    # IMPORT_TASK_ROWS lines) is staged on the server and the page carries its job's id, so
    # the confirmation fits the request's form-field limit whatever size the import accepts.
    from portfolios.models import ImportJob

    line = b"2024-01-02,deposit,,,,100,,,USD,,," + b"x" * 400 + b",\n"
    data = HEADER.encode() + b"\n" + line * (MAX_BYTES // len(line) - 1)
    assert MAX_BYTES - len(line) * 2 < len(data) <= MAX_BYTES

    response = page_preview(logged_in, portfolio, data)

    assert response.status_code == 200  # read and answered, not refused
    page = response.content.decode()
    job = ImportJob.objects.get(portfolio=portfolio)
    assert f'name="import_job" value="{job.public_id}"' in page
    assert 'name="csv_file"' not in page and bytes(job.data) == data
    assert len(page) < 2_000_000  # 200 rows shown of 46,000-odd


def test_a_json_body_over_the_limit_answers_413_in_the_error_shape(auth_client, portfolio, aapl):
    from django.conf import settings

    note = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = auth_client.post(api(portfolio), buy(asset=str(aapl.public_id), note=note))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
