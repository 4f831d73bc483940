"""Use case: connect a merchant's Dinero (Visma Connect authorization code flow with PKCE).

`start_connect` hands out the authorize URL; `complete_callback` turns Visma Connect's answer into a token set and
one accounting integration per organization. The callback is public and reached by a browser, so every outcome is
a redirect back to the app, never an error page: the single-use state decides whose connection it is.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dinero_bookkeeping.domain.errors import PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import (
    AccountingIntegration,
    Connection,
    connection_id_for,
    integration_id_for,
)
from dinero_bookkeeping.domain.oauth_state import OAuthState
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import (
    Clock,
    ConnectionStore,
    IntegrationStore,
    OAuthProvider,
    OAuthStateStore,
    OrganizationDirectory,
)

# OAuth error codes are short ASCII words (RFC 6749 §4.1.2.1); anything else is not echoed into the app's URL.
_OAUTH_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
# Ours are 43 characters; anything much longer is not ours, and would exceed DynamoDB's key size if looked up.
_MAX_STATE_LENGTH = 128


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class CallbackOutcome:
    result: Literal["connected", "denied", "error"]
    redirect_url: str  # APP_URL with the result (and organizations or reason) in the query


@dataclass
class ConnectDineroService:
    states: OAuthStateStore
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
        """Where to send the browser: APP_URL with `dinero=connected|denied|error` (and details) in the query."""
        oauth_state = self.states.consume_state(state) if state and len(state) <= _MAX_STATE_LENGTH else None
        if oauth_state is None:
            return self._back_to_app("error", reason="invalid_state")
        logger.append_keys(merchant_id=oauth_state.merchant_id)
        if oauth_state.expired_at(self.clock.now()):
            return self._back_to_app("error", reason="expired_state")
        if error == "access_denied":
            logger.info("dinero connect denied by the user")
            return self._back_to_app("denied")
        if error:
            reason = error if _OAUTH_ERROR_CODE.fullmatch(error) else "oauth_error"
            return self._back_to_app("error", reason=reason)
        if not code:
            return self._back_to_app("error", reason="missing_code")
        try:
            organizations = self._connect(oauth_state, code)
        except RetryableError as failure:
            # Dinero, Visma Connect, DynamoDB or KMS: the merchant can simply connect again in a moment.
            logger.warning("dinero connect failed transiently", reason=str(failure))
            return self._back_to_app("error", reason="temporarily_unavailable")
        except PermanentError as failure:
            logger.warning("dinero connect failed", reason=failure.reason)
            return self._back_to_app("error", reason="connection_failed")
        logger.info("dinero connected", organizations=organizations)
        return self._back_to_app("connected", organizations=str(organizations))

    def _connect(self, state: OAuthState, code: str) -> int:
        now = self.clock.now()
        tokens = self.visma.exchange_code(
            code=code, code_verifier=state.code_verifier.get_secret_value(), redirect_uri=self.redirect_uri, now=now
        )
        connection = Connection(
            connection_id=connection_id_for(state.merchant_id), merchant_id=state.merchant_id, updated_at=now
        )
        # Stored first: the refresh token is one-time, and this one must not be lost if listing fails.
        self.connections.save_grant(connection, tokens)
        organizations = self.organizations.list_organizations(tokens.access_token)
        for organization in organizations:
            self.integrations.save_connected(
                AccountingIntegration(
                    integration_id=integration_id_for(state.merchant_id, organization.id),
                    merchant_id=state.merchant_id,
                    connection_id=connection.connection_id,
                    organization_id=organization.id,
                    organization_name=organization.name,
                    is_pro=organization.is_pro,
                    created_at=now,
                    updated_at=now,
                )
            )
        return len(organizations)

    def _back_to_app(self, result: Literal["connected", "denied", "error"], **details: str) -> CallbackOutcome:
        """APP_URL with the outcome added to whatever query it already has."""
        parts = urlsplit(self.app_url)
        query = [*parse_qsl(parts.query, keep_blank_values=True), ("dinero", result), *details.items()]
        return CallbackOutcome(result, urlunsplit(parts._replace(query=urlencode(query))))
