"""Visma Connect, Dinero's OAuth server: /connect/authorize (a consent page for browsers) and /connect/token."""

import base64
import binascii
import hmac
import html
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

from infra.local.dinero_sandbox import consent_page
from infra.local.dinero_sandbox.demo_data import DEMO_USER
from infra.local.dinero_sandbox.messages import Handled, Response, SandboxRequest, json_response, text_response
from infra.local.dinero_sandbox.oauth_tokens import InvalidGrantError
from infra.local.dinero_sandbox.state import OAuthClient, SandboxState

REQUIRED_SCOPES = frozenset({"dineropublicapi:read", "dineropublicapi:write", "offline_access"})
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def _redirect_target(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))


def _form_post_page(uri: str, params: dict[str, str]) -> str:
    inputs = "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}"/>'
        for name, value in params.items()
    )
    return (
        "<!DOCTYPE html>\n<html><head><title>Submit this form</title></head>\n"
        '<body onload="document.forms[0].submit()">\n'
        f'<form method="post" action="{html.escape(uri)}">\n{inputs}\n'
        '<noscript><button type="submit">Continue</button></noscript>\n</form>\n</body></html>\n'
    )


def _answer_client(request: SandboxRequest, redirect_uri: str, params: dict[str, str]) -> Response:
    """Sends the outcome back through the browser: a 302 to the redirect_uri, or a self-posting form."""
    if "state" in request.query:
        params = params | {"state": request.query["state"]}
    if request.query.get("response_mode") == "form_post":
        return text_response(200, _form_post_page(redirect_uri, params), "text/html; charset=utf-8")
    return Response(302, headers=(("Location", _redirect_target(redirect_uri, params)),))


def _error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def _redirect_uri_allowed(client: OAuthClient, uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return False
    return client.redirect_uris is None or uri in client.redirect_uris


def authorize(state: SandboxState, request: SandboxRequest) -> Handled:
    query = request.query
    client_id = query.get("client_id")
    client = state.clients.get(client_id or "")
    redirect_uri = query.get("redirect_uri", "")
    # Without a known client and an acceptable redirect_uri there is nowhere safe to send the browser.
    if client is None or not _redirect_uri_allowed(client, redirect_uri):
        return Handled(text_response(400, "invalid_request: unknown client_id or redirect_uri"), None, client_id)
    user = query.get("sandbox_user", DEMO_USER)
    if user not in state.users:
        return Handled(text_response(400, f"sandbox_user {user!r} does not exist"), None, client_id)
    scopes = query.get("scope", "").split()
    outcome: dict[str, str]
    if query.get("response_type") != "code":
        outcome = _error("unsupported_response_type", "response_type must be code")
    elif query.get("response_mode", "query") not in ("query", "form_post"):
        outcome = _error("invalid_request", "response_mode must be query or form_post")
    elif not set(scopes) >= REQUIRED_SCOPES:
        outcome = _error("invalid_scope", f"scope must include {' '.join(sorted(REQUIRED_SCOPES))}")
    elif "code_challenge" in query and query.get("code_challenge_method") != "S256":
        outcome = _error("invalid_request", "code_challenge_method must be S256")
    elif query.get("sandbox_consent") == "deny":
        outcome = _error("access_denied", "The user did not consent to the application")
    elif consent_page.wanted(request):
        return Handled(consent_page.render(state, user, request), None, client_id)
    else:
        grant = state.tokens.grant(user, client.client_id, " ".join(scopes))
        code = state.tokens.create_code(
            grant, redirect_uri, query.get("code_challenge"), state.clock(), state.authorization_code_lifetime_seconds
        )
        outcome = {"code": code, "scope": grant.scope}
        state.count("authorization_codes_issued")
    return Handled(_answer_client(request, redirect_uri, outcome), None, client_id)


def _client_credentials(request: SandboxRequest, form: dict[str, str]) -> tuple[str | None, str | None]:
    """HTTP Basic (form-urlencoded id and secret, RFC 6749 §2.3.1) or client_id + client_secret form fields."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id"), form.get("client_secret")


def _token_error(status: int, error: str, description: str, client_id: str | None) -> Handled:
    headers = (*_NO_STORE, ("WWW-Authenticate", 'Basic realm="connect"')) if status == 401 else _NO_STORE
    return Handled(json_response(status, _error(error, description), headers), None, client_id)


def token(state: SandboxState, request: SandboxRequest) -> Handled:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _token_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded", None)
    parsed = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = {name: values[0] for name, values in parsed.items()}
    client_id, secret = _client_credentials(request, form)
    client = state.clients.get(client_id or "")
    if client is None or secret is None or not hmac.compare_digest(secret, client.client_secret):
        return _token_error(401, "invalid_client", "unknown client or wrong secret", client_id)
    now, lifetime = state.clock(), state.access_token_lifetime_seconds
    grant_type = form.get("grant_type")
    try:
        if grant_type == "authorization_code":
            if not form.get("code") or not form.get("redirect_uri"):
                return _token_error(400, "invalid_request", "code and redirect_uri are required", client_id)
            grant = state.tokens.redeem_code(
                form["code"], client.client_id, form["redirect_uri"], form.get("code_verifier"), now
            )
            pair = state.tokens.issue(grant, now, lifetime)
            state.count("tokens_issued")
        elif grant_type == "refresh_token":
            if not form.get("refresh_token"):
                return _token_error(400, "invalid_request", "refresh_token is required", client_id)
            grant, pair = state.tokens.refresh(
                form["refresh_token"], client.client_id, now, lifetime, state.refresh_grace_seconds
            )
            state.count("tokens_refreshed")
        elif not grant_type:
            return _token_error(400, "invalid_request", "grant_type is required", client_id)
        else:
            return _token_error(400, "unsupported_grant_type", f"{grant_type} is not supported", client_id)
    except InvalidGrantError as error:
        return _token_error(400, "invalid_grant", str(error), client_id)
    body = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "scope": grant.scope,
    }
    return Handled(json_response(200, body, _NO_STORE), None, client_id)
