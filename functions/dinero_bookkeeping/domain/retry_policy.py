"""How long a message waits before its next attempt."""

import math

from dinero_bookkeeping.domain.errors import RetryableError

MAX_DELAY_S = 900


def retry_delay_seconds(error: RetryableError, receive_count: int) -> int:
    """Dinero's Retry-After when it gave one; else exponential back-off (10 s, 20 s, 40 s, ...), capped at 15 min."""
    if error.retry_after_seconds is not None:
        return max(1, min(MAX_DELAY_S, math.ceil(error.retry_after_seconds)))
    backoff: int = 10 * 2 ** max(0, receive_count - 1)
    return min(MAX_DELAY_S, backoff)
