"""Every write to portfolios and transactions, each one atomic function.

One module per sub-domain: ``portfolios`` (create, update, delete, cash records), ``transactions``
(one row at a time, or several checked together), ``imports`` (the CSV import), ``ledger`` (the
ledger version every transaction write moves), ``market_data`` (histories and FX pairs ensured
after a commit), ``strategies`` (strategy weights, asking the provider for missing market caps),
``targets`` (target weights, recording a rebalance plan) and ``simulations`` (backtests).
This module names the public functions; the rest stay private to the package.

Transaction writes lock the portfolio row (so concurrent writes to one portfolio serialise),
validate the row (`full_clean`, the per-kind rules) and then replay the whole ledger *with* the
change through `portfolios.engine`: selling more than was held on that date, or an edit or
delete that would make a later sell impossible, is refused with a `LedgerViolation` naming the
transaction that breaks. After the commit, the asset's price history (and the FX pair a foreign
currency needs) is ensured by `market.services.ensure_history`, which queues any backfill.

The ledger check ignores exchange rates (every foreign amount converts at its own fx_rate or 1):
rates only change values, never whether a history is possible, and they may still be loading.
"""

from portfolios.services.imports import (
    ImportReport,
    ImportRow,
    ImportStatus,
    transaction_import,
)
from portfolios.services.ledger import ledger_changed, ledger_summary
from portfolios.services.portfolios import (
    PORTFOLIO_FIELDS,
    portfolio_cash_records_change,
    portfolio_create,
    portfolio_delete,
    portfolio_update,
)
from portfolios.services.simulation_save import simulation_run_save_as_portfolio
from portfolios.services.simulations import (
    SIMULATION_METHODS,
    SimulationSpec,
    simulation_run_execute,
    simulation_run_fail,
    simulation_runs_sweep,
    simulation_spec_check,
    simulation_start,
)
from portfolios.services.strategies import strategy_targets_use, strategy_weights_compute
from portfolios.services.targets import (
    NothingToRecord,
    TargetInput,
    rebalance_record,
    targets_set,
    targets_set_from_weights,
)
from portfolios.services.transactions import (
    CASH_KINDS,
    CASH_NOT_RECORDED,
    cash_not_recorded_message,
    transaction_create,
    transaction_delete,
    transaction_update,
    transactions_create,
    transactions_load,
)

__all__ = [
    "CASH_KINDS",
    "CASH_NOT_RECORDED",
    "PORTFOLIO_FIELDS",
    "SIMULATION_METHODS",
    "ImportReport",
    "ImportRow",
    "ImportStatus",
    "NothingToRecord",
    "SimulationSpec",
    "TargetInput",
    "cash_not_recorded_message",
    "ledger_changed",
    "ledger_summary",
    "portfolio_cash_records_change",
    "portfolio_create",
    "portfolio_delete",
    "portfolio_update",
    "rebalance_record",
    "simulation_run_execute",
    "simulation_run_fail",
    "simulation_run_save_as_portfolio",
    "simulation_runs_sweep",
    "simulation_spec_check",
    "simulation_start",
    "strategy_targets_use",
    "strategy_weights_compute",
    "targets_set",
    "targets_set_from_weights",
    "transaction_create",
    "transaction_delete",
    "transaction_import",
    "transaction_update",
    "transactions_create",
    "transactions_load",
]
