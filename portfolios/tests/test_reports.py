"""Income by month, year and asset; realized gains by tax year with the lots each sale consumed
and their holding period; the CSV exports. Expected numbers are worked out by hand."""

import csv
import io
from decimal import Decimal

import pytest

from portfolios.reports import income_csv, income_report, realized_csv, realized_gains
from portfolios.tests.performance_builders import D, asset, fx_pair, portfolio, txn

pytestmark = pytest.mark.django_db


@pytest.fixture
def pf(user):
    pf = portfolio(owner=user)
    fx_pair("EURUSD=X", {D(2023, 1, 2): 1.10, D(2024, 6, 1): 1.20})
    ko = asset("KO", name="Coca-Cola")
    sap = asset("SAP.DE", "EUR", name="SAP")
    txn(pf, "buy", D(2023, 1, 3), ko, quantity=10, price=50, fee=2)  # lot 1: 502
    txn(pf, "buy", D(2023, 6, 1), ko, quantity=10, price=60, fee=0)  # lot 2: 600
    txn(pf, "buy", D(2023, 2, 1), sap, quantity=4, price=100)  # 400 EUR at 1.10 = 440 USD
    txn(pf, "dividend", D(2023, 4, 3), ko, amount=4.6)
    txn(pf, "dividend", D(2023, 7, 3), ko, amount=9.2, fee=0.5)
    txn(pf, "dividend", D(2024, 7, 1), sap, amount=10)  # 10 EUR at 1.20 = 12 USD
    txn(pf, "interest", D(2024, 7, 31), None, amount=3)
    txn(pf, "sell", D(2024, 3, 1), ko, quantity=15, price=70, fee=3)
    txn(pf, "sell", D(2024, 9, 2), sap, quantity=1, price=120)  # 120 EUR at 1.20 = 144 USD
    return pf


def test_income_by_year_month_and_asset(pf):
    report = income_report(portfolio=pf)
    assert report.years == [2023, 2024]
    assert [(row.key, row.dividends, row.interest) for row in report.by_year] == [
        ("2023", Decimal("13.8"), 0),  # 4.60 + 9.20
        ("2024", Decimal("12"), Decimal(3)),  # 10 EUR x 1.20, and interest 3
    ]
    assert [(row.key, row.total) for row in report.by_month] == [
        ("2023-04", Decimal("4.6")),
        ("2023-07", Decimal("9.2")),
        ("2024-07", Decimal(15)),
    ]
    assert {row.key: row.total for row in report.by_asset} == {
        "KO": Decimal("13.8"),
        "SAP.DE": Decimal(12),
        "(cash)": Decimal(3),
    }
    assert report.total.total == Decimal("28.8")
    assert report.total.fees == Decimal("0.5")
    table = report.month_table()
    assert table[0]["months"][3] == Decimal("4.6") and table[0]["months"][0] is None
    assert table[1]["total"] == Decimal(15)


def test_income_of_one_year(pf):
    report = income_report(portfolio=pf, year=2024)
    assert [row.kind for row in report.rows] == ["dividend", "interest"]
    assert report.total.total == Decimal(15)
    assert report.years == [2023, 2024]  # still every year, for the picker


def test_income_csv(pf):
    rows = list(csv.DictReader(io.StringIO(income_csv(income_report(portfolio=pf)))))
    assert rows[2] == {
        "date": "2024-07-01",
        "kind": "dividend",
        "symbol": "SAP.DE",
        "name": "SAP",
        "currency": "EUR",
        "amount": "10",
        "fee": "0",
        "amount_USD": "12.00",
        "fee_USD": "0.00",
        "net_USD": "12.00",
        "transaction": rows[2]["transaction"],
    }
    assert rows[1]["net_USD"] == "8.70"  # 9.20 less its 0.50 fee


def test_realized_gains_fifo_with_lots_and_holding_days(pf):
    report = realized_gains(portfolio=pf)
    assert report.years == [2024]
    ko, sap = report.sales
    # KO: 15 sold at 70 = 1,050 proceeds, fee 3. FIFO: all of lot 1 (10 units, 502) and 5 of
    # lot 2 (5/10 x 600 = 300): cost 802. Gain = 1,050 - 3 - 802 = 245.
    assert (ko.proceeds, ko.fee, ko.cost, ko.gain) == (1050, 3, 802, 245)
    assert [(lot.buy_date, lot.quantity, lot.cost, lot.holding_days) for lot in ko.lots] == [
        (D(2023, 1, 3), 10, 502, 423),  # 3 Jan 2023 -> 1 Mar 2024
        (D(2023, 6, 1), 5, 300, 274),  # 1 Jun 2023 -> 1 Mar 2024
    ]
    assert ko.lots[0].long_term and not ko.lots[1].long_term
    # SAP: 1 of 4 bought at 100 EUR (at 1.10: 110 USD) sold at 120 EUR (at 1.20: 144 USD).
    assert (sap.proceeds, sap.cost) == (Decimal("144"), Decimal("110"))
    assert sap.gain == Decimal("34")
    assert report.by_year[0].gain == Decimal(279)
    assert report.total.gain == Decimal(279)


def test_realized_gains_at_average_cost(pf):
    pf.cost_basis_method = "average"
    pf.save()
    ko = realized_gains(portfolio=pf).sales[0]
    # Average cost (502 + 600) / 20 = 55.10 a unit: 15 units cost 826.50; gain 1,047 - 826.50.
    assert ko.cost == Decimal("826.5")
    assert ko.gain == Decimal("220.5")
    # The lots still tell the holding periods, each at the average cost.
    assert [(lot.quantity, lot.cost, lot.holding_days) for lot in ko.lots] == [
        (10, Decimal("551"), 423),
        (5, Decimal("275.5"), 274),
    ]


def test_realized_gains_of_one_tax_year(pf):
    assert realized_gains(portfolio=pf, year=2023).sales == []
    assert len(realized_gains(portfolio=pf, year=2024).sales) == 2


def test_realized_csv_has_a_line_per_lot(pf):
    rows = list(csv.DictReader(io.StringIO(realized_csv(realized_gains(portfolio=pf)))))
    assert [
        (row["symbol"], row["gain_USD"], row["lot_quantity"], row["holding_days"]) for row in rows
    ] == [
        ("KO", "245.00", "10", "423"),
        ("KO", "", "5", "274"),
        ("SAP.DE", "34.00", "1", "579"),  # 1 Feb 2023 -> 2 Sep 2024
    ]
    assert sum(Decimal(row["gain_USD"] or 0) for row in rows) == Decimal("279.00")


def test_reports_wait_for_exchange_rates(user):
    pf = portfolio(owner=user)
    held = asset("BMW.DE", "EUR")
    txn(pf, "buy", D(2024, 1, 2), held, quantity=1, price=10)
    txn(pf, "dividend", D(2024, 2, 1), held, amount=1)
    assert "Exchange rates" in income_report(portfolio=pf).pending
    assert "Exchange rates" in realized_gains(portfolio=pf).pending


def test_empty_portfolio(user):
    pf = portfolio(owner=user)
    assert income_report(portfolio=pf).years == []
    assert realized_gains(portfolio=pf).sales == []
