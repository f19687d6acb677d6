"""HTML input of the strategies page: the assets, the method and its parameters (a cap in
percent). Bounds are the API's (`serializers.strategies`, `selectors.strategy_inputs`)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from market.models import AssetClass
from portfolia.validators import validate_query_date
from portfolios.engine.strategies import (
    DEFAULT_SKIP,
    DEFAULT_TOP_N,
    DEFAULT_WINDOW,
    METHOD_PARAMETERS,
    METHODS,
    MOMENTUM_WEIGHTINGS,
)
from portfolios.selectors import asset_queryset_for_user
from portfolios.selectors.strategy_inputs import MAX_STRATEGY_ASSETS, MAX_WINDOW

METHOD_LABELS = {
    "equal": "Equal weight",
    "inverse_volatility": "Inverse volatility",
    "risk_parity": "Risk parity (equal risk contribution)",
    "momentum": "Momentum (12 months, skipping the last)",
    "market_cap": "Market cap",
}
NUMBER = {"inputmode": "numeric", "autocomplete": "off"}


def _not_future(day) -> None:
    if day > timezone.localdate():
        raise ValidationError("The as-of date cannot be after today.")


class StrategyForm(forms.Form):
    assets = forms.TypedMultipleChoiceField(
        coerce=uuid.UUID,
        widget=forms.CheckboxSelectMultiple,
        help_text=f"Up to {MAX_STRATEGY_ASSETS}: your manual assets and the priced catalogue.",
    )
    method = forms.ChoiceField(choices=[(m, METHOD_LABELS[m]) for m in METHODS])
    window = forms.IntegerField(
        label="Window (trading days)",
        required=False,
        min_value=2,
        max_value=MAX_WINDOW,
        initial=DEFAULT_WINDOW,
        widget=forms.NumberInput(attrs=NUMBER),
        help_text="Inverse volatility, risk parity and momentum.",
    )
    skip = forms.IntegerField(
        label="Skip (trading days)",
        required=False,
        min_value=0,
        max_value=MAX_WINDOW - 1,
        initial=DEFAULT_SKIP,
        widget=forms.NumberInput(attrs=NUMBER),
        help_text="Momentum: the last days left out.",
    )
    top_n = forms.IntegerField(
        label="Top N",
        required=False,
        min_value=1,
        max_value=MAX_STRATEGY_ASSETS,
        initial=DEFAULT_TOP_N,
        widget=forms.NumberInput(attrs=NUMBER),
        help_text="Momentum: how many to hold.",
    )
    weighting = forms.ChoiceField(
        required=False,
        choices=[(w, w.capitalize()) for w in MOMENTUM_WEIGHTINGS],
        help_text="Momentum: equal, or in proportion to momentum.",
    )
    cap_percent = forms.DecimalField(
        label="Cap per asset (%)",
        required=False,
        min_value=Decimal("0.0001"),
        max_value=Decimal(100),
        max_digits=12,
        decimal_places=4,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Optional; the excess goes to the others.",
    )
    as_of = forms.DateField(
        label="As of",
        required=False,
        validators=[validate_query_date, _not_future],
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only closes up to this day (default today).",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = (
            asset_queryset_for_user(user)
            .exclude(asset_class=AssetClass.FX)
            .filter(first_price_date__isnull=False)
            .order_by("symbol", "pk")
            .values_list("public_id", "symbol", "name")
        )
        self.fields["assets"].choices = [
            (str(public_id), f"{symbol} · {name}") for public_id, symbol, name in choices
        ]

    def clean_assets(self) -> list[uuid.UUID]:
        assets = self.cleaned_data["assets"]
        if len(assets) > MAX_STRATEGY_ASSETS:
            raise ValidationError(f"At most {MAX_STRATEGY_ASSETS} assets.")
        return assets

    def strategy_params(self) -> dict:
        """The parameters the chosen method takes (the others on the form are left out)."""
        data = self.cleaned_data
        given = {
            "window": data.get("window"),
            "skip": data.get("skip"),
            "top_n": data.get("top_n"),
            "weighting": data.get("weighting") or None,
            "cap": float(data["cap_percent"]) / 100 if data.get("cap_percent") else None,
        }
        taken = METHOD_PARAMETERS[data["method"]]
        return {name: value for name, value in given.items() if value is not None and name in taken}
