"""Ghostfolio's activities CSV (its import/export columns: Date, Code, DataSource, Currency,
Price, Quantity, Action, Fee, Note).

Prices are per unit for every action: a dividend or interest is Price * Quantity. `Code` is a
ticker, or an ISIN; with DataSource MANUAL it names a manual asset (matched by name), and a
fee with a MANUAL code is a fee of the whole account.
"""

from __future__ import annotations

import re

from .base import BrokerRow, Preset

ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}\d$")


def _row(row: BrokerRow, preset: Preset) -> None:
    code = row.cell("Code")
    manual = row.cell("DataSource").upper() == "MANUAL"
    row.ticker = ""
    if row.kind == "fee" and manual:
        row.amount = row.fee
        row.fee = type(row.fee)(0)
        row.note = row.note or code
        return
    if manual:
        row.name = code
    elif ISIN.match(code.upper()):
        row.isin = code.upper()
    else:
        row.ticker = code.upper()
    if row.kind in ("dividend", "interest", "fee", "tax"):
        if row.price is None or row.quantity is None:
            row.fail("Price and Quantity make the amount of this action; one is empty.")
            return
        row.amount = row.price * row.quantity
        if row.kind == "fee":
            row.fee = type(row.fee)(0)


PRESETS = (
    Preset(
        name="ghostfolio",
        label="Ghostfolio",
        signature=("Date", "Code", "Currency", "Price", "Quantity", "Action"),
        columns={
            "date": "Date",
            "action": "Action",
            "quantity": "Quantity",
            "price": "Price",
            "fee": "Fee",
            "currency": "Currency",
            "note": "Note",
        },
        actions={
            "buy": "buy",
            "sell": "sell",
            "dividend": "dividend",
            "fee": "fee",
            "interest": "interest",
            "item": "buy",  # a manual asset (a house, a car) bought
        },
        skipped={"liability": "a liability (Portfolia tracks no debts)"},
        date_formats=("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y%m%d", "%Y-%m-%d"),
        row=_row,
    ),
)
