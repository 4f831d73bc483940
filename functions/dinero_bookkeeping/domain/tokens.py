"""A Visma Connect token set. SecretStr keeps tokens out of reprs, logs and tracebacks."""

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, SecretStr

# Refresh a little early so a token never expires between our check and Dinero's.
EXPIRY_MARGIN = timedelta(seconds=60)


class TokenSet(BaseModel):
    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr
    access_expires_at: datetime

    def access_usable_at(self, now: datetime) -> bool:
        return now + EXPIRY_MARGIN < self.access_expires_at


class StoredTokens(BaseModel):
    """A token set as stored: `version` increases with every refresh; a live lease means a refresh is under way."""

    model_config = ConfigDict(frozen=True)

    connection_id: str
    merchant_id: str
    tokens: TokenSet
    version: int
    refresh_lease_until: datetime | None = None

    def refresh_leased_at(self, now: datetime) -> bool:
        return self.refresh_lease_until is not None and self.refresh_lease_until > now
