"""Dinero's rate limit: N requests per organization and client in any 60 seconds (a sliding window)."""

import math
from collections import deque

WINDOW_SECONDS = 60.0


class SlidingWindowLimiter:
    """Not thread-safe on its own: SandboxState calls it under its lock."""

    def __init__(self, window_seconds: float = WINDOW_SECONDS) -> None:
        self._window_seconds = window_seconds
        self._requests: dict[tuple[str, int], deque[float]] = {}

    def admit(self, client_id: str, organization_id: int, limit: int, now: float) -> int | None:
        """Counts the request if a slot is free and returns None; else returns whole seconds until one frees.

        Rejected requests are not counted, so a client that waits the returned time gets in.
        """
        window = self._requests.setdefault((client_id, organization_id), deque())
        while window and window[0] <= now - self._window_seconds:
            window.popleft()
        if len(window) < limit:
            window.append(now)
            return None
        if limit < 1:  # a limit of 0 admits nothing, ever
            return math.ceil(self._window_seconds)
        return max(1, math.ceil(window[len(window) - limit] + self._window_seconds - now))

    def clear(self) -> None:
        self._requests.clear()
