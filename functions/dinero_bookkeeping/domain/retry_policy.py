"""How long a message waits before its next attempt, and how it waits for its place in Dinero's budget."""

import math
from dataclasses import dataclass
from datetime import datetime

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.rate_window import Place

MAX_DELAY_S = 900


def retry_delay_seconds(error: RetryableError, receive_count: int, base_delay_s: int) -> int:
    """Dinero's Retry-After when it gave one; else exponential back-off (base, twice that, four times, ...), capped."""
    if error.retry_after_seconds is not None:
        return max(0, min(MAX_DELAY_S, math.ceil(error.retry_after_seconds)))
    backoff: int = base_delay_s * 2 ** max(0, receive_count - 1)
    return min(MAX_DELAY_S, backoff)


# SQS's limits: a message sent with DelaySeconds waits at most 15 minutes; a received one may be hidden for at most
# 12 hours from its receipt (less a minute here for the time since then: the function's timeout is 30 s).
MAX_SEND_DELAY_S = 900
MAX_HIDE_S = 12 * 3600 - 60


@dataclass(frozen=True)
class Requeue:
    """Send a fresh copy of the message carrying its place, delayed; the received one is done (deleted)."""

    delay_s: int
    place: Place


@dataclass(frozen=True)
class Hide:
    """Keep the received message out of sight for `delay_s` (ChangeMessageVisibility)."""

    delay_s: int


def how_to_wait(place: Place, now: datetime, *, receive_count: int, carries_place: bool) -> Requeue | Hide:
    """How a message waits for its place in its organization's line, without waiting ever dead-lettering it.

    Every receive counts towards the queue's maxReceiveCount, so waiting is paid with fresh copies: a copy carries
    the order's place (the window does not keep one per order), is hidden at most once (at its first receive, when
    its place is more than the 15 minutes a send can delay away) and is then received at its place. Any other wait
    sends a new copy. A copy thus spends at most one of its receives waiting, and the others stay for failures.
    """
    delay = max(0, math.ceil((place.at - now).total_seconds()))
    if carries_place and receive_count <= 1:
        return Hide(min(delay, MAX_HIDE_S))
    return Requeue(min(delay, MAX_SEND_DELAY_S), place)
