"""The generic mapping mode: a real broker sample read through a hand-made mapping gives the
rows its preset gives, on the API and on the page (HTMX-free forms); mappings saved under a
name and reused; bad mappings refused with a message; one user's mappings invisible to another."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolios import services
from portfolios.models import SavedMapping, Transaction
from portfolios.services.import_mappings import saved_mapping_save
from portfolios.tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

SAMPLE = (Path(__file__).parent / "fixtures" / "brokers" / "revolut-invest-export.csv").read_bytes()
# Revolut's preset (portfolios/brokers/revolut.py) written by hand as a mapping: the file's
# action values as they appear in it, the two kinds of transfer and the split skipped.
REVOLUT = {
    "columns": {
        "date": "Date",
        "action": "Type",
        "ticker": "Ticker",
        "quantity": "Quantity",
        "price": "Price per share",
        "amount": "Total Amount",
        "currency": "Currency",
    },
    "actions": {
        "BUY - MARKET": "buy",
        "SELL - MARKET": "sell",
        "DIVIDEND": "dividend",
        "CASH TOP-UP": "deposit",
        "CASH WITHDRAWAL": "withdrawal",
        "CUSTODY FEE": "fee",
        "STOCK SPLIT": "skip",
        "TRANSFER FROM REVOLUT TRADING LTD TO REVOLUT SECURITIES EUROPE UAB": "skip",
        "TRANSFER FROM REVOLUT BANK UAB TO REVOLUT SECURITIES EUROPE UAB": "skip",
    },
    "decimal": "auto",
}
# The sample without its line 5 (a sell of MA, which the sample never buys: an error).
WITHOUT_SELL = b"".join(
    line for number, line in enumerate(SAMPLE.splitlines(keepends=True), 1) if number != 5
)
# Every ticker of the sample made a manual asset, so that no row stays unresolved.
MANUAL = dict.fromkeys(("O", "MA", "MSFT", "TSLA"), "manual")


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user, base_currency="USD", records_cash=True)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def rows(report) -> list[tuple]:
    return [(row.line, row.status, row.kind, row.raw) for row in report.rows]


def test_a_hand_made_mapping_reads_a_sample_as_its_preset_does(portfolio):
    preset = services.transaction_import(
        portfolio=portfolio, file=SAMPLE, format="revolut", symbols=MANUAL
    )
    mapped = services.transaction_import(
        portfolio=portfolio, file=SAMPLE, format="mapping", mapping=REVOLUT, symbols=MANUAL
    )
    assert rows(mapped) == rows(preset)
    # 12 data lines: 3 transfers + 1 split skipped; line 5 sells MA never bought (the ledger
    # refuses it); the 7 others new.
    assert mapped.totals == {"new": 7, "duplicate": 0, "unresolved": 0, "skipped": 4, "error": 1}
    assert [row.line for row in mapped.rows if row.status == "error"] == [5]
    line_4 = mapped.rows[2].raw  # "O,BUY - MARKET,1.63453043,$52.07"
    assert (line_4["kind"], line_4["quantity"], line_4["price"]) == ("buy", "1.63453043", "52.07")
    line_2 = mapped.rows[0].raw  # "CASH WITHDRAWAL,,,-$30.93,USD"
    assert (line_2["kind"], line_2["amount"], line_2["currency"]) == ("withdrawal", "30.93", "USD")
    assert mapped.rows[11].raw["quantity"] == "0.76672417"  # line 13: "0,76672417"


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("statement.csv", WITHOUT_SELL, content_type="text/csv")


def test_the_page_maps_columns_and_actions_then_imports(logged_in, portfolio):
    url = reverse("transaction-import", args=[portfolio.public_id])
    first = logged_in.post(url, {"file": upload(), "format": "mapping"}).content.decode()
    # The editor lists the file's columns, guessed (Date, Type, Ticker, Quantity...) ...
    assert 'name="map::date"' in first and '<option value="Date" selected>' in first
    assert '<option value="Type" selected>' in first  # the action column
    # ... and the action values found in the file, to be given kinds.
    assert 'name="action::CASH TOP-UP"' in first and 'name="action::STOCK SPLIT"' in first
    encoded = base64.b64encode(WITHOUT_SELL).decode()
    form = {f"map::{name}": column for name, column in REVOLUT["columns"].items()}
    form |= {f"action::{value}": kind for value, kind in REVOLUT["actions"].items()}
    form |= {f"symbol::{ticker}": answer for ticker, answer in MANUAL.items()}
    form |= {"csv_file": encoded, "format": "mapping", "decimal": "auto", "preview": "1"}
    again = logged_in.post(url, {**form, "save_mapping_as": "Revolut by hand"}).content.decode()
    assert "Import 7 transactions" in again and not Transaction.objects.exists()
    assert "Mapping saved as “Revolut by hand”" in again
    assert SavedMapping.objects.get(owner=portfolio.owner).mapping == REVOLUT
    assert 'name="mapping" value="{&quot;columns&quot;' in again  # carried to the confirmation
    # The confirmation carries the mapping as JSON; importing saves the 7 rows.
    carried = {f"symbol::{ticker}": answer for ticker, answer in MANUAL.items()}
    response = logged_in.post(
        url,
        {"csv_file": encoded, "format": "mapping", "mapping": json.dumps(REVOLUT), **carried},
    )
    assert response.status_code == 302
    assert Transaction.objects.filter(portfolio=portfolio).count() == 7


def test_an_unknown_csv_offers_the_mapping_editor(logged_in, portfolio):
    url = reverse("transaction-import", args=[portfolio.public_id])
    data = b"When,What,Paper,Pieces\n2024-01-02,Kauf,AAPL,3\n"
    upload = SimpleUploadedFile("other.csv", data, content_type="text/csv")
    page = logged_in.post(url, {"file": upload, "format": "auto"}).content.decode()
    assert "not in a format Portfolia knows" in page
    assert 'name="map::date"' in page and '<option value="When">When</option>' in page


def test_a_saved_mapping_is_chosen_in_the_format_on_the_page_and_by_name_in_the_api(
    logged_in, auth_client, portfolio
):
    saved_mapping_save(owner=portfolio.owner, name="Revolut by hand", mapping=REVOLUT)
    url = reverse("transaction-import", args=[portfolio.public_id])
    page = logged_in.get(url).content.decode()
    assert '<option value="saved:Revolut by hand">Saved mapping: Revolut by hand</option>' in page
    preview = logged_in.post(
        url,
        {"file": upload(), "format": "saved:Revolut by hand"}
        | {f"symbol::{ticker}": answer for ticker, answer in MANUAL.items()},
    ).content.decode()
    assert "Column mapping" in preview and "Import 7 transactions" in preview
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/",
        {"file": upload(), "mapping_name": "Revolut by hand", "symbols": json.dumps(MANUAL)},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["format"] == "mapping"
    assert response.json()["totals"]["new"] == 7 and response.json()["totals"]["skipped"] == 4


def test_the_api_saves_lists_and_deletes_mappings(auth_client):
    created = auth_client.post(
        "/api/v1/import-mappings/", {"name": "Revolut", "mapping": REVOLUT}, format="json"
    )
    assert created.status_code == 201, created.json()
    again = auth_client.post(  # the same name replaces it
        "/api/v1/import-mappings/",
        {"name": "Revolut", "mapping": {**REVOLUT, "decimal": ","}},
        format="json",
    )
    assert again.status_code == 201 and again.json()["id"] == created.json()["id"]
    listed = auth_client.get("/api/v1/import-mappings/").json()
    assert [(item["name"], item["mapping"]["decimal"]) for item in listed] == [("Revolut", ",")]
    gone = auth_client.delete(f"/api/v1/import-mappings/{created.json()['id']}/")
    assert gone.status_code == 204 and not SavedMapping.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "mapping": {"columns": {"date": "Date"}, "actions": {}}}, "lacks"),
        ({"name": "x", "mapping": {"columns": {"when": "Date"}, "actions": {}}}, "Unknown field"),
        ({"name": "x", "mapping": {**REVOLUT, "actions": {"BUY": "purchase"}}}, "not a kind"),
        ({"name": "x\x00", "mapping": REVOLUT}, ""),
        ({"name": "", "mapping": REVOLUT}, ""),
        ({"name": "x" * 101, "mapping": REVOLUT}, ""),
        ({"name": "x", "mapping": "not an object"}, ""),
        ({"name": "x", "mapping": REVOLUT, "extra": 1}, ""),
    ],
)
def test_a_bad_mapping_or_name_is_refused_with_a_message(auth_client, body, message):
    response = auth_client.post("/api/v1/import-mappings/", body, format="json")
    assert response.status_code == 400
    assert message in json.dumps(response.json(), ensure_ascii=False)
    assert response.json()["error"]["message"]
    assert not SavedMapping.objects.exists()


def test_a_bad_mapping_on_the_page_says_why_and_saves_nothing(logged_in, portfolio):
    url = reverse("transaction-import", args=[portfolio.public_id])
    form = {
        "csv_file": base64.b64encode(SAMPLE).decode(),
        "format": "mapping",
        "map::date": "Date",  # no action column
        "preview": "1",
        "save_mapping_as": "broken",
    }
    page = logged_in.post(url, form).content.decode()
    assert "The mapping lacks the column(s) for: action." in page
    assert not SavedMapping.objects.exists() and not Transaction.objects.exists()


def test_one_users_mappings_are_invisible_to_another(auth_client, other_user, portfolio):
    theirs = saved_mapping_save(owner=other_user, name="Theirs", mapping=REVOLUT)
    assert auth_client.get("/api/v1/import-mappings/").json() == []
    assert auth_client.delete(f"/api/v1/import-mappings/{theirs.public_id}/").status_code == 404
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/",
        {"file": upload(), "mapping_name": "Theirs"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "no saved mapping named “Theirs”" in json.dumps(response.json(), ensure_ascii=False)
    assert SavedMapping.objects.filter(owner=other_user).count() == 1


def test_someone_elses_saved_mapping_is_no_choice_on_the_page(client, other_user, portfolio):
    saved_mapping_save(owner=portfolio.owner, name="Mine", mapping=REVOLUT)
    intruder = PortfolioFactory(owner=other_user)
    client.force_login(other_user)
    url = reverse("transaction-import", args=[intruder.public_id])
    page = client.post(url, {"file": upload(), "format": "saved:Mine"}).content.decode()
    assert "Select a valid choice" in page and "Column mapping" not in page
    # Carried past the upload form (a hand-made POST), it reads as auto: the preset detected.
    carried = {"csv_file": base64.b64encode(WITHOUT_SELL).decode(), "format": "saved:Mine"}
    page = client.post(url, {**carried, "preview": "1"}).content.decode()
    assert "Revolut" in page and "(detected)" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("map::action", "Ty\x00pe", "control character"),
        ("date_format", "%d" * 80, "1 to 100 characters"),
        ("action::BUY - MARKET", "purchase", "is not a kind"),
        ("decimal", ";", "decimal is"),
    ],
)
def test_bad_editor_input_answers_the_page_with_a_message(
    logged_in, portfolio, field, value, message
):
    url = reverse("transaction-import", args=[portfolio.public_id])
    form = {f"map::{name}": column for name, column in REVOLUT["columns"].items()}
    form |= {"csv_file": base64.b64encode(SAMPLE).decode(), "format": "mapping", "preview": "1"}
    response = logged_in.post(url, {**form, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mapping_name": "Mine", "mapping": json.dumps(REVOLUT)}, "not both"),
        ({"mapping_name": "Nope"}, "no saved mapping named “Nope”"),
        ({"mapping_name": "x" * 101}, "100"),
        ({"format": "mapping", "mapping": json.dumps({**REVOLUT, "decimal": ";"})}, "decimal"),
    ],
)
def test_the_import_refuses_a_bad_mapping_name_or_mapping_with_400(
    auth_client, portfolio, fields, message
):
    saved_mapping_save(owner=portfolio.owner, name="Mine", mapping=REVOLUT)
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/",
        {"file": upload(), **fields},
        format="multipart",
    )
    assert response.status_code == 400
    assert message in json.dumps(response.json(), ensure_ascii=False)
    assert not Transaction.objects.exists()
