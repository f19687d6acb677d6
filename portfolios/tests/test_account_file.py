"""The account file: export the whole account, import it into an empty one (API and pages).
The round trip reproduces every figure of the demo account exactly; a bad file is refused
whole, naming where each problem is, and changes nothing."""

import copy
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from market.models import Asset, Price
from market.services import asset_create_manual, prices_upsert_manual
from market.services.prices import ManualPrice
from portfolios import selectors, services
from portfolios.models import InstrumentSymbol, Portfolio, TargetAllocation, Transaction
from portfolios.selectors.account_export import account_export
from portfolios.services.account_import import AccountNotEmpty, account_import
from portfolios.services.broker_imports import broker_symbols_remember
from portfolios.tests.factories import AssetFactory, PortfolioFactory, TransactionFactory
from portfolios.wire import performance_data

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/me/export/"
IMPORT = "/api/v1/me/import/"
PERIODS = ("1M", "YTD", "1Y", "MAX")


def _holdings_figures(portfolio: Portfolio) -> dict:
    snapshot = selectors.holdings(portfolio=portfolio)
    rows = [
        (
            row.asset.symbol,
            row.quantity,
            row.cost_basis,
            row.market_value,
            row.unrealized_gain,
            row.realized_gain,
            row.income,
            row.fees,
            row.weight,
        )
        for row in snapshot.rows
    ]
    totals = {
        name: getattr(snapshot, name)
        for name in (
            "total_value",
            "cash",
            "cost_basis",
            "unrealized_gain",
            "realized_gain",
            "income",
            "fees",
            "taxes",
            "net_invested",
            "total_gain",
            "transaction_count",
        )
    }
    return {"rows": rows, **totals}


def _figures(user) -> dict:
    figures = {}
    for portfolio in Portfolio.objects.filter(owner=user).order_by("name"):
        performance = {}
        for period in PERIODS:
            report = selectors.portfolio_performance(portfolio=portfolio, period=period)
            performance[period] = (performance_data(report), report.twr, report.mwr)
        figures[portfolio.name] = {
            "settings": (
                portfolio.base_currency,
                portfolio.cost_basis_method,
                portfolio.records_cash,
                portfolio.cash_per_currency,
                portfolio.benchmark_id,
            ),
            "holdings": _holdings_figures(portfolio),
            "performance": performance,
            "targets": sorted(
                (t.asset_id or 0, t.asset_class, t.is_cash, t.weight, t.band)
                for t in portfolio.targets.all()
            ),
        }
    return figures


@pytest.fixture
def demo():
    """The demo account, with a manual asset (priced, bought) and a remembered broker symbol."""
    call_command("seed_demo")
    user = User.objects.get(email="demo@portfolia.local")
    house = asset_create_manual(
        owner=user, symbol="HOUSE", name="Flat", asset_class="other", currency="USD"
    )
    prices_upsert_manual(
        user=user,
        asset=house,
        prices=[
            ManualPrice(date=dt.date(2024, 1, 2), close=200000.0),
            ManualPrice(date=dt.date(2024, 6, 3), close=212345.67, volume=1),
        ],
    )
    usd = Portfolio.objects.get(owner=user, name="Growth & Income")
    services.transactions_create(
        portfolio=usd,
        transactions=[
            Transaction(
                kind="buy",
                date=dt.date(2024, 1, 2),
                asset=house,
                quantity=Decimal("0.001"),
                price=Decimal(200000),
                currency="USD",
                note="A share of a flat",
            )
        ],
    )
    broker_symbols_remember(owner=user, picks=[("US0378331005", "AAPL")])
    return user


def test_demo_account_round_trips_with_every_figure_exact(demo, client):
    before = _figures(demo)
    client.force_login(demo)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="portfolia-account-')
    document = response.json()
    other = UserFactory()
    client.force_login(other)
    answer = client.post(IMPORT, document, content_type="application/json")
    assert answer.status_code == 201, answer.content
    summary = answer.json()
    assert summary["portfolios"] == 2
    assert summary["transactions"] == Transaction.objects.filter(portfolio__owner=demo).count()
    assert (summary["manual_assets"], summary["prices"], summary["instrument_symbols"]) == (1, 2, 1)
    after = _figures(other)
    # The copy's manual asset is its own (another id), so its holdings rows compare by symbol.
    assert before.keys() == after.keys()
    for name in before:
        assert after[name]["holdings"] == before[name]["holdings"], name
        assert after[name]["performance"] == before[name]["performance"], name
        assert after[name]["settings"] == before[name]["settings"], name
    assert (
        TargetAllocation.objects.filter(portfolio__owner=other).count()
        == (TargetAllocation.objects.filter(portfolio__owner=demo).count())
        > 0
    )
    copy_house = Asset.objects.get(owner=other, symbol="HOUSE")
    assert list(Price.objects.filter(asset=copy_house).values_list("date", "close", "volume")) == [
        (dt.date(2024, 1, 2), 200000.0, None),
        (dt.date(2024, 6, 3), 212345.67, 1),
    ]
    assert InstrumentSymbol.objects.get(owner=other).symbol == "AAPL"
    # And the copy exports as the same file (but for its date).
    client.force_login(other)
    again = client.get(EXPORT).json()
    assert {**again, "exported_at": ""} == {**document, "exported_at": ""}


@pytest.fixture
def small(user):
    aapl = AssetFactory(symbol="AAPL", name="Apple Inc.")
    portfolio = PortfolioFactory(owner=user, name="Main")
    TransactionFactory(portfolio=portfolio, asset=aapl, quantity=10, price=100, fee=1)
    TransactionFactory(
        portfolio=portfolio,
        asset=aapl,
        kind="sell",
        date=dt.date(2024, 2, 1),
        quantity=4,
        price=Decimal("120.125"),
    )
    return account_export(user=user)


def _refused(auth_client, document, status=400):
    response = auth_client.post(IMPORT, document, format="json")
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_the_export_names_assets_and_keeps_exact_decimals(small):
    [portfolio] = small["portfolios"]
    assert small["format"] == "portfolia-account" and small["version"] == 1
    assert [txn["asset"] for txn in portfolio["transactions"]] == ["demo:AAPL"] * 2
    assert portfolio["transactions"][1]["price"] == "120.125"
    assert portfolio["transactions"][0]["fee"] == "1"
    assert [a["symbol"] for a in small["catalogue_assets"]] == ["AAPL"]


def test_import_into_an_account_that_has_a_portfolio_is_refused(small, user):
    with pytest.raises(AccountNotEmpty):
        account_import(owner=user, document=small)
    assert Portfolio.objects.filter(owner=user).count() == 1


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["portfolios"][0].update(colour="red"), "portfolios[0].colour"),
        (lambda d: d["portfolios"][0].update(name="Main\x00"), "portfolios[0].name"),
        (
            lambda d: d["portfolios"][0]["transactions"][0].update(quantity="1e999999"),
            "portfolios[0].transactions[0].quantity",
        ),
        (
            lambda d: d["portfolios"][0]["transactions"][0].update(date="0001-01-01"),
            "portfolios[0].transactions",
        ),
        (
            lambda d: d["portfolios"][0]["transactions"][0].update(date="2024-13-01"),
            "portfolios[0].transactions[0].date",
        ),
        (
            lambda d: d["portfolios"][0]["transactions"][0].update(asset="yahoo:NOPE"),
            "portfolios[0].transactions[0].asset",
        ),
        (lambda d: d.pop("portfolios"), "portfolios"),
    ],
)
def test_a_bad_file_is_refused_where_it_is_wrong_and_stores_nothing(
    small, other_user, change, where
):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other_user)
    document = copy.deepcopy(small)
    change(document)
    error = _refused(client, document)
    assert any(key.startswith(where) for key in error["fields"]), error
    assert not Portfolio.objects.filter(owner=other_user).exists()


def test_a_ledger_that_cannot_replay_rolls_everything_back(small, other_user):
    document = copy.deepcopy(small)
    document["manual_assets"] = [
        {
            "symbol": "MINE",
            "name": "Mine",
            "asset_class": "other",
            "currency": "USD",
            "exchange": "",
            "prices": [
                {
                    "date": "2024-01-02",
                    "open": None,
                    "high": None,
                    "low": None,
                    "close": 5.0,
                    "volume": None,
                }
            ],
        }
    ]
    second = copy.deepcopy(document["portfolios"][0])
    second["name"] = "Broken"
    second["transactions"][1]["quantity"] = "40"  # sells 40 of the 10 held
    document["portfolios"].append(second)
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(other_user)
    error = _refused(client, document, status=422)
    assert "Broken" in error["message"] or "40" in error["message"]
    assert not Portfolio.objects.filter(owner=other_user).exists()
    assert not Asset.objects.filter(owner=other_user).exists()  # the manual asset went too


def test_a_body_that_is_not_an_object_is_a_400(auth_client):
    assert _refused(auth_client, [1, 2])["fields"] == {"file": ["Must be a JSON object."]}


@pytest.mark.parametrize("depth", [100_000, 900])
def test_a_body_nested_too_deeply_is_a_400_not_a_5xx(auth_client, depth):
    body = "[" * depth + "]" * depth
    response = auth_client.post(IMPORT, data=body, content_type="application/json")
    assert response.status_code == 400


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_file_over_the_size_limit_is_refused_by_api_and_page(small, other_user, client):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(other_user)
    big = {**small, "exported_at": "x" * 2000}
    assert api.post(IMPORT, big, format="json").status_code == 413
    client.force_login(other_user)
    upload = io.BytesIO(json.dumps(big).encode())
    upload.name = "account.json"
    response = client.post(reverse("account-import"), {"file": upload})
    assert response.status_code == 400 and b"larger than" in response.content
    assert not Portfolio.objects.filter(owner=other_user).exists()


def test_profile_page_offers_the_download_and_the_import(client, user, small):
    client.force_login(user)
    content = client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("account-export")}"' in content
    assert f'href="{reverse("account-import")}"' in content
    download = client.get(reverse("account-export"))
    assert download["Content-Disposition"].startswith("attachment")
    assert json.loads(download.content)["portfolios"][0]["name"] == "Main"


def test_the_import_page_restores_a_file_into_an_empty_account(client, small, other_user):
    client.force_login(other_user)
    upload = io.BytesIO(json.dumps(small).encode())
    upload.name = "account.json"
    response = client.post(reverse("account-import"), {"file": upload})
    assert response.status_code == 302
    portfolio = Portfolio.objects.get(owner=other_user)
    # 10 bought at 100 + 1 fee, 4 sold: 6 x 100.1 = 600.6 of cost left.
    assert selectors.holdings(portfolio=portfolio).cost_basis == Decimal("600.6")


@pytest.mark.parametrize(
    "content", [b"\x00\x01not json", b"[" * 100_000, json.dumps({"format": "x\x00"}).encode()]
)
def test_the_import_page_shows_problems_of_a_bad_file_without_a_5xx(client, other_user, content):
    client.force_login(other_user)
    upload = io.BytesIO(content)
    upload.name = "account.json"
    response = client.post(reverse("account-import"), {"file": upload})
    assert response.status_code == 400
    assert b"Nothing was imported" in response.content or b"not JSON" in response.content
    assert not Portfolio.objects.filter(owner=other_user).exists()


def test_the_export_reads_in_six_queries_whatever_the_size(user, small):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    more = PortfolioFactory(owner=user, name="Second")
    for day in range(3, 20):
        TransactionFactory(portfolio=more, date=dt.date(2024, 1, day), quantity=1, price=10)
    # Portfolios (with benchmarks), transactions (with assets), targets, manual assets, their
    # prices, remembered symbols.
    with CaptureQueriesContext(connection) as queries:
        document = account_export(user=user)
    assert len(queries) == 6
    assert len(document["portfolios"][1]["transactions"]) == 17
