"""What the investor did: portfolios and their transactions.

Each transaction kind has its own rules (which fields it needs and their signs). They live in
`transaction_rule_errors`, used by `Transaction.clean` and the CSV importer, and the same rules
are database check constraints, so no path around the services can store an impossible row.
Dates, the size of numbers and text are bounded by `portfolia.validators` (field validators and
`transaction_rule_errors`), the same bounds on every path.
"""

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.validators import (
    decimal_limit,
    number_problem,
    validate_no_control_characters,
    validate_transaction_date,
)
from portfolios.engine.types import Kind, Txn


class CostBasisMethod(models.TextChoices):
    FIFO = "fifo", "FIFO (first in, first out)"
    AVERAGE = "average", "Moving average cost"


class Portfolio(models.Model):
    """One account or strategy of an investor, valued in its base currency."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolios"
    )
    name = models.CharField(max_length=100, validators=[validate_no_control_characters])
    description = models.TextField(
        blank=True, max_length=2000, validators=[validate_no_control_characters]
    )
    base_currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        default="USD",
        help_text="Values, costs and gains are shown in this currency.",
    )
    cost_basis_method = models.CharField(
        max_length=8,
        choices=CostBasisMethod.choices,
        default=CostBasisMethod.FIFO,
        help_text="Which units a sale takes: the oldest first, or all at their average cost.",
    )
    benchmark = models.ForeignKey(
        "market.Asset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="An index or fund to compare performance with (optional).",
    )
    # The investor's explicit choices about cash (DESIGN §4 "Value", "External flows"), made at
    # creation and changed later only through `services.portfolio_cash_records_change` (a
    # confirmed step with a preview), which also moves the ledger version: `save()` never
    # writes them.
    records_cash = models.BooleanField(
        default=False,
        help_text="Record deposits and withdrawals, and count the cash balance in the value.",
    )
    cash_per_currency = models.BooleanField(
        default=False,
        help_text="Keep cash per currency (a multi-currency broker account) instead of "
        "settling every foreign trade in the base currency.",
    )
    # Maintained by the services in the same database transaction as every transaction write
    # (`services.ledger_changed`): the version goes one up per create, update, delete or import,
    # and `ledger_summary` is written anew: what the performance read model must know of the
    # transactions before reading them (count, first date, whether cash is recorded, the asset
    # ids and the currencies) and, under "changes", a log of the last writes with the earliest
    # date each touched (on an update the earlier of the old and new dates; `portfolia.
    # changelog`). The read model compares the version with the one its cached state was built
    # at: equal, nothing changed; moved, it recomputes from the earliest date the writes since
    # touched (everything when the log no longer holds them all). `save()` never writes these
    # fields (a stale instance must not move the version back): only `ledger_changed` does.
    ledger_version = models.PositiveBigIntegerField(default=0, editable=False)
    ledger_summary = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    LEDGER_FIELDS = frozenset(
        {"ledger_version", "ledger_summary", "records_cash", "cash_per_currency"}
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="portfolios_portfolio_name_unique_per_owner",
                violation_error_message="You already have a portfolio with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.LEDGER_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def ledger_options(self) -> dict[str, Any]:
        """The investor's choices the engine replays this ledger with (`replay` keywords)."""
        return {
            "method": self.cost_basis_method,
            "base_currency": self.base_currency,
            "records_cash": self.records_cash,
            "cash_per_currency": self.cash_per_currency,
        }


class TransactionKind(models.TextChoices):
    BUY = Kind.BUY.value, "Buy"
    SELL = Kind.SELL.value, "Sell"
    DIVIDEND = Kind.DIVIDEND.value, "Dividend"
    INTEREST = Kind.INTEREST.value, "Interest"
    FEE = Kind.FEE.value, "Fee"
    TAX = Kind.TAX.value, "Tax"
    DEPOSIT = Kind.DEPOSIT.value, "Deposit"
    WITHDRAWAL = Kind.WITHDRAWAL.value, "Withdrawal"
    SPLIT = Kind.SPLIT.value, "Split"


# The kinds as a set, once: `TransactionKind.values` builds a new list on every use (per row of
# a 100,000-row import).
KIND_VALUES = frozenset(TransactionKind.values)


TRADE_KINDS = frozenset({TransactionKind.BUY, TransactionKind.SELL})
AMOUNT_KINDS = frozenset(
    {
        TransactionKind.DIVIDEND,
        TransactionKind.INTEREST,
        TransactionKind.FEE,
        TransactionKind.TAX,
        TransactionKind.DEPOSIT,
        TransactionKind.WITHDRAWAL,
    }
)
# Kinds that must name an asset, that may name one, and that must not.
ASSET_REQUIRED_KINDS = frozenset(
    {TransactionKind.BUY, TransactionKind.SELL, TransactionKind.SPLIT, TransactionKind.DIVIDEND}
)
ASSET_FORBIDDEN_KINDS = frozenset({TransactionKind.DEPOSIT, TransactionKind.WITHDRAWAL})

# Which of quantity, price, amount and ratio each kind uses; the others are stored empty.
KIND_FIELDS: dict[str, frozenset[str]] = {
    TransactionKind.BUY: frozenset({"quantity", "price"}),
    TransactionKind.SELL: frozenset({"quantity", "price"}),
    TransactionKind.SPLIT: frozenset({"ratio"}),
    **{kind: frozenset({"amount"}) for kind in AMOUNT_KINDS},
}
VALUE_FIELDS = ("quantity", "price", "amount", "ratio")


def transaction_rule_errors(
    *,
    kind: str,
    has_asset: bool,
    quantity: Decimal | None,
    price: Decimal | None,
    amount: Decimal | None,
    ratio: Decimal | None,
    fee: Decimal | None,
    fx_rate: Decimal | None,
) -> dict[str, list[str]]:
    """The per-kind rules (mirrored by `Transaction.Meta.constraints`), as field errors."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in KIND_VALUES:
        add("kind", f"Unknown kind “{kind}”.")
        return errors
    label = TransactionKind(kind).label
    if kind in ASSET_REQUIRED_KINDS and not has_asset:
        add("asset", f"A {label.lower()} needs an asset.")
    if kind in ASSET_FORBIDDEN_KINDS and has_asset:
        add("asset", f"A {label.lower()} is cash only and names no asset.")
    if kind in TRADE_KINDS:
        if quantity is None:
            add("quantity", "Enter the quantity.")
        elif quantity <= 0:
            add("quantity", "The quantity must be above zero.")
        if price is None:
            add("price", "Enter the unit price.")
        elif price < 0:
            add("price", "The price cannot be negative.")
    elif kind == TransactionKind.SPLIT:
        if ratio is None:
            add("ratio", "Enter the split ratio (new units per old unit, 4 for a 4-for-1 split).")
        elif ratio <= 0:
            add("ratio", "The ratio must be above zero.")
    elif amount is None:
        add("amount", "Enter the amount.")
    elif amount <= 0:
        add("amount", "The amount must be above zero.")
    if fee is not None and fee < 0:
        add("fee", "The fee cannot be negative.")
    if fx_rate is not None and fx_rate <= 0:
        add("fx_rate", "The exchange rate must be above zero.")
    _size_errors(
        add,
        kind,
        quantity=quantity,
        price=price,
        amount=amount,
        ratio=ratio,
        fee=fee,
        fx_rate=fx_rate,
        has_errors=bool(errors),
    )
    return errors


NUMBER_LABELS = {
    "quantity": "The quantity",
    "price": "The price",
    "amount": "The amount",
    "ratio": "The ratio",
    "fee": "The fee",
    "fx_rate": "The exchange rate",
}


def number_limits() -> dict[str, Decimal]:
    """The bound each decimal field of a transaction stays below (`decimal_limit` of its
    column); a trade's value (quantity times price, times the FX rate when given) stays below
    an amount's, so that every figure derived from a row still fits a money column."""
    fields = {name: Transaction._meta.get_field(name) for name in NUMBER_LABELS}
    return {name: decimal_limit(field) for name, field in fields.items()}


def number_limit_messages() -> dict[str, str]:
    """The message of each field's bound: "The quantity must be below 100,000,000,000,000,000."."""
    return {
        name: f"{NUMBER_LABELS[name]} must be below {limit:,f}."
        for name, limit in number_limits().items()
    }


def _size_errors(add, kind: str, *, has_errors: bool, **values: Decimal | None) -> None:
    limits = number_limits()
    too_large = False
    for name, value in values.items():
        if value is None:
            continue
        problem = number_problem(value, limits[name])
        if problem:
            add(name, f"{NUMBER_LABELS[name]} {problem}.")
            too_large = True
    if too_large or has_errors:
        return
    fx = values["fx_rate"] if values["fx_rate"] is not None else Decimal(1)
    if kind in TRADE_KINDS:
        value = values["quantity"] * values["price"] * fx
        what = "The trade's value (quantity times price" + (
            " times FX rate)" if values["fx_rate"] else ")"
        )
        field = "quantity"
    else:
        value = (values["amount"] or Decimal(0)) * fx
        what = "The amount times the FX rate"
        field = "amount"
    if value >= limits["amount"]:
        add(field, f"{what} must be below {limits['amount']:,f}.")


def _kinds(kinds) -> Q:
    return Q(kind__in=sorted(str(kind) for kind in kinds))


class Transaction(models.Model):
    """One thing the investor did, in entry order within its date.

    quantity and price (per unit, in `currency`) for buys and sells; amount (the total cash) for
    dividends, interest, fees, taxes, deposits and withdrawals; ratio (new units per old unit)
    for splits. fx_rate, when given, is base-currency units per unit of `currency`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(max_length=10, choices=TransactionKind.choices)
    date = models.DateField(validators=[validate_transaction_date])
    asset = models.ForeignKey(
        "market.Asset",
        null=True,
        blank=True,
        # RESTRICT, not PROTECT: an asset in use cannot be deleted alone, but a user's deletion
        # takes their manual assets and the transactions using them together.
        on_delete=models.RESTRICT,
        related_name="transactions",
    )
    quantity = models.DecimalField(max_digits=28, decimal_places=10, null=True, blank=True)
    price = models.DecimalField(
        max_digits=28, decimal_places=10, null=True, blank=True, help_text="Per unit."
    )
    amount = models.DecimalField(
        max_digits=20, decimal_places=4, null=True, blank=True, help_text="Total cash."
    )
    ratio = models.DecimalField(
        max_digits=28,
        decimal_places=10,
        null=True,
        blank=True,
        help_text="New units per old unit (4 for a 4-for-1 split).",
    )
    fee = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    fx_rate = models.DecimalField(
        "FX rate",
        max_digits=28,
        decimal_places=10,
        null=True,
        blank=True,
        help_text="Base currency units per unit of this currency (optional: else that day's rate).",
    )
    note = models.CharField(max_length=500, blank=True, validators=[validate_no_control_characters])
    external_id = models.CharField(
        "external ID",
        max_length=100,
        blank=True,
        validators=[validate_no_control_characters],
        help_text="The broker's reference; imports skip a row whose external ID already exists.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["portfolio", "date"], name="portfolios_txn_pf_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TransactionKind.values), name="portfolios_txn_kind_valid"
            ),
            models.CheckConstraint(
                condition=~_kinds(TRADE_KINDS)
                | Q(
                    asset__isnull=False,
                    quantity__isnull=False,
                    quantity__gt=0,
                    price__isnull=False,
                    price__gte=0,
                ),
                name="portfolios_txn_trade_fields",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TransactionKind.SPLIT)
                | Q(asset__isnull=False, ratio__isnull=False, ratio__gt=0),
                name="portfolios_txn_split_fields",
            ),
            models.CheckConstraint(
                condition=~Q(kind=TransactionKind.DIVIDEND) | Q(asset__isnull=False),
                name="portfolios_txn_dividend_asset",
            ),
            models.CheckConstraint(
                condition=~_kinds(AMOUNT_KINDS) | Q(amount__isnull=False, amount__gt=0),
                name="portfolios_txn_amount_positive",
            ),
            models.CheckConstraint(
                condition=~_kinds(ASSET_FORBIDDEN_KINDS) | Q(asset__isnull=True),
                name="portfolios_txn_cash_no_asset",
            ),
            models.CheckConstraint(condition=Q(fee__gte=0), name="portfolios_txn_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(fx_rate__isnull=True) | Q(fx_rate__gt=0),
                name="portfolios_txn_fx_rate_positive",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "external_id"],
                condition=~Q(external_id=""),
                name="portfolios_txn_external_id_unique",
                violation_error_message="A transaction with this external ID already exists.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    def clean_fields(self, exclude=None) -> None:
        # A number too large for its column is named by its bound, in `clean` (through
        # `transaction_rule_errors`), not by a count of digits here as well.
        limits = number_limits()
        oversize = []
        for name, limit in limits.items():
            value = getattr(self, name)
            try:
                if value is not None and number_problem(Decimal(value), limit):
                    oversize.append(name)
            except ArithmeticError:
                continue  # not a number: the field's own check says so
        super().clean_fields(exclude=[*(exclude or ()), *oversize])

    def clean(self) -> None:
        super().clean()
        errors = transaction_rule_errors(
            kind=self.kind,
            has_asset=self.asset_id is not None,
            quantity=self.quantity,
            price=self.price,
            amount=self.amount,
            ratio=self.ratio,
            fee=self.fee,
            fx_rate=self.fx_rate,
        )
        if errors:
            raise ValidationError(errors)

    @property
    def cash_amount(self) -> Decimal | None:
        """The trade's value (price * quantity) for buys and sells, else the amount."""
        if self.kind in TRADE_KINDS and self.quantity is not None and self.price is not None:
            return self.quantity * self.price
        return self.amount


# The fields of a transaction an investor writes, in the form's and the API's order: the one
# column list (the services' writable fields, the API's and the admin's fields, the CSV columns
# with the asset as its symbol).
TRANSACTION_FIELDS = (
    "kind",
    "date",
    "asset",
    "quantity",
    "price",
    "amount",
    "ratio",
    "fee",
    "currency",
    "fx_rate",
    "note",
    "external_id",
)

# The columns a `Txn` is built from, in `values_list` order (`txns_from_rows`).
TXN_COLUMNS = (
    "id",
    "portfolio_id",
    "kind",
    "date",
    "asset_id",
    "quantity",
    "price",
    "amount",
    "ratio",
    "fee",
    "currency",
    "fx_rate",
)
_KINDS = {kind.value: kind for kind in Kind}


def txns_from_rows(rows: Iterable[Sequence]) -> list[Txn]:
    """Engine transactions from `values_list(*TXN_COLUMNS)` rows, in their order (built
    positionally, kinds looked up once: a portfolio's 15,000 rows are a hot path)."""
    kinds, zero = _KINDS, Decimal(0)
    return [
        Txn(
            r[0],
            kinds[r[2]],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            zero if r[9] is None else r[9],
            r[10],
            r[11],
        )
        for r in rows
    ]


class SimulationRun(models.Model):
    """One backtest asked for by a user: its inputs, progress and result (or why it failed).

    Short runs finish in the request that made them; long ones run in a Celery task that saves
    its progress (`portfolios.services.simulations`). `heartbeat_at` is the worker's last sign
    of life: a run silent for longer than the task time limit is failed by the sweep."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="simulation_runs"
    )
    inputs = models.JSONField(help_text="The validated inputs, as the API takes them.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="Share of the days simulated, 0 to 1.")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    portfolio = models.ForeignKey(
        Portfolio,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The portfolio it was saved as, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Simulation {self.public_id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


# --- Targets ---------------------------------------------------------------------------------------


class TargetAllocation(models.Model):
    """One target weight of a portfolio: for an asset, for an asset class, or for cash (only
    when the portfolio records cash). A portfolio's targets are either all by asset or all by
    asset class (cash beside either), in percent points adding up to 100, each with an optional
    drift band (± points) outside which the pages flag the drift. Written only by
    `services.targets_set`, which checks those rules and replaces the whole set at once."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="targets")
    asset = models.ForeignKey(
        "market.Asset", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    asset_class = models.CharField(max_length=10, blank=True)
    is_cash = models.BooleanField(default=False)
    weight = models.DecimalField(max_digits=7, decimal_places=4, help_text="Percent, 0 to 100.")
    band = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Drift band in percent points (optional): ± this much is on target.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="portfolios_target_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(band__isnull=True) | Q(band__gte=0, band__lte=100),
                name="portfolios_target_band_range",
            ),
            models.CheckConstraint(
                condition=Q(asset__isnull=False, asset_class="", is_cash=False)
                | Q(asset__isnull=True, is_cash=False) & ~Q(asset_class="")
                | Q(asset__isnull=True, asset_class="", is_cash=True),
                name="portfolios_target_one_kind",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "asset"],
                condition=Q(asset__isnull=False),
                name="portfolios_target_asset_unique",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "asset_class"],
                condition=~Q(asset_class=""),
                name="portfolios_target_class_unique",
            ),
            models.UniqueConstraint(
                fields=["portfolio"],
                condition=Q(is_cash=True),
                name="portfolios_target_cash_unique",
            ),
        ]

    def __str__(self) -> str:
        what = "cash" if self.is_cash else (self.asset_class or str(self.asset))
        return f"{what}: {self.weight} %"


class InstrumentSymbol(models.Model):
    """A user's answer to "which asset is this?" for a broker file's instrument identifier
    (an ISIN, a ticker or a name), remembered for their next import."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instrument_symbols"
    )
    identifier = models.CharField(max_length=100)
    symbol = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "identifier"], name="instrument_symbol_unique_per_owner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.identifier} → {self.symbol}"


class SavedMapping(models.Model):
    """A user's column mapping for a CSV no preset reads (`portfolios.brokers.mapping`), kept
    under a name to choose again in the import's format."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_mappings"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    mapping = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_mapping_unique_per_owner")
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """A transactions import too big for a request (`services.import_jobs`): the file staged
    when it is previewed (the page carries the job's id, not the file), then saved by a Celery
    task that reports its progress. Its `data` is emptied once it has run; a job silent for
    longer than the task time limit, or staged and never confirmed, is ended by the sweep."""

    class Status(models.TextChoices):
        STAGED = "staged", "Staged"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="import_jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STAGED)
    data = models.BinaryField(help_text="The file as uploaded (emptied once run).")
    options = models.JSONField(default=dict, help_text="format, mapping and symbols.")
    progress = models.FloatField(default=0.0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Import {self.public_id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
