"""Domain errors raised by services and mapped to HTTP in one place (``portfolia.api``)."""


class DomainError(Exception):
    """A request that is well-formed but breaks a rule of the domain."""

    code = "invalid"
    status_code = 422

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ConflictError(DomainError):
    """The change collides with the current state (a duplicate, a concurrent edit)."""

    code = "conflict"
    status_code = 409
