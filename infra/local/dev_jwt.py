"""HS256 JWTs for local runs: the stand-in for the HTTP API's JWT authorizer. The merchant id is the `sub` claim.

Deployed, API Gateway verifies tokens from a real identity provider; locally we issue and verify our own with a
shared secret, checking the same things the authorizer checks (signature, exp, nbf, iat, iss, aud).
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

ALGORITHM = "HS256"
REGISTERED_CLAIMS = frozenset({"sub", "iss", "aud", "iat", "nbf", "exp"})


class InvalidTokenError(Exception):
    """The token was rejected; `reason` says why (never contains the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def issue_token(
    secret: str,
    *,
    subject: str,
    issuer: str,
    audience: str,
    ttl_s: int = 12 * 3600,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    if not secret:
        raise ValueError("an empty secret would make every token forgeable")
    extra = extra_claims or {}
    clashing = REGISTERED_CLAIMS & extra.keys()
    if clashing:
        raise ValueError(f"extra_claims may not set registered claims: {sorted(clashing)}")
    now = int(time.time())
    header = {"alg": ALGORITHM, "typ": "JWT"}
    payload = {**extra, "sub": subject, "iss": issuer, "aud": audience, "iat": now, "nbf": now, "exp": now + ttl_s}
    signing_input = f"{_b64url_json(header)}.{_b64url_json(payload)}"
    return f"{signing_input}.{_b64url_encode(_sign(secret, signing_input))}"


def verify_token(token: str, secret: str, *, issuer: str, audience: str, now: float | None = None) -> dict[str, Any]:
    """Return the claims of a valid token, else raise `InvalidTokenError`."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidTokenError("malformed token")
    header = _decode_json_segment(parts[0], "header")
    # Pinning the algorithm blocks `alg: none` and algorithm-confusion tokens.
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError("unsupported algorithm")
    signature = _b64url_decode(parts[2], "signature")
    if not hmac.compare_digest(signature, _sign(secret, f"{parts[0]}.{parts[1]}")):
        raise InvalidTokenError("bad signature")
    claims = _decode_json_segment(parts[1], "payload")
    _check_times(claims, time.time() if now is None else now)
    if claims.get("iss") != issuer:
        raise InvalidTokenError("wrong issuer")
    token_audience = claims.get("aud")
    audiences = token_audience if isinstance(token_audience, list) else [token_audience]
    if audience not in audiences:
        raise InvalidTokenError("wrong audience")
    return claims


def _check_times(claims: dict[str, Any], now: float) -> None:
    exp = _numeric_claim(claims, "exp")
    if exp is None:
        raise InvalidTokenError("missing exp")
    if now >= exp:
        raise InvalidTokenError("expired")
    for name in ("nbf", "iat"):
        value = _numeric_claim(claims, name)
        if value is not None and now < value:
            raise InvalidTokenError(f"{name} is in the future")


def _numeric_claim(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenError(f"malformed {name}")
    return float(value)


def _sign(secret: str, signing_input: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url_encode(json.dumps(value, separators=(",", ":")).encode())


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidTokenError(f"malformed {what}") from exc


def _decode_json_segment(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64url_decode(segment, what))
    except ValueError as exc:
        raise InvalidTokenError(f"malformed {what}") from exc
    if not isinstance(value, dict):
        raise InvalidTokenError(f"malformed {what}")
    return value
