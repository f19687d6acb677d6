"""Coinbase's transaction history (Reports → Generate report → CSV; the column header line
first, as Coinbase writes it since 2024).

A buy or sell of `Asset` is priced in `Price Currency`, so its instrument is the data
provider's pair (BTC bought in EUR is BTC-EUR); the fee is "Fees and/or Spread". Rewards paid
in crypto (staking) and moves between wallets are no cash transaction Portfolia records: they
are skipped, saying so.
"""

from __future__ import annotations

from .base import BrokerRow, Preset

REWARD = "reward paid in crypto: record it by hand (a buy at its value and an income)"


def _row(row: BrokerRow, preset: Preset) -> None:
    asset, currency = row.cell("Asset").upper(), row.cell("Price Currency").upper()
    row.currency = currency
    if row.kind in ("buy", "sell"):
        row.ticker, row.name = f"{asset}-{currency}", asset
    # Coinbase ids are per transaction; the currency keeps apart the masked ids of samples.
    row.external_id = f"{row.cell('ID')}:{currency}" if row.cell("ID") else ""


PRESETS = (
    Preset(
        name="coinbase",
        label="Coinbase",
        signature=("ID", "Timestamp", "Transaction Type", "Asset", "Quantity Transacted"),
        columns={
            "date": "Timestamp",
            "action": "Transaction Type",
            "quantity": "Quantity Transacted",
            "price": "Price at Transaction",
            "amount": "Total (inclusive of fees and/or spread)",
            "fee": "Fees and/or Spread",
            "note": "Notes",
        },
        actions={
            "buy": "buy",
            "advanced trade buy": "buy",
            "sell": "sell",
            "advanced trade sell": "sell",
            "deposit": "deposit",
            "withdrawal": "withdrawal",
        },
        skipped={
            "staking income": REWARD,
            "rewards income": REWARD,
            "learning reward": REWARD,
            "inflation reward": REWARD,
            "send": "crypto sent to another wallet: record it by hand if it left your holdings",
            "receive": "crypto received from another wallet: record it by hand",
            "convert": "a conversion between two crypto assets: record its sell and its buy",
        },
        date_formats=("%Y-%m-%d %H:%M:%S UTC",),
        row=_row,
    ),
)
