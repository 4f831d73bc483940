"""A merchant's browser and app against the local system over HTTP: the configuration API with the merchant's JWT,
and "Connect Dinero" through the Dinero sandbox's consent page, as a browser without JavaScript would do it, finished
by the app's POST /oauth/complete."""

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from infra.local.system import LocalSystem


@dataclass(frozen=True)
class FormPost:
    """The self-submitting form Visma Connect answers with when response_mode=form_post."""

    action: str
    fields: dict[str, str]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = attributes.get("action")
        elif tag == "input" and "name" in attributes:
            self.fields[attributes["name"]] = attributes.get("value", "")


class MerchantClient:
    def __init__(self, system: LocalSystem, merchant_id: str) -> None:
        self.merchant_id = merchant_id
        self.base_url = system.gateway_url
        self._authorization = {"Authorization": f"Bearer {system.merchant_token(merchant_id)}"}
        self.session = requests.Session()
        # Every response the merchant's side sees, so a test can check none of them leaks a secret.
        self.responses: list[requests.Response] = []
        self.session.hooks["response"].append(self._remember)

    def call(self, method: str, path: str, **options: Any) -> requests.Response:
        headers = {**self._authorization, **options.pop("headers", {})}
        return self.session.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **options)

    def get(self, path: str, **options: Any) -> requests.Response:
        return self.call("GET", path, **options)

    def post(self, path: str, **options: Any) -> requests.Response:
        return self.call("POST", path, **options)

    def put(self, path: str, **options: Any) -> requests.Response:
        return self.call("PUT", path, **options)

    def delete(self, path: str, **options: Any) -> requests.Response:
        return self.call("DELETE", path, **options)

    def start_connect(self) -> str:
        response = self.post("/oauth/connect")
        assert response.status_code == 200, response.text
        authorize_url: str = response.json()["authorize_url"]
        return authorize_url

    def consent(self, authorize_url: str, **sandbox_options: str) -> FormPost:
        """Open Dinero's consent page (the sandbox consents at once, as `sandbox_user`, or denies)."""
        url = f"{authorize_url}&{urlencode(sandbox_options)}" if sandbox_options else authorize_url
        page = self.session.get(url, allow_redirects=False, timeout=30)
        assert page.status_code == 200, page.text
        parser = _FormParser()
        parser.feed(page.text)
        assert parser.action is not None, page.text
        return FormPost(parser.action, parser.fields)

    def submit(self, form: FormPost) -> requests.Response:
        """The browser posts the form to our callback: public, so without the merchant's token."""
        return self.session.post(form.action, data=form.fields, allow_redirects=False, timeout=30)

    def callback(self, **sandbox_options: str) -> requests.Response:
        """Start connecting, consent, and come back through the callback: its redirect to the app."""
        return self.submit(self.consent(self.start_connect(), **sandbox_options))

    def complete(self, handle: str) -> requests.Response:
        """What the app does when the callback sent it `dinero=complete&handle=…`: finish under its own JWT."""
        return self.post("/oauth/complete", json={"handle": handle})

    def connect_dinero(self, **sandbox_options: str) -> dict[str, Any]:
        """The whole flow, finished by this merchant's app: the completion's answer."""
        outcome = redirect_outcome(self.callback(**sandbox_options))
        assert outcome["dinero"] == "complete", outcome
        response = self.complete(outcome["handle"])
        assert response.status_code == 200, response.text
        completion: dict[str, Any] = response.json()
        return completion

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.responses.append(response)


def redirect_outcome(response: requests.Response) -> dict[str, str]:
    """The query of the callback's redirect back to the app, one value per name."""
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    return {name: values[-1] for name, values in parse_qs(urlsplit(location).query).items()}
