"""API translation for portfolios, transactions, holdings, allocation, import reports, cash
records, the performance read model and the reports: one module per sub-domain (`fields`,
`portfolios`, `transactions`, `holdings`, `imports`, `performance`, `cash_records`).

Decimals travel as strings: stored amounts exactly (without trailing zeros), computed values
rounded by `portfolia.money.quantize` (money to cents, prices, ratios and weights to six
places). Ids are public UUIDs. Serializers never write and never query per row. The reports'
bodies (performance, flows, income, realized gains) are plain dicts built by `portfolios.wire`,
re-exported here with its `rate_text` and `money_text`; these modules hold their schemas.
"""

from portfolios.serializers.cash_records import (
    CashChoiceFiguresSerializer,
    CashRecordsPreviewSerializer,
    CashRecordsRequestSerializer,
    CashRecordsResponseSerializer,
)
from portfolios.serializers.fields import (
    AssetRefField,
    ExactDecimalField,
    NegativeCashSerializer,
    RoundedDecimalField,
    money,
)
from portfolios.serializers.holdings import (
    AllocationQuerySerializer,
    AllocationSerializer,
    AllocationSliceSerializer,
    HoldingSerializer,
    HoldingsQuerySerializer,
    HoldingsSerializer,
)
from portfolios.serializers.imports import (
    ImportReportSerializer,
    ImportRequestSerializer,
    ImportRowSerializer,
)
from portfolios.serializers.performance import (
    BenchmarkSerializer,
    FlowSerializer,
    FlowsSerializer,
    PerformanceQuerySerializer,
    PerformanceSerializer,
    SeriesPointSerializer,
    YearQuerySerializer,
)
from portfolios.serializers.portfolios import CASH_FIELDS, PortfolioSerializer
from portfolios.serializers.transactions import (
    AssetSymbolField,
    TransactionSavedSerializer,
    TransactionSerializer,
)
from portfolios.wire import (
    RATE_PLACES,
    flows_data,
    income_data,
    money_text,
    negative_cash_data,
    performance_data,
    rate_text,
    realized_data,
)

__all__ = [
    "CASH_FIELDS",
    "RATE_PLACES",
    "AllocationQuerySerializer",
    "AllocationSerializer",
    "AllocationSliceSerializer",
    "AssetRefField",
    "AssetSymbolField",
    "BenchmarkSerializer",
    "CashChoiceFiguresSerializer",
    "CashRecordsPreviewSerializer",
    "CashRecordsRequestSerializer",
    "CashRecordsResponseSerializer",
    "ExactDecimalField",
    "FlowSerializer",
    "FlowsSerializer",
    "HoldingSerializer",
    "HoldingsQuerySerializer",
    "HoldingsSerializer",
    "ImportReportSerializer",
    "ImportRequestSerializer",
    "ImportRowSerializer",
    "NegativeCashSerializer",
    "PerformanceQuerySerializer",
    "PerformanceSerializer",
    "PortfolioSerializer",
    "RoundedDecimalField",
    "SeriesPointSerializer",
    "TransactionSavedSerializer",
    "TransactionSerializer",
    "YearQuerySerializer",
    "flows_data",
    "income_data",
    "money",
    "money_text",
    "negative_cash_data",
    "performance_data",
    "rate_text",
    "realized_data",
]
