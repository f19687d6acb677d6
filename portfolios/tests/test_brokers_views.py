"""The import page with a broker file: the detected format said, unresolved instruments asked
for, previewed again with the answers, then saved."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portfolios.models import Transaction
from portfolios.tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "fixtures" / "brokers" / "ibkr-trades-export.csv"
VT, SMMCHA = "US9220427424", "CH0111762537"


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user, base_currency="USD")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_a_broker_file_is_resolved_on_the_page_then_imported(logged_in, portfolio):
    url = reverse("transaction-import", args=[portfolio.public_id])
    data = SAMPLE.read_bytes()
    upload = SimpleUploadedFile("ibkr.csv", data, content_type="text/csv")
    preview = logged_in.post(url, {"file": upload, "format": "auto"}).content.decode()
    assert "Interactive Brokers" in preview and "(detected)" in preview
    assert preview.count("? unresolved") == 8 and preview.count(">skipped<") == 3
    assert "currency conversion inside the account" in preview
    assert f'name="symbol::{VT}"' in preview and "Import 8" not in preview
    encoded = base64.b64encode(data).decode()
    answers = {f"symbol::{VT}": "manual", f"symbol::{SMMCHA}": "manual"}
    again = logged_in.post(
        url, {"csv_file": encoded, "format": "ibkr", "preview": "1", **answers}
    ).content.decode()
    assert "Import 8 transactions" in again and not Transaction.objects.exists()
    assert f'name="symbol::{VT}" value="manual"' in again  # carried to the confirmation
    response = logged_in.post(url, {"csv_file": encoded, "format": "ibkr", **answers})
    assert response.status_code == 302
    # 95 + 105 + 11 + 1 + 2 + 97 + 12 = 323 VT (lines 3-9)
    assert sum(t.quantity for t in Transaction.objects.filter(asset__symbol=VT)) == Decimal(323)


def test_a_nul_in_a_typed_symbol_is_left_out(logged_in, portfolio):
    url = reverse("transaction-import", args=[portfolio.public_id])
    encoded = base64.b64encode(SAMPLE.read_bytes()).decode()
    response = logged_in.post(url, {"csv_file": encoded, "preview": "1", f"symbol::{VT}": "V\x00T"})
    assert response.status_code == 200
    assert response.content.decode().count("? unresolved") == 8
    assert not Transaction.objects.exists()
