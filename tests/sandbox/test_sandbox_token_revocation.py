"""Visma Connect's token revocation in the sandbox: HTTP Basic clients only, a revoked refresh token ends its grant."""

import base64
from datetime import UTC, datetime

import pytest
import requests
from pydantic import SecretStr

from dinero_bookkeeping.adapters.visma_connect import VismaConnectClient
from dinero_bookkeeping.domain.errors import ConsentRevokedError, PermanentError
from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_OTHER_USER, DEMO_USER, DineroSandbox
from sandbox.sandbox_support import TIMEOUT_SECONDS, http_session

pytestmark = pytest.mark.integration

BASIC = "Basic " + base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()


def _revoke(sandbox: DineroSandbox, form: dict[str, str], authorization: str | None = BASIC) -> requests.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return requests.post(sandbox.revocation_url, data=form, headers=headers, timeout=TIMEOUT_SECONDS)


def _refresh(sandbox: DineroSandbox, refresh_token: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    credentials = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    return requests.post(sandbox.token_url, data=form | credentials, timeout=TIMEOUT_SECONDS)


def _organizations(sandbox: DineroSandbox, access_token: str) -> requests.Response:
    return http_session(access_token).get(f"{sandbox.url}/v1/organizations")


def test_revoked_refresh_token_gets_invalid_grant_and_its_access_tokens_401(sandbox: DineroSandbox) -> None:
    # Given a grant, and another user's grant beside it
    tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    others = sandbox.state.issue_tokens(DEMO_OTHER_USER, DEMO_CLIENT_ID)
    assert _organizations(sandbox, tokens.access_token).status_code == 200
    # When
    response = _revoke(sandbox, {"token": tokens.refresh_token, "token_type_hint": "refresh_token"})
    # Then
    assert response.status_code == 200 and response.content == b""
    refused = _refresh(sandbox, tokens.refresh_token)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert _organizations(sandbox, tokens.access_token).status_code == 401
    assert _organizations(sandbox, others.access_token).status_code == 200
    assert sandbox.state.counters["tokens_revoked"] == 1


def test_revoking_an_unknown_or_already_revoked_token_is_still_200(sandbox: DineroSandbox) -> None:
    # Given
    tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    assert _revoke(sandbox, {"token": tokens.refresh_token}).status_code == 200
    # When
    again = _revoke(sandbox, {"token": tokens.refresh_token})
    unknown = _revoke(sandbox, {"token": "never-issued"})
    # Then
    assert again.status_code == unknown.status_code == 200
    assert sandbox.state.counters["tokens_revoked"] == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic " + base64.b64encode(f"{DEMO_CLIENT_ID}:wrong".encode()).decode(), "Basic not-base64!"],
)
def test_revocation_without_valid_basic_client_credentials_is_401_and_revokes_nothing(
    sandbox: DineroSandbox, authorization: str | None
) -> None:
    # Given: credentials in the form only (Visma Connect requires Basic here), a wrong secret, or garbage
    tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    form = {"token": tokens.refresh_token, "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    # When
    response = _revoke(sandbox, form, authorization)
    # Then
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert _refresh(sandbox, tokens.refresh_token).status_code == 200


@pytest.mark.parametrize(
    ("form", "error"),
    [({}, "invalid_request"), ({"token": "x", "token_type_hint": "access_token"}, "unsupported_token_type")],
)
def test_revocation_without_token_or_of_an_access_token_is_400(
    sandbox: DineroSandbox, form: dict[str, str], error: str
) -> None:
    # Given / When
    response = _revoke(sandbox, form)
    # Then
    assert response.status_code == 400 and response.json()["error"] == error


def test_visma_connect_adapter_revokes_through_basic_auth_and_the_grant_is_gone(sandbox: DineroSandbox) -> None:
    # Given our adapter, pointed at the sandbox
    tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    visma = VismaConnectClient(
        requests.Session(), sandbox.url, DEMO_CLIENT_ID, SecretStr(DEMO_CLIENT_SECRET), TIMEOUT_SECONDS
    )
    # When
    visma.revoke(SecretStr(tokens.refresh_token))
    # Then
    with pytest.raises(ConsentRevokedError):
        visma.refresh(SecretStr(tokens.refresh_token), datetime.now(UTC))


def test_visma_connect_adapter_reports_a_refused_revocation_as_permanent(sandbox: DineroSandbox) -> None:
    # Given an adapter with the wrong client secret
    tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    visma = VismaConnectClient(requests.Session(), sandbox.url, DEMO_CLIENT_ID, SecretStr("wrong"), TIMEOUT_SECONDS)
    # When
    with pytest.raises(PermanentError) as raised:
        visma.revoke(SecretStr(tokens.refresh_token))
    # Then
    assert raised.value.reason == "Visma Connect refused the revocation (invalid_client)"
    assert tokens.refresh_token not in raised.value.reason
