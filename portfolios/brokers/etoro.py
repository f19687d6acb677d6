"""eToro's account statement, its "Account Activity" sheet saved as CSV.

eToro accounts are in US dollars: every amount is USD. An opened position is a buy of `Units`
for `Amount` dollars (price = Amount / Units), a closed one a sell of its units for the
dollars it returned; instruments are named "NKE/USD" (the ticker before the slash). CFD lines
(overnight fees, CFD positions) are no holding and are skipped. Numbers come with either
decimal mark, in one file ("4,581.91", " 100,00 ", "(0,10)").
"""

from __future__ import annotations

from decimal import Decimal

from .base import BrokerRow, Preset

PRICE_PLACES = Decimal("0.000001")


def _row(row: BrokerRow, preset: Preset) -> None:
    if row.cell("Asset type").upper() == "CFD":
        row.skipped, row.kind = "CFD position (not a holding)", ""
        return
    details = row.cell("Details")
    if "/" in details:
        row.ticker = details.split("/", 1)[0].strip().upper()
    position = row.cell("Position ID")
    row.external_id = f"{position}:{row.kind}" if position not in ("", "-") else ""
    if row.kind in ("buy", "sell"):
        try:
            units = Decimal(row.cell("Units"))
        except ArithmeticError:
            row.fail(f"“{row.cell('Units')}” units is not a number.")
            return
        if not units or row.amount is None:
            row.fail("A position without units or amount.")
            return
        row.quantity = abs(units)
        row.price = (abs(row.amount) / abs(units)).quantize(PRICE_PLACES)
        return
    if row.amount == 0:
        row.skipped, row.kind = "a zero amount", ""


PRESETS = (
    Preset(
        name="etoro",
        label="eToro",
        signature=("Date", "Type", "Details", "Amount", "Units", "Realized Equity Change"),
        columns={"date": "Date", "action": "Type", "amount": "Amount"},
        actions={
            "open position": "buy",
            "position closed": "sell",
            "dividend": "dividend",
            "interest payment": "interest",
            "deposit": "deposit",
            "withdraw request": "withdrawal",
            "withdraw fee": "fee",
            "withdrawal conversion fee": "fee",
            "deposit conversion fee": "fee",
            "sdrt": "tax",  # UK stamp duty reserve tax on a purchase
        },
        skipped={
            "overnight fee": "CFD overnight fee (not a holding)",
            "overnight refund": "CFD overnight refund (not a holding)",
            "withdraw request cancelled": "a withdrawal cancelled",
        },
        date_formats=("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
        decimal="auto",
        currency="USD",
        row=_row,
    ),
)
