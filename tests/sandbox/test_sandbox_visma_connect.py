"""Visma Connect in the sandbox: authorize (redirect and form_post), code exchange with PKCE, rotating refresh."""

import base64
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USER, DineroSandbox
from sandbox.sandbox_support import REDIRECT_URI, TIMEOUT_SECONDS, authorize, http_session, org_url, pkce_pair

pytestmark = pytest.mark.integration


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action, self.method = values.get("action"), values.get("method")
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def _redirect_params(response: requests.Response) -> dict[str, str]:
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {name: values[0] for name, values in parse_qs(location.query).items()}


def _token(sandbox: DineroSandbox, **form: str) -> requests.Response:
    credentials = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    return requests.post(sandbox.token_url, data=credentials | form, timeout=TIMEOUT_SECONDS)


def _code(sandbox: DineroSandbox, challenge: str) -> str:
    response = authorize(sandbox, code_challenge=challenge, code_challenge_method="S256")
    return _redirect_params(response)["code"]


def _exchange(sandbox: DineroSandbox, code: str, verifier: str) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    return _token(sandbox, **form)


def _tokens(sandbox: DineroSandbox) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    response = _exchange(sandbox, _code(sandbox, challenge), verifier)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_authorize_with_consent_redirects_with_code_and_state(sandbox: DineroSandbox) -> None:
    # Given: the demo user consents (the sandbox's default)
    # When
    response = authorize(sandbox)

    # Then
    assert response.status_code == 302
    params = _redirect_params(response)
    assert params["state"] == "xyz-state"
    assert params["code"]


def test_authorize_with_form_post_returns_a_self_posting_form_to_the_redirect_uri(sandbox: DineroSandbox) -> None:
    # Given
    parser = _FormParser()

    # When
    response = authorize(sandbox, response_mode="form_post")
    parser.feed(response.text)

    # Then
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert (parser.method, parser.action) == ("post", REDIRECT_URI)
    assert parser.fields["state"] == "xyz-state"
    assert parser.fields["code"]
    assert "dineropublicapi:write" in parser.fields["scope"]


def test_authorize_when_user_denies_redirects_with_access_denied(sandbox: DineroSandbox) -> None:
    # Given / When
    response = authorize(sandbox, sandbox_consent="deny")

    # Then
    params = _redirect_params(response)
    assert params["error"] == "access_denied"
    assert params["state"] == "xyz-state"
    assert "code" not in params


def test_authorize_without_offline_access_scope_redirects_with_invalid_scope(sandbox: DineroSandbox) -> None:
    # Given / When
    response = authorize(sandbox, scope="dineropublicapi:read dineropublicapi:write")

    # Then
    assert _redirect_params(response)["error"] == "invalid_scope"


def test_authorize_with_unknown_client_answers_400_without_redirect(sandbox: DineroSandbox) -> None:
    # Given / When
    response = authorize(sandbox, client_id="isv_unknown")

    # Then
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_token_exchange_with_right_pkce_verifier_returns_bearer_tokens(sandbox: DineroSandbox) -> None:
    # Given
    verifier, challenge = pkce_pair()
    code = _code(sandbox, challenge)

    # When
    response = _exchange(sandbox, code, verifier)

    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"] and body["refresh_token"]
    assert set(body["scope"].split()) >= {"dineropublicapi:read", "dineropublicapi:write", "offline_access"}


def test_token_exchange_with_wrong_pkce_verifier_is_invalid_grant(sandbox: DineroSandbox) -> None:
    # Given
    _, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = _code(sandbox, challenge)

    # When
    response = _exchange(sandbox, code, other_verifier)

    # Then
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_exchange_with_reused_code_is_invalid_grant(sandbox: DineroSandbox) -> None:
    # Given: a code that was exchanged once
    verifier, challenge = pkce_pair()
    code = _code(sandbox, challenge)
    assert _exchange(sandbox, code, verifier).status_code == 200

    # When
    response = _exchange(sandbox, code, verifier)

    # Then
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_exchange_with_other_redirect_uri_is_invalid_grant(sandbox: DineroSandbox) -> None:
    # Given
    verifier, challenge = pkce_pair()
    code = _code(sandbox, challenge)

    # When
    response = _token(
        sandbox, grant_type="authorization_code", code=code, redirect_uri=f"{REDIRECT_URI}2", code_verifier=verifier
    )

    # Then
    assert response.json()["error"] == "invalid_grant"


def test_token_request_with_wrong_secret_is_401_invalid_client(sandbox: DineroSandbox) -> None:
    # Given / When
    response = _token(sandbox, grant_type="refresh_token", refresh_token="x", client_secret="wrong")

    # Then
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_token_request_with_basic_client_auth_is_accepted(sandbox: DineroSandbox) -> None:
    # Given
    tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    basic = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()

    # When
    response = requests.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
        headers={"Authorization": f"Basic {basic}"},
        timeout=TIMEOUT_SECONDS,
    )

    # Then
    assert response.status_code == 200
    assert response.json()["refresh_token"] != tokens.refresh_token


def test_token_request_with_unknown_grant_type_is_unsupported_grant_type(sandbox: DineroSandbox) -> None:
    # Given / When
    response = _token(sandbox, grant_type="client_credentials")

    # Then
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_refresh_returns_a_new_pair_whose_access_token_works(sandbox: DineroSandbox) -> None:
    # Given
    first = _tokens(sandbox)

    # When
    response = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])

    # Then
    second = response.json()
    assert response.status_code == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert http_session(second["access_token"]).get(f"{sandbox.url}/v1/organizations").status_code == 200


def test_refresh_with_used_refresh_token_is_invalid_grant(sandbox: DineroSandbox) -> None:
    # Given: the first refresh token was rotated away
    first = _tokens(sandbox)
    assert _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]).status_code == 200

    # When
    response = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])

    # Then
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_within_grace_window_returns_the_same_new_pair_once(sandbox: DineroSandbox) -> None:
    # Given: a grace window, and a refresh token used once
    sandbox.state.refresh_grace_seconds = 30
    first = _tokens(sandbox)
    rotated = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()

    # When: the old token is used again, twice
    again = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    third_time = _token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])

    # Then
    assert again.status_code == 200
    assert again.json()["refresh_token"] == rotated["refresh_token"]
    assert third_time.json()["error"] == "invalid_grant"


def test_refresh_after_consent_is_revoked_is_invalid_grant_and_access_token_401(sandbox: DineroSandbox) -> None:
    # Given
    tokens = _tokens(sandbox)

    # When
    sandbox.state.revoke_consent(DEMO_USER)

    # Then
    refreshed = _token(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.json()["error"] == "invalid_grant"
    api = http_session(tokens["access_token"]).get(org_url(sandbox, "/vatTypes"))
    assert api.status_code == 401
