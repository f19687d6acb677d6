"""Interactive Brokers' Flex query CSVs: the trades query (Buy/Sell, TradeDate, ISIN, …) and
the cash-transactions query (dividends, withholding tax). Instruments are named by ISIN only.
IBCommission is negative (money paid); Portfolia records its size as the fee.
"""

from __future__ import annotations

from .base import BrokerRow, Preset

DATE_FORMATS = ("%Y%m%d", "%Y-%m-%d", "%Y%m%d;%H%M%S")


def _trade(row: BrokerRow, preset: Preset) -> None:
    if not row.isin and not row.ticker:  # a forex trade (SELL 8000 CHF.USD): no instrument
        row.skipped = "currency conversion inside the account"
        row.kind = ""
        return
    commission_currency = row.cell("IBCommissionCurrency").upper()
    if row.fee and commission_currency and commission_currency != row.currency:
        row.fail(f"The commission is in {commission_currency}, the trade in {row.currency}.")


def _cash(row: BrokerRow, preset: Preset) -> None:
    row.name = row.cell("Description")


PRESETS = (
    Preset(
        name="ibkr",
        label="Interactive Brokers (Flex query, trades)",
        signature=("Buy/Sell", "TradeDate", "ISIN", "Quantity", "TradePrice", "CurrencyPrimary"),
        columns={
            "date": "TradeDate",
            "action": "Buy/Sell",
            "isin": "ISIN",
            "ticker": "Symbol",
            "quantity": "Quantity",
            "price": "TradePrice",
            "currency": "CurrencyPrimary",
            "fee": "IBCommission",
            "external_id": "TradeID",
        },
        actions={"buy": "buy", "sell": "sell", "buy (ca.)": "buy", "sell (ca.)": "sell"},
        date_formats=DATE_FORMATS,
        row=_trade,
    ),
    Preset(
        name="ibkr",
        label="Interactive Brokers (Flex query, cash transactions)",
        signature=("Type", "SettleDate", "ISIN", "Amount", "CurrencyPrimary"),
        columns={
            "date": "SettleDate",
            "action": "Type",
            "isin": "ISIN",
            "ticker": "Symbol",
            "amount": "Amount",
            "currency": "CurrencyPrimary",
            "external_id": "TransactionID",
        },
        actions={
            "dividends": "dividend",
            "payment in lieu of dividends": "dividend",
            "withholding tax": "tax",
            "broker interest received": "interest",
            "broker interest paid": "fee",
            "other fees": "fee",
            "commission adjustments": "fee",
            "deposits/withdrawals": "deposit",
            "deposits & withdrawals": "deposit",
        },
        date_formats=DATE_FORMATS,
        if_negative={"deposit": "withdrawal"},
        if_positive={"tax": "dividend"},  # a withholding refunded: income again
        row=_cash,
    ),
)
