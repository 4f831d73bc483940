"""Hands out a valid Dinero access token per connection, refreshing it when needed.

Rotation is the hard part: Visma Connect refresh tokens are one-time. So one worker at a time refreshes (a lease
in DynamoDB), the rotated token set is stored before anything else happens, and invalid_grant marks the connection
disconnected instead of retrying forever.

A warm container keeps the token set it read or refreshed for `keep_for` (CONFIG_CACHE_SECONDS), so an order costs
no read of it; a refresh replaces the kept set, and an access token Dinero refused (401) is dropped and read anew.
"""

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import SecretStr

from dinero_bookkeeping.adapters.dynamodb_connections import DynamoConnections
from dinero_bookkeeping.adapters.visma_connect import VismaConnectClient
from dinero_bookkeeping.domain.errors import ConsentRevokedError, PermanentError, RetryableError
from dinero_bookkeeping.domain.tokens import StoredTokens
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count, logger
from dinero_bookkeeping.ports import Clock

REFRESH_LEASE = timedelta(seconds=20)


class TokenProvider:
    def __init__(
        self,
        connections: DynamoConnections,
        visma: VismaConnectClient,
        clock: Clock,
        *,
        wait_for_other_refresh_s: float = 3.0,
        sleep: Callable[[float], None] = time.sleep,
        keep_for: timedelta = timedelta(0),
    ) -> None:
        self._connections = connections
        self._visma = visma
        self._clock = clock
        self._wait_s = wait_for_other_refresh_s
        self._sleep = sleep
        self._keep_for = keep_for
        self._kept: dict[str, tuple[datetime, StoredTokens]] = {}

    def access_token(self, connection_id: str, *, rejected: SecretStr | None = None) -> SecretStr:
        """A usable access token. `rejected` is one Dinero just refused with 401, so it must not be handed out again."""
        kept = self._kept.pop(connection_id, None)
        now = self._clock.now()
        fresh = kept is not None and rejected is None and now - kept[0] < self._keep_for
        if kept is not None and fresh and kept[1].tokens.access_usable_at(now):
            self._kept[connection_id] = kept
            return kept[1].tokens.access_token
        waited = 0.0
        while True:
            stored = self._load(connection_id)
            now = self._clock.now()
            current = stored.tokens.access_token
            if current != rejected and stored.tokens.access_usable_at(now):
                self._keep(stored)
                return current
            if not stored.refresh_leased_at(now) and self._connections.try_lease(stored, now, now + REFRESH_LEASE):
                return self._refresh(stored)
            # Another worker is refreshing: its new token will be in the table in a moment.
            if waited >= self._wait_s:
                raise RetryableError("Another worker is refreshing the Dinero token")
            self._sleep(0.2)
            waited += 0.2

    def _refresh(self, stored: StoredTokens) -> SecretStr:
        now = self._clock.now()
        try:
            tokens = self._visma.refresh(stored.tokens.refresh_token, now)
        except ConsentRevokedError as error:
            self._connections.mark_disconnected(stored.connection_id, error.reason, now)
            count(Metric.TOKEN_REFRESH_FAILED)
            count(Metric.CONNECTION_DISCONNECTED)
            logger.warning("dinero consent revoked", connection_id=stored.connection_id)
            raise
        except (RetryableError, PermanentError) as error:
            self._connections.release_lease(stored)
            count(Metric.TOKEN_REFRESH_FAILED)
            logger.warning("dinero token refresh failed", connection_id=stored.connection_id, reason=str(error))
            raise
        # The old refresh token is dead from this moment: store the new set before doing anything else.
        if not self._connections.save_refreshed(stored, tokens, self._clock.now()):
            raise RetryableError("The token set changed while refreshing")
        count(Metric.TOKEN_REFRESHED)
        self._keep(
            stored.model_copy(update={"tokens": tokens, "version": stored.version + 1, "refresh_lease_until": None})
        )
        return tokens.access_token

    def _keep(self, stored: StoredTokens) -> None:
        if self._keep_for > timedelta(0):
            self._kept[stored.connection_id] = (self._clock.now(), stored)

    def _load(self, connection_id: str) -> StoredTokens:
        stored = self._connections.load_tokens(connection_id)
        if stored is None:
            raise ConsentRevokedError("Dinero is disconnected: connect Dinero again, then retry the order")
        return stored
