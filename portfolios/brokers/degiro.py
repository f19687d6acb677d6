"""DEGIRO's account statement (Inbox → Account statement → Export CSV, "Account.csv").

Its twelve columns are the same in every language DEGIRO ships (only the names change), so the
preset reads them by position: date, time, value date, product, ISIN, description, FX rate,
currency, amount, balance currency, balance, order id. What a line is comes from its
description, in Dutch, English, German, French, Spanish, Portuguese or Italian.

A trade is several lines sharing an order id: the trade ("Koop 1 @ 33,9 USD", "Compra 6
ISHARES MSCI WOR A@49,785 EUR (IE00B4L5Y983)"), its fee line, and currency-conversion lines
when it was paid in another currency. The trade's numbers come from its description; a fee in
the trade's currency (or convertible at the order's FX rate) joins the trade's fee and its
line is skipped saying so, else it stays a fee of its own. A long order id may wrap onto a
line of its own, which is joined back.
"""

from __future__ import annotations

import re

from .base import PLACES, BrokerRow, Preset, number, parse_moment

DATE, TIME, VALUE_DATE, PRODUCT, ISIN, DESCRIPTION, FX = 0, 1, 2, 3, 4, 5, 6
CURRENCY, AMOUNT, ORDER = 7, 8, 11
DATE_FORMATS = ("%d-%m-%Y %H:%M", "%d-%m-%Y ")

BUY = ("koop", "buy", "kauf", "achat", "compra", "acquisto")
SELL = ("verkoop", "sell", "verkauf", "vente", "venta", "venda", "vendita")
TRADE = re.compile(
    rf"^(?P<side>{'|'.join(BUY + SELL)})\s+(?P<quantity>\d[\d\s.,]*?)\s*(?:\s[^@]*)?@\s*"
    r"(?P<price>\d[\d\s.,]*?)\s*(?P<currency>[A-Z]{3})\b",
    re.IGNORECASE,
)
# Description fragments (lower-cased) → what the line is, first match wins. Order matters:
# currency conversions before deposits/withdrawals ("Retirada Cambio de Divisa"), dividend
# tax before dividends.
SKIPPED = (
    (
        (
            "valuta creditering",
            "valuta debitering",
            "fx credit",
            "fx debit",
            "cambio de divisa",
            "de divisa",
            "währungswechsel",
            "opération de change",
            "conversione valuta",
        ),
        "currency conversion inside the account",
    ),
    (("reservation", "reservering"), "deposit reservation (the deposit is its own line)"),
    (
        ("cash sweep", "overboeking", "flatex", "geldmarktfonds", "fonds monétaires"),
        "cash sweep to or from the flatex / money-market account",
    ),
    (("productwijziging", "product change", "produktänderung"), "product change (same holding)"),
    (("stock dividend", "stockdividend"), "stock dividend: record the new shares by hand"),
)
KINDS = (
    (
        (
            "dividendbelasting",
            "dividend tax",
            "dividendensteuer",
            "impôts sur dividende",
            "retención del dividendo",
            "imposto sobre dividendo",
            "ritenuta sul dividendo",
        ),
        "tax",
    ),
    (("dividend", "dividende", "dividendo"), "dividend"),
    (("courtesy",), "interest"),
    (("rente", "interest", "intérêts", "interés", "juros", "interessi"), "interest"),
    (
        ("kosten", "fee", "frais", "gebühr", "comissões", "comisión", "commissioni", "costi"),
        "fee",
    ),
    (
        ("terugstorting", "withdrawal", "auszahlung", "retrait", "retirada", "levantamento"),
        "withdrawal",
    ),
    (
        ("deposit", "storting", "einzahlung", "dépôt", "ingreso", "depósito", "versamento"),
        "deposit",
    ),
)


def _is_degiro(header: list[str]) -> bool:
    return (
        len(header) == 12
        and header[ISIN].upper().endswith("ISIN")
        and header[AMOUNT].startswith("column ")
        and header[10].startswith("column ")
    )


def _classify(row: BrokerRow, preset: Preset) -> None:
    cells = row.cells + [""] * (12 - len(row.cells))
    description = cells[DESCRIPTION]
    if not cells[DATE] and not description:
        row.skipped = "continuation of the order id above"
        return
    row.external_id = cells[ORDER]  # kept on skipped lines too: their FX rate joins the order
    lower = description.lower()
    for fragments, reason in SKIPPED:
        if any(fragment in lower for fragment in fragments):
            row.skipped = reason
            return
    try:
        row.moment = parse_moment(f"{cells[DATE]} {cells[TIME]}", DATE_FORMATS)
        row.date = row.moment.date()
        amount = number(cells[AMOUNT], "auto")
    except ValueError as error:
        row.fail(str(error))
        return
    row.isin, row.name = cells[ISIN].upper(), cells[PRODUCT]
    row.currency, row.note = cells[CURRENCY].upper(), description[:500]
    trade = TRADE.search(description)
    if trade:
        try:
            row.quantity = number(trade["quantity"], "auto")
            row.price = number(trade["price"], "auto")
        except ValueError as error:
            row.fail(str(error))
            return
        row.kind = "buy" if trade["side"].lower() in BUY else "sell"
        row.currency = trade["currency"].upper()
        return
    for fragments, kind in KINDS:
        if any(fragment in lower for fragment in fragments):
            row.kind, row.amount = kind, amount
            return
    row.fail(f"“{description}” is not a line this preset knows.")


def _join(rows: list[BrokerRow]) -> list[BrokerRow]:
    """Wrapped order ids joined back; each trade's fee lines folded into its fee where the
    currency allows."""
    previous: BrokerRow | None = None
    for row in rows:
        if row.skipped.startswith("continuation") and previous is not None:
            previous.external_id += row.cells[ORDER] if len(row.cells) > ORDER else ""
            row.skipped = f"continuation of line {previous.line}'s order id"
        else:
            previous = row
    by_order: dict[str, list[BrokerRow]] = {}
    for row in rows:
        if row.external_id and not row.errors:
            by_order.setdefault(row.external_id, []).append(row)
    for group in by_order.values():
        trades = [row for row in group if row.kind in ("buy", "sell") and not row.skipped]
        if len(trades) != 1:
            continue
        trade = trades[0]
        rate = next((number(row.cells[FX], "auto") for row in group if row.cells[FX]), None)
        for fee in (row for row in group if row.kind == "fee" and not row.skipped):
            if fee.currency == trade.currency:
                size = abs(fee.amount or 0)
            elif rate and fee.currency == "EUR":
                size = (abs(fee.amount or 0) * rate).quantize(PLACES["fee"])
            else:
                continue  # stays a fee of its own, in its currency
            trade.fee += size
            fee.skipped = f"fee of the trade on line {trade.line} (joined to its fee)"
            fee.kind = ""
    for row in rows:  # an order's lines keep distinct ids (the duplicate check uses them)
        if row.external_id and not row.skipped and row.kind not in ("buy", "sell"):
            row.external_id = f"{row.external_id}:{row.kind}"
    return rows


PRESETS = (
    Preset(
        name="degiro",
        label="DEGIRO",
        signature=(),
        match=_is_degiro,
        columns={},
        row=_classify,
        rows=_join,
    ),
)
