"""Trading 212's history export (Menu → History → Export CSV).

Trades carry the price in the instrument's currency ("Currency (Price / share)", GBX for
London pence) and the total in the account's; "Exchange rate" is price-currency units per
account-currency unit, so a currency-conversion fee (in the account's currency) becomes the
trade's fee at that rate. Dividends are recorded at their total in the account's currency.
"""

from __future__ import annotations

from decimal import Decimal

from .base import BrokerRow, Preset, number


def _row(row: BrokerRow, preset: Preset) -> None:
    if row.kind in ("buy", "sell"):
        row.currency = row.cell("Currency (Price / share)").upper()
        try:
            fee = number(row.cell("Currency conversion fee")) or Decimal(0)
            rate = number(row.cell("Exchange rate"))
        except ValueError as error:
            row.fail(str(error))
            return
        fee_currency = row.cell("Currency (Currency conversion fee)").upper()
        if fee and fee_currency and fee_currency != row.currency:
            if not rate:
                row.fail("A conversion fee without an exchange rate.")
                return
            fee = abs(fee) * rate  # rounded to Portfolia's places by base.finish
        row.fee = abs(fee)
    else:
        row.currency = row.cell("Currency (Total)").upper()
    if row.kind == "dividend" and row.cell("Withholding tax"):
        row.note = (
            f"Withholding tax {row.cell('Withholding tax')} "
            f"{row.cell('Currency (Withholding tax)')} (the total is recorded as paid)"
        )


PRESETS = (
    Preset(
        name="trading212",
        label="Trading 212",
        signature=("Action", "Time", "ISIN", "Ticker", "No. of shares", "Price / share"),
        columns={
            "date": "Time",
            "action": "Action",
            "isin": "ISIN",
            "ticker": "Ticker",
            "name": "Name",
            "quantity": "No. of shares",
            "price": "Price / share",
            "amount": "Total",
            "external_id": "ID",
            "note": "Notes",
        },
        actions={
            "deposit": "deposit",
            "withdrawal": "withdrawal",
            "market buy": "buy",
            "limit buy": "buy",
            "stop buy": "buy",
            "stop limit buy": "buy",
            "market sell": "sell",
            "limit sell": "sell",
            "stop sell": "sell",
            "stop limit sell": "sell",
            "dividend*": "dividend",
            "interest on cash": "interest",
            "lending interest": "interest",
        },
        skipped={
            "currency conversion": "currency conversion inside the account",
            "stock distribution": "corporate action (shares distributed): add it by hand",
            "transfer out": "shares transferred out of the account: record it by hand",
            "transfer in": "shares transferred into the account: record it by hand",
            "stock split open": "stock split: record it as a split (ratio = new / old shares)",
            "stock split close": "stock split: record it as a split (ratio = new / old shares)",
        },
        date_formats=("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"),
        row=_row,
    ),
)
