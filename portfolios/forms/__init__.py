"""HTML input parsing, one module per page group: `common` (portfolios, transactions, the
import, periods and years, cash records), `targets`, `strategies` and `simulations`. The
names of `common` are re-exported here."""

from portfolios.forms.common import (
    CASH_MODE_CHOICES,
    DECIMAL_INPUT,
    IMPORT_FORMAT_LABELS,
    AsOfForm,
    CashModeField,
    CashRecordsForm,
    ImportConfirmForm,
    ImportUploadForm,
    PeriodField,
    PeriodForm,
    PortfolioForm,
    PortfolioNewForm,
    PortfolioSettingsForm,
    TransactionFilterForm,
    TransactionForm,
    YearForm,
    cash_choices,
    decimal_field,
    form_apply_errors,
)

__all__ = [
    "CASH_MODE_CHOICES",
    "DECIMAL_INPUT",
    "IMPORT_FORMAT_LABELS",
    "AsOfForm",
    "CashModeField",
    "CashRecordsForm",
    "ImportConfirmForm",
    "ImportUploadForm",
    "PeriodField",
    "PeriodForm",
    "PortfolioForm",
    "PortfolioNewForm",
    "PortfolioSettingsForm",
    "TransactionFilterForm",
    "TransactionForm",
    "YearForm",
    "cash_choices",
    "decimal_field",
    "form_apply_errors",
]
