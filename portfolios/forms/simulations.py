"""HTML input parsing of the backtest page: assets with weights as lines ("VWCE.DE 60"), or a
method, and the run's settings. The rules (dates, weights, prices) are the service's
(`services.simulation_spec_check`), the same as the API's."""

from __future__ import annotations

import operator
from decimal import Decimal, InvalidOperation
from functools import reduce

from django import forms
from django.db.models import Q

from market.models import Asset
from market.selectors import assets_visible
from portfolia.currencies import CURRENCY_CHOICES
from portfolia.validators import control_character_problem
from portfolios.engine.simulate import REBALANCE_CHOICES
from portfolios.forms.common import decimal_field
from portfolios.services.simulations import MAX_ASSETS, SIMULATION_METHODS

REBALANCE_LABELS = {
    "never": "Never (buy and hold)",
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "yearly": "Yearly",
    "drift": "When a weight drifts beyond the band",
}
METHOD_LABELS = {
    "fixed": "The weights given",
    "equal": "Equal weight",
    "inverse_volatility": "Inverse volatility",
    "risk_parity": "Risk parity",
    "momentum": "Momentum (top 10 of 12-month return, skipping the last month)",
}


def _by_symbol(user, symbols: list[str]) -> dict[str, Asset]:
    """Visible assets by upper-cased symbol (the user's own manual one first, else shared)."""
    found: dict[str, Asset] = {}
    rows = assets_visible(user=user).filter(symbol__in=symbols).order_by("owner_id")
    for asset in rows:
        found.setdefault(asset.symbol.upper(), asset)
    upper = {symbol.upper() for symbol in symbols} - set(found)
    if upper:  # case-insensitive second look, for "vwce.de"
        for asset in assets_visible(user=user).filter(
            reduce(operator.or_, (Q(symbol__iexact=symbol) for symbol in upper))
        ):
            found.setdefault(asset.symbol.upper(), asset)
    return found


class SimulationForm(forms.Form):
    allocation = forms.CharField(
        label="Assets and weights",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "VWCE.DE 60\nAGGH.AS 40"}),
        help_text="One asset a line: its symbol and its weight in % (weights add up to 100). "
        "With a strategy method, the weights may be left out.",
    )
    method = forms.ChoiceField(
        choices=[(name, METHOD_LABELS.get(name, name)) for name in sorted(SIMULATION_METHODS)],
        initial="fixed",
        label="Weights",
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    initial_amount = decimal_field("Initial amount", required=True)
    monthly_contribution = decimal_field("Monthly contribution")
    rebalance = forms.ChoiceField(
        choices=[(name, REBALANCE_LABELS[name]) for name in REBALANCE_CHOICES], initial="monthly"
    )
    drift_band = decimal_field("Drift band (points)", help_text="For drift rebalancing, e.g. 5.")
    fee = decimal_field("Fee per trade")
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    benchmark = forms.CharField(
        max_length=32, required=False, initial="^GSPC", help_text="A symbol; ^GSPC by default."
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["currency"].initial = user.base_currency

    def clean_allocation(self) -> list[tuple[Asset, Decimal | None]]:
        text = self.cleaned_data["allocation"]
        if problem := control_character_problem(text):
            raise forms.ValidationError(f"The text {problem}; remove it.")
        lines = [line.split() for line in text.splitlines() if line.strip()]
        if len(lines) > MAX_ASSETS:
            raise forms.ValidationError(f"A backtest takes at most {MAX_ASSETS} assets.")
        if any(len(parts) > 2 for parts in lines):
            raise forms.ValidationError('Write one asset a line: "SYMBOL WEIGHT".')
        found = _by_symbol(self.user, [parts[0] for parts in lines])
        unknown = [parts[0] for parts in lines if parts[0].upper() not in found]
        if unknown:
            raise forms.ValidationError(f"Unknown asset: {', '.join(unknown)}. Add it first.")
        rows = []
        for parts in lines:
            weight = None
            if len(parts) == 2:
                try:
                    weight = Decimal(parts[1].rstrip("%"))
                except InvalidOperation:
                    raise forms.ValidationError(f"{parts[1]} is not a weight.") from None
            rows.append((found[parts[0].upper()], weight))
        return rows

    def clean_benchmark(self) -> Asset | None:
        symbol = self.cleaned_data.get("benchmark", "").strip()
        if not symbol or symbol == "^GSPC":
            return None  # the default benchmark: the read model's choice of ^GSPC
        if problem := control_character_problem(symbol):
            raise forms.ValidationError(f"The symbol {problem}.")
        asset = _by_symbol(self.user, [symbol]).get(symbol.upper())
        if asset is None:
            raise forms.ValidationError(f"Unknown benchmark {symbol}.")
        return asset

    def spec_arguments(self) -> dict:
        """The keyword arguments of `services.simulation_spec_check`."""
        data = self.cleaned_data
        rows = data["allocation"]
        weights = [weight for _, weight in rows]
        return {
            "assets": [asset for asset, _ in rows],
            "weights": None if any(w is None for w in weights) else weights,
            "method": data["method"],
            "start": data["start"],
            "end": data["end"],
            "initial_amount": data["initial_amount"],
            "monthly_contribution": data.get("monthly_contribution") or Decimal(0),
            "rebalance": data["rebalance"],
            "drift_band": data.get("drift_band"),
            "fee": data.get("fee") or Decimal(0),
            "currency": data["currency"],
            "benchmark": data.get("benchmark"),
        }


class SimulationSaveForm(forms.Form):
    name = forms.CharField(max_length=100, label="Portfolio name")
    records_cash = forms.BooleanField(
        required=False,
        label="Record cash (the contributions become deposits)",
    )
