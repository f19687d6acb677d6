"""Dashboard, new portfolio, overview (as-of date, sorting, partials), settings and delete."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portfolios.models import Portfolio
from portfolios.tests.factories import (
    AssetFactory,
    PortfolioFactory,
    TransactionFactory,
    portfolio_with_holdings,
    prices,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target: str) -> dict:
    return {**HTMX, "HTTP_HX_TARGET": target}


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def overview_url(portfolio) -> str:
    return reverse("portfolio-overview", args=[portfolio.public_id])


def test_pages_need_a_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_empty_dashboard_says_what_to_do_next(logged_in):
    response = logged_in.get(reverse("dashboard"))
    assert response.status_code == 200
    assert b"No portfolios yet" in response.content
    assert b"Create portfolio" in response.content


def test_the_dashboard_shows_each_portfolio_with_value_and_gains(logged_in, user):
    portfolio = PortfolioFactory(owner=user, name="Retirement")
    asset = AssetFactory(symbol="AAPL")
    prices(asset, {dt.date(2024, 1, 2): 1234.5})
    TransactionFactory(portfolio=portfolio, asset=asset, quantity=10, price=1000)
    content = logged_in.get(reverse("dashboard")).content.decode()
    assert "Retirement" in content
    assert "12,345.00 USD" in content  # value, with thousands separators
    assert "+2,345.00 USD" in content  # total gain, signed
    assert 'class="num gain"' in content  # and coloured
    assert "No portfolios yet" not in content


def test_creating_a_portfolio_over_htmx_redirects_to_its_transactions(logged_in, user):
    response = logged_in.post(
        reverse("portfolio-new"),
        {"name": "Main", "base_currency": "EUR", "cost_basis_method": "average"},
        **htmx("portfolio-form"),
    )
    portfolio = Portfolio.objects.get(owner=user)
    assert (portfolio.name, portfolio.base_currency, portfolio.cost_basis_method) == (
        "Main",
        "EUR",
        "average",
    )
    assert response["HX-Redirect"] == reverse("portfolio-transactions", args=[portfolio.public_id])


def test_a_new_portfolio_form_with_errors_comes_back_inline(logged_in, user):
    PortfolioFactory(owner=user, name="Main")
    response = logged_in.post(
        reverse("portfolio-new"),
        {"name": "main", "base_currency": "USD", "cost_basis_method": "fifo"},
        **htmx("portfolio-form"),
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<article id="portfolio-form"')
    assert "You already have a portfolio with this name." in content
    assert Portfolio.objects.count() == 1


def test_the_overview_shows_key_figures_holdings_and_allocation(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.")
    prices(asset, {dt.date(2024, 1, 2): 110.0})
    TransactionFactory(portfolio=portfolio, asset=asset, quantity=10, price=100)
    content = logged_in.get(overview_url(portfolio)).content.decode()
    for text in ("Cost basis", "1,100.00 USD", "+100.00 USD", "+10.00%", "Apple Inc.", "AAPL"):
        assert text in content
    assert "2 Jan 2024" in content  # the price's date, as it is not today's
    assert 'id="allocation-data"' in content
    assert "chart.umd.min.js" in content


def test_an_empty_portfolio_says_what_to_do_next(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    content = logged_in.get(overview_url(portfolio)).content.decode()
    assert "No holdings yet" in content
    assert reverse("transaction-import", args=[portfolio.public_id]) in content


def test_the_as_of_picker_answers_htmx_with_the_snapshot_only(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    asset = AssetFactory(symbol="AAPL")
    TransactionFactory(portfolio=portfolio, asset=asset, date=dt.date(2024, 1, 2), quantity=10)
    TransactionFactory(portfolio=portfolio, asset=asset, date=dt.date(2024, 2, 2), quantity=5)
    response = logged_in.get(overview_url(portfolio), {"date": "2024-01-15"}, **htmx("snapshot"))
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="snapshot">')
    assert "<html" not in content
    assert "15 January 2024" in content
    assert '<td class="num optional">10</td>' in content
    assert "HX-Request" in response["Vary"]
    full = logged_in.get(overview_url(portfolio), {"date": "2024-03-01"}).content.decode()
    assert "<html" in full and '<td class="num optional">15</td>' in full


def test_sorting_the_holdings_answers_htmx_with_the_table_only(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    for symbol, quantity in (("AAA", 1), ("BBB", 5)):
        TransactionFactory(
            portfolio=portfolio, asset=AssetFactory(symbol=symbol), quantity=quantity, price=10
        )
    content = logged_in.get(
        overview_url(portfolio), {"sort": "symbol", "dir": "asc"}, **htmx("holdings")
    ).content.decode()
    assert content.lstrip().startswith('<section id="holdings"')
    assert content.index("AAA") < content.index("BBB")
    content = logged_in.get(
        overview_url(portfolio), {"sort": "value", "dir": "desc"}, **htmx("holdings")
    ).content.decode()
    assert content.index("BBB") < content.index("AAA")
    assert 'aria-sort="descending"' in content


def test_sort_links_keep_their_href_beside_hx_get(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    TransactionFactory(portfolio=portfolio, asset=AssetFactory(), quantity=1, price=1)
    content = logged_in.get(overview_url(portfolio)).content.decode()
    assert content.count('class="sort" href="') == content.count('hx-target="#holdings"')


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("route", ["portfolio-overview", "portfolio-transactions"])
def test_page_queries_stay_flat_from_5_to_100_holdings(client, route):
    counts = {}
    for size in (5, 100):
        portfolio = portfolio_with_holdings(size)
        client.force_login(portfolio.owner)
        url = reverse(route, args=[portfolio.public_id])
        _count_queries(client, url)  # warm the session
        counts[size] = _count_queries(client, url)
    assert counts[5] == counts[100], counts
    assert counts[100] <= 12


def test_settings_are_saved_through_the_service(logged_in, user):
    portfolio = PortfolioFactory(owner=user, name="Old")
    AssetFactory(symbol="^GSPC", asset_class="index")
    response = logged_in.post(
        reverse("portfolio-settings", args=[portfolio.public_id]),
        {
            "name": "New",
            "description": "",
            "base_currency": "USD",
            "cost_basis_method": "average",
            "benchmark": "^gspc",
        },
    )
    assert response.status_code == 302
    portfolio.refresh_from_db()
    assert (portfolio.name, portfolio.cost_basis_method, portfolio.benchmark.symbol) == (
        "New",
        "average",
        "^GSPC",
    )


def test_an_unknown_benchmark_is_a_field_error(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    response = logged_in.post(
        reverse("portfolio-settings", args=[portfolio.public_id]),
        {
            "name": "X",
            "base_currency": "USD",
            "cost_basis_method": "fifo",
            "benchmark": "NOPE-NOPE-9",
        },
    )
    assert response.status_code == 200
    assert 'id="id_benchmark_error"' in response.content.decode()


def test_deleting_a_portfolio_asks_first_then_deletes(logged_in, user):
    portfolio = PortfolioFactory(owner=user, name="Gone")
    url = reverse("portfolio-delete", args=[portfolio.public_id])
    assert b"Delete \xe2\x80\x9cGone\xe2\x80\x9d?" in logged_in.get(url).content
    assert Portfolio.objects.exists()
    response = logged_in.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert not Portfolio.objects.exists()


# --- links between pages: holdings → asset, asset → "record a buy", new portfolio → it ----------


def test_creating_a_portfolio_without_htmx_opens_it(logged_in, user):
    response = logged_in.post(
        reverse("portfolio-new"),
        {"name": "Main", "base_currency": "USD", "cost_basis_method": "fifo"},
    )
    portfolio = Portfolio.objects.get(owner=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio-transactions", args=[portfolio.public_id])


def test_the_cost_basis_choices_read_in_full_in_the_select(logged_in):
    content = logged_in.get(reverse("dashboard")).content.decode()
    assert '<option value="fifo" selected>FIFO, oldest first</option>' in content
    assert '<option value="average">Average cost</option>' in content


def test_each_holding_links_to_its_asset_page(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    asset = AssetFactory(symbol="AAPL", name="Apple Inc.")
    prices(asset, {dt.date(2024, 1, 2): 110.0})
    TransactionFactory(portfolio=portfolio, asset=asset, quantity=10, price=100)
    content = logged_in.get(overview_url(portfolio)).content.decode()
    assert f'href="{reverse("asset-detail", args=[asset.public_id])}"' in content


def _record_buy(client, asset, **params):
    return client.get(reverse("record-buy"), {"asset": str(asset.public_id), **params})


def test_the_asset_page_offers_to_record_a_buy(logged_in):
    asset = AssetFactory(symbol="AAPL")
    content = logged_in.get(reverse("asset-detail", args=[asset.public_id])).content.decode()
    assert f'href="{reverse("record-buy")}?asset={asset.public_id}"' in content
    assert "Record a buy" in content


def test_record_a_buy_with_one_portfolio_opens_its_form_with_the_asset_preselected(logged_in, user):
    portfolio = PortfolioFactory(owner=user)
    asset = AssetFactory(symbol="AAPL")
    response = _record_buy(logged_in, asset)
    transactions = reverse("portfolio-transactions", args=[portfolio.public_id])
    assert response.status_code == 302
    assert response["Location"] == f"{transactions}?record=buy&symbol=AAPL#transaction-form"
    form = logged_in.get(response["Location"]).context["form"]
    assert (form["kind"].value(), form["symbol"].value()) == ("buy", "AAPL")


def test_record_a_buy_with_several_portfolios_asks_which(logged_in, user):
    first = PortfolioFactory(owner=user, name="Broker A")
    second = PortfolioFactory(owner=user, name="Broker B")
    PortfolioFactory(name="Someone else's")
    asset = AssetFactory(symbol="MSFT")
    response = _record_buy(logged_in, asset)
    content = response.content.decode()
    assert response.status_code == 200
    for portfolio in (first, second):
        url = reverse("portfolio-transactions", args=[portfolio.public_id])
        assert f'href="{url}?record=buy&amp;symbol=MSFT#transaction-form"' in content
    assert "Someone else" not in content


def test_record_a_buy_without_a_portfolio_creates_one_then_opens_its_form(logged_in, user):
    asset = AssetFactory(symbol="AAPL")
    response = _record_buy(logged_in, asset)
    assert b"First, a portfolio" in response.content
    assert f'name="record" value="{asset.public_id}"'.encode() in response.content
    created = logged_in.post(
        reverse("portfolio-new"),
        {
            "name": "Main",
            "base_currency": "USD",
            "cost_basis_method": "fifo",
            "record": str(asset.public_id),
        },
    )
    portfolio = Portfolio.objects.get(owner=user)
    transactions = reverse("portfolio-transactions", args=[portfolio.public_id])
    assert created["Location"] == f"{transactions}?record=buy&symbol=AAPL#transaction-form"


def test_record_a_buy_of_an_unknown_or_malformed_asset_is_a_404(logged_in, user):
    PortfolioFactory(owner=user)
    assert logged_in.get(reverse("record-buy"), {"asset": "not-a-uuid"}).status_code == 404
    assert logged_in.get(reverse("record-buy")).status_code == 404


def test_a_portfolio_form_with_errors_on_the_way_to_a_buy_stays_on_that_page(logged_in, user):
    PortfolioFactory(owner=user, name="Main")
    asset = AssetFactory(symbol="AAPL")
    response = logged_in.post(
        reverse("portfolio-new"),
        {
            "name": "main",
            "base_currency": "USD",
            "cost_basis_method": "fifo",
            "record": str(asset.public_id),
        },
    )
    content = response.content.decode()
    assert "Record a buy of AAPL" in content
    assert "You already have a portfolio with this name." in content
    assert f'name="record" value="{asset.public_id}"' in content
