"""HTML input of the targets page: the targets editor (rows of asset symbol or asset class,
weight and band, and a cash weight) and the rebalance plan's inputs. Writes are
`services.targets_set` and `services.rebalance_record`."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from market import services as market_services
from market.models import AssetClass
from portfolia.money import plain
from portfolia.validators import control_character_problem
from portfolios.engine.rebalance import Mode
from portfolios.forms.common import DECIMAL_INPUT
from portfolios.services import TargetInput

EXTRA_ROWS = 3
MAX_ROWS = 200


def _points(label: str, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=7,
        decimal_places=4,
        min_value=0,
        max_value=100,
        widget=forms.TextInput(attrs={**DECIMAL_INPUT, "size": 6}),
    )


def _money(label: str, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=20,
        decimal_places=4,
        min_value=0,
        help_text=help_text,
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
    )


class TargetRowForm(forms.Form):
    symbol = forms.CharField(label="Asset", required=False, max_length=40)
    asset_class = forms.ChoiceField(
        label="or asset class", required=False, choices=[("", "—"), *AssetClass.choices]
    )
    weight = _points("Weight %")
    band = _points("Band ± pts")

    def clean_symbol(self) -> str:
        symbol = self.cleaned_data["symbol"].strip()
        problem = control_character_problem(symbol)
        if problem:
            raise ValidationError(problem)
        return symbol

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("symbol") or data.get("asset_class") or data.get("weight") is not None)


class CashTargetForm(forms.Form):
    cash_weight = _points("Cash weight %")
    cash_band = _points("Cash band ± pts")


TargetRowFormSet = forms.formset_factory(
    TargetRowForm, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS, validate_max=True
)


def target_rows_initial(report) -> list[dict]:
    """The editor's rows: each target and each untargeted holding, then a few empty rows."""
    rows = []
    for row in report.rows:
        if row.is_cash:
            continue
        rows.append(
            {
                "symbol": row.asset.symbol if row.asset else "",
                "asset_class": row.asset_class,
                "weight": plain(row.target) if row.target is not None else "",
                "band": plain(row.band) if row.band is not None else "",
            }
        )
    return rows + [{}] * EXTRA_ROWS


def cash_initial(report) -> dict:
    for row in report.rows:
        if row.is_cash and row.target is not None:
            band = plain(row.band) if row.band is not None else ""
            return {"cash_weight": plain(row.target), "cash_band": band}
    return {}


def targets_from_forms(*, owner, formset, cash_form) -> list[TargetInput]:
    """The rows as service inputs (symbols resolved as the transaction form resolves them);
    raises ValidationError naming the row of an unknown symbol."""
    targets = []
    for index, form in enumerate(formset.forms, start=1):
        if form.is_blank():
            continue
        data = form.cleaned_data
        asset = None
        if data["symbol"]:
            try:
                asset = market_services.asset_for_symbol(owner=owner, symbol=data["symbol"])
            except ValidationError as error:
                messages = error.message_dict.get("asset", error.messages)
                raise ValidationError(
                    {"targets": [f"Target {index}: {message}" for message in messages]}
                ) from error
        weight = data["weight"] if data["weight"] is not None else Decimal(0)
        targets.append(
            TargetInput(
                weight=weight, asset=asset, asset_class=data["asset_class"], band=data["band"]
            )
        )
    cash = cash_form.cleaned_data
    if cash.get("cash_weight") is not None:
        targets.append(TargetInput(weight=cash["cash_weight"], cash=True, band=cash["cash_band"]))
    return targets


class PlanForm(forms.Form):
    cash = _money("New cash", "Money you add now (in the base currency).")
    mode = forms.ChoiceField(
        choices=[(Mode.FULL.value, "Full (buy and sell)"), (Mode.BUY_ONLY.value, "Buy only")],
        initial=Mode.FULL.value,
        required=False,
    )
    whole_units = forms.BooleanField(label="Whole units only", required=False)
    min_trade = _money("Minimum trade", "Trades below this amount are left out.")

    def inputs(self) -> dict:
        data = self.cleaned_data
        return {
            "cash": data.get("cash") or Decimal(0),
            "mode": data.get("mode") or Mode.FULL.value,
            "whole_units": bool(data.get("whole_units")),
            "min_trade": data.get("min_trade") or Decimal(0),
        }


class RecordForm(PlanForm):
    fingerprint = forms.CharField(max_length=64, widget=forms.HiddenInput)
