"""The domain errors the market writes raise (each mapped to one HTTP status)."""

from __future__ import annotations

from portfolia.errors import DomainError


class AssetNotManualError(DomainError):
    code = "not_manual"
    status_code = 422


class ProviderUnavailableError(DomainError):
    code = "provider_unavailable"
    status_code = 503


class SymbolNotFoundError(DomainError):
    code = "not_found_at_provider"
    status_code = 422
