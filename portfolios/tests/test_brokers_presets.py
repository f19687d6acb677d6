"""Each broker preset on its real sample export (portfolios/tests/fixtures/brokers/README.md):
the rows by kind and by skip, and a few rows' numbers checked by hand against the file (the
file's line numbers are in the comments; the header is line 1)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from portfolios import brokers

SAMPLES = Path(__file__).parent / "fixtures" / "brokers"


def sample(name: str) -> bytes:
    path = SAMPLES / f"{name}-export.csv"
    return (path if path.exists() else SAMPLES / f"{name}.csv").read_bytes()


def by_line(parsed: brokers.ParsedFile) -> dict[int, brokers.BrokerRow]:
    return {row.line: row for row in parsed.rows}


def kinds(parsed: brokers.ParsedFile) -> Counter:
    return Counter(row.kind for row in parsed.rows if not row.skipped and not row.errors)


def skips(parsed: brokers.ParsedFile) -> Counter:
    return Counter(row.skipped for row in parsed.rows if row.skipped)


@pytest.mark.parametrize(
    ("name", "format"),
    [
        ("trading212", "trading212"),
        ("schwab", "schwab"),
        ("ibkr-trades", "ibkr"),
        ("ibkr-dividends", "ibkr"),
        ("revolut-invest", "revolut"),
        ("freetrade", "freetrade"),
        ("degiro", "degiro"),
        ("ghostfolio-sample", "ghostfolio"),
        ("ibkr-flex-trades-ghostfolio", "ibkr"),
        ("xtb", "xtb"),
        ("etoro", "etoro"),
        ("coinbase", "coinbase"),
    ],
)
def test_detection_picks_the_preset_of_every_sample(name, format):
    parsed = brokers.parse_file(sample(name))
    assert (parsed.format, parsed.detected) == (format, True)
    # The XTB sample's line 43 is dated "010.09.2024": its one real error.
    assert [row.line for row in parsed.rows if row.errors] == ([43] if name == "xtb" else [])


def test_detection_refuses_an_unknown_export_naming_the_known_formats():
    with pytest.raises(brokers.CsvFormatError) as error:
        brokers.parse_file(sample("bitvavo"))
    message = str(error.value)
    assert "not in a format Portfolia knows" in message
    assert "Timezone, Date, Time, Type" in message
    assert "portfolia, trading212" in message and "schwab" in message


def test_a_file_of_another_preset_is_refused_when_its_format_is_named():
    with pytest.raises(brokers.CsvFormatError, match="not a Charles Schwab export"):
        brokers.parse_file(sample("trading212"), format="schwab")


def test_trading212_sample():
    parsed = brokers.parse_file(sample("trading212"), format="trading212")
    assert len(parsed.rows) == 13  # 14 lines, the header apart
    assert kinds(parsed) == {"buy": 3, "sell": 1, "dividend": 3, "deposit": 1, "interest": 1}
    assert sum(skips(parsed).values()) == 4  # lines 11-14: distribution, transfer, split x2
    rows = by_line(parsed)
    deposit = rows[2]  # Deposit,2023-12-18 11:45:06.326,…,31.00,"EUR"
    assert (deposit.kind, deposit.date, deposit.amount, deposit.currency) == (
        "deposit",
        dt.date(2023, 12, 18),
        Decimal("31.00"),
        "EUR",
    )
    buy = rows[3]  # Market buy CSCO 0.0290530000 @ 49.96 USD (= 1.4515 USD = 1.33 EUR at 1.09303)
    assert (buy.kind, buy.isin, buy.ticker, buy.date) == (
        "buy",
        "US17275R1023",
        "CSCO",
        dt.date(2023, 12, 18),
    )
    assert (buy.quantity, buy.price, buy.fee, buy.currency, buy.amount) == (
        Decimal("0.0290530000"),
        Decimal("49.96"),
        Decimal(0),
        "USD",
        None,
    )
    assert buy.external_id == "EOF7504196256"
    sell = rows[6]  # Market sell ASTR 0.6125400000 @ 1.26 USD on 2023-12-26
    assert (sell.kind, sell.quantity, sell.price, sell.date) == (
        "sell",
        Decimal("0.6125400000"),
        Decimal("1.26"),
        dt.date(2023, 12, 26),
    )
    dividend = rows[9]  # INRG dividend: Total 17.67 "EUR" (its per-share price is in GBX)
    assert (dividend.kind, dividend.amount, dividend.currency) == (
        "dividend",
        Decimal("17.67"),
        "EUR",
    )
    assert "Withholding tax 15.02 USD" in dividend.note
    interest = rows[10]  # Interest on cash 0.01 EUR on 2023-11-06
    assert (interest.kind, interest.amount, interest.date) == (
        "interest",
        Decimal("0.01"),
        dt.date(2023, 11, 6),
    )
    assert rows[14].skipped.startswith("stock split")


def test_trading212_gbx_prices_become_pounds():
    header = sample("trading212").split(b"\n", 1)[0].decode()
    line = (
        "Market buy,2024-01-12 14:14:14,IE00B1XNHC34,INRG,iShares Global Clean Energy,"
        "2,630.11,GBX,1.0,,GBP,12.6,GBP,,,,EOF1,,"
    )
    row = brokers.parse_file(f"{header}\n{line}\n", format="trading212").rows[0]
    # 630.11 pence = 6.3011 pounds
    assert (row.price, row.currency, row.quantity) == (Decimal("6.3011"), "GBP", Decimal(2))


def test_schwab_sample():
    parsed = brokers.parse_file(sample("schwab"), format="schwab")
    assert len(parsed.rows) == 120
    assert kinds(parsed) == {
        "dividend": 44,  # 29 Reinvest Dividend + 6 Cash Dividend + 9 other dividend lines
        "buy": 41,  # 40 Reinvest Shares + 1 Buy
        "fee": 11,  # 10 Advisor Fee + 1 ADR Mgmt Fee
        "interest": 5,
        "sell": 2,
        "withdrawal": 2,  # Wire Sent -$100000.00, MoneyLink Transfer -$30.00
        "tax": 1,  # Foreign Tax Paid
    }
    assert sum(skips(parsed).values()) == 14
    assert skips(parsed)["the export's summary line"] == 1  # line 121: Transactions Total
    rows = by_line(parsed)
    reinvest = rows[2]  # 11/01/2023,Reinvest Shares,SPY,…,1.6531,$420.10,,-$694.48
    assert (reinvest.kind, reinvest.ticker, reinvest.date) == ("buy", "SPY", dt.date(2023, 11, 1))
    assert (reinvest.quantity, reinvest.price, reinvest.fee, reinvest.currency) == (
        Decimal("1.6531"),
        Decimal("420.10"),
        Decimal(0),
        "USD",
    )  # 1.6531 * 420.10 = 694.47 ≈ the $694.48 the dividend of line 3 paid
    dividend = rows[3]  # 10/31/2023,Reinvest Dividend,SPY,…,$694.48
    assert (dividend.kind, dividend.amount, dividend.date) == (
        "dividend",
        Decimal("694.48"),
        dt.date(2023, 10, 31),
    )
    assert rows[100].quantity == Decimal(500135)  # Sell SNAXX "500,135" @ $1.00
    assert (rows[101].kind, rows[101].amount) == ("withdrawal", Decimal("100000.00"))
    in_lieu = rows[120]  # "10/14/2024 as of 10/10/2024",Cash In Lieu,SCHB,…,$5.49
    assert (in_lieu.date, in_lieu.amount) == (dt.date(2024, 10, 10), Decimal("5.49"))
    assert rows[108].skipped.startswith("stock split")  # AVGO 9 new shares


def test_ibkr_trades_sample():
    parsed = brokers.parse_file(sample("ibkr-trades"), format="ibkr")
    assert kinds(parsed) == {"buy": 8}
    # Lines 10-12 SELL 8000 / 10012 / 10020 with no ISIN: CHF.USD forex trades.
    assert skips(parsed) == {"currency conversion inside the account": 3}
    rows = by_line(parsed)
    first = rows[2]  # "BUY","20230522","CH0111762537","7","282.7","1978.9","CHF","-5","CHF"
    assert (first.isin, first.date, first.quantity, first.price, first.fee, first.currency) == (
        "CH0111762537",
        dt.date(2023, 5, 22),
        Decimal(7),
        Decimal("282.7"),
        Decimal(5),
        "CHF",
    )
    odd_fee = rows[6]  # "BUY","20230803","US9220427424","1","97.84","97.84","USD","-0.979"
    assert (odd_fee.quantity, odd_fee.price, odd_fee.fee) == (
        Decimal(1),
        Decimal("97.84"),
        Decimal("0.979"),
    )


def test_ibkr_cash_transactions_sample():
    parsed = brokers.parse_file(sample("ibkr-dividends"), format="ibkr")
    assert kinds(parsed) == {"dividend": 7, "tax": 4}  # 5 Dividends + 2 in lieu; 4 withholding
    rows = by_line(parsed)
    assert (rows[2].kind, rows[2].date, rows[2].amount, rows[2].currency) == (
        "dividend",
        dt.date(2023, 6, 23),
        Decimal("137.23"),
        "USD",
    )
    tax = rows[3]  # "Withholding Tax","20230913","CH0111762537",…,"-14.68","CHF"
    assert (tax.kind, tax.date, tax.amount, tax.currency, tax.isin) == (
        "tax",
        dt.date(2023, 9, 13),
        Decimal("14.68"),
        "CHF",
        "CH0111762537",
    )
    assert (rows[11].amount, rows[11].currency) == (Decimal(455), "JPY")  # in lieu, JPY


def test_revolut_sample():
    parsed = brokers.parse_file(sample("revolut-invest"), format="revolut")
    assert kinds(parsed) == {
        "buy": 3,
        "sell": 1,
        "dividend": 1,
        "fee": 1,
        "deposit": 1,
        "withdrawal": 1,
    }
    # lines 8, 10, 11: TRANSFER FROM REVOLUT … TO REVOLUT SECURITIES EUROPE UAB; line 9: split
    assert sum(skips(parsed).values()) == 4
    rows = by_line(parsed)
    buy = rows[4]  # 2023-09-22T13:30:10.514Z,O,BUY - MARKET,1.63453043,$52.07,$85.11,USD
    assert (buy.kind, buy.ticker, buy.date, buy.quantity, buy.price, buy.currency) == (
        "buy",
        "O",
        dt.date(2023, 9, 22),
        Decimal("1.63453043"),
        Decimal("52.07"),
        "USD",
    )  # 1.63453043 * 52.07 = 85.11
    assert (rows[2].kind, rows[2].amount) == ("withdrawal", Decimal("30.93"))  # -$30.93
    comma = rows[13]  # 2025-09-08…,MSFT,BUY - MARKET,"0,76672417",€26.09,€20,EUR
    assert (comma.quantity, comma.price, comma.currency) == (
        Decimal("0.76672417"),
        Decimal("26.09"),
        "EUR",
    )


def test_freetrade_sample():
    parsed = brokers.parse_file(sample("freetrade"), format="freetrade")
    assert kinds(parsed) == {
        "buy": 4,  # 3 ORDER BUY + 1 FREESHARE_ORDER
        "dividend": 4,  # 3 DIVIDEND + 1 PROPERTY
        "interest": 1,
        "deposit": 1,
        "withdrawal": 1,
    }
    assert skips(parsed) == {"a statement notice, not a transaction": 2}
    rows = by_line(parsed)
    stamp = rows[9]  # Alliance Trust ORDER BUY 421 @ 11.97869359 GBP, Stamp Duty 25.22
    assert (stamp.quantity, stamp.price, stamp.fee, stamp.currency, stamp.date) == (
        Decimal(421),
        Decimal("11.97869359"),
        Decimal("25.22"),  # 5043.03 shares + 25.22 = the 5068.25 total
        "GBP",
        dt.date(2024, 2, 23),
    )
    fx = rows[11]  # Nvidia BUY 4.1056135 @ 617.439318 USD; FX fee 7.76 GBP at 1.26952945
    assert (fx.quantity, fx.price, fx.currency, fx.isin) == (
        Decimal("4.10561350"),
        Decimal("617.43931800"),
        "USD",
        "US67066G1040",
    )
    assert fx.fee == Decimal("9.8515")  # 7.76 * 1.26952945 = 9.85154853 USD
    dividend = rows[5]  # Nvidia DIVIDEND 0.31 GBP net; 0.46 gross, 0.07 USD withheld
    assert (dividend.kind, dividend.amount, dividend.currency) == (
        "dividend",
        Decimal("0.31"),
        "GBP",
    )
    assert "0.07 USD" in dividend.note


def test_degiro_sample():
    parsed = brokers.parse_file(sample("degiro"), format="degiro")
    assert len(parsed.rows) == 74
    assert kinds(parsed) == {
        "buy": 10,
        "sell": 3,
        "dividend": 9,
        "tax": 6,  # Dividendbelasting x4, Impôts sur dividende x2
        "fee": 6,  # 4 exchange connection fees, Corporate Action Kosten, AMC's EUR fee (line 36)
        "deposit": 2,  # iDEAL Deposit (line 4), Ingreso (line 55)
        "interest": 2,  # DEGIRO courtesy (lines 63, 64)
    }
    reasons = skips(parsed)
    assert reasons["currency conversion inside the account"] == 12
    assert reasons["cash sweep to or from the flatex / money-market account"] == 11
    assert sum(count for reason, count in reasons.items() if reason.startswith("fee of")) == 7
    assert reasons["continuation of line 18's order id"] == 1
    rows = by_line(parsed)
    vici = rows[22]  # "Koop 1 @ 33,9 USD", order 5925d76b-…; fee line 21: -1,00 EUR
    assert (vici.kind, vici.isin, vici.date, vici.quantity, vici.price, vici.currency) == (
        "buy",
        "US9256521090",
        dt.date(2022, 12, 15),
        Decimal(1),
        Decimal("33.9"),
        "USD",
    )
    # The fee at the order's FX rate (line 18, "1,0624" USD per EUR): 1.00 * 1.0624 USD
    assert vici.fee == Decimal("1.0624")
    assert rows[18].external_id == "5925d76b-eb36-46e3-b017-a61a6d03c3e7"  # joined with line 19
    assert rows[21].skipped == "fee of the trade on line 22 (joined to its fee)"
    world = rows[44]  # "Compra 1 ISHARES MSCI WOR A@82,055 EUR (IE00B4L5Y983)", fee -1.00 EUR
    assert (world.quantity, world.price, world.fee, world.currency) == (
        Decimal(1),
        Decimal("82.055"),
        Decimal("1.00"),
        "EUR",
    )
    aviva = rows[56]  # "Sell 4 AVIVA@496 GBX": 4.96 GBP a share, 4 * 4.96 = the 19,84 GBP
    assert (aviva.kind, aviva.price, aviva.currency) == ("sell", Decimal("4.96"), "GBP")
    tax = rows[11]  # COCA-COLA Dividendbelasting USD "-0,07"
    assert (tax.kind, tax.amount, tax.currency, tax.date) == (
        "tax",
        Decimal("0.07"),
        "USD",
        dt.date(2022, 12, 16),
    )
    fund = rows[71]  # "Conversion Fonds Monétaires finalisée: Vente 1 046,3825 @ 0,9854 EUR"
    assert fund.skipped.startswith("cash sweep")
    amc_fee = rows[36]  # EUR fee of a USD trade without an FX line: a fee of its own
    assert (amc_fee.kind, amc_fee.amount, amc_fee.currency) == ("fee", Decimal("1.00"), "EUR")


def test_degiro_is_read_by_position_whatever_the_header_language():
    lines = sample("degiro").decode().split("\n")
    lines[0] = "Date,Time,Value date,Product,ISIN,Description,FX,Change,,Balance,,Order Id"
    parsed = brokers.parse_file("\n".join(lines))
    assert parsed.format == "degiro" and kinds(parsed)["buy"] == 10


def test_ghostfolio_sample():
    parsed = brokers.parse_file(sample("ghostfolio-sample"), format="ghostfolio")
    assert kinds(parsed) == {"fee": 1, "buy": 3, "dividend": 1}
    rows = by_line(parsed)
    fee = rows[2]  # 01-09-2021,Account Opening Fee,MANUAL,USD,0,0,fee,49: an account fee
    assert (fee.kind, fee.amount, fee.fee, fee.identifier, fee.date) == (
        "fee",
        Decimal(49),
        Decimal(0),
        "",
        dt.date(2021, 9, 1),
    )
    buy = rows[3]  # 16-09-2021,MSFT,YAHOO,USD,298.580,5,buy,19.00
    assert (buy.ticker, buy.quantity, buy.price, buy.fee, buy.currency) == (
        "MSFT",
        Decimal(5),
        Decimal("298.580"),
        Decimal("19.00"),
        "USD",
    )
    assert (rows[4].kind, rows[4].amount, rows[4].date) == (
        "dividend",
        Decimal("3.10"),  # 0.62 a share * 5 shares
        dt.date(2021, 11, 17),  # written 17/11/2021
    )
    house = rows[5]  # 01.01.2022,Penthouse Apartment,MANUAL,…: a manual asset, by name
    assert (house.name, house.ticker, house.price) == (
        "Penthouse Apartment",
        "",
        Decimal("500000.0"),
    )
    assert (rows[6].isin, rows[6].date) == ("US5949181045", dt.date(2050, 6, 6))  # 20500606


def test_ibkr_full_flex_trades_sample():
    parsed = brokers.parse_file(sample("ibkr-flex-trades-ghostfolio"))
    row = parsed.rows[0]  # "USD","VTI",…,"17","204.3473","BUY",…,"TradeID" 1234567890,…,"-1"
    assert (row.kind, row.isin, row.ticker, row.date) == (
        "buy",
        "US9229087690",
        "VTI",
        dt.date(2023, 4, 3),
    )
    assert (row.quantity, row.price, row.fee, row.currency, row.external_id) == (
        Decimal(17),
        Decimal("204.3473"),
        Decimal(1),
        "USD",
        "1234567890",
    )


def test_xtb_sample():
    parsed = brokers.parse_file(sample("xtb"), format="xtb")
    assert kinds(parsed) == {
        "buy": 15,  # lines 2-4, 8, 9, 11, 14, 15, 18, 23-25, 37-39
        "sell": 2,  # CLOSE BUY lines 10 and 19
        "deposit": 5,
        "withdrawal": 1,
        "dividend": 7,  # 6 + the positive PLN withholding of line 46 (money in)
        "tax": 5,
        "interest": 3,
    }
    assert sum(skips(parsed).values()) == 7  # transfer, 3 CFD results, swap, spin-off, US30.cash
    rows = by_line(parsed)
    partial = rows[2]  # "OPEN BUY 34/42.5658 @ 11.7480": 34 of the order, 34 * 11.748 = 399.43
    assert (partial.kind, partial.ticker, partial.quantity, partial.price, partial.currency) == (
        "buy",
        "SPYL.DE",
        Decimal(34),
        Decimal("11.7480"),
        "",  # the instrument's: the asset's currency
    )
    assert partial.date == dt.date(2024, 4, 12)
    assert (rows[10].kind, rows[10].quantity, rows[10].price) == (
        "sell",
        Decimal(1),
        Decimal("26.280"),
    )
    assert (rows[18].ticker, rows[23].ticker, rows[46].ticker) == ("GOOGL", "FLOA.L", "TXT.WA")
    deposit = rows[5]  # Deposit 500, in the account's (unnamed) currency
    assert (deposit.kind, deposit.amount, deposit.in_account_currency) == (
        "deposit",
        Decimal(500),
        True,
    )
    # The same ID on a buy and a sell (lines 18, 19) stays two transactions
    assert rows[18].external_id != rows[19].external_id
    assert rows[37].external_id == rows[23].external_id  # line 37 repeats line 23


def test_etoro_sample():
    parsed = brokers.parse_file(sample("etoro"), format="etoro")
    assert kinds(parsed) == {
        "dividend": 11,  # lines 3-5, 9, 10, 16-18, 20-22
        "buy": 3,  # Open Position AMD, SLAB, SWKS (lines 13-15)
        "sell": 3,  # Position closed OLED, AMAT, AMD (lines 11, 12, 19)
        "interest": 1,
        "fee": 1,  # Withdrawal Conversion Fee -1.36
        "withdrawal": 1,
        "tax": 1,  # SDRT (6.97)
    }
    assert skips(parsed) == {
        "CFD position (not a holding)": 3,
        "CFD overnight fee (not a holding)": 2,
        "CFD overnight refund (not a holding)": 1,
        "a zero amount": 1,  # Withdraw Fee 0.00
    }
    rows = by_line(parsed)
    opened = rows[13]  # 09/01/2024 15:37:16,Open Position,AMD/USD,49.88,0.337209
    assert (opened.kind, opened.ticker, opened.date, opened.quantity, opened.currency) == (
        "buy",
        "AMD",
        dt.date(2024, 1, 9),
        Decimal("0.337209"),
        "USD",
    )
    assert opened.price == Decimal("147.920133")  # 49.88 / 0.337209 = 147.92013...
    closed = rows[11]  # Position closed,OLED/USD,18.43,0.102626
    assert (closed.kind, closed.price) == ("sell", Decimal("179.584121"))  # 18.43 / 0.102626
    assert (rows[29].kind, rows[29].amount, rows[29].ticker) == ("tax", Decimal("6.97"), "HNKE")


def test_coinbase_sample():
    parsed = brokers.parse_file(sample("coinbase"), format="coinbase")
    assert kinds(parsed) == {"buy": 2}
    assert sum(skips(parsed).values()) == 6  # 2 staking, send, receive, 2 converts
    buy = by_line(parsed)[8]  # Buy,BTC,0.00166779,EUR,€39999.331136545,€67.01,€70.00,€2.99
    assert (buy.ticker, buy.quantity, buy.price, buy.fee, buy.currency, buy.date) == (
        "BTC-EUR",
        Decimal("0.00166779"),
        Decimal("39999.3311365450"),
        Decimal("2.99"),  # 67.01 + 2.99 = the 70.00 total
        "EUR",
        dt.date(2022, 3, 25),
    )
    assert by_line(parsed)[9].ticker == "BTC-USD"


# ── Reading the file: encodings, delimiters, damage ─────────────────────────────


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_a_sample_reads_the_same_in_every_supported_encoding(encoding):
    text = sample("trading212").decode("utf-8")
    expected = brokers.parse_file(text)
    parsed = brokers.parse_file(text.encode(encoding))
    assert parsed.format == "trading212"
    assert [(r.kind, r.quantity, r.price, r.amount) for r in parsed.rows] == [
        (r.kind, r.quantity, r.price, r.amount) for r in expected.rows
    ]


def test_windows_1252_text_keeps_its_accents():
    text = "Date,Action,Symbol,Description,Quantity,Price,Fees & Comm,Amount\n"
    text += '01/02/2024,Cash Dividend,KO,"Coca-Cola Société",,,,$1.50\n'
    row = brokers.parse_file(text.encode("cp1252")).rows[0]
    assert row.name == "Coca-Cola Société" and row.amount == Decimal("1.50")


def test_a_semicolon_delimited_sample_is_sniffed():
    text = sample("ibkr-trades").decode().replace('","', '";"')
    parsed = brokers.parse_file(text)
    assert parsed.format == "ibkr" and kinds(parsed) == {"buy": 8}


def test_a_truncated_file_fails_its_cut_line():
    data = sample("schwab")
    cut = data[: data.index(b"10/31/2023,Reinvest Shares,FIHBX") + 40]  # inside line 6
    rows = brokers.parse_file(cut).rows
    assert [row.line for row in rows if row.errors] == [6]
    assert "cut short" in rows[-1].errors["line"][0]


def test_a_binary_file_is_refused():
    with pytest.raises(brokers.CsvFormatError, match="not text"):
        brokers.parse_file(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00")


def test_an_unknown_format_name_is_refused():
    with pytest.raises(brokers.CsvFormatError, match="Known formats: portfolia"):
        brokers.parse_file(sample("schwab"), format="nasdaq")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    # 20 MB (importers.MAX_BYTES) is the limit, kept from Portfolia's own format.
    data = (
        sample("ibkr-trades")
        + b'"BUY","20230522","CH0111762537","7","1","1","CHF","-5","CHF"\n' * 360_000
    )
    assert len(data) > 20 * 1024 * 1024
    with pytest.raises(brokers.CsvFormatError, match="larger than 20 MB"):
        brokers.parse_file(data)


def test_a_file_over_the_row_limit_is_refused():
    line = '"BUY","20230522","CH0111762537","7","282.7","1978.9","CHF","-5","CHF"\n'
    data = sample("ibkr-trades").split(b"\n", 1)[0] + b"\n" + line.encode() * 100_001
    with pytest.raises(brokers.CsvFormatError, match="more than 100,000 rows"):
        brokers.parse_file(data)


def test_a_nul_in_a_cell_fails_its_row_only():
    text = sample("schwab").decode().replace("SPDR S&P 500 ETF", "SPDR\x00", 1)
    rows = brokers.parse_file(text).rows
    assert [row.line for row in rows if row.errors] == [2]
    assert "NUL" in rows[0].errors["line"][0]


# ── The mapping format, on a broker without a preset (Bitvavo) ──────────────────

BITVAVO = {
    "columns": {
        "date": "Date",
        "action": "Type",
        "ticker": "Currency",
        "quantity": "Amount",
        "amount": "Amount",
        "price": "Quote Price",
        "currency": "Quote Currency",
        "fee": "Fee amount",
        "external_id": "Transaction ID",
    },
    "actions": {
        "buy": "buy",
        "sell": "sell",
        "deposit": "deposit",
        "withdrawal": "skip",
        "staking": "skip",
    },
}


def test_a_mapping_reads_a_file_no_preset_knows():
    parsed = brokers.parse_file(sample("bitvavo"), format="mapping", mapping=BITVAVO)
    assert (parsed.format, parsed.detected) == ("mapping", False)
    assert kinds(parsed) == {"buy": 10, "sell": 2, "deposit": 7}
    assert skips(parsed) == {"skipped by the mapping": 15}  # 6 withdrawals, 9 staking
    buy = by_line(parsed)[3]  # buy,ETH,0.0053543,EUR,1862.8,EUR,-10.00,EUR,0.02600996
    assert (buy.ticker, buy.quantity, buy.price, buy.currency, buy.date) == (
        "ETH",
        Decimal("0.0053543"),
        Decimal("1862.8"),
        "EUR",
        dt.date(2023, 11, 30),
    )  # 0.0053543 * 1862.8 = 9.974 + the fee = the 10.00 paid
    assert buy.fee == Decimal("0.0260")  # 0.02600996 to the 4 places Portfolia stores
    sell = by_line(parsed)[22]  # sell,XLM,-286.98,EUR,0.086047
    assert (sell.kind, sell.quantity, sell.price) == (
        "sell",
        Decimal("286.98"),
        Decimal("0.086047"),
    )
    deposit = by_line(parsed)[4]  # deposit,EUR,10: cash only, no instrument
    assert (deposit.kind, deposit.amount, deposit.identifier) == ("deposit", Decimal(10), "")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (None, "needs a mapping"),
        ({"columns": {"date": "Date"}, "actions": {}}, "lacks the column(s) for: action"),
        ({"columns": {"date": "Date", "action": "Type", "colour": "X"}, "actions": {}}, "colour"),
        (
            {"columns": {"date": "Date", "action": "Type"}, "actions": {"buy": "purchase"}},
            "not a kind",
        ),
        ({"columns": {"date": "Date", "action": "Kind"}, "actions": {}}, "no column(s) Kind"),
        ({**BITVAVO, "decimal": ";"}, "decimal"),
        ({**BITVAVO, "columns": {**BITVAVO["columns"], "note": "N\x00"}}, "control character"),
    ],
)
def test_a_wrong_mapping_is_refused_saying_why(mapping, message):
    with pytest.raises(brokers.CsvFormatError, match=re.escape(message)):
        brokers.parse_file(sample("bitvavo"), format="mapping", mapping=mapping)
