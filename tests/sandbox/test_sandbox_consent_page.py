"""Visma Connect's consent page in the sandbox: shown to browsers, its buttons decide, other clients skip it."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_OTHER_USER, DINERO_SCOPE, DineroSandbox
from sandbox.sandbox_support import REDIRECT_URI, TIMEOUT_SECONDS, authorize

pytestmark = pytest.mark.integration

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _ConsentForm(HTMLParser):
    """The page's list items, its form and the buttons' decisions."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self.action: str | None = None
        self.method: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}  # value -> label
        self._in: str | None = None
        self._button_value = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action, self.method = values.get("action"), values.get("method")
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")
        elif tag in ("li", "button"):
            self._in, self._button_value = tag, values.get("value", "")
            if tag == "li":
                self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "li":
            self.items[-1] += data
        elif self._in == "button":
            self.buttons[self._button_value] = data.strip()


def _consent_page(sandbox: DineroSandbox, **overrides: str) -> _ConsentForm:
    params = {"response_mode": "form_post", "code_challenge": "c" * 43, "code_challenge_method": "S256"}
    response = requests.get(
        sandbox.authorize_url,
        params=_authorize_params() | params | overrides,
        headers={"Accept": BROWSER_ACCEPT},
        allow_redirects=False,
        timeout=TIMEOUT_SECONDS,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    form = _ConsentForm()
    form.feed(response.text)
    return form


def _authorize_params() -> dict[str, str]:
    return {
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": DINERO_SCOPE,
        "state": "xyz-state",
    }


def _decide(sandbox: DineroSandbox, form: _ConsentForm, decision: str) -> requests.Response:
    """What the browser does on a button: the form's GET with the hidden fields and the button's value."""
    assert form.method == "get" and form.action == "/connect/authorize"
    return requests.get(
        f"{sandbox.url}{form.action}",
        params={**form.fields, "sandbox_consent": decision},
        headers={"Accept": BROWSER_ACCEPT},
        allow_redirects=False,
        timeout=TIMEOUT_SECONDS,
    )


def test_authorize_from_a_browser_shows_the_users_organizations_with_accept_and_cancel(sandbox: DineroSandbox) -> None:
    # Given / When: a browser opens the authorize URL
    form = _consent_page(sandbox)

    # Then: the demo user's two organizations, the non-Pro one marked, and the two decisions
    assert form.items == ["Nordlys Webshop ApS (1001)", "Hobbyværkstedet (1002), without Dinero Pro"]
    assert form.buttons == {"allow": "Accept", "deny": "Cancel"}
    assert form.fields["state"] == "xyz-state" and form.fields["response_mode"] == "form_post"
    assert sandbox.state.counters.get("authorization_codes_issued", 0) == 0


def test_consent_page_for_another_user_lists_only_that_users_organizations(sandbox: DineroSandbox) -> None:
    # Given / When
    form = _consent_page(sandbox, sandbox_user=DEMO_OTHER_USER)

    # Then
    assert form.items == ["Andet Firma ApS (2001)"]
    assert form.fields["sandbox_user"] == DEMO_OTHER_USER


def test_accept_on_the_consent_page_answers_the_client_with_a_code(sandbox: DineroSandbox) -> None:
    # Given
    form = _consent_page(sandbox)

    # When
    response = _decide(sandbox, form, "allow")

    # Then: the self-posting form to the redirect URI, with a code and the state
    assert response.status_code == 200
    assert f'action="{REDIRECT_URI}"' in response.text
    assert 'name="code"' in response.text and 'value="xyz-state"' in response.text
    assert sandbox.state.counters["authorization_codes_issued"] == 1


def test_cancel_on_the_consent_page_answers_the_client_with_access_denied(sandbox: DineroSandbox) -> None:
    # Given
    form = _consent_page(sandbox, response_mode="query")

    # When
    response = _decide(sandbox, form, "deny")

    # Then
    assert response.status_code == 302
    params = parse_qs(urlsplit(response.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["xyz-state"]
    assert "code" not in params


def test_authorize_from_a_client_that_is_not_a_browser_consents_at_once(sandbox: DineroSandbox) -> None:
    # Given / When: requests' default Accept (*/*), as the tests and the terminal demo send
    response = authorize(sandbox)

    # Then
    assert response.status_code == 302
    assert "code" in parse_qs(urlsplit(response.headers["Location"]).query)
