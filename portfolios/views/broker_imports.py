"""The import page's broker options: the chosen format and the symbols the user typed for
unresolved instruments (inputs named `symbol::<identifier>`), read from a POST."""

from __future__ import annotations

from django.http import QueryDict

from portfolios import brokers
from portfolios.services.broker_imports import symbol_answers_problem

SYMBOL_PREFIX = "symbol::"


def import_options(data: QueryDict) -> dict:
    """`format` and `symbols` for `services.transaction_import` (an unknown format reads as
    auto; answers with a control character or too long are left out, the row stays
    unresolved and says so)."""
    format = data.get("format", brokers.AUTO)
    if format not in brokers.FORMATS or format == brokers.MAPPING:  # the API's only
        format = brokers.AUTO
    symbols = {
        key.removeprefix(SYMBOL_PREFIX): value.strip()
        for key, value in data.items()
        if key.startswith(SYMBOL_PREFIX) and value.strip()
    }
    symbols = {
        key: value
        for key, value in list(symbols.items())[:1000]
        if symbol_answers_problem({key: value}) is None
    }
    return {"format": format, "symbols": symbols}
