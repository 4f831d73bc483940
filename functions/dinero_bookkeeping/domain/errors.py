"""Error kinds. The split between retryable and permanent decides what SQS does with a message."""


class BookkeepingError(Exception):
    """Base of every error this package raises on purpose."""


class RetryableError(BookkeepingError):
    """Transient: the message comes back later (429, 5xx, timeouts, a refresh held by another worker)."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class PermanentError(BookkeepingError):
    """Will not heal by retrying. `reason` is shown to the merchant, so it says what to fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedEventError(PermanentError):
    """The queue message is not a valid order-handled event."""


class TemplateIncompleteError(PermanentError):
    """A template the order needs has no account (or the invoice template is missing)."""


class DineroValidationError(PermanentError):
    """Dinero rejected the request body (HTTP 400). `fields`: the body's fields Dinero named, if it did."""

    def __init__(self, reason: str, fields: frozenset[str] = frozenset()) -> None:
        super().__init__(reason)
        self.fields = fields


class OrganizationNotProError(PermanentError):
    """The Dinero organization has no Dinero Pro subscription, so the API refuses it (HTTP 403)."""


class ConsentRevokedError(PermanentError):
    """Visma Connect refused the refresh token: the merchant must connect Dinero again."""


class NotFoundError(BookkeepingError):
    """The thing does not exist, or belongs to another merchant (both look the same from outside)."""


class ConflictError(BookkeepingError):
    """The request contradicts the current state (for example an order integration already linked elsewhere)."""


class InvalidRequestError(BookkeepingError):
    """A request is well-formed but not acceptable (for example an account that does not exist in Dinero)."""
