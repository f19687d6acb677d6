"""App configuration for portfolios: tells the market app which assets portfolios need fresh."""

from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portfolios"

    def ready(self) -> None:
        from market.selectors import refresh_source_register
        from portfolios import selectors

        # Held assets, benchmarks and the FX pairs portfolios convert with get their quotes
        # and daily closes refreshed by the market app's scheduled tasks.
        refresh_source_register(selectors.held_asset_ids)
        refresh_source_register(selectors.benchmark_asset_ids)
        refresh_source_register(selectors.fx_pair_asset_ids)
