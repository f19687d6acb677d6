"""Domain errors of the ledger, mapped to HTTP by ``portfolia.rest`` like every ``DomainError``."""

from collections.abc import Sequence

from portfolia.errors import DomainError


class LedgerViolation(DomainError):
    """The change would make the portfolio's history impossible (selling more than held, a split
    of something not held). ``transaction_id`` is the public id of the transaction that breaks,
    when it is a stored one (None when it is the one being written)."""

    code = "ledger_error"
    status_code = 422

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        transaction_id: str | None = None,
    ) -> None:
        super().__init__(message, fields=fields)
        self.transaction_id = transaction_id


class MarketDataPending(DomainError):
    """A value needs an exchange rate that has not been loaded yet (its backfill is queued)."""

    code = "market_data_pending"
    status_code = 503


class StrategyInputError(DomainError):
    """Strategy weights cannot be computed from this input (an unknown asset, too few closes,
    infeasible caps, a missing market cap): always a 400, naming the fields and assets."""

    code = "invalid"
    status_code = 400
    # Catalogue assets the market-cap method found without a cap (ids): a service asks the
    # provider for them.
    assets_without_market_cap: Sequence[int] = ()


class SimulationInputError(DomainError):
    """A backtest's inputs cannot be simulated (dates, weights, assets without prices): a 400."""

    code = "invalid"
    status_code = 400
