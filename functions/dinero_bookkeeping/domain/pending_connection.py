"""A consent parked by the OAuth callback until the merchant's own app completes it under their JWT.

The callback is public: whoever's browser brings the code back is not proven to be the merchant who started the
attempt (an attacker can send their authorize link to a victim). So the callback only parks what the code exchange
needs under a random one-time handle; `POST /oauth/complete` exchanges it, and only for the merchant in the state.
"""

import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, SecretStr

from dinero_bookkeeping.domain.oauth_state import OAuthState

HANDLE_TTL = timedelta(minutes=10)
# Ours are 43 characters; anything much longer is not ours, and would exceed DynamoDB's key size if looked up.
MAX_HANDLE_LENGTH = 128


class PendingConnection(BaseModel):
    model_config = ConfigDict(frozen=True)

    handle: str
    merchant_id: str
    code_verifier: SecretStr
    code: SecretStr
    expires_at: datetime

    @staticmethod
    def park(state: OAuthState, code: str, now: datetime, ttl: timedelta = HANDLE_TTL) -> "PendingConnection":
        # 32 random bytes: as unguessable as the state it replaces.
        return PendingConnection(
            handle=secrets.token_urlsafe(32),
            merchant_id=state.merchant_id,
            code_verifier=state.code_verifier,
            code=SecretStr(code),
            expires_at=now + ttl,
        )

    def expired_at(self, now: datetime) -> bool:
        return now >= self.expires_at
