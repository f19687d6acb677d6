"""API translation for portfolios, transactions, holdings, allocation, import reports, and the
performance read model and the reports.

Decimals travel as strings: stored amounts exactly (without trailing zeros), computed values
rounded by `portfolia.money.quantize` (money to cents, prices, ratios and weights to six
places). Ids are public UUIDs. Serializers never write and never query per row. Performance
rates travel as decimal-fraction strings with RATE_PLACES places ("0.1234000000" is 12.34 %),
its money as strings with two places, dates as ISO 8601, null where a figure is undefined, all
rounded by `portfolia.money.quantize` through `rate_text` and `money_text` here.
"""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolia.currencies import CURRENCY_CHOICES
from portfolia.money import MONEY_PLACES, PRICE_PLACES, RATIO_PLACES, plain, quantize
from portfolia.rest import StrictFieldsMixin
from portfolia.validators import validate_query_date
from portfolios.importers import MAX_BYTES, MAX_ROWS, file_size_problem
from portfolios.models import TRANSACTION_FIELDS, Portfolio, Transaction, number_limit_messages
from portfolios.performance import PERIODS, FlowsReport, PerformanceReport
from portfolios.reports import IncomeReport, IncomeTotals, RealizedReport, RealizedSale
from portfolios.selectors import asset_queryset_for_user
from portfolios.serializers_risk import RiskSerializer, risk_data, rolling_by_day, rolling_point


class ExactDecimalField(serializers.DecimalField):
    """A stored decimal as its exact value without trailing zeros ("10", "185.5")."""

    def to_representation(self, value):
        if value is None:
            return None
        return plain(Decimal(value))


@extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
class RoundedDecimalField(serializers.Field):
    """A computed decimal rounded for output (read-only)."""

    def __init__(self, places: int, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)
        self.places = places

    def to_representation(self, value):
        rounded = quantize(value, self.places)
        return None if rounded is None else str(rounded)


def money(**kwargs) -> RoundedDecimalField:
    return RoundedDecimalField(MONEY_PLACES, **kwargs)


class AssetRefField(serializers.SlugRelatedField):
    """An asset by its public id, among those the requesting user may use."""

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="public_id", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return asset_queryset_for_user(request.user if request else None)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            raise
        except Exception:  # a malformed UUID
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))

    def to_representation(self, value):
        return str(value.public_id)


class NegativeCashSerializer(serializers.Serializer):
    """A cash balance that went below zero: the first day it closed negative and that
    balance (< 0) in its currency."""

    currency = serializers.CharField()
    first_date = serializers.DateField()
    amount = serializers.CharField(help_text="The balance at the close of first_date (< 0).")


def negative_cash_data(items) -> list[dict] | None:
    """The API form of the engine's negative cash (None when no balance went below zero)."""
    if not items:
        return None
    return [
        {
            "currency": item.currency,
            "first_date": item.first_date,
            "amount": money_text(item.amount),
        }
        for item in items
    ]


CASH_FIELDS = ("records_cash", "cash_per_currency")


class PortfolioSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    base_currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, required=False, help_text="Defaults to the user's currency."
    )
    benchmark = AssetRefField(required=False, allow_null=True, help_text="An asset id.")
    records_cash = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Whether the portfolio records cash (deposits and withdrawals, the cash "
        "balance in the value); false unless chosen. Set on create; changed later only through "
        "POST /portfolios/{id}/cash-records/ (a preview, then a confirmed change).",
    )
    cash_per_currency = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With records_cash: keep cash per currency (a multi-currency account) "
        "instead of settling foreign trades in the base currency. Same rules as records_cash.",
    )
    negative_cash = serializers.SerializerMethodField(
        help_text="Each cash balance that went below zero (first day and that balance), or null."
    )

    class Meta:
        model = Portfolio
        fields = (
            "id",
            "name",
            "description",
            "base_currency",
            "cost_basis_method",
            "benchmark",
            "records_cash",
            "cash_per_currency",
            "negative_cash",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, portfolio: Portfolio) -> list[dict] | None:
        """From the view's dashboard summaries (`context["negative_cash"]`, by portfolio id)."""
        return negative_cash_data(self.context.get("negative_cash", {}).get(portfolio.pk))


class AssetSymbolField(serializers.CharField):
    """Out: the transaction's asset's symbol (null without an asset). In: a symbol, which the
    API view resolves as the CSV import does (`market.services.asset_for_symbol`)."""

    def get_attribute(self, instance):
        return instance.asset.symbol if instance.asset_id else None


class TransactionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field: ExactDecimalField
            for field, serializer_field in serializers.ModelSerializer.serializer_field_mapping.items()
            if serializer_field is serializers.DecimalField
        },
    }

    id = serializers.UUIDField(source="public_id", read_only=True)
    asset = AssetRefField(
        required=False, allow_null=True, help_text="An asset id (or give its `symbol`)."
    )
    symbol = AssetSymbolField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=32,
        help_text="The asset's symbol (AAPL, VWCE.DE), found as the CSV import finds it: your "
        "manual asset, the catalogue, then the data provider. Give it or `asset`; both must "
        "name the same asset.",
    )
    fee = ExactDecimalField(
        max_digits=20,
        decimal_places=4,
        required=False,
        error_messages={
            "max_digits": number_limit_messages()["fee"],
            "max_whole_digits": number_limit_messages()["fee"],
        },
    )
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES,
        required=False,
        allow_blank=True,
        help_text="Defaults to the asset's currency, else the portfolio's.",
    )

    class Meta:
        model = Transaction
        fields = (
            "id",
            *TRANSACTION_FIELDS[:3],
            "symbol",
            *TRANSACTION_FIELDS[3:],
            "created_at",
        )
        read_only_fields = ("created_at",)
        # A number with too many digits is named by the bound it breaks, as the service
        # names one below the column's digits (`portfolios.models.number_limits`).
        extra_kwargs = {
            "date": {"help_text": "From 1900-01-01 to a week from today."},
            **{
                name: {"error_messages": {"max_digits": message, "max_whole_digits": message}}
                for name, message in number_limit_messages().items()
            },
        }

    def validate(self, attrs: dict) -> dict:
        symbol = (attrs.get("symbol") or "").strip()
        attrs["symbol"] = symbol
        asset = attrs.get("asset")
        if symbol and asset is not None and asset.symbol.upper() != symbol.upper():
            raise serializers.ValidationError(
                {
                    "symbol": [
                        f"“{symbol}” is not the symbol of the asset given ({asset.symbol}): "
                        "give one of them, or both for the same asset."
                    ]
                }
            )
        if symbol and asset is not None:
            attrs["symbol"] = ""  # the asset says it already
        return attrs


class TransactionSavedSerializer(TransactionSerializer):
    """A transaction just created or updated, with what to check about it (the view sets
    `warnings` from `selectors.transaction_warnings`)."""

    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What to check, never blocking: e.g. a split the data provider does not "
        "report within a few days, or reports with another ratio. The transaction is saved.",
    )

    class Meta(TransactionSerializer.Meta):
        fields = (*TransactionSerializer.Meta.fields, "warnings")


class HoldingSerializer(serializers.Serializer):
    """One position. `price` and `average_cost` are per unit in the asset's `currency`; the
    other amounts are in the portfolio's base currency; `weight` is a fraction of total value."""

    asset = serializers.UUIDField(source="asset.public_id")
    symbol = serializers.CharField(source="asset.symbol")
    name = serializers.CharField(source="asset.name")
    asset_class = serializers.CharField(source="asset.asset_class")
    currency = serializers.CharField()
    quantity = ExactDecimalField(max_digits=None, decimal_places=None)
    average_cost = RoundedDecimalField(PRICE_PLACES)
    cost_basis = money()
    price = RoundedDecimalField(PRICE_PLACES)
    price_date = serializers.DateField()
    price_is_market = serializers.BooleanField()
    market_value_local = money()
    market_value = money()
    unrealized_gain = money()
    unrealized_gain_pct = RoundedDecimalField(RATIO_PLACES)
    realized_gain = money()
    income = money()
    weight = RoundedDecimalField(RATIO_PLACES)


class HoldingsSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    records_cash = serializers.BooleanField()
    cash_per_currency = serializers.BooleanField()
    total_value = money(help_text="Cash included when the portfolio records cash.")
    securities_value = money()
    cash = money()
    cash_weight = RoundedDecimalField(
        RATIO_PLACES,
        help_text="Cash as a fraction of total value (null without cash records): with the "
        "holdings' weights it adds up to 1.",
    )
    negative_cash = serializers.SerializerMethodField()
    cost_basis = money()
    unrealized_gain = money()
    realized_gain = money()
    income = money()
    fees = money()
    taxes = money()
    net_invested = money()
    total_gain = money()
    results = HoldingSerializer(source="rows", many=True)

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, snapshot) -> list[dict] | None:
        return negative_cash_data(snapshot.negative_cash)


class AllocationSliceSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='An asset symbol, asset class or currency; "cash".')
    label = serializers.CharField()
    value = money()
    weight = RoundedDecimalField(
        RATIO_PLACES,
        help_text="A fraction of the total value with its cash, as in the holdings: the slices "
        "add up to 1 (a negative cash slice is negative).",
    )


class AllocationSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    by = serializers.CharField()
    results = AllocationSliceSerializer(many=True)


class HoldingsQuerySerializer(serializers.Serializer):
    date = serializers.DateField(
        required=False,
        validators=[validate_query_date],
        help_text="YYYY-MM-DD, from 1900-01-01 to a week from today; today when omitted.",
    )


class AllocationQuerySerializer(HoldingsQuerySerializer):
    by = serializers.ChoiceField(choices=["asset", "asset_class", "currency"], default="asset")


class ImportRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(
        help_text=f"CSV in Portfolia's format (see the export), at most {MAX_BYTES // 2**20} MB "
        f"and {MAX_ROWS:,} rows."
    )
    dry_run = serializers.BooleanField(default=True, help_text="Check only; save nothing.")

    def validate_file(self, upload):
        problem = file_size_problem(upload.size)
        if problem:
            raise serializers.ValidationError(problem)
        return upload


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["new", "duplicate", "error"])
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    values = serializers.DictField(source="raw", child=serializers.CharField(allow_blank=True))
    asset_name = serializers.CharField()
    asset_is_new = serializers.BooleanField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What to check, never blocking: e.g. a split the data provider does not report.",
    )


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    saved = serializers.BooleanField()
    created = serializers.IntegerField()
    new = serializers.IntegerField(source="new_count")
    duplicates = serializers.IntegerField(source="duplicate_count")
    errors = serializers.IntegerField(source="error_count")
    new_assets = serializers.ListField(child=serializers.CharField())
    file_errors = serializers.ListField(child=serializers.CharField())
    negative_cash = serializers.SerializerMethodField(
        help_text="The negative cash the portfolio would show with the new rows, or null."
    )
    cash_warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Each way the new rows would change the cash picture (a balance made "
        "negative), said before anything is saved.",
    )
    cash_switch_offered = serializers.BooleanField(
        help_text="Some rows are deposits or withdrawals and the portfolio does not record "
        "cash: POST /portfolios/{id}/cash-records/ switches it on (preview first)."
    )
    rows = ImportRowSerializer(many=True)

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, report) -> list[dict] | None:
        return negative_cash_data(report.negative_cash)


# ── The performance read model and the reports ───────────────────────────────
RATE_PLACES = 10


def _text(value: float | Decimal | None, places: int) -> str | None:
    """Fixed-point text of a finite number; None for None, NaN and infinities (never raises)."""
    if value is None:
        return None
    rounded = quantize(value if isinstance(value, Decimal) else float(value), places)
    if rounded is None or not rounded.is_finite():
        return None
    return f"{rounded:f}"


def rate_text(value: float | Decimal | None) -> str | None:
    """A rate as a fixed-point fraction string: 0.123456789012 → "0.1234567890"; None for None,
    NaN or an infinity. (Which rates are too large to be figures is the engine's call.)"""
    return _text(value, RATE_PLACES)


def money_text(value: float | Decimal | None) -> str | None:
    """Money as a string with two decimals: 1234.5 → "1234.50"."""
    return _text(value, MONEY_PLACES)


# ── Input ────────────────────────────────────────────────────────────────────


class PerformanceQuerySerializer(serializers.Serializer):
    """`period` (1D 1W 1M 3M YTD 1Y 3Y 5Y MAX; 1Y by default) or `start`/`end`, and whether to
    include the daily `series`. Both a period and dates are refused by the read model's one
    period rule (`PeriodError`, a 400), as the page refuses them."""

    period = serializers.ChoiceField(choices=PERIODS, required=False)
    start = serializers.DateField(required=False, validators=[validate_query_date])
    end = serializers.DateField(required=False, validators=[validate_query_date])
    series = serializers.BooleanField(required=False, default=True)

    def to_internal_value(self, data):
        if "period" in data and isinstance(data.get("period"), str):
            data = data.copy()
            data["period"] = data["period"].upper()
        return super().to_internal_value(data)


class YearQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)


# ── Output ───────────────────────────────────────────────────────────────────


def performance_data(report: PerformanceReport, *, series: bool = True) -> dict:
    """The API body of a performance report, with exactly the documented keys."""
    benchmark = None
    if report.benchmark is not None:
        benchmark = {
            "asset": report.benchmark.symbol,
            "twr": rate_text(report.benchmark.twr),
            "excess_return": rate_text(report.benchmark.excess_return),
        }
    body = {
        "start": report.start,
        "end": report.end,
        "currency": report.currency,
        "start_value": money_text(report.start_value),
        "end_value": money_text(report.end_value),
        "net_flows": money_text(report.net_flows),
        "gain": money_text(report.gain),
        "twr": rate_text(report.twr),
        "twr_annualized": rate_text(report.twr_annualized),
        "mwr": rate_text(report.mwr),
        "mwr_period": rate_text(report.mwr_period),
        "mwr_note": report.mwr_note,
        "simple_return": rate_text(report.simple_return),
        "price_gain": money_text(report.price_gain),
        "income": money_text(report.income),
        "fees": money_text(report.fees),
        "taxes": money_text(report.taxes),
        "currency_effect": money_text(report.currency_effect),
        "volatility": rate_text(report.volatility),
        "sharpe": rate_text(report.sharpe),
        "sortino": rate_text(report.sortino),
        "max_drawdown": rate_text(report.max_drawdown),
        "beta": rate_text(report.beta),
        "correlation": rate_text(report.correlation),
        "risk": risk_data(report),
        "benchmark": benchmark,
        "dates_note": report.dates_note,
        "negative_cash": negative_cash_data(report.negative_cash),
    }
    if series:
        points = report.series.points() if report.series is not None else []
        rolling = rolling_by_day(report)
        body["series"] = [
            {
                "date": point["date"],
                "value": money_text(point["value"]),
                "net_invested": money_text(point["net_invested"]),
                "twr": rate_text(point["twr"]),
                "drawdown": rate_text(point["drawdown"]),
                **rolling_point(rolling, point["date"]),
            }
            for point in points
        ]
    return body


class BenchmarkSerializer(serializers.Serializer):
    asset = serializers.CharField(help_text="The benchmark's symbol, e.g. ^GSPC.")
    twr = serializers.CharField(help_text="Its return over the period (a fraction).")
    excess_return = serializers.CharField(help_text="Portfolio TWR minus benchmark TWR.")


class SeriesPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    value = serializers.CharField()
    net_invested = serializers.CharField()
    twr = serializers.CharField(help_text="Cumulative time-weighted return to this day.")
    drawdown = serializers.CharField(help_text="W / running maximum of W - 1 (<= 0).")
    rolling_volatility = serializers.CharField(
        allow_null=True, help_text="Volatility of the 252 business days to this one (else null)."
    )
    rolling_sharpe = serializers.CharField(
        allow_null=True, help_text="Sharpe ratio of the 252 business days to this one (else null)."
    )


class PerformanceSerializer(serializers.Serializer):
    """The schema of `performance_data` (documentation for the OpenAPI description)."""

    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    start_value = serializers.CharField(help_text="V at the close of the day before start.")
    end_value = serializers.CharField()
    net_flows = serializers.CharField(help_text="External inflows minus outflows.")
    gain = serializers.CharField(help_text="end_value - start_value - net_flows.")
    twr = serializers.CharField(allow_null=True)
    twr_annualized = serializers.CharField(allow_null=True, help_text="Only for >= 365 days.")
    mwr = serializers.CharField(
        allow_null=True,
        help_text="XIRR, an annual rate; null when no rate solves the flows or it is too large "
        "to represent (mwr_note says which).",
    )
    mwr_period = serializers.CharField(
        allow_null=True,
        help_text="The period's own money-weighted return, (1 + mwr)^(n/365) - 1: only for "
        "periods of under 365 days (null otherwise or when too large to represent).",
    )
    mwr_note = serializers.CharField(
        allow_null=True, help_text="Why mwr or mwr_period is null, when it is."
    )
    simple_return = serializers.CharField(allow_null=True)
    price_gain = serializers.CharField()
    income = serializers.CharField()
    fees = serializers.CharField(help_text="<= 0: a part of the gain.")
    taxes = serializers.CharField(help_text="<= 0: a part of the gain.")
    currency_effect = serializers.CharField()
    volatility = serializers.CharField(allow_null=True)
    sharpe = serializers.CharField(allow_null=True)
    sortino = serializers.CharField(allow_null=True)
    max_drawdown = serializers.CharField(allow_null=True)
    beta = serializers.CharField(allow_null=True)
    correlation = serializers.CharField(allow_null=True)
    risk = RiskSerializer()
    benchmark = BenchmarkSerializer(allow_null=True)
    dates_note = (
        serializers.CharField(
            allow_null=True,
            help_text="Set when a transaction is dated before 1900-01-01: it counts as of that day.",
        ),
    )
    negative_cash = NegativeCashSerializer(
        many=True,
        allow_null=True,
        help_text="Each cash balance that went below zero up to today, or null.",
    )
    series = SeriesPointSerializer(many=True, required=False)


def flows_data(report: FlowsReport) -> dict:
    return {
        "start": report.start,
        "end": report.end,
        "currency": report.currency,
        "start_value": money_text(report.start_value),
        "end_value": money_text(report.end_value),
        "flows": [
            {
                "date": flow.date,
                "kind": flow.kind,
                "direction": flow.direction,
                "amount": money_text(flow.amount),
                "transaction": flow.transaction_id,
            }
            for flow in report.flows
        ],
    }


class FlowSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField()
    direction = serializers.ChoiceField(choices=["in", "out"])
    amount = serializers.CharField(help_text="> 0, in the base currency.")
    transaction = serializers.UUIDField()


class FlowsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    currency = serializers.CharField()
    start_value = serializers.CharField()
    end_value = serializers.CharField()
    flows = FlowSerializer(many=True)


def _income_totals(totals: IncomeTotals, key: str) -> dict:
    return {
        key: totals.key,
        "dividends": money_text(totals.dividends),
        "interest": money_text(totals.interest),
        "fees": money_text(totals.fees),
        "total": money_text(totals.total),
    }


def income_data(report: IncomeReport) -> dict:
    return {
        "currency": report.currency,
        "year": report.year,
        "years": report.years,
        "total": {
            "dividends": money_text(report.total.dividends),
            "interest": money_text(report.total.interest),
            "fees": money_text(report.total.fees),
            "total": money_text(report.total.total),
        },
        "by_year": [
            {**_income_totals(row, "year"), "year": int(row.key)} for row in report.by_year
        ],
        "by_month": [_income_totals(row, "month") for row in report.by_month],
        "by_asset": [
            {**_income_totals(row, "asset"), "name": row.label} for row in report.by_asset
        ],
    }


def _sale_data(sale: RealizedSale) -> dict:
    return {
        "transaction": sale.transaction_id,
        "date": sale.date,
        "tax_year": sale.tax_year,
        "asset": sale.symbol,
        "currency": sale.currency,
        "quantity": f"{sale.quantity.normalize():f}",
        "price": f"{sale.price.normalize():f}",
        "proceeds": money_text(sale.proceeds),
        "fees": money_text(sale.fee),
        "cost": money_text(sale.cost),
        "gain": money_text(sale.gain),
        "lots": [
            {
                "buy_transaction": lot.buy_transaction_id,
                "buy_date": lot.buy_date,
                "quantity": f"{lot.quantity.normalize():f}",
                "cost": money_text(lot.cost),
                "holding_days": lot.holding_days,
            }
            for lot in sale.lots
        ],
    }


def realized_data(report: RealizedReport) -> dict:
    total = report.total
    return {
        "currency": report.currency,
        "cost_basis_method": report.method,
        "year": report.year,
        "years": report.years,
        "total": {
            "proceeds": money_text(total.proceeds),
            "fees": money_text(total.fees),
            "cost": money_text(total.cost),
            "gain": money_text(total.gain),
            "sales": total.sales,
        },
        "by_year": [
            {
                "year": row.year,
                "proceeds": money_text(row.proceeds),
                "fees": money_text(row.fees),
                "cost": money_text(row.cost),
                "gain": money_text(row.gain),
                "sales": row.sales,
            }
            for row in report.by_year
        ],
        "sales": [_sale_data(sale) for sale in report.sales],
    }


# ── Cash records: preview and confirmed change ───────────────────────────────


class CashRecordsRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    records_cash = serializers.BooleanField()
    cash_per_currency = serializers.BooleanField(
        required=False, default=False, help_text="Only with records_cash."
    )
    dry_run = serializers.BooleanField(
        required=False, default=True, help_text="Preview only (the default); false applies it."
    )


class CashChoiceFiguresSerializer(serializers.Serializer):
    records_cash = serializers.BooleanField()
    cash_per_currency = serializers.BooleanField()
    value = money()
    net_invested = money()
    total_gain = money()
    cash = money()
    negative_cash = serializers.SerializerMethodField()
    pending = serializers.CharField(allow_null=True)

    @extend_schema_field(NegativeCashSerializer(many=True, allow_null=True))
    def get_negative_cash(self, figures) -> list[dict] | None:
        return negative_cash_data(figures.negative_cash)


class CashRecordsPreviewSerializer(serializers.Serializer):
    date = serializers.DateField()
    currency = serializers.CharField()
    changes = serializers.BooleanField()
    current = CashChoiceFiguresSerializer()
    proposed = CashChoiceFiguresSerializer()
    ignored_cash_records = serializers.IntegerField(
        help_text="Deposits and withdrawals that count for nothing without cash records."
    )


class CashRecordsResponseSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    preview = CashRecordsPreviewSerializer()
    portfolio = PortfolioSerializer()
