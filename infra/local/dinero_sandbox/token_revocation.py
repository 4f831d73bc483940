"""Visma Connect's /connect/revocation (RFC 7009), as docs.connect.visma.com ("Token Revocation") describes it.

Only refresh tokens can be revoked ("an Access Token cannot be revoked"), and doing so ends the whole grant: its
refresh tokens get invalid_grant and its access tokens 401. The client authenticates with HTTP Basic only. An
unknown or already revoked token is still a 200 (RFC 7009 §2.2: the client could do nothing else about it).
"""

import base64
import binascii
import hmac
from urllib.parse import parse_qs, unquote_plus

from infra.local.dinero_sandbox.messages import Handled, Response, SandboxRequest, json_response
from infra.local.dinero_sandbox.state import SandboxState

_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def revoke(state: SandboxState, request: SandboxRequest) -> Handled:
    client_id, secret = _basic_credentials(request)
    client = state.clients.get(client_id or "")
    if client is None or secret is None or not hmac.compare_digest(secret, client.client_secret):
        headers = (*_NO_STORE, ("WWW-Authenticate", 'Basic realm="connect"'))
        return Handled(_error(401, "invalid_client", "HTTP Basic client authentication failed", headers), None, None)
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _refused(400, "invalid_request", "the body must be application/x-www-form-urlencoded", client_id)
    parsed = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = {name: values[0] for name, values in parsed.items()}
    if not form.get("token"):
        return _refused(400, "invalid_request", "token is required", client_id)
    if form.get("token_type_hint") == "access_token":
        return _refused(400, "unsupported_token_type", "access tokens cannot be revoked", client_id)
    if state.tokens.revoke_refresh_token(form["token"], client.client_id):
        state.count("tokens_revoked")
    return Handled(Response(200, headers=_NO_STORE), None, client_id)


def _basic_credentials(request: SandboxRequest) -> tuple[str | None, str | None]:
    """Client id and secret of an `Authorization: Basic` header, each form-urlencoded (RFC 6749 §2.3.1)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, separator, secret = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (unquote_plus(client_id), unquote_plus(secret)) if separator else (None, None)


def _error(status: int, error: str, description: str, headers: tuple[tuple[str, str], ...] = _NO_STORE) -> Response:
    return json_response(status, {"error": error, "error_description": description}, headers)


def _refused(status: int, error: str, description: str, client_id: str | None) -> Handled:
    return Handled(_error(status, error, description), None, client_id)
