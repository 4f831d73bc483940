"""Shipmondo webhook messages: the body `{"data": "<JWT>"}`, signed HS256 with the webhook's key.

Shipmondo signs the resource's JSON (as its GET returns it) as a JWS with the key given when the webhook was created.
Its documented sample encodes the payload as a JSON *string* holding the JSON object, while other clients see an
object, so the signature is verified at the JWS level (HS256 only: `none` and every other algorithm are refused,
whatever the token's header says) and the payload is parsed once more when it is a string. Shipmondo documents no
`exp`; when a token carries one, an expired token is refused like a forged one.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

# Anything else a token's header names is refused, `none` included.
ALGORITHMS = ["HS256"]
# Bounded: a sales order with a thousand lines is far below this; API Gateway allows 10 MB.
MAX_BODY_BYTES = 1_000_000


class WebhookAuthenticationError(Exception):
    """The message is not signed with this merchant's webhook key (or has expired). The reason names no secret."""


class WebhookPayloadError(Exception):
    """Signed, but not a message we can use (not JSON, not a sales order)."""


@dataclass(frozen=True)
class WebhookMessage:
    """A verified message: what Shipmondo says happened, to which resource, and the resource itself."""

    resource_type: str
    action: str
    resource: dict[str, Any]
    headers: dict[str, str]  # the SMD-* headers, kept for the record


def smd_headers(headers: dict[str, str]) -> dict[str, str]:
    """Shipmondo's own headers (SMD-Resource-Type, -Id, SMD-Webhook-Id, SMD-Action, SMD-User), lower-cased names."""
    return {name.lower(): value[:200] for name, value in headers.items() if name.lower().startswith("smd-")}


def verify_message(body: str, key: str, headers: dict[str, str], now: datetime) -> WebhookMessage:
    token = _token_of(body)
    try:
        signed = jwt.PyJWS().decode_complete(token, key, algorithms=ALGORITHMS)
    except jwt.InvalidTokenError as error:
        raise WebhookAuthenticationError(f"Not signed with the webhook key ({type(error).__name__})") from error
    claims = _claims(signed["payload"])
    _check_expiry(claims, now)
    resource = claims.get("data")
    if isinstance(resource, str):
        resource = _json(resource, "the payload's data")
    if not isinstance(resource, dict):
        raise WebhookPayloadError("The payload's data is not an object")
    kept = smd_headers(headers)
    webhook = claims.get("webhook") if isinstance(claims.get("webhook"), dict) else {}
    assert isinstance(webhook, dict)
    resource_type = str(kept.get("smd-resource-type") or webhook.get("resource_name") or "")
    action = str(kept.get("smd-action") or webhook.get("action") or "")
    if not action:
        raise WebhookPayloadError("The message names no action (SMD-Action)")
    return WebhookMessage(resource_type=resource_type, action=action, resource=resource, headers=kept)


def _token_of(body: str) -> str:
    if len(body.encode()) > MAX_BODY_BYTES:
        raise WebhookPayloadError(f"The body is larger than {MAX_BODY_BYTES} bytes")
    envelope = _json(body, "the body")
    token = envelope.get("data") if isinstance(envelope, dict) else None
    if not isinstance(token, str) or not token:
        raise WebhookPayloadError('The body is not {"data": "<JWT>"}')
    return token


def _claims(payload: bytes) -> dict[str, Any]:
    claims = _json(payload.decode("utf-8", errors="replace"), "the payload")
    if isinstance(claims, str):  # Shipmondo's documented sample: the object encoded once more as a JSON string
        claims = _json(claims, "the payload")
    if not isinstance(claims, dict):
        raise WebhookPayloadError("The payload is not an object")
    return claims


def _check_expiry(claims: dict[str, Any], now: datetime) -> None:
    expiry = claims.get("exp")
    if expiry is None:
        return
    if not isinstance(expiry, int | float) or isinstance(expiry, bool):
        raise WebhookAuthenticationError("The token's exp is not a number")
    if expiry <= now.timestamp():
        raise WebhookAuthenticationError("The token has expired")


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise WebhookPayloadError(f"{what.capitalize()} is not JSON") from error
