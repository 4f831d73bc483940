"""Use case: connect a merchant's Dinero (Visma Connect authorization code flow with PKCE).

`start_connect` hands out the authorize URL. `complete_callback` is Visma Connect's answer through *some* browser:
it is public, so it only checks the single-use state and parks the code under a one-time handle for the app.
`complete_connection` runs under the merchant's JWT: only the merchant who started the attempt gets the code
exchanged and one accounting integration per organization, so a consent given in a victim's browser for an
attacker's attempt connects nothing (login CSRF, authorization code injection).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dinero_bookkeeping.domain.errors import NotFoundError, RetryableError
from dinero_bookkeeping.domain.integration import (
    AccountingIntegration,
    Connection,
    connection_id_for,
    integration_id_for,
)
from dinero_bookkeeping.domain.oauth_state import OAuthState
from dinero_bookkeeping.domain.pending_connection import MAX_HANDLE_LENGTH, PendingConnection
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import (
    Clock,
    ConnectionStore,
    IntegrationStore,
    OAuthProvider,
    OAuthStateStore,
    OrganizationDirectory,
    PendingConnectionStore,
)

# OAuth error codes are short ASCII words (RFC 6749 §4.1.2.1); anything else is not echoed into the app's URL.
_OAUTH_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
# Ours are 43 characters; anything much longer is not ours, and would exceed DynamoDB's key size if looked up.
_MAX_STATE_LENGTH = 128
# Visma Connect's codes are short; a bound keeps an absurd one out of the table (400 KB items).
_MAX_CODE_LENGTH = 2048
# Every way a handle can fail looks the same from outside: it reveals nothing about another merchant's attempt.
HANDLE_NOT_FOUND = "No pending Dinero connection with this handle: connect Dinero again"


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class CallbackOutcome:
    result: Literal["complete", "denied", "error"]
    redirect_url: str  # APP_URL with the result (and handle or reason) in the query


@dataclass
class ConnectDineroService:
    states: OAuthStateStore
    pending: PendingConnectionStore
    visma: OAuthProvider
    organizations: OrganizationDirectory
    connections: ConnectionStore
    integrations: IntegrationStore
    clock: Clock
    redirect_uri: str
    app_url: str

    def start_connect(self, merchant_id: str) -> AuthorizationRequest:
        state = OAuthState.issue(merchant_id, self.clock.now())
        self.states.put_state(state)
        url = self.visma.authorize_url(
            redirect_uri=self.redirect_uri, state=state.state, code_challenge=state.code_challenge
        )
        return AuthorizationRequest(url=url, expires_at=state.expires_at)

    def complete_callback(self, *, state: str | None, code: str | None, error: str | None) -> CallbackOutcome:
        """Where to send the browser: APP_URL with `dinero=complete&handle=…`, `dinero=denied` or `dinero=error`."""
        try:
            return self._answer_callback(state, code, error)
        except RetryableError as failure:
            # DynamoDB: the merchant can simply connect again in a moment.
            logger.warning("dinero callback failed transiently", reason=str(failure))
            return self._back_to_app("error", reason="temporarily_unavailable")

    def complete_connection(self, merchant_id: str, handle: str) -> int:
        """Exchange the parked code for the merchant who started the attempt; the number of organizations.

        NotFoundError for an unknown, used, expired or another merchant's handle: it is used up either way, and
        nothing is exchanged. RetryableError when Visma Connect, Dinero or AWS is down (connect again later).
        """
        pending = self.pending.consume(handle) if len(handle) <= MAX_HANDLE_LENGTH else None
        if pending is None or pending.expired_at(self.clock.now()):
            raise NotFoundError(HANDLE_NOT_FOUND)
        if pending.merchant_id != merchant_id:
            # Someone else's browser brought this consent back: the attempt ends here, for both of them.
            logger.warning("dinero connection completed by another merchant refused", started_by=pending.merchant_id)
            raise NotFoundError(HANDLE_NOT_FOUND)
        organizations = self._connect(pending)
        logger.info("dinero connected", organizations=organizations)
        return organizations

    def _answer_callback(self, state: str | None, code: str | None, error: str | None) -> CallbackOutcome:
        oauth_state = self.states.consume_state(state) if state and len(state) <= _MAX_STATE_LENGTH else None
        if oauth_state is None:
            return self._back_to_app("error", reason="invalid_state")
        logger.append_keys(merchant_id=oauth_state.merchant_id)
        now = self.clock.now()
        if oauth_state.expired_at(now):
            return self._back_to_app("error", reason="expired_state")
        if error == "access_denied":
            logger.info("dinero connect denied by the user")
            return self._back_to_app("denied")
        if error:
            reason = error if _OAUTH_ERROR_CODE.fullmatch(error) else "oauth_error"
            return self._back_to_app("error", reason=reason)
        if not code:
            return self._back_to_app("error", reason="missing_code")
        if len(code) > _MAX_CODE_LENGTH:
            return self._back_to_app("error", reason="invalid_code")
        pending = PendingConnection.park(oauth_state, code, now)
        self.pending.park(pending)
        logger.info("dinero consent parked for completion")
        return self._back_to_app("complete", handle=pending.handle)

    def _connect(self, pending: PendingConnection) -> int:
        now, merchant_id = self.clock.now(), pending.merchant_id
        tokens = self.visma.exchange_code(
            code=pending.code.get_secret_value(),
            code_verifier=pending.code_verifier.get_secret_value(),
            redirect_uri=self.redirect_uri,
            now=now,
        )
        connection = Connection(connection_id=connection_id_for(merchant_id), merchant_id=merchant_id, updated_at=now)
        # Stored first: the refresh token is one-time, and this one must not be lost if listing fails.
        self.connections.save_grant(connection, tokens)
        organizations = self.organizations.list_organizations(tokens.access_token)
        for organization in organizations:
            self.integrations.save_connected(
                AccountingIntegration(
                    integration_id=integration_id_for(merchant_id, organization.id),
                    merchant_id=merchant_id,
                    connection_id=connection.connection_id,
                    organization_id=organization.id,
                    organization_name=organization.name,
                    is_pro=organization.is_pro,
                    created_at=now,
                    updated_at=now,
                )
            )
        return len(organizations)

    def _back_to_app(self, result: Literal["complete", "denied", "error"], **details: str) -> CallbackOutcome:
        """APP_URL with the outcome added to whatever query it already has."""
        parts = urlsplit(self.app_url)
        query = [*parse_qsl(parts.query, keep_blank_values=True), ("dinero", result), *details.items()]
        return CallbackOutcome(result, urlunsplit(parts._replace(query=urlencode(query))))
