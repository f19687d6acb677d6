"""The holdings of one day: a ledger state's open positions and cash valued at that day's
closes and FX, in the base currency (`value_holdings`). The daily series (`valuation`) values
every day at once; this values one state, with each holding's price, its date and whether it
is a market close or the last transaction price standing in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from .ledger import LedgerState
from .market import FxTable, PriceTable

__all__ = ["HoldingValue", "HoldingsValuation", "value_holdings"]


@dataclass(frozen=True, slots=True)
class HoldingValue:
    """One open position valued on a day. `price` is local; `price_is_market` is False when
    no bar exists yet and the last transaction price stands in (its date is `price_date`)."""

    asset_id: int
    currency: str
    quantity: Decimal
    price: float
    price_date: datetime.date | None
    price_is_market: bool
    fx_rate: float
    value_base: float
    cost_base: Decimal
    unrealized_gain_base: float


@dataclass(frozen=True, slots=True)
class HoldingsValuation:
    """The open positions and cash of a ledger state valued on `day`, in the base currency."""

    day: datetime.date
    holdings: tuple[HoldingValue, ...]
    securities_value: float
    cash_value: float
    cash_by_currency: dict[str, Decimal]
    value: float


def value_holdings(
    state: LedgerState, *, prices: PriceTable, fx: FxTable, day: datetime.date
) -> HoldingsValuation:
    """Value `state` (a ledger replayed through `day`) at `day`'s closes and FX.

    A holding without a bar on or before `day` is valued at its last transaction price. Closes
    are taken as traded; if the table holds split-adjusted closes, that holds from the last
    recorded split on (so for today's holdings), not for earlier days.
    """
    holdings: list[HoldingValue] = []
    for position in state.open_positions():
        currency = position.currency or state.base_currency
        close, close_date = prices.close_on(position.asset_id, day)
        if close is not None:
            price, price_date, is_market = close, close_date, True
        else:
            price = float(position.last_price or 0)
            price_date, is_market = position.last_price_date, False
        rate = fx.rate(currency, day)
        value = float(position.quantity) * price * rate
        holdings.append(
            HoldingValue(
                asset_id=position.asset_id,
                currency=currency,
                quantity=position.quantity,
                price=price,
                price_date=price_date,
                price_is_market=is_market,
                fx_rate=rate,
                value_base=value,
                cost_base=position.cost_base,
                unrealized_gain_base=value - float(position.cost_base),
            )
        )
    securities = float(sum(holding.value_base for holding in holdings))
    cash_by_currency = {
        currency: balance for currency, balance in sorted(state.cash.items()) if balance
    }
    cash = 0.0
    if state.records_cash:
        cash = float(
            sum(
                float(balance) * fx.rate(currency, day)
                for currency, balance in cash_by_currency.items()
            )
        )
    return HoldingsValuation(
        day, tuple(holdings), securities, cash, cash_by_currency, securities + cash
    )
