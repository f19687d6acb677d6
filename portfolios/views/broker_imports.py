"""The import page's broker options: the chosen format (a saved mapping is `saved:<name>`; the
`mapping` format's inputs are read by `views.import_mappings`) and the symbols the user typed
for unresolved instruments (inputs named `symbol::<identifier>`), read from a POST."""

from __future__ import annotations

from django.http import QueryDict

from portfolios import brokers
from portfolios.selectors.import_mappings import saved_mapping_named
from portfolios.services.broker_imports import symbol_answers_problem
from portfolios.views.import_mappings import SAVED_PREFIX, mapping_from_post

SYMBOL_PREFIX = "symbol::"


def import_options(data: QueryDict, user) -> dict:
    """`format`, `mapping` and `symbols` for `services.transaction_import` (an unknown format,
    or someone else's saved mapping, reads as auto; answers with a control character or too
    long are left out, the row stays unresolved and says so)."""
    format, mapping = data.get("format", brokers.AUTO), None
    if format.startswith(SAVED_PREFIX):
        saved = saved_mapping_named(user, format.removeprefix(SAVED_PREFIX))
        format, mapping = (brokers.MAPPING, saved.mapping) if saved else (brokers.AUTO, None)
    elif format == brokers.MAPPING:
        mapping = mapping_from_post(data) or {}
    elif format not in brokers.FORMATS:
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
    return {"format": format, "symbols": symbols, "mapping": mapping}
