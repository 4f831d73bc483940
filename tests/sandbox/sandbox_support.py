"""Helpers for the sandbox tests: an authorised session, request bodies, and the PKCE authorize round trip."""

import base64
import hashlib
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_PRO_ORG_ID, DEMO_USER, DINERO_SCOPE, DineroSandbox

REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
TIMEOUT_SECONDS = 5.0


class _TimeoutAdapter(HTTPAdapter):
    """A sandbox bug should fail a test, not hang the run."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        return super().send(request, stream, timeout or TIMEOUT_SECONDS, verify, cert, proxies)


def http_session(access_token: str | None = None) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _TimeoutAdapter())
    if access_token:
        session.headers["Authorization"] = f"Bearer {access_token}"
    return session


def api_session(sandbox: DineroSandbox, user: str = DEMO_USER) -> requests.Session:
    return http_session(sandbox.state.issue_tokens(user, DEMO_CLIENT_ID).access_token)


def org_url(sandbox: DineroSandbox, path: str, organization_id: int = DEMO_PRO_ORG_ID) -> str:
    return f"{sandbox.url}/v1/{organization_id}{path}"


def decimal_json(response: requests.Response) -> Any:
    """The body with numbers as Decimal, so amounts compare exactly."""
    return response.json(parse_float=Decimal)


def contact_body(**overrides: Any) -> dict[str, Any]:
    return {"Name": "Jens Hansen", "CountryKey": "DK", "IsPerson": True, "IsMember": False, "UseCvr": False} | overrides


def create_contact(session: requests.Session, sandbox: DineroSandbox, **overrides: Any) -> str:
    response = session.post(org_url(sandbox, "/contacts"), json=contact_body(**overrides))
    assert response.status_code == 200, response.text
    return str(response.json()["ContactGuid"])


def product_line(**overrides: Any) -> dict[str, Any]:
    line = {"BaseAmountValue": 100, "Quantity": 1, "AccountNumber": 1000, "Discount": 0, "Unit": "parts"}
    return line | {"Description": "Uldsokker"} | overrides


def invoice_body(*lines: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"ProductLines": list(lines) or [product_line()]} | overrides


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(sandbox: DineroSandbox, **overrides: str) -> requests.Response:
    params = {
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": DINERO_SCOPE,
        "state": "xyz-state",
    } | overrides
    return requests.get(sandbox.authorize_url, params=params, allow_redirects=False, timeout=TIMEOUT_SECONDS)
