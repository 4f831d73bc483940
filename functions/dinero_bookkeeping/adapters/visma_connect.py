"""Visma Connect, Dinero's OAuth 2.0 server: the authorize URL, the code exchange, the token refresh and revocation."""

import base64
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus, urlencode

import requests
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import ConsentRevokedError, PermanentError, RetryableError
from dinero_bookkeeping.domain.tokens import TokenSet

SCOPES = "dineropublicapi:read dineropublicapi:write offline_access"


class VismaConnectClient:
    def __init__(
        self, session: requests.Session, base_url: str, client_id: str, client_secret: SecretStr, timeout: float
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        query = {
            "client_id": self._client_id,
            "response_type": "code",
            "scope": SCOPES,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "response_mode": "form_post",
            "ui_locales": "da-DK",
        }
        return f"{self._base_url}/connect/authorize?{urlencode(query)}"

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str, now: datetime) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "redirect_uri": redirect_uri,
        }
        return self._token_request(form, now)

    def refresh(self, refresh_token: SecretStr, now: datetime) -> TokenSet:
        """Raises ConsentRevokedError on invalid_grant: the merchant withdrew consent or the token was used already."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token.get_secret_value()}
        return self._token_request(form, now)

    def revoke(self, refresh_token: SecretStr) -> None:
        """Ends the grant (RFC 7009): the refresh token and the access tokens issued with it stop working.

        Visma Connect documents HTTP Basic client authentication for this endpoint (docs.connect.visma.com,
        "Token Revocation"); an unknown or already dead token is still a 200 there (RFC 7009 §2.2).
        """
        form = {"token": refresh_token.get_secret_value(), "token_type_hint": "refresh_token"}
        try:
            response = self._session.post(
                f"{self._base_url}/connect/revocation",
                data=form,
                headers={"Authorization": self._basic_credentials()},
                timeout=self._timeout,
            )
        except requests.RequestException as error:
            raise RetryableError("Visma Connect did not answer the revocation") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"Visma Connect answered {response.status_code} to the revocation")
        if response.status_code != 200:
            oauth_error = str(_json(response).get("error", response.status_code))
            raise PermanentError(f"Visma Connect refused the revocation ({oauth_error})")

    def _basic_credentials(self) -> str:
        # Each part form-urlencoded before joining (RFC 6749 §2.3.1), so a ':' or '+' in the secret survives.
        pair = f"{quote_plus(self._client_id)}:{quote_plus(self._client_secret.get_secret_value())}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    def _token_request(self, form: dict[str, str], now: datetime) -> TokenSet:
        form = {**form, "client_id": self._client_id, "client_secret": self._client_secret.get_secret_value()}
        try:
            response = self._session.post(f"{self._base_url}/connect/token", data=form, timeout=self._timeout)
        except requests.RequestException as error:
            raise RetryableError("Visma Connect did not answer") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"Visma Connect answered {response.status_code}")
        body = _json(response)
        if response.status_code != 200:
            oauth_error = str(body.get("error", "unknown_error"))
            if oauth_error == "invalid_grant":
                raise ConsentRevokedError("Dinero access was revoked or expired: connect Dinero again")
            raise PermanentError(f"Visma Connect refused the token request ({oauth_error})")
        if not body.get("refresh_token"):
            raise PermanentError("Visma Connect issued no refresh token: offline_access must be enabled for the app")
        return TokenSet(
            access_token=SecretStr(str(body["access_token"])),
            refresh_token=SecretStr(str(body["refresh_token"])),
            access_expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
        )


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
