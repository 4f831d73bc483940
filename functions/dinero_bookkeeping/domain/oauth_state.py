"""The single-use OAuth `state` of a "Connect Dinero" attempt, and its PKCE (S256) verifier.

The state binds the public callback to the merchant who started the attempt: whoever presents it is acting for that
merchant, so it is random, lives about 10 minutes and is consumed on first use.
"""

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, SecretStr

STATE_TTL = timedelta(minutes=10)


class OAuthState(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: str
    merchant_id: str
    code_verifier: SecretStr
    expires_at: datetime

    @staticmethod
    def issue(merchant_id: str, now: datetime, ttl: timedelta = STATE_TTL) -> "OAuthState":
        # 32 random bytes each: unguessable state (RFC 6749 §10.12); a 43-character verifier (RFC 7636 §4.1).
        return OAuthState(
            state=secrets.token_urlsafe(32),
            merchant_id=merchant_id,
            code_verifier=SecretStr(secrets.token_urlsafe(32)),
            expires_at=now + ttl,
        )

    def expired_at(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def code_challenge(self) -> str:
        return s256_code_challenge(self.code_verifier.get_secret_value())


def s256_code_challenge(code_verifier: str) -> str:
    """PKCE S256: BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
