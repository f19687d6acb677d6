"""Staff view of portfolios for customer support: owner, settings, transactions inline, and the
current value, cost basis and gains read-only from `selectors.holdings`, the pages' own selector.

Transactions are read-only here: every transaction write goes through the services, which
check the ledger (an admin inline save would skip that). Portfolio edits and deletes also go
through the services.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from accounts import audit
from accounts.models import AuditDoor
from portfolia.admin_display import readable
from portfolios import selectors, services
from portfolios.models import TRANSACTION_FIELDS, Portfolio, Transaction
from portfolios.templatetags.portfolio_format import money, percent, signed_money


class TransactionInline(admin.TabularInline):
    model = Transaction
    fields = readable(Transaction, "date", *(name for name in TRANSACTION_FIELDS if name != "date"))
    readonly_fields = fields
    ordering = ("date", "id")
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("asset")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# The portfolio's figures today (read-only methods below), shown in their own fieldset.
TODAY_FIELDS = (
    "current_value",
    "cost_basis",
    "unrealized_gain",
    "realized_gain",
    "income",
    "total_gain",
)


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "base_currency", "cost_basis_method", "created_at")
    list_filter = (
        ("owner", admin.RelatedOnlyFieldListFilter),
        "base_currency",
        "cost_basis_method",
    )
    list_select_related = ("owner",)
    search_fields = ("name", "owner__email", "public_id")
    raw_id_fields = ("benchmark",)
    readonly_fields = (
        "public_id",
        "owner",
        # Changed only through the confirmed cash-records step (its preview), never here.
        "records_cash",
        "cash_per_currency",
        "created_at",
        "updated_at",
        *TODAY_FIELDS,
    )
    fieldsets = (
        (None, {"fields": ("name", "owner", "description", "public_id")}),
        (
            "Settings",
            {
                "fields": (
                    "base_currency",
                    "cost_basis_method",
                    "benchmark",
                    "records_cash",
                    "cash_per_currency",
                )
            },
        ),
        (
            "Today",
            {
                "description": "Computed by the same selector as the portfolio's pages.",
                "fields": TODAY_FIELDS,
            },
        ),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    inlines = [TransactionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # portfolios belong to their owners, who create them

    def save_model(self, request: HttpRequest, obj: Portfolio, form, change: bool) -> None:
        data = {name: getattr(obj, name) for name in form.changed_data}
        with audit.door(AuditDoor.ADMIN):
            services.portfolio_update(portfolio=obj, data=data)

    def delete_model(self, request: HttpRequest, obj: Portfolio) -> None:
        with audit.door(AuditDoor.ADMIN):
            services.portfolio_delete(portfolio=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        with audit.door(AuditDoor.ADMIN):
            for portfolio in queryset:
                services.portfolio_delete(portfolio=portfolio)

    def _holdings(self, obj: Portfolio):
        # One valuation per page render, kept on the instance the read-only fields share
        # (never on this ModelAdmin, which every request and thread shares).
        if not hasattr(obj, "_admin_holdings"):
            obj._admin_holdings = selectors.holdings(portfolio=obj)
        return obj._admin_holdings

    def _signed(self, obj: Portfolio, value, pct=None) -> str:
        css = "color: #1a7f37" if value > 0 else "color: #cf222e" if value < 0 else ""
        text = signed_money(value, obj.base_currency)
        if pct is not None:
            text = f"{text} ({percent(pct)})"
        return format_html('<span style="{}">{}</span>', css, text)

    @admin.display(description="Current value")
    def current_value(self, obj: Portfolio) -> str:
        if obj.pk is None:
            return "—"
        snapshot = self._holdings(obj)
        if snapshot.pending:
            return snapshot.pending
        cash = f" (cash {money(snapshot.cash, obj.base_currency)})" if snapshot.records_cash else ""
        return f"{money(snapshot.total_value, obj.base_currency)}{cash}"

    @admin.display(description="Cost basis")
    def cost_basis(self, obj: Portfolio) -> str:
        return money(self._holdings(obj).cost_basis, obj.base_currency) if obj.pk else "—"

    @admin.display(description="Unrealized gain")
    def unrealized_gain(self, obj: Portfolio) -> str:
        if obj.pk is None:
            return "—"
        snapshot = self._holdings(obj)
        return self._signed(obj, snapshot.unrealized_gain, snapshot.unrealized_gain_pct)

    @admin.display(description="Realized gain")
    def realized_gain(self, obj: Portfolio) -> str:
        return self._signed(obj, self._holdings(obj).realized_gain) if obj.pk else "—"

    @admin.display(description="Income")
    def income(self, obj: Portfolio) -> str:
        return money(self._holdings(obj).income, obj.base_currency) if obj.pk else "—"

    @admin.display(description="Total gain")
    def total_gain(self, obj: Portfolio) -> str:
        return self._signed(obj, self._holdings(obj).total_gain) if obj.pk else "—"
