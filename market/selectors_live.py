"""The version of what the asset page's live fragment shows (portfolia/live.py): the asset's
price marks (its price version moves with every price write) and its latest quote, in one query
beside the asset's own row."""

from __future__ import annotations

import datetime as dt
import hashlib

from market.models import Asset, Quote


def asset_live_version(*, asset: Asset, today: dt.date) -> str:
    """Changes with a new or rewritten close, a new quote, and the day (staleness)."""
    quote = Quote.objects.filter(asset=asset).values_list("price", "timestamp").first()
    marks = (
        asset.pk,
        asset.price_version,
        asset.first_price_date,
        asset.last_price_date,
        quote,
        today.isoformat(),
    )
    return hashlib.blake2b(repr(marks).encode(), digest_size=16).hexdigest()
