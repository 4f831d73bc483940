"""How long a message waits before its next attempt."""

import math

from dinero_bookkeeping.domain.errors import RetryableError

MAX_DELAY_S = 900


def retry_delay_seconds(error: RetryableError, receive_count: int, base_delay_s: int) -> int:
    """Dinero's Retry-After when it gave one; else exponential back-off (base, twice that, four times, ...), capped."""
    if error.retry_after_seconds is not None:
        return max(0, min(MAX_DELAY_S, math.ceil(error.retry_after_seconds)))
    backoff: int = base_delay_s * 2 ** max(0, receive_count - 1)
    return min(MAX_DELAY_S, backoff)
