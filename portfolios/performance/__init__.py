"""The performance read model: `portfolio_performance` is the one function behind the Performance
page and its API twin (they cannot disagree), computed by `portfolios.engine` per DESIGN.md §4.

What a report holds, for a period [start, end] (both inclusive; V_{start-1} is the start value):

- `twr`, `twr_annualized` (only when the period has >= 365 days), `mwr` (XIRR, an annual rate),
  `mwr_period` (the period's own money-weighted return, only when it has < 365 days) and
  `mwr_note` (why either is None: too large to represent, or no rate), `simple_return` = gain / (V_{start-1} + ΣI), and `gain` = V_end - V_{start-1} - ΣI + ΣO.
- The gain in parts that add up to it exactly (up to float rounding), all in the base currency:

      gain = price_gain + income + fees + taxes + currency_effect

  * `income`: dividends and interest (gross amounts) dated in the period, each converted at the
    rate the ledger used for it (its own fx_rate, else that day's FX close).
  * `fees` (<= 0): every fee paid in the period: trade fees on buys and sells, fees charged on
    income, fee transactions (amount + fee) and fees on deposits and withdrawals; at their rates.
  * `taxes` (<= 0): tax transactions (amount + fee) dated in the period, at their rates.
  * `currency_effect`: what exchange-rate moves added, for every currency c other than the base:
    Σ_t (L_{c,t-1} + C_{c,t-1}) (x_{c,t} - x_{c,t-1}) over the period's days, where L_c is the
    local market value of the securities traded in c (from the same engine valuation, in c),
    C_c the cash balance in c (only when the portfolio records cash) and x_c the FX close the
    valuation uses; plus, on each buy, sell or cash movement in c, (x_{c,t} - r) times its local
    amount (signed as it moves value in), where r is the rate the ledger booked it at (zero unless
    the transaction carries its own fx_rate).
  * `price_gain`: the securities' own price moves: Σ_t Σ_a (q_{a,t} p_{a,t} - q_{a,t-1} p_{a,t-1}
    - net traded value p q of a on day t, in a's currency) x_t; i.e. the market gain of the
    holdings (value change net of purchases at price x quantity and sales at price x quantity)
    minus their currency effect. Computed (`engine.period.gain_split`) as gain - income - fees -
    taxes - currency_effect, which is that sum (the identity above, in both "with cash records"
    and "securities only" modes).
- Risk (business-day returns of the wealth index; empyrical's definitions): `volatility`,
  `sharpe` and `sortino` with the risk-free rate of the `RISK_FREE_RATE` setting (annual, default
  0), `max_drawdown` over calendar days with its peak, trough and recovery dates, and against the
  benchmark `beta` and `correlation`; and (`engine.risk_measures`) `calmar`, `value_at_risk` and
  `expected_shortfall` (95 %, one day), `omega`, `tail_ratio`, `up_capture` and `down_capture`,
  each None with its reason in `risk_notes` when undefined, and `rolling`, the volatility and
  Sharpe over the 252 business days to each business day of the period.
- `benchmark`: the portfolio's benchmark asset, else `^GSPC` from the catalogue, over the same days
  and in the base currency (its closes times the FX close): its TWR (close on the end day over the
  close of the day before start, minus 1) and `excess_return` = TWR - benchmark TWR. Where it
  has no close on or before the day before start (a start on a Monday or after a holiday), its
  first close in the period stands in as that base (and `benchmark_note` says so). None when it
  has no close in the period at all; then its history is queued on commit (never fetched in the
  request).
- `monthly` and `yearly` chained returns, and the daily `series` (value, net invested, cumulative
  TWR, drawdown, cumulative benchmark return) for the charts and the API.

Loading and caching. A request runs two small queries: the portfolio's `ledger_version` (with
`ledger_summary`, what the computation must know of the transactions beforehand: the first
date, the assets and currencies, whether cash is recorded, and the log of the last writes; the
services write both with every transaction write) and the assets it needs (held assets, FX pairs,
the benchmark) with the first and last date of their stored prices and their price versions. A
cached *state* (`state.Head`) records what the daily series was computed from, the ledger version
included; when both still match, the transactions are not read at all and the report comes from
the cache (keyed by the state's token, the benchmark's price dates, the risk-free rate and the
period). When something moved, D, the earliest date a change touches, is the earliest date
touched by the writes since the state was computed, read from the write logs (`portfolia.changelog`): the portfolio's
for its transactions, and each moved asset's (one more query) for prices, however far back (a
correction); when a log no longer holds every write since (more than its last 32), everything
is recomputed. The series is recomputed from the latest saved ledger checkpoint before D
(DESIGN's "a change dated D recomputes from D"): a computation leaves checkpoints at the month
ends of the last twelve months and the year ends of the last few years (`state.resume_points`), so
an edit in the last year resumes at most a month before its date. Only the transactions after
the checkpoint are loaded, and the closes from a month before it come from the cached state's
own copy of the recent closes when the price marks have not moved (else from the database).
The ledger runs valuation-only (`track_lots=False`: quantities, last prices, cash and flows, no
lots or costs; the reports replay the full ledger themselves). Checkpoints are kept in the
cache as the ledger's own snapshots, plain tuples (`engine.snapshots.ledger_pack`), all those
of one computation in one entry where the positions they share are packed and pickled once.

The package, one module per job (each imports only those above it):

- `periods`: the dates of a named or custom period (`period_resolve`).
- `results`: the report's dataclasses.
- `loading`: the database reads (ledger version and summary, transaction rows, asset metadata
  with the FX pair and benchmark choice, closes) and `portfolio_ledger_load` for the reports.
- `packing`: how the recent closes travel in the cache (checkpoints travel as the engine's
  `snapshots`).
- `state`: the cached state (`Head`, `Body`) and the checkpoint policy (where checkpoints are
  left, which are kept, which one a change resumes from).
- `series`: computing the daily series (in full or resumed) and the up-to-date state.
- `benchmark`: the benchmark's closes in the base currency, and the queueing of its history.
- `report`: `portfolio_performance`, the report of a period (its maths in `engine.period`).
- `flows`: `performance_flows`; `exports`: the CSV exports.
"""

from portfolios.performance.exports import daily_values_csv, mwr_flows_csv
from portfolios.performance.flows import FlowRow, FlowsReport, performance_flows
from portfolios.performance.loading import (
    DEFAULT_BENCHMARK,
    LedgerInputs,
    portfolio_ledger_load,
    txn_rate,
)
from portfolios.performance.periods import (
    PERIODS,
    Period,
    PeriodError,
    period_name,
    period_resolve,
)
from portfolios.performance.report import portfolio_performance
from portfolios.performance.results import BenchmarkResult, PerformanceReport, PerformanceSeries

__all__ = [
    "DEFAULT_BENCHMARK",
    "PERIODS",
    "BenchmarkResult",
    "FlowRow",
    "FlowsReport",
    "LedgerInputs",
    "PerformanceReport",
    "PerformanceSeries",
    "Period",
    "PeriodError",
    "daily_values_csv",
    "mwr_flows_csv",
    "performance_flows",
    "period_name",
    "period_resolve",
    "portfolio_ledger_load",
    "portfolio_performance",
    "txn_rate",
]
