"""What the world says: assets, their daily prices and latest quotes, corporate actions, and the
fetch jobs that keep them fresh.

FX rates are ordinary assets of class ``fx`` named as Yahoo names them (``EURUSD=X`` is USD per
EUR), so one pipeline prices everything.
"""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.validators import validate_price_date, validate_price_number


class AssetClass(models.TextChoices):
    STOCK = "stock", "Stock"
    ETF = "etf", "ETF"
    FUND = "fund", "Fund"
    CRYPTO = "crypto", "Crypto"
    FX = "fx", "FX pair"
    COMMODITY = "commodity", "Commodity"
    BOND = "bond", "Bond"
    INDEX = "index", "Index"
    OTHER = "other", "Other"


class ProviderName(models.TextChoices):
    YAHOO = "yahoo", "Yahoo Finance"
    DEMO = "demo", "Demo (offline)"
    MANUAL = "manual", "Manual"


class Asset(models.Model):
    """Something with a price. Provider assets form one shared catalogue; a manual asset belongs
    to the user who made it and is visible only to them (and staff)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    symbol = models.CharField(max_length=32, help_text="The provider's ticker, e.g. AAPL, VWCE.DE")
    name = models.CharField(max_length=200)
    asset_class = models.CharField(max_length=16, choices=AssetClass.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    exchange = models.CharField(max_length=32, blank=True)
    provider = models.CharField(max_length=16, choices=ProviderName.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="manual_assets",
        help_text="Only for manual assets: the user who made and prices it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every price write (`services.prices_changed`: `price_upsert`, the admin), which
    # also logs the earliest date it wrote or deleted (`portfolia.changelog`): a cached
    # valuation learns that, and from when, closes changed, corrections included, without
    # reading them.
    price_version = models.PositiveBigIntegerField(default=0, editable=False)
    price_changes = models.JSONField(default=list, blank=True, editable=False)
    # The first and last date of its stored prices, kept with the version by the same writes
    # (`services.prices_changed`), so that a valuation learns them without reading prices.
    # `save()` never writes these four (a stale instance must not move the version back).
    first_price_date = models.DateField(null=True, blank=True, editable=False)
    last_price_date = models.DateField(null=True, blank=True, editable=False)

    # The market capitalisation the provider last reported, in the asset's currency (its main
    # unit), and when it was fetched; written by the quote refresh (`quotes_refresh`), at most
    # daily. None for what has none (FX pairs, indices, manual assets) or none yet.
    market_cap = models.DecimalField(
        max_digits=24, decimal_places=2, null=True, blank=True, editable=False
    )
    market_cap_at = models.DateTimeField(null=True, blank=True, editable=False)

    PRICE_MARK_FIELDS = frozenset(
        {"price_version", "price_changes", "first_price_date", "last_price_date"}
    )

    class Meta:
        ordering = ["symbol"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "symbol"],
                condition=Q(owner__isnull=True),
                name="market_asset_catalogue_unique",
            ),
            models.UniqueConstraint(
                fields=["owner", "symbol"],
                condition=Q(owner__isnull=False),
                name="market_asset_manual_unique_per_owner",
            ),
            models.CheckConstraint(
                condition=(Q(provider="manual") & Q(owner__isnull=False))
                | (~Q(provider="manual") & Q(owner__isnull=True)),
                name="market_asset_owner_iff_manual",
            ),
        ]
        indexes = [models.Index(fields=["symbol"]), models.Index(fields=["asset_class"])]

    def __str__(self) -> str:
        return f"{self.symbol} ({self.name})"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.PRICE_MARK_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def is_manual(self) -> bool:
        return self.provider == ProviderName.MANUAL


class Price(models.Model):
    """One daily bar. Market history arrives as floats and stays float (DESIGN §2)."""

    # No index of its own: the unique (asset, date) index serves every lookup by asset, and one
    # index fewer makes bulk inserts of history markedly faster.
    asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="prices", db_index=False
    )
    date = models.DateField(validators=[validate_price_date])
    open = models.FloatField(null=True, blank=True, validators=[validate_price_number])
    high = models.FloatField(null=True, blank=True, validators=[validate_price_number])
    low = models.FloatField(null=True, blank=True, validators=[validate_price_number])
    close = models.FloatField(validators=[validate_price_number])
    volume = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["asset", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "date"], name="market_price_asset_date_unique"
            ),
            models.CheckConstraint(condition=Q(close__gt=0), name="market_price_close_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.date} {self.close}"


class Quote(models.Model):
    """The latest intraday price of an asset and when it was observed."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="quote")
    price = models.FloatField()
    currency = models.CharField(max_length=3)
    timestamp = models.DateTimeField()
    fetched_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.asset_id} {self.price} @ {self.timestamp:%Y-%m-%d %H:%M}"


class CorporateAction(models.Model):
    """A split or dividend the provider reported for an asset."""

    class Kind(models.TextChoices):
        SPLIT = "split", "Split"
        DIVIDEND = "dividend", "Dividend"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="corporate_actions")
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    ratio = models.DecimalField(max_digits=20, decimal_places=10, null=True, blank=True)
    amount = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)

    class Meta:
        ordering = ["asset", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "date", "kind"], name="market_corporate_action_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.kind} {self.date}"


class FetchJob(models.Model):
    """One backfill or refresh of an asset's prices: its progress and how it ended."""

    class Kind(models.TextChoices):
        BACKFILL = "backfill", "Backfill"
        REFRESH = "refresh", "Refresh"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="fetch_jobs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    # Bars of the provider's answer left out (no usable close, out of range) and why, in `note`.
    rows_dropped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="What a finished job left out, and why.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The worker's last sign of life: set when an attempt starts and as it goes on. The periodic
    # sweep (`services.fetch_jobs_sweep`) fails a job whose worker went silent for too long.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # At most one job in flight per asset: two requests at once cannot both queue one.
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(status__in=["queued", "running"]),
                name="market_fetchjob_one_active_per_asset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.asset_id} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
