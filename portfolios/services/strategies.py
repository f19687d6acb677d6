"""Strategy weights as pages and the API ask for them: the read (`selectors.strategy_inputs`), and,
when the market-cap method finds catalogue assets without a cap, a request to the provider for
them (a quote refresh queued on commit; the worker stores their caps), so asking again in a
minute can succeed. No provider is called inside the request."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence

from market import services as market_services
from portfolios.errors import StrategyInputError
from portfolios.selectors.strategy_inputs import StrategyResult, strategy_weights_for

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
