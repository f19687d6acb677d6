"""Cash that is never silently wrong: recording cash is the portfolio's explicit choice (made at
creation, changed through a previewed, confirmed step), deposits are refused without it, foreign
trades settle in the base currency, weights include cash, and negative cash is named on the
pages, the API and the import preview."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from portfolios import selectors, services
from portfolios.importers import COLUMNS
from portfolios.models import Portfolio, Transaction
from portfolios.tests.factories import (
    AssetFactory,
    FxAssetFactory,
    PortfolioFactory,
    TransactionFactory,
    prices,
)

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = dt.date(2024, 3, 1)
TODAY = dt.date(2024, 3, 15)


def deposit(portfolio, amount, day=MARCH, currency="USD"):
    return TransactionFactory(
        portfolio=portfolio,
        kind="deposit",
        asset=None,
        date=day,
        quantity=None,
        price=None,
        amount=D(amount),
        currency=currency,
    )


@pytest.fixture
def aapl():
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.", currency="USD")
    prices(asset, {MARCH: 100.0, TODAY: 110.0})
    return asset


@pytest.fixture
def page(user):
    client = Client()
    client.force_login(user)
    return client


def csv(*lines: str) -> bytes:
    return ("\n".join([",".join(COLUMNS), *lines]) + "\n").encode()


# ── The choice: made at creation, false unless chosen ───────────────────────


def test_a_new_portfolio_records_no_cash_unless_chosen(user):
    plain = services.portfolio_create(owner=user, name="Plain")
    chosen = services.portfolio_create(owner=user, name="Cash", records_cash=True)
    assert (plain.records_cash, plain.cash_per_currency) == (False, False)
    assert (chosen.records_cash, chosen.cash_per_currency) == (True, False)
    summary = Portfolio.objects.get(pk=chosen.pk).ledger_summary
    assert summary["records_cash"] is True  # the read model's summary comes from the field


def test_the_new_portfolio_form_offers_the_cash_choice(user, page):
    response = page.get("/")
    assert b'name="cash_mode"' in response.content
    page.post(
        "/portfolios/new/",
        {
            "name": "Broker",
            "base_currency": "USD",
            "cost_basis_method": "fifo",
            "cash_mode": "cash",
        },
    )
    page.post(
        "/portfolios/new/", {"name": "Plan", "base_currency": "USD", "cost_basis_method": "fifo"}
    )
    assert Portfolio.objects.get(name="Broker").records_cash
    assert not Portfolio.objects.get(name="Plan").records_cash


def test_the_api_takes_records_cash_on_create_and_answers_it(auth_client):
    made = auth_client.post("/api/v1/portfolios/", {"name": "Broker", "records_cash": True})
    assert made.status_code == 201, made.json()
    assert made.json()["records_cash"] is True
    assert made.json()["negative_cash"] is None
    plain = auth_client.post("/api/v1/portfolios/", {"name": "Plan"})
    assert plain.json()["records_cash"] is False


def test_a_plain_patch_of_records_cash_is_refused_and_points_to_the_cash_records_action(
    auth_client, user
):
    portfolio = PortfolioFactory(owner=user)
    url = f"/api/v1/portfolios/{portfolio.public_id}/"
    response = auth_client.patch(url, {"records_cash": True}, format="json")
    assert response.status_code == 400
    assert (
        f"/api/v1/portfolios/{portfolio.public_id}/cash-records/"
        in response.json()["error"]["message"]
    )
    assert "records_cash" in response.json()["error"]["fields"]
    assert not Portfolio.objects.get(pk=portfolio.pk).records_cash
    # Sending back what it already is (a PUT of a GET body) is no change.
    same = auth_client.patch(url, {"records_cash": False, "name": "Renamed"}, format="json")
    assert same.status_code == 200
    assert same.json()["name"] == "Renamed"


# ── Deposits and withdrawals need cash records ──────────────────────────────


@pytest.mark.parametrize("kind", ["deposit", "withdrawal"])
def test_a_deposit_or_withdrawal_without_cash_records_is_refused_offering_the_switch(user, kind):
    portfolio = PortfolioFactory(owner=user)
    with pytest.raises(ValidationError) as caught:
        services.transaction_create(portfolio=portfolio, kind=kind, date=MARCH, amount=D(100))
    [message] = caught.value.message_dict["kind"]
    assert "does not record cash" in message and "cash records" in message
    assert not Transaction.objects.exists()


def test_the_api_refuses_a_deposit_without_cash_records(auth_client, user):
    portfolio = PortfolioFactory(owner=user)
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/transactions/",
        {"kind": "deposit", "date": "2024-03-01", "amount": "100"},
        format="json",
    )
    assert response.status_code == 400
    assert "does not record cash" in str(response.json())


def test_the_transaction_form_offers_the_switch_with_a_link(user, page):
    portfolio = PortfolioFactory(owner=user)
    response = page.post(
        f"/portfolios/{portfolio.public_id}/transactions/new/",
        {"kind": "deposit", "date": "2024-03-01", "amount": "100", "fee": "0"},
    )
    assert f"/portfolios/{portfolio.public_id}/cash-records/?cash_mode=cash".encode() in (
        response.content
    )
    assert not Transaction.objects.exists()


def test_an_import_with_deposits_in_a_portfolio_without_cash_records_offers_the_switch(
    user, aapl, auth_client
):
    portfolio = PortfolioFactory(owner=user)
    file = csv("2024-03-01,deposit,,,,5000,,,,,Start,", "2024-03-01,buy,AAPL,10,100,,,,,,,")
    report = services.transaction_import(portfolio=portfolio, file=file, dry_run=True)
    assert report.cash_switch_offered
    [bad] = [row for row in report.rows if row.status == "error"]
    assert "does not record cash" in bad.message
    response = auth_client.post(
        f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/",
        {"file": _upload(file)},
        format="multipart",
    )
    assert response.status_code == 422
    assert response.json()["report"]["cash_switch_offered"] is True


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("t.csv", content, content_type="text/csv")


# ── The confirmed switch, with its preview ──────────────────────────────────


def test_the_preview_shows_value_net_invested_and_the_negative_cash_a_switch_reveals(user, aapl):
    # Securities only: a buy of 10 AAPL at 100 on 1 Mar is 1,000 in; valued at 110: 1,100.
    # Recording cash without a deposit: cash -1,000 from 1 Mar, value 100, nothing in.
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    preview = selectors.cash_records_preview(portfolio=portfolio, records_cash=True, date=TODAY)
    assert preview.changes
    assert (preview.current.value, preview.current.net_invested) == (D(1100), D(1000))
    assert (preview.proposed.value, preview.proposed.net_invested) == (D(100), D(0))
    [negative] = preview.proposed.negative_cash
    assert (negative.currency, negative.first_date, negative.amount) == ("USD", MARCH, D(-1000))
    assert preview.current.negative_cash == []
    assert not Portfolio.objects.get(pk=portfolio.pk).records_cash  # a preview changes nothing


def test_switching_cash_records_off_counts_the_deposits_it_would_ignore(user, aapl):
    portfolio = PortfolioFactory(owner=user, records_cash=True)
    deposit(portfolio, 2000)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    preview = selectors.cash_records_preview(portfolio=portfolio, records_cash=False, date=TODAY)
    assert preview.ignored_cash_records == 1
    assert (preview.current.value, preview.proposed.value) == (D(2100), D(1100))


def test_the_api_previews_on_a_dry_run_and_applies_only_when_confirmed(auth_client, user, aapl):
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    url = f"/api/v1/portfolios/{portfolio.public_id}/cash-records/"
    preview = auth_client.post(url, {"records_cash": True, "dry_run": True}, format="json")
    assert preview.status_code == 200, preview.json()
    body = preview.json()
    assert (body["dry_run"], body["applied"]) == (True, False)
    assert body["preview"]["proposed"]["negative_cash"][0]["first_date"] == "2024-03-01"
    assert body["preview"]["proposed"]["negative_cash"][0]["amount"] == "-1000.00"
    assert not Portfolio.objects.get(pk=portfolio.pk).records_cash
    applied = auth_client.post(url, {"records_cash": True, "dry_run": False}, format="json")
    assert applied.json()["applied"] is True
    assert applied.json()["portfolio"]["records_cash"] is True
    assert Portfolio.objects.get(pk=portfolio.pk).records_cash


def test_the_cash_records_page_previews_then_confirms(user, page, aapl):
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    url = f"/portfolios/{portfolio.public_id}/cash-records/"
    shown = page.post(url, {"cash_mode": "cash"})
    assert shown.status_code == 200
    assert b"Confirm the change" in shown.content
    assert b"went negative on 1 Mar 2024" in shown.content
    assert not Portfolio.objects.get(pk=portfolio.pk).records_cash
    done = page.post(url, {"cash_mode": "cash", "confirm": "on"})
    assert done.status_code == 302
    assert Portfolio.objects.get(pk=portfolio.pk).records_cash
    # The settings page says what the portfolio does and links to the step.
    settings = page.get(f"/portfolios/{portfolio.public_id}/settings/")
    assert url.encode() in settings.content


def test_a_changed_choice_shows_at_once_in_the_performance(user, aapl):
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    before = selectors.portfolio_performance(portfolio=portfolio, period="MAX", today=TODAY)
    assert before.end_value == pytest.approx(1100)
    services.portfolio_cash_records_change(portfolio=portfolio, records_cash=True)
    fresh = Portfolio.objects.get(pk=portfolio.pk)
    after = selectors.portfolio_performance(portfolio=fresh, period="MAX", today=TODAY)
    assert after.end_value == pytest.approx(100)  # 1,100 of AAPL and -1,000 of cash
    assert [(item.currency, item.first_date) for item in after.negative_cash] == [("USD", MARCH)]


# ── Weights include cash; the chart and the table agree ─────────────────────


def test_weights_with_cash_add_up_to_one_and_the_allocation_uses_the_same_shares(user, aapl):
    portfolio = PortfolioFactory(owner=user, records_cash=True)
    deposit(portfolio, 3000)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    snapshot = selectors.holdings(portfolio=portfolio, date=TODAY)
    # AAPL 1,100, cash 2,000: 1,100 / 3,100 and 2,000 / 3,100.
    [row] = snapshot.rows
    assert row.weight + snapshot.cash_weight == pytest.approx(D(1), abs=D("1e-20"))
    by_asset = {item.key: item.weight for item in snapshot.allocation("asset")}
    assert by_asset == {"AAPL": row.weight, "cash": snapshot.cash_weight}


def test_negative_cash_keeps_weights_at_one_and_is_named(user, aapl):
    # The case: one holding over 100 % because cash is negative; the table, the
    # allocation and the API say the same and name it.
    portfolio = PortfolioFactory(owner=user, records_cash=True)
    deposit(portfolio, 500)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    snapshot = selectors.holdings(portfolio=portfolio, date=TODAY)
    [row] = snapshot.rows
    assert snapshot.total_value == D(600)  # 1,100 - 500
    assert row.weight == D(1100) / D(600)
    assert row.weight + snapshot.cash_weight == pytest.approx(D(1), abs=D("1e-20"))
    assert {item.key: item.weight for item in snapshot.allocation("asset")} == {
        "AAPL": row.weight,
        "cash": snapshot.cash_weight,
    }
    [negative] = snapshot.negative_cash
    assert (negative.first_date, negative.amount) == (MARCH, D(-500))


def test_allocation_by_currency_groups_each_holding_by_its_own_currency(user):
    # Base EUR, EURUSD=X 1.25 (1 USD = 0.80 EUR). Deposit 1,000 EUR; buy 200 EUR of an EUR stock
    # and 4 x 50 USD of a USD stock (160 EUR, settled in EUR cash): EUR 200 + 640 = 840, USD 160.
    prices(FxAssetFactory(), {MARCH: 1.25})
    eur_stock = AssetFactory(symbol="SAP.DE", currency="EUR")
    usd_stock = AssetFactory(symbol="KO", currency="USD")
    prices(eur_stock, {MARCH: 200.0})
    prices(usd_stock, {MARCH: 50.0})
    portfolio = PortfolioFactory(owner=user, base_currency="EUR", records_cash=True)
    deposit(portfolio, 1000, currency="EUR")
    TransactionFactory(portfolio=portfolio, asset=eur_stock, date=MARCH, quantity=1, price=200)
    TransactionFactory(portfolio=portfolio, asset=usd_stock, date=MARCH, quantity=4, price=50)
    snapshot = selectors.holdings(portfolio=portfolio, date=TODAY)
    by_currency = {item.key: item.value for item in snapshot.allocation("currency")}
    assert by_currency == {"EUR": D(840), "USD": D(160)}
    assert snapshot.negative_cash == []


# ── Negative cash named: overview, performance page, API ────────────────────


def test_negative_cash_is_named_on_the_overview_the_performance_page_and_the_api(
    user, page, auth_client, aapl
):
    portfolio = PortfolioFactory(owner=user, records_cash=True)
    deposit(portfolio, 500)
    TransactionFactory(portfolio=portfolio, asset=aapl, date=MARCH, quantity=10, price=100)
    overview = page.get(f"/portfolios/{portfolio.public_id}/")
    assert b"Cash went negative on 1 Mar 2024" in overview.content
    performance = page.get(f"/portfolios/{portfolio.public_id}/performance/?period=MAX")
    assert b"Cash went negative on 1 Mar 2024" in performance.content
    expected = [{"currency": "USD", "first_date": "2024-03-01", "amount": "-500.00"}]
    base = f"/api/v1/portfolios/{portfolio.public_id}/"
    assert auth_client.get(f"{base}holdings/").json()["negative_cash"] == expected
    assert (
        auth_client.get(f"{base}performance/", {"period": "MAX"}).json()["negative_cash"]
        == expected
    )
    assert auth_client.get(base).json()["negative_cash"] == expected


def test_an_import_preview_says_when_rows_would_make_cash_negative(user, aapl):
    portfolio = PortfolioFactory(owner=user, records_cash=True)
    deposit(portfolio, 500, day=dt.date(2024, 2, 1))
    file = csv("2024-03-01,buy,AAPL,10,100,,,,,,,")
    report = services.transaction_import(portfolio=portfolio, file=file, dry_run=True)
    assert report.is_valid
    [warning] = report.cash_warnings
    assert "negative from 1 Mar 2024" in warning and "500.00 USD" in warning
    assert not Transaction.objects.filter(kind="buy").exists()
    # Rows that leave the cash as it was say nothing.
    quiet = services.transaction_import(
        portfolio=portfolio, file=csv("2024-03-01,buy,AAPL,1,100,,,,,,,"), dry_run=True
    )
    assert quiet.cash_warnings == []


def test_a_negative_weight_reads_with_its_minus_sign():
    from portfolios.templatetags.portfolio_format import weight

    assert weight(D("-2.794900")) == "\u2212279.49%"
    assert weight(D("0.25")) == "25.00%"
