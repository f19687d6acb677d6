"""Strategy weights as pages and the API ask for them: the read (`selectors.strategy_inputs`), and,
when the market-cap method finds catalogue assets without a cap, a request to the provider for
them (a quote refresh queued on commit; the worker stores their caps), so asking again in a
minute can succeed. No provider is called inside the request. "Use as targets" turns the
weights into a portfolio's asset targets (`strategy_targets_use`)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence

from market import services as market_services
from portfolios.errors import StrategyInputError
from portfolios.models import Portfolio, TargetAllocation
from portfolios.selectors.strategy_inputs import StrategyResult, strategy_weights_for
from portfolios.services.targets import targets_set_from_weights

CAPS_REQUESTED = (
    " Their market caps have been requested from the data provider: try again in a minute."
)


def strategy_weights_compute(
    *,
    user,
    asset_ids: Sequence[uuid.UUID],
    method: str,
    params: Mapping[str, object] | None = None,
    as_of: datetime.date | None = None,
) -> StrategyResult:
    """`strategy_weights_for`, asking the provider for the market caps it lacked."""
    try:
        return strategy_weights_for(
            user=user, asset_ids=asset_ids, method=method, params=params, as_of=as_of
        )
    except StrategyInputError as error:
        if error.assets_without_market_cap:
            market_services.refresh_request(
                asset_ids=list(error.assets_without_market_cap), closes=False
            )
            error.message += CAPS_REQUESTED
            error.fields = {name: [error.message] for name in error.fields}
        raise


def strategy_targets_use(
    *,
    user,
    portfolio: Portfolio,
    asset_ids: Sequence[uuid.UUID],
    method: str,
    params: Mapping[str, object] | None = None,
    as_of: datetime.date | None = None,
) -> tuple[StrategyResult, list[TargetAllocation]]:
    """ "Use as targets": the weights of `strategy_weights_compute` recomputed from the same
    inputs, set as the portfolio's asset targets (in points adding up to exactly 100, through
    `targets_set_from_weights`, which replaces any targets it had)."""
    result = strategy_weights_compute(
        user=user, asset_ids=asset_ids, method=method, params=params, as_of=as_of
    )
    targets = targets_set_from_weights(
        portfolio=portfolio, assets=result.assets, weights=result.weights.weights
    )
    return result, targets
