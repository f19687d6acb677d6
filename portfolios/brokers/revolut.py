"""Revolut's invest statement (Stocks → … → Documents → Account statement, Excel/CSV).

Amounts carry their currency mark ("$85.11", "-$30.93", "€50"); newer files write some
quantities with a decimal comma ("0,76672417"), so numbers are read with either separator.
Transfers between Revolut's own entities (a holding moved from Revolut Trading Ltd to Revolut
Securities Europe UAB) leave the holding as it was and are skipped.
"""

from __future__ import annotations

from .base import Preset

PRESETS = (
    Preset(
        name="revolut",
        label="Revolut",
        signature=("Date", "Ticker", "Type", "Quantity", "Price per share", "Total Amount"),
        columns={
            "date": "Date",
            "action": "Type",
            "ticker": "Ticker",
            "quantity": "Quantity",
            "price": "Price per share",
            "amount": "Total Amount",
            "currency": "Currency",
        },
        actions={
            "buy - market": "buy",
            "buy - limit": "buy",
            "buy - stop": "buy",
            "sell - market": "sell",
            "sell - limit": "sell",
            "sell - stop": "sell",
            "dividend": "dividend",
            "dividend tax (correction)": "tax",
            "cash top-up": "deposit",
            "cash withdrawal": "withdrawal",
            "custody fee": "fee",
        },
        skipped={
            "stock split": "stock split: record it as a split (the row gives the new shares)",
            "transfer from revolut*": "transfer between Revolut entities (holding unchanged)",
        },
        decimal="auto",
    ),
)
