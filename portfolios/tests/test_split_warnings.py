"""A recorded split the data provider does not report (within a few days, with the same ratio)
is saved, with a warning: on the transaction form, in the CSV import preview and in the API."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from market.tests.factories import CorporateActionFactory, ManualAssetFactory
from portfolios import selectors
from portfolios.importers import COLUMNS
from portfolios.models import Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory, prices

pytestmark = pytest.mark.django_db

SPLIT_DAY = dt.date(2024, 6, 10)


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def nvda():
    """NVDA with prices around its 10-for-1 split of 10 Jun 2024, which the provider reports."""
    asset = AssetFactory(symbol="NVDA", name="NVIDIA Corporation")
    prices(asset, {dt.date(2024, 1, 2): 480.0, dt.date(2024, 12, 31): 130.0})
    CorporateActionFactory(asset=asset, kind="split", date=SPLIT_DAY, ratio=Decimal(10))
    asset.refresh_from_db()
    return asset


@pytest.fixture
def aapl():
    """AAPL with prices over 2024 and no split reported."""
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.")
    prices(asset, {dt.date(2024, 1, 2): 185.0, dt.date(2024, 12, 31): 250.0})
    asset.refresh_from_db()
    return asset


@pytest.fixture
def portfolio(user, nvda, aapl):
    portfolio = PortfolioFactory(owner=user)
    for asset in (nvda, aapl):
        TransactionFactory(
            portfolio=portfolio, asset=asset, date=dt.date(2024, 1, 2), quantity=5, price=100
        )
    return portfolio


def test_a_split_the_provider_reports_within_five_days_with_its_ratio_has_no_warning(nvda):
    assert selectors.split_warnings(
        splits=[
            (nvda, SPLIT_DAY, Decimal(10)),
            (nvda, SPLIT_DAY + dt.timedelta(days=5), Decimal("10.000")),
            (nvda, SPLIT_DAY - dt.timedelta(days=3), Decimal(10)),
        ]
    ) == [None, None, None]


def test_a_split_the_provider_does_not_report_is_named_with_a_readable_date(nvda, aapl):
    missing, too_far = selectors.split_warnings(
        splits=[
            (aapl, dt.date(2024, 3, 1), Decimal(2)),
            (nvda, SPLIT_DAY + dt.timedelta(days=6), Decimal(10)),
        ]
    )
    assert missing.startswith("The data provider reports no split of AAPL within 5 days of 1 Mar")
    assert "2024-03-01" not in missing
    assert too_far.startswith("The data provider reports no split of NVDA within 5 days of 16 Jun")


def test_a_split_with_another_ratio_than_the_provider_names_both(nvda):
    [warning] = selectors.split_warnings(splits=[(nvda, SPLIT_DAY, Decimal(4))])
    assert warning == (
        "The data provider reports a 10-for-1 split of NVDA on 10 Jun 2024, not 4-for-1: "
        "check the ratio."
    )
    [reverse_split] = selectors.split_warnings(splits=[(nvda, SPLIT_DAY, Decimal("0.1"))])
    assert "not 1-for-10" in reverse_split


def test_nothing_is_said_where_the_provider_cannot_know(user, aapl):
    manual = ManualAssetFactory(owner=user)
    prices(manual, {dt.date(2024, 1, 2): 10.0, dt.date(2024, 12, 31): 12.0})
    manual.refresh_from_db()
    no_prices = AssetFactory(symbol="NEW")
    assert selectors.split_warnings(
        splits=[
            (manual, dt.date(2024, 3, 1), Decimal(2)),  # priced by its owner: no provider
            (no_prices, dt.date(2024, 3, 1), Decimal(2)),  # no history fetched yet
            (aapl, dt.date(2025, 3, 1), Decimal(2)),  # after the last stored price
            (None, dt.date(2024, 3, 1), Decimal(2)),  # an asset not created yet
        ]
    ) == [None, None, None, None]


def _split_form(symbol: str, day: str = "2024-03-01", ratio: str = "2") -> dict:
    return {"kind": "split", "date": day, "symbol": symbol, "ratio": ratio}


def test_the_form_saves_an_unreported_split_and_shows_the_warning_with_it(logged_in, portfolio):
    response = logged_in.post(
        reverse("transaction-new", args=[portfolio.public_id]),
        _split_form("AAPL"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="transaction-form",
    )
    content = response.content.decode()
    assert "Added the split of AAPL on 1 Mar 2024." in content
    assert "The data provider reports no split of AAPL within 5 days of 1 Mar 2024" in content
    assert Transaction.objects.filter(portfolio=portfolio, kind="split").count() == 1


def test_the_form_without_htmx_warns_after_the_redirect(logged_in, portfolio):
    response = logged_in.post(
        reverse("transaction-new", args=[portfolio.public_id]), _split_form("AAPL"), follow=True
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages[0] == "Transaction added."
    assert messages[1].startswith("The data provider reports no split of AAPL")


def test_the_form_says_nothing_about_a_split_the_provider_reports(logged_in, portfolio):
    response = logged_in.post(
        reverse("transaction-new", args=[portfolio.public_id]),
        _split_form("NVDA", "2024-06-10", "10"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="transaction-form",
    )
    assert "Added the split of NVDA" in response.content.decode()
    assert "data provider reports" not in response.content.decode()


def test_editing_a_split_to_another_ratio_warns_on_the_saved_row(logged_in, portfolio, nvda):
    split = TransactionFactory(
        portfolio=portfolio,
        asset=nvda,
        kind="split",
        date=SPLIT_DAY,
        quantity=None,
        price=None,
        ratio=Decimal(10),
    )
    response = logged_in.post(
        reverse("transaction-edit", args=[portfolio.public_id, split.public_id]),
        _split_form("NVDA", "2024-06-10", "4"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"txn-{split.public_id}",
    )
    content = response.content.decode()
    assert 'class="row-warning"' in content
    assert "reports a 10-for-1 split of NVDA on 10 Jun 2024, not 4-for-1" in content


def _upload(*lines: str) -> io.BytesIO:
    upload = io.BytesIO(("\n".join([",".join(COLUMNS), *lines]) + "\n").encode())
    upload.name = "transactions.csv"
    return upload


def test_the_import_preview_warns_on_each_unreported_split_row(logged_in, portfolio):
    response = logged_in.post(
        reverse("transaction-import", args=[portfolio.public_id]),
        {"file": _upload("2024-03-01,split,AAPL,,,,2,,,,,", "2024-06-10,split,NVDA,,,,10,,,,,")},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="import-result",
    )
    content = response.content.decode()
    assert content.count("The data provider reports no split of AAPL") == 2  # desktop + phone
    assert "NVDA within" not in content
    assert '<strong class="warning-text">1</strong> with a warning' in content
    assert "Import 2 transactions" in content  # a warning does not block


def test_the_api_answers_warnings_with_the_saved_split_and_in_the_import_report(
    auth_client, portfolio, aapl
):
    base = f"/api/v1/portfolios/{portfolio.public_id}/transactions/"
    created = auth_client.post(
        base,
        {"kind": "split", "date": "2024-03-01", "asset": str(aapl.public_id), "ratio": "2"},
        format="json",
    )
    assert created.status_code == 201
    [warning] = created.json()["warnings"]
    assert warning.startswith("The data provider reports no split of AAPL within 5 days")
    report = auth_client.post(
        f"{base}import/", {"file": _upload("2024-03-02,split,AAPL,,,,2,,,,,")}, format="multipart"
    ).json()
    assert report["rows"][0]["warnings"][0].startswith("The data provider reports no split")
