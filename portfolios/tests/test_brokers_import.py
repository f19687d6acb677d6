"""Broker files through transaction_import and the API: detection reported, every row with a
status, instruments matched (ISIN, ticker, the user's answers, remembered), all or nothing."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from market import selectors as market_selectors
from market.models import Asset
from portfolios import services
from portfolios.models import InstrumentSymbol, Transaction
from portfolios.tests.factories import AssetFactory, PortfolioFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "fixtures" / "brokers"
VT, SMMCHA = "US9220427424", "CH0111762537"  # the two ISINs of the IBKR trades sample


def sample(name: str) -> bytes:
    return (SAMPLES / f"{name}-export.csv").read_bytes()


def sample_named(name: str) -> bytes:
    return (SAMPLES / f"{name}.csv").read_bytes()


@pytest.fixture
def portfolio(user):
    return PortfolioFactory(owner=user, base_currency="USD", records_cash=False)


def statuses(report) -> list[tuple[int, str]]:
    return [(row.line, row.status) for row in report.rows]


def test_unmatched_instruments_are_unresolved_and_nothing_is_saved(portfolio):
    report = services.transaction_import(
        portfolio=portfolio, file=sample("ibkr-trades"), dry_run=False
    )
    assert (report.format, report.format_detected) == ("ibkr", True)
    # 8 BUY lines name ISINs the demo provider does not know; lines 10-12 are forex trades.
    assert report.totals == {"new": 0, "duplicate": 0, "unresolved": 8, "skipped": 3, "error": 0}
    assert report.unresolved_identifiers == [SMMCHA, VT]
    assert report.rows[8].reason == "currency conversion inside the account"  # line 10
    assert not report.is_valid and not report.saved
    assert not Transaction.objects.exists()


def test_provider_lookups_are_one_per_instrument_not_per_row(portfolio, monkeypatch):
    queries: list[str] = []
    real = market_selectors.provider_search

    def counting(*, query, **kwargs):
        queries.append(query)
        return real(query=query, **kwargs)

    monkeypatch.setattr(market_selectors, "provider_search", counting)
    services.transaction_import(portfolio=portfolio, file=sample("ibkr-trades"))
    assert sorted(queries) == [SMMCHA, VT]  # 8 rows, 2 instruments


def test_manual_answers_preview_without_creating_anything(portfolio):
    report = services.transaction_import(
        portfolio=portfolio,
        file=sample("ibkr-trades"),
        symbols={VT: "manual", SMMCHA: "manual"},
    )
    assert report.totals["new"] == 8 and report.totals["skipped"] == 3
    assert report.is_valid and not report.saved
    assert not Asset.objects.filter(owner=portfolio.owner).exists()
    assert not InstrumentSymbol.objects.exists()


def test_a_saved_import_matches_the_file_and_remembers_the_answers(portfolio):
    vt = AssetFactory(symbol="VT", currency="USD")
    report = services.transaction_import(
        portfolio=portfolio,
        file=sample("ibkr-trades"),
        dry_run=False,
        symbols={VT: "VT", SMMCHA: "manual"},
    )
    assert report.saved and report.created == 8
    bought = {
        symbol: sum(t.quantity for t in Transaction.objects.filter(asset__symbol=symbol))
        for symbol in ("VT", SMMCHA)
    }
    # VT: 95 + 105 + 11 + 1 + 2 + 97 + 12 = 323 (lines 3-9); SMMCHA: 7 (line 2)
    assert bought == {"VT": Decimal(323), SMMCHA: Decimal(7)}
    first = Transaction.objects.get(asset__symbol=SMMCHA)
    assert (first.date, first.price, first.fee, first.currency) == (
        dt.date(2023, 5, 22),
        Decimal("282.7"),
        Decimal(5),
        "CHF",
    )
    manual = Asset.objects.get(owner=portfolio.owner)
    assert (manual.symbol, manual.currency, manual.provider) == (SMMCHA, "CHF", "manual")
    assert dict(InstrumentSymbol.objects.values_list("identifier", "symbol")) == {
        VT: vt.symbol,
        SMMCHA: SMMCHA,
    }

    again = services.transaction_import(portfolio=portfolio, file=sample("ibkr-trades"))
    assert again.totals == {"new": 0, "duplicate": 8, "unresolved": 0, "skipped": 3, "error": 0}


def test_tickers_the_provider_knows_are_matched(portfolio):
    report = services.transaction_import(portfolio=portfolio, file=sample("schwab"))
    assert report.format == "schwab"
    spy = [row for row in report.rows if row.identifier == "SPY"]
    assert spy and {row.status for row in spy} == {"new"}
    assert spy[0].asset_name == "SPDR S&P 500 ETF Trust" and spy[0].kind == "buy"
    assert spy[0].raw["quantity"] == "1.6531" and spy[0].raw["price"] == "420.1"  # line 2
    assert sum(report.totals.values()) == 120  # every row of the file is reported
    assert report.totals["skipped"] == 14


def test_rows_without_an_instrument_need_no_match(user):
    portfolio = PortfolioFactory(owner=user, base_currency="USD", records_cash=True)
    report = services.transaction_import(portfolio=portfolio, file=sample("ibkr-dividends"))
    assert report.totals["unresolved"] == 11  # every cash line names its ISIN
    t212 = services.transaction_import(portfolio=portfolio, file=sample("trading212"))
    deposit, interest = t212.rows[0], t212.rows[8]  # lines 2 and 10
    assert (deposit.status, deposit.kind, deposit.raw["amount"]) == ("new", "deposit", "31")
    assert (interest.status, interest.kind, interest.raw["amount"]) == ("new", "interest", "0.01")
    assert t212.totals == {"new": 2, "duplicate": 0, "unresolved": 7, "skipped": 4, "error": 0}


def test_gbx_prices_land_in_the_assets_currency(portfolio):
    AssetFactory(symbol="INRG.L", currency="GBP")
    header = sample("trading212").split(b"\n", 1)[0].decode()
    line = "Market buy,2024-01-12 14:14:14,IE00B1XNHC34,INRG,iShares,2,630.11,GBX,1,,GBP,12.6,GBP,,,,EOF1,,"
    report = services.transaction_import(
        portfolio=portfolio,
        file=f"{header}\n{line}\n",
        dry_run=False,
        symbols={"IE00B1XNHC34": "INRG.L"},
    )
    assert report.saved
    txn = Transaction.objects.get()
    assert (txn.price, txn.currency) == (Decimal("6.3011"), "GBP")  # 630.11 pence


def test_a_file_of_another_format_saves_nothing(portfolio):
    report = services.transaction_import(
        portfolio=portfolio, file=sample("trading212"), format="schwab", dry_run=False
    )
    assert report.file_errors[0].startswith("This is not a Charles Schwab export")
    assert not report.rows and not Transaction.objects.exists()


def test_portfolias_own_format_is_detected(portfolio):
    AssetFactory(symbol="AAPL", currency="USD")
    text = "date,kind,symbol,quantity,price\n2024-01-02,buy,AAPL,1,100\n"
    report = services.transaction_import(portfolio=portfolio, file=text)
    assert (report.format, report.format_detected, report.totals["new"]) == ("portfolia", True, 1)
    explicit = services.transaction_import(portfolio=portfolio, file=text, format="portfolia")
    assert (explicit.format, explicit.format_detected) == ("portfolia", False)


# ── The API ────────────────────────────────────────────────────────────────────


def url(portfolio) -> str:
    return f"/api/v1/portfolios/{portfolio.public_id}/transactions/import/"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.csv", sample(name), content_type="text/csv")


def test_the_api_reports_format_totals_and_row_statuses(auth_client, portfolio):
    response = auth_client.post(url(portfolio), {"file": upload("ibkr-trades")}, format="multipart")
    assert response.status_code == 422  # a preview with unresolved rows, as with errors
    body = response.json()["report"]
    assert (body["format"], body["format_detected"]) == ("ibkr", True)
    assert body["totals"] == {"new": 0, "duplicate": 0, "unresolved": 8, "skipped": 3, "error": 0}
    assert body["unresolved_identifiers"] == [SMMCHA, VT]
    row = body["rows"][0]
    assert (row["status"], row["kind"], row["identifier"]) == ("unresolved", "buy", SMMCHA)


def test_the_api_saves_with_symbols_answers(auth_client, portfolio):
    response = auth_client.post(
        url(portfolio),
        {
            "file": upload("ibkr-trades"),
            "dry_run": "false",
            "format": "ibkr",
            "symbols": json.dumps({VT: "manual", SMMCHA: "manual"}),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 8
    assert Transaction.objects.count() == 8


def test_an_unresolved_import_answers_422_and_saves_nothing(auth_client, portfolio):
    response = auth_client.post(
        url(portfolio), {"file": upload("ibkr-trades"), "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("8 rows cannot be imported")
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("format", "nasdaq"),
        ("symbols", "{not json"),
        ("symbols", json.dumps([VT])),
        ("symbols", json.dumps({VT: "V\u0000T"})),
        ("symbols", json.dumps({VT: "X" * 33})),
        ("symbols", json.dumps({"": "VT"})),
    ],
)
def test_bad_format_or_symbols_answer_400(auth_client, portfolio, field, value):
    response = auth_client.post(
        url(portfolio), {"file": upload("ibkr-trades"), field: value}, format="multipart"
    )
    assert response.status_code == 400
    assert not Transaction.objects.exists()


def test_xtb_repeated_rows_are_duplicates_and_cash_is_in_the_base_currency(user):
    portfolio = PortfolioFactory(owner=user, base_currency="EUR", records_cash=True)
    manual = dict.fromkeys(("SPYL.DE", "ZAL.DE", "FLOA.L", "XRAY", "FB", "TXT.WA"), "manual")
    report = services.transaction_import(portfolio=portfolio, file=sample("xtb"), symbols=manual)
    by_line = {row.line: row for row in report.rows}
    # Lines 37-39 repeat lines 23-25 (same IDs): the repeats are duplicates, the first new.
    assert [by_line[line].status for line in (23, 24, 25)] == ["new"] * 3
    assert [by_line[line].status for line in (37, 38, 39)] == ["duplicate"] * 3
    assert by_line[24].asset_name == "iShares Core S&P 500 UCITS ETF USD (Acc)"  # CSPX.UK
    assert (by_line[5].raw["currency"], by_line[5].raw["amount"]) == ("", "500")
    assert by_line[43].status == "error"  # "010.09.2024"
    assert report.totals == {"new": 35, "duplicate": 3, "unresolved": 0, "skipped": 7, "error": 1}
    assert not Asset.objects.filter(owner=user).exists()  # a preview creates nothing


def test_a_ghostfolio_manual_asset_is_named_and_a_far_future_date_refused(portfolio):
    first = services.transaction_import(portfolio=portfolio, file=sample_named("ghostfolio-sample"))
    house = first.rows[3]  # line 5: Penthouse Apartment, MANUAL
    assert (house.status, house.identifier) == ("unresolved", "Penthouse Apartment")
    assert first.rows[1].status == "new"  # line 3: MSFT, in the demo catalogue
    answered = services.transaction_import(
        portfolio=portfolio,
        file=sample_named("ghostfolio-sample"),
        symbols={"Penthouse Apartment": "manual", "US5949181045": "MSFT"},
    )
    assert [row.status for row in answered.rows] == ["new", "new", "new", "new", "error"]
    assert "date" in answered.rows[4].errors  # line 6 is dated 2050-06-06


def test_the_api_takes_a_mapping_as_json(auth_client, portfolio):
    mapping = {
        "columns": {
            "date": "TradeDate",
            "action": "Buy/Sell",
            "isin": "ISIN",
            "quantity": "Quantity",
            "price": "TradePrice",
            "currency": "CurrencyPrimary",
        },
        "actions": {"BUY": "buy", "SELL": "skip"},
        "date_format": "%Y%m%d",
    }
    response = auth_client.post(
        url(portfolio),
        {
            "file": upload("ibkr-trades"),
            "format": "mapping",
            "mapping": json.dumps(mapping),
            "symbols": json.dumps({VT: "manual", SMMCHA: "manual"}),
        },
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["format"], body["format_label"]) == ("mapping", "Column mapping")
    assert body["totals"] == {"new": 8, "duplicate": 0, "unresolved": 0, "skipped": 3, "error": 0}


@pytest.mark.parametrize(
    "fields",
    [
        {"format": "mapping"},  # no mapping
        {"format": "mapping", "mapping": "{oops"},
        {"format": "mapping", "mapping": json.dumps({"columns": {}, "actions": {}})},
    ],
)
def test_a_bad_mapping_answers_400(auth_client, portfolio, fields):
    response = auth_client.post(
        url(portfolio), {"file": upload("ibkr-trades"), **fields}, format="multipart"
    )
    assert response.status_code == 400
