"""Freetrade's activity export (Activity → Export CSV).

Orders give the price per share in the instrument's currency and the costs in the account's
(stamp duty, the FX fee): the fee is their sum, at the order's FX rate (instrument units per
account unit) when the currencies differ. Dividends are recorded net, in the account's
currency, with the tax withheld in the note. A free share is a buy at its value.
"""

from __future__ import annotations

from decimal import Decimal

from .base import BrokerRow, Preset, number


def _row(row: BrokerRow, preset: Preset) -> None:
    kind = row.cell("Type").upper()
    if kind.endswith("ORDER"):
        side = row.cell("Buy / Sell").lower()
        if side not in ("buy", "sell"):
            row.fail(f"“{row.cell('Buy / Sell')}” is neither BUY nor SELL.")
            return
        row.kind = side
        row.currency = row.cell("Instrument Currency").upper()
        try:
            row.price = number(row.cell("Price per Share"))
            costs = (number(row.cell("Stamp Duty")) or Decimal(0)) + (
                number(row.cell("FX Fee Amount")) or Decimal(0)
            )
            rate = number(row.cell("FX Rate"))
        except ValueError as error:
            row.fail(str(error))
            return
        if costs and row.currency != row.cell("Account Currency").upper():
            if not rate:
                row.fail("Costs in another currency without an FX rate.")
                return
            costs = costs * rate  # rounded to Portfolia's places by base.finish
        row.fee = costs
        if kind == "FREESHARE_ORDER":
            row.note = "Free share"
    elif row.kind == "dividend":
        withheld = row.cell("Dividend Withheld Tax Amount")
        if withheld and number(withheld):
            row.note = f"Net of {withheld} {row.cell('Instrument Currency')} tax withheld"


PRESETS = (
    Preset(
        name="freetrade",
        label="Freetrade",
        signature=("Title", "Type", "Timestamp", "Account Currency", "Total Amount", "Buy / Sell"),
        columns={
            "date": "Timestamp",
            "action": "Type",
            "isin": "ISIN",
            "ticker": "Ticker",
            "name": "Title",
            "quantity": "Quantity",
            "amount": "Total Amount",
            "currency": "Account Currency",
            "external_id": "Order ID",
        },
        actions={
            "order": "buy",  # the side comes from "Buy / Sell" (see _row)
            "freeshare_order": "buy",
            "dividend": "dividend",
            "property": "dividend",  # a REIT's property income distribution
            "interest_from_cash": "interest",
            "top_up": "deposit",
            "withdrawal": "withdrawal",
        },
        skipped={"monthly_statement": "a statement notice, not a transaction"},
        row=_row,
    ),
)
