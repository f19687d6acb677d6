"""XTB's cash operations history (xStation → History → Cash operations → Export, ";"-separated).

Trades carry their quantity and price only in the comment ("OPEN BUY 34/42.5658 @ 11.7480":
34 of an order for 42.5658 filled at 11.7480; "CLOSE BUY 1 @ 26.280" sells one), in the
instrument's currency. Money is in the account's currency, which the file never names: the
portfolio's base currency is taken, so import an XTB account into a portfolio of its
currency. Symbols are XTB's ticker plus exchange ("SPYL.DE", "GOOGL.US", "FLOA.UK"), turned
into the data provider's (SPYL.DE, GOOGL, FLOA.L).
"""

from __future__ import annotations

import re

from .base import BrokerRow, Preset, number

TRADE = re.compile(r"(?P<side>OPEN|CLOSE) BUY (?P<quantity>[\d.]+)(?:/[\d.]+)? @ (?P<price>[\d.]+)")
# XTB's exchange suffixes → Yahoo's.
EXCHANGES = {
    "US": "",
    "UK": ".L",
    "DE": ".DE",
    "PL": ".WA",
    "FR": ".PA",
    "NL": ".AS",
    "ES": ".MC",
    "IT": ".MI",
    "CH": ".SW",
    "BE": ".BR",
    "PT": ".LS",
    "DK": ".CO",
    "SE": ".ST",
    "FI": ".HE",
    "NO": ".OL",
    "CZ": ".PR",
}


def _row(row: BrokerRow, preset: Preset) -> None:
    symbol = row.cell("Symbol").upper()
    base, _dot, exchange = symbol.rpartition(".")
    if base and exchange in EXCHANGES:
        row.ticker, row.exchange = base + EXCHANGES[exchange], exchange
    elif symbol:
        row.skipped, row.kind = f"“{symbol}” is a CFD or index, not a holding", ""
        return
    row.in_account_currency = row.kind not in ("buy", "sell")
    # XTB may give one ID to both legs of a round trip: the kind keeps them apart.
    row.external_id = f"{row.external_id}:{row.kind}" if row.external_id else ""
    if row.kind in ("buy", "sell"):
        trade = TRADE.search(row.cell("Comment"))
        if trade is None:
            row.fail(f"The comment “{row.cell('Comment')}” gives no quantity and price.")
            return
        row.kind = "buy" if trade["side"] == "OPEN" else "sell"
        row.quantity, row.price = number(trade["quantity"]), number(trade["price"])
        row.external_id = f"{row.cell('ID')}:{row.kind}"
        return


PRESETS = (
    Preset(
        name="xtb",
        label="XTB",
        signature=("ID", "Type", "Time", "Symbol", "Comment", "Amount"),
        columns={
            "date": "Time",
            "action": "Type",
            "amount": "Amount",
            "external_id": "ID",
            "note": "Comment",
        },
        actions={
            "stocks/etf purchase": "buy",
            "stocks/etf sale": "sell",
            "ações/etf compra": "buy",
            "ações/etf vende": "sell",
            "deposit": "deposit",
            "withdrawal": "withdrawal",
            "dividend": "dividend",
            "withholding tax": "tax",
            "free funds interests": "interest",
            "free funds interests tax": "tax",
        },
        skipped={
            "transfer": "transfer between XTB accounts",
            "profit/loss (fx/cfd)": "result of a CFD or FX position (not a holding)",
            "swap": "CFD swap charge (not a holding)",
            "spin off": "spin-off: record the new shares by hand",
        },
        date_formats=("%d.%m.%Y %H:%M:%S",),
        # Corrections taking money back, withholdings refunded.
        if_negative={"interest": "fee", "dividend": "tax"},
        if_positive={"tax": "dividend"},
        row=_row,
    ),
)
