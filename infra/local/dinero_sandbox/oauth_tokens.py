"""Visma Connect's grants, authorization codes and tokens (opaque random strings), without HTTP.

Refresh tokens are one-time (rotating): each use returns a new pair and retires the old token; within an optional
grace window the retired token works once more and returns the same new pair (Visma Connect's "grace period").
"""

import base64
import hashlib
import hmac
import itertools
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


class InvalidGrantError(Exception):
    """OAuth `invalid_grant`: the code or refresh token is unknown, used, expired, revoked or not this client's."""


@dataclass
class Grant:
    """One consent: `user` let `client_id` act for them with `scope`."""

    grant_id: int
    user: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class _AuthorizationCode:
    grant: Grant
    redirect_uri: str
    code_challenge: str | None
    expires_at: float


@dataclass
class _AccessToken:
    grant: Grant
    expires_at: float


@dataclass
class _RefreshToken:
    grant: Grant
    used_at: float | None = None
    successor: TokenPair | None = None
    grace_used: bool = False


def s256_challenge(code_verifier: str) -> str:
    """PKCE S256: BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TokenStore:
    """Not thread-safe on its own: SandboxState calls it under its lock."""

    def __init__(self) -> None:
        self._grant_ids = itertools.count(1)
        self._codes: dict[str, _AuthorizationCode] = {}
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}

    def grant(self, user: str, client_id: str, scope: str) -> Grant:
        return Grant(next(self._grant_ids), user, client_id, scope)

    def issue(self, grant: Grant, now: float, lifetime_seconds: int) -> TokenPair:
        pair = TokenPair(secrets.token_urlsafe(32), secrets.token_urlsafe(32), lifetime_seconds)
        self._access[pair.access_token] = _AccessToken(grant, now + lifetime_seconds)
        self._refresh[pair.refresh_token] = _RefreshToken(grant)
        return pair

    def create_code(
        self, grant: Grant, redirect_uri: str, code_challenge: str | None, now: float, lifetime_seconds: float
    ) -> str:
        code = secrets.token_urlsafe(24)
        self._codes[code] = _AuthorizationCode(grant, redirect_uri, code_challenge, now + lifetime_seconds)
        return code

    def redeem_code(self, code: str, client_id: str, redirect_uri: str, code_verifier: str | None, now: float) -> Grant:
        """Single use: the code is gone after this call, whether or not it was valid."""
        entry = self._codes.pop(code, None)
        if entry is None or entry.expires_at <= now or entry.grant.revoked:
            raise InvalidGrantError("the authorization code is unknown, used or expired")
        if entry.grant.client_id != client_id:
            raise InvalidGrantError("the authorization code was issued to another client")
        if entry.redirect_uri != redirect_uri:
            raise InvalidGrantError("redirect_uri does not match the authorization request")
        if entry.code_challenge is not None and not (
            code_verifier and hmac.compare_digest(s256_challenge(code_verifier), entry.code_challenge)
        ):
            raise InvalidGrantError("code_verifier does not match the code_challenge")
        return entry.grant

    def refresh(
        self, refresh_token: str, client_id: str, now: float, lifetime_seconds: int, grace_seconds: float
    ) -> tuple[Grant, TokenPair]:
        entry = self._refresh.get(refresh_token)
        if entry is None or entry.grant.revoked or entry.grant.client_id != client_id:
            raise InvalidGrantError("the refresh token is unknown, revoked or not this client's")
        if entry.used_at is None:
            entry.used_at = now
            entry.successor = self.issue(entry.grant, now, lifetime_seconds)
            return entry.grant, entry.successor
        in_grace = grace_seconds > 0 and now - entry.used_at <= grace_seconds
        if entry.successor is None or entry.grace_used or not in_grace:
            raise InvalidGrantError("the refresh token has already been used")
        entry.grace_used = True
        return entry.grant, entry.successor

    def authenticate(self, access_token: str, now: float) -> Grant | None:
        entry = self._access.get(access_token)
        if entry is None or entry.expires_at <= now or entry.grant.revoked:
            return None
        return entry.grant

    def client_of(self, access_token: str) -> str | None:
        """Who a token was issued to, valid or not (for the request log)."""
        entry = self._access.get(access_token)
        return entry.grant.client_id if entry else None

    def revoke_refresh_token(self, refresh_token: str, client_id: str) -> bool:
        """Ends the token's grant: its refresh tokens get invalid_grant and its access tokens 401 from now on.

        False (and nothing changes) for an unknown, already revoked or another client's token: RFC 7009 answers
        all of them with 200.
        """
        entry = self._refresh.get(refresh_token)
        if entry is None or entry.grant.revoked or entry.grant.client_id != client_id:
            return False
        entry.grant.revoked = True
        return True

    def revoke_user(self, user: str) -> None:
        grants = [entry.grant for entry in self._access.values()]
        grants += [entry.grant for entry in self._refresh.values()]
        grants += [entry.grant for entry in self._codes.values()]
        for grant in grants:
            if grant.user == user:
                grant.revoked = True

    def expire_access_tokens(self, now: float) -> None:
        for entry in self._access.values():
            entry.expires_at = min(entry.expires_at, now)
