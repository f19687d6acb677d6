"""Staff management of market data: assets (with "backfill now" and "refresh quote" actions),
prices, quotes, corporate actions and read-only fetch jobs. Beat schedules are django-celery-
beat's own admin; the data-status page (``/assets/status/``) is linked from the asset list.
Price edits and deletions here are recorded with `services.prices_changed`, as every price write
is, so cached valuations recompute from the date touched."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Min, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from market import services
from market.models import Asset, CorporateAction, FetchJob, Price, ProviderName, Quote
from portfolia.admin_display import ReadableDecimalsMixin, readable
from portfolia.errors import DomainError


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("symbol", "name", "asset_class", "currency", "exchange", "provider", "owner")
    list_filter = ("asset_class", "provider", "currency")
    search_fields = ("symbol", "name")
    readonly_fields = ("public_id", "created_at", "market_cap", "market_cap_at")
    raw_id_fields = ("owner",)
    list_select_related = ("owner",)
    actions = ("backfill_now", "refresh_quote")
    change_list_template = "market/admin/asset_change_list.html"

    @admin.action(description="Backfill now (fetch the whole history)")
    def backfill_now(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        queued = skipped = 0
        for asset in queryset:
            try:
                services.backfill_request(asset=asset)
            except DomainError:
                skipped += 1
            else:
                queued += 1
        self.message_user(request, f"Backfill queued (or already running) for {queued} asset(s).")
        if skipped:
            self.message_user(
                request, f"{skipped} manual asset(s) skipped: nothing to fetch.", messages.WARNING
            )

    @admin.action(description="Refresh quote")
    def refresh_quote(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        ids = list(queryset.exclude(provider=ProviderName.MANUAL).values_list("id", flat=True))
        services.refresh_request(asset_ids=ids, closes=False)
        self.message_user(request, f"Quote refresh queued for {len(ids)} asset(s).")


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ("asset", "date", "open", "high", "low", "close", "volume")
    list_filter = (("asset", admin.RelatedOnlyFieldListFilter),)
    date_hierarchy = "date"
    raw_id_fields = ("asset",)
    list_select_related = ("asset",)
    search_fields = ("asset__symbol",)
    show_full_result_count = False

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Price, form, change: bool) -> None:
        before = Price.objects.filter(pk=obj.pk).values_list("asset_id", "date").first()
        super().save_model(request, obj, form, change)
        touched = {obj.asset_id: obj.date}
        if before is not None:
            asset_id, day = before
            touched[asset_id] = min(day, touched.get(asset_id, day))
        for asset_id, day in touched.items():
            services.prices_changed(asset_id=asset_id, since=day)

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Price) -> None:
        super().delete_model(request, obj)
        services.prices_changed(asset_id=obj.asset_id, since=obj.date)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Price]) -> None:
        earliest = dict(
            queryset.order_by()
            .values_list("asset_id")
            .annotate(first=Min("date"))
            .values_list("asset_id", "first")
        )
        super().delete_queryset(request, queryset)
        for asset_id, day in earliest.items():
            services.prices_changed(asset_id=asset_id, since=day)


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ("asset", "price", "currency", "timestamp", "fetched_at")
    search_fields = ("asset__symbol",)
    raw_id_fields = ("asset",)
    list_select_related = ("asset",)


@admin.register(CorporateAction)
class CorporateActionAdmin(ReadableDecimalsMixin, admin.ModelAdmin):
    list_display = readable(CorporateAction, "asset", "date", "kind", "ratio", "amount")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("asset__symbol",)
    raw_id_fields = ("asset",)
    list_select_related = ("asset",)


@admin.register(FetchJob)
class FetchJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are the record of what workers did."""

    list_display = (
        "created_at",
        "asset",
        "kind",
        "status",
        "attempts",
        "rows_written",
        "finished_at",
        "error_short",
    )
    list_filter = ("status", "kind", "created_at")
    search_fields = ("asset__symbol", "error")
    list_select_related = ("asset",)
    date_hierarchy = "created_at"

    @admin.display(description="Error")
    def error_short(self, job: FetchJob) -> str:
        if not job.error:
            return ""
        text = job.error if len(job.error) <= 120 else job.error[:119] + "…"
        return format_html('<span title="{}">{}</span>', job.error, text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
