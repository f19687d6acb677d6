"""Charles Schwab's transactions export (History → Export, CSV).

Dates may read "07/15/2024 as of 07/12/2024": the trade happened on the "as of" date. A
reinvested dividend is two rows, "Reinvest Dividend" (the income) and "Reinvest Shares" (the
buy paid with it); both are kept, so income and the new shares are both recorded. Amounts
are signed ($-694.48 leaves the account); money moves take their direction from the sign.
"""

from __future__ import annotations

from .base import Preset

PRESETS = (
    Preset(
        name="schwab",
        label="Charles Schwab",
        signature=(
            "Date",
            "Action",
            "Symbol",
            "Description",
            "Quantity",
            "Price",
            "Fees & Comm",
            "Amount",
        ),
        columns={
            "date": "Date",
            "action": "Action",
            "ticker": "Symbol",
            "name": "Description",
            "quantity": "Quantity",
            "price": "Price",
            "fee": "Fees & Comm",
            "amount": "Amount",
        },
        actions={
            "buy": "buy",
            "sell": "sell",
            "reinvest shares": "buy",
            "reinvest dividend": "dividend",
            "cash dividend": "dividend",
            "qualified dividend": "dividend",
            "non-qualified div": "dividend",
            "special non qual div": "dividend",
            "special qual div": "dividend",
            "qual div reinvest": "dividend",
            "pr yr div reinvest": "dividend",
            "pr yr cash div": "dividend",
            "long term cap gain reinvest": "dividend",
            "long term cap gain": "dividend",
            "short term cap gain": "dividend",
            "short term cap gain reinvest": "dividend",
            "cash in lieu": "dividend",
            "credit interest": "interest",
            "bank interest": "interest",
            "foreign tax paid": "tax",
            "nra tax adj": "tax",
            "adr mgmt fee": "fee",
            "advisor fee": "fee",
            "service fee": "fee",
            "moneylink transfer": "deposit",
            "wire sent": "withdrawal",
            "wire received": "deposit",
            "wire funds": "deposit",
        },
        skipped={
            "journal": "cash journaled between Schwab accounts",
            "internal transfer": "transfer between Schwab accounts",
            "journaled shares": "shares journaled between Schwab accounts: record them by hand",
            "conversion": "share class conversion: record it by hand",
            "name change": "name change (same holding)",
            "stock split": "stock split: Schwab gives the new shares, record it as a split",
            "reverse split": "reverse split: record it as a split",
            "spin-off": "spin-off: record the new shares by hand",
            "stock merger": "merger: record it by hand",
            "stock div dist": "stock dividend: record the new shares by hand",
        },
        date_formats=("%m/%d/%Y",),
        footers=("Transactions Total",),
        currency="USD",
        if_negative={"deposit": "withdrawal", "dividend": "tax"},  # a dividend reversed
    ),
)
