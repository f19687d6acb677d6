"""HTML input parsing for portfolio pages; every write happens in `portfolios.services`."""

import base64
import binascii

from django import forms

from market.models import Asset
from portfolia.currencies import CURRENCY_CHOICES
from portfolia.form_errors import form_apply_errors  # noqa: F401 (re-exported by forms)
from portfolia.money import plain
from portfolia.validators import validate_query_date
from portfolios import brokers
from portfolios.importers import COLUMNS, file_size_problem
from portfolios.models import CostBasisMethod, TransactionKind
from portfolios.performance import PERIODS, period_name

DECIMAL_INPUT = {"inputmode": "decimal", "autocomplete": "off"}


def decimal_field(label: str, *, required: bool = False, help_text: str = "") -> forms.Field:
    # No count of digits here: the service names the bound a too large number breaks
    # (`transaction_rule_errors`), and the column's decimal places.
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=None,
        decimal_places=10,
        help_text=help_text,
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
    )


class PortfolioForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    base_currency = forms.ChoiceField(
        choices=CURRENCY_CHOICES, help_text="Values, costs and gains are shown in this currency."
    )
    cost_basis_method = forms.ChoiceField(
        label="Cost basis",
        # Short enough for the select's width; the model's longer names head the portfolio.
        choices=[
            (CostBasisMethod.FIFO, "FIFO, oldest first"),
            (CostBasisMethod.AVERAGE, "Average cost"),
        ],
        initial=CostBasisMethod.FIFO,
        help_text="Which units a sale takes: the oldest first (first in, first out), or all at "
        "their moving average cost.",
    )


CASH_MODE_CHOICES = [
    ("securities", "Securities only: no cash records (buys are money in, sales money out)"),
    ("cash", "Record cash: deposits and withdrawals; foreign trades settle in the base currency"),
    ("cash_per_currency", "Record cash per currency (a multi-currency broker account)"),
]


class CashModeField(forms.ChoiceField):
    """Whether the portfolio records cash, and how (DESIGN §4 "External flows")."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Cash")
        kwargs.setdefault("choices", CASH_MODE_CHOICES)
        kwargs.setdefault("initial", "securities")
        kwargs.setdefault("widget", forms.RadioSelect)
        super().__init__(**kwargs)


def cash_choices(mode: str) -> dict[str, bool]:
    """The `records_cash` and `cash_per_currency` a cash mode stands for."""
    return {"records_cash": mode != "securities", "cash_per_currency": mode == "cash_per_currency"}


class PortfolioNewForm(PortfolioForm):
    """A new portfolio: its settings and whether it records cash (changed later only through
    the confirmed "Cash records" step)."""

    cash_mode = CashModeField(
        required=False,  # left out: securities only
        help_text="With cash records, deposits and withdrawals are the money in and out, and the "
        "cash balance counts in the value. You can change this later, with a preview.",
    )

    def clean(self):
        cleaned = super().clean()
        cleaned.update(cash_choices(cleaned.pop("cash_mode", "securities") or "securities"))
        return cleaned


class CashRecordsForm(forms.Form):
    """The cash choice to preview, and `confirm` once the preview was seen."""

    cash_mode = CashModeField()
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class PortfolioSettingsForm(PortfolioForm):
    benchmark = forms.CharField(
        label="Benchmark symbol",
        required=False,
        max_length=32,
        help_text="An index or fund to compare with, e.g. ^GSPC or VWCE.DE (optional).",
    )


class TransactionForm(forms.Form):
    """One transaction. The asset is typed as a symbol (with suggestions); the service resolves
    it, so a symbol the catalogue lacks is looked up with the data provider."""

    kind = forms.ChoiceField(choices=TransactionKind.choices, initial=TransactionKind.BUY)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    symbol = forms.CharField(
        label="Asset",
        required=False,
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "Symbol, e.g. AAPL", "spellcheck": "false"}
        ),
    )
    quantity = decimal_field("Quantity")
    price = decimal_field("Unit price")
    amount = decimal_field("Amount", help_text="The total cash of the dividend, fee, deposit…")
    ratio = decimal_field("Split ratio", help_text="New units per old unit: 4 for a 4-for-1 split.")
    fee = decimal_field("Fee")
    currency = forms.ChoiceField(
        choices=[("", "The asset's"), *CURRENCY_CHOICES],
        required=False,
        help_text="Empty: the asset's currency (the portfolio's for cash).",
    )
    fx_rate = decimal_field(
        "FX rate",
        help_text="Base currency per unit of this currency, if your broker gave one.",
    )
    note = forms.CharField(required=False, max_length=500)
    external_id = forms.CharField(label="External ID", required=False, max_length=100)

    def __init__(self, *args, prefix_id: str = "new", **kwargs) -> None:
        # Element ids carry the prefix: the add form and an edit form share one page.
        kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)
        self.prefix_id = prefix_id
        self.fields["symbol"].widget.attrs["list"] = f"asset-options-{prefix_id}"

    @classmethod
    def initial_for(cls, transaction) -> dict:
        return {
            "kind": transaction.kind,
            "date": transaction.date,
            "symbol": transaction.asset.symbol if transaction.asset_id else "",
            "quantity": _plain(transaction.quantity),
            "price": _plain(transaction.price),
            "amount": _plain(transaction.amount),
            "ratio": _plain(transaction.ratio),
            "fee": _plain(transaction.fee) if transaction.fee else None,
            "currency": transaction.currency,
            "fx_rate": _plain(transaction.fx_rate),
            "note": transaction.note,
            "external_id": transaction.external_id,
        }

    def service_data(self, asset: Asset | None) -> dict:
        """The cleaned values as `transaction_create`/`transaction_update` keywords."""
        data = dict(self.cleaned_data)
        data.pop("symbol")
        data["asset"] = asset
        return data


def _plain(value):
    return plain(value) if value is not None else None


class TransactionFilterForm(forms.Form):
    asset = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *TransactionKind.choices])
    start = forms.DateField(
        label="From",
        required=False,
        validators=[validate_query_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label="To",
        required=False,
        validators=[validate_query_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, assets: list[Asset], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assets = {str(asset.public_id): asset for asset in assets}
        self.fields["asset"].choices = [
            ("", "All assets"),
            *((str(asset.public_id), asset.symbol) for asset in assets),
        ]

    def filters(self) -> dict:
        """Keywords for `selectors.transaction_list` (empty when the form is invalid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "asset": self.assets.get(data.get("asset") or ""),
            "kind": data.get("kind") or None,
            "start": data.get("start"),
            "end": data.get("end"),
        }


IMPORT_FORMAT_LABELS = {
    brokers.AUTO: "Detect from the file",
    brokers.PORTFOLIA: "Portfolia CSV",
    brokers.MAPPING: "Another CSV: map its columns",
    **{preset.name: preset.label.split(" (")[0] for preset in brokers.PRESETS},
}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"Portfolia's columns ({', '.join(COLUMNS)}) or a broker's export.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    format = forms.ChoiceField(
        label="Format",
        choices=[(name, IMPORT_FORMAT_LABELS.get(name, name)) for name in brokers.FORMATS],
        initial=brokers.AUTO,
        required=False,
    )

    def __init__(self, *args, saved_mappings=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The user's saved mappings join the formats as `saved:<name>`.
        self.fields["format"].choices = [
            *self.fields["format"].choices,
            *((f"saved:{saved.name}", f"Saved mapping: {saved.name}") for saved in saved_mappings),
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = file_size_problem(upload.size)
        if problem:
            raise forms.ValidationError(problem)
        return upload


class ImportConfirmForm(forms.Form):
    """The previewed file travels back with the confirmation (base64, so its bytes arrive
    exactly as uploaded), and the server keeps no state between preview and confirm."""

    csv_file = forms.CharField(widget=forms.HiddenInput)

    def clean_csv_file(self) -> bytes:
        try:
            return base64.b64decode(self.cleaned_data["csv_file"], validate=True)
        except (binascii.Error, ValueError) as error:
            raise forms.ValidationError(
                "The previewed file was damaged; upload it again."
            ) from error

    @staticmethod
    def encode(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")


class AsOfForm(forms.Form):
    date = forms.DateField(
        label="As of",
        required=False,
        validators=[validate_query_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class PeriodField(forms.ChoiceField):
    """A period name in any case ("1y" is 1Y), as the API reads it (`period_name`)."""

    def to_python(self, value):
        return period_name(super().to_python(value))


class PeriodForm(forms.Form):
    """The performance pages' `?period=` or `?start=&end=`; their combination is the read model's
    rule (`PeriodError`), the same answer as the API's."""

    period = PeriodField(choices=[(p, p) for p in PERIODS], required=False)
    start = forms.DateField(
        required=False,
        validators=[validate_query_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        required=False,
        validators=[validate_query_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class YearForm(forms.Form):
    """The income and realized-gains pages' `?year=`."""

    year = forms.IntegerField(required=False, min_value=1900, max_value=2200)
