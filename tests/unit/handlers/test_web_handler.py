"""The settings page's function behind the HTTP API: public, its own files only, with a strict policy."""

import re

import pytest

from dinero_bookkeeping.handlers.web_handler import WEB_ROOT
from infra.local.dinero_sandbox import DEMO_CLIENT_SECRET
from infra.local.system import DEV_JWT_SECRET
from support.gateway_api import Api


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/app", "text/html; charset=utf-8"),
        ("/app/app.js", "text/javascript; charset=utf-8"),
        ("/app/strings.js", "text/javascript; charset=utf-8"),
        ("/app/app.css", "text/css; charset=utf-8"),
        ("/app/icon.svg", "image/svg+xml"),
    ],
)
def test_page_files_when_requested_without_token_are_served_with_their_type_and_policy(
    api: Api, path: str, content_type: str
) -> None:
    # Given / When: no Authorization header
    response = api.call("GET", path)

    # Then
    assert response.status == 200
    assert response.header("Content-Type") == content_type
    policy = response.header("Content-Security-Policy") or ""
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe" not in policy
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert response.header("Referrer-Policy") == "no-referrer"


def test_page_when_served_is_the_packaged_index_loading_its_files_relatively(api: Api) -> None:
    # Given / When
    body = api.call("GET", "/app").body.decode()

    # Then: the file from the package, with no inline script or style, and relative references (base-path proof)
    assert body == (WEB_ROOT / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'(?:src|href)="([^"]+)"', body) == ["app/icon.svg", "app/app.css", "app/app.js"]
    assert "<style" not in body and " style=" not in body and not re.search(r"<script(?![^>]*\bsrc=)", body)


@pytest.mark.parametrize("path", ["/app/template.yaml", "/app/..%2F..%2Fsettings.py", "/app/web_handler.py", "/app/"])
def test_page_files_when_name_is_not_one_of_the_pages_files_answers_404(api: Api, path: str) -> None:
    # Given / When
    response = api.call("GET", path)

    # Then
    assert response.status == 404


def test_page_files_when_read_hold_no_secret_of_the_system(api: Api) -> None:
    # Given: the secrets the local system knows
    secrets = (DEV_JWT_SECRET, DEMO_CLIENT_SECRET, "client_secret", "Bearer ey")

    # When
    bodies = [api.call("GET", path).body.decode() for path in ("/app", "/app/app.js", "/app/strings.js")]

    # Then
    assert not [secret for secret in secrets for body in bodies if secret in body]
