"""Portfolia's pure maths: ledger (with its lots, cash and snapshots), market tables, a day's
holdings and the daily valuation (no Django, no ORM).

Plain dataclasses, Decimal and numpy in, plain results out. `returns` and `risk` (TWR, XIRR and
risk metrics) live beside these modules and are imported from their own modules.
"""

from .cash import NegativeCash, cash_effect
from .holdings import HoldingsValuation, HoldingValue, value_holdings
from .ledger import ExternalFlow, LedgerState, apply_txn, replay, required_currencies
from .lots import QUANTITY_EPSILON, ConsumedLot, Lot, Position, Sale
from .market import (
    MINOR_UNITS,
    Closes,
    FxTable,
    MissingFxRate,
    PriceTable,
    day_range,
    to_date,
    to_day64,
)
from .types import CostBasisMethod, Kind, LedgerError, Txn, format_decimal
from .valuation import DailySeries, daily_series, external_flows

__all__ = [
    "MINOR_UNITS",
    "QUANTITY_EPSILON",
    "Closes",
    "ConsumedLot",
    "CostBasisMethod",
    "DailySeries",
    "ExternalFlow",
    "FxTable",
    "HoldingValue",
    "HoldingsValuation",
    "Kind",
    "LedgerError",
    "LedgerState",
    "Lot",
    "MissingFxRate",
    "NegativeCash",
    "Position",
    "PriceTable",
    "Sale",
    "Txn",
    "apply_txn",
    "cash_effect",
    "daily_series",
    "day_range",
    "external_flows",
    "format_decimal",
    "replay",
    "required_currencies",
    "to_date",
    "to_day64",
    "value_holdings",
]
