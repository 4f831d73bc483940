"""Inspecting and steering the sandbox: state, request log, reset, switches over HTTP, the standalone command."""

import subprocess
import sys

import pytest
import requests

from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_PRO_ORG_ID, DEMO_USER, DineroSandbox
from sandbox.sandbox_support import TIMEOUT_SECONDS, api_session, create_contact, invoice_body, org_url

pytestmark = pytest.mark.integration


def test_request_log_records_method_path_organization_status_and_client(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)

    # When
    session.get(f"{sandbox.url}/v1/organizations")
    session.post(org_url(sandbox, "/invoices"), json=invoice_body())

    # Then
    log = [(e.method, e.path, e.organization_id, e.status, e.client_id) for e in sandbox.state.request_log]
    assert log == [
        ("GET", "/v1/organizations", None, 200, DEMO_CLIENT_ID),
        ("POST", f"/v1/{DEMO_PRO_ORG_ID}/invoices", DEMO_PRO_ORG_ID, 200, DEMO_CLIENT_ID),
    ]


def test_state_over_http_shows_invoices_contacts_log_and_counters(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)
    create_contact(session, sandbox)
    session.post(org_url(sandbox, "/invoices"), json=invoice_body(ExternalReference="1042"))

    # When
    state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=TIMEOUT_SECONDS).json()

    # Then
    organization = next(org for org in state["organizations"] if org["id"] == DEMO_PRO_ORG_ID)
    assert [invoice["ExternalReference"] for invoice in organization["invoices"]] == ["1042"]
    assert len(organization["contacts"]) == 1
    assert len(state["request_log"]) == 2
    assert state["counters"]["invoices_created"] == 1


def test_reset_forgets_invoices_and_log_but_keeps_tokens(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)
    session.post(org_url(sandbox, "/invoices"), json=invoice_body())

    # When
    reset = requests.post(f"{sandbox.url}/_sandbox/reset", timeout=TIMEOUT_SECONDS)

    # Then
    assert reset.status_code == 200
    assert sandbox.state.invoices(DEMO_PRO_ORG_ID) == []
    assert sandbox.state.request_log == []
    assert session.get(org_url(sandbox, "/vatTypes")).status_code == 200


def test_expire_access_tokens_over_http_makes_api_calls_401(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)

    # When
    requests.post(f"{sandbox.url}/_sandbox/expire-access-tokens", timeout=TIMEOUT_SECONDS)

    # Then
    assert session.get(org_url(sandbox, "/vatTypes")).status_code == 401


def test_revoke_consent_over_http_makes_api_calls_401(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)

    # When
    revoked = requests.post(f"{sandbox.url}/_sandbox/revoke-consent", json={"user": DEMO_USER}, timeout=TIMEOUT_SECONDS)

    # Then
    assert revoked.status_code == 200
    assert session.get(org_url(sandbox, "/vatTypes")).status_code == 401


def test_revoke_consent_of_unknown_user_is_400(sandbox: DineroSandbox) -> None:
    # Given / When
    response = requests.post(f"{sandbox.url}/_sandbox/revoke-consent", json={"user": "nobody"}, timeout=TIMEOUT_SECONDS)

    # Then
    assert response.status_code == 400


def test_standalone_command_prints_its_url_and_serves() -> None:
    # Given
    command = [sys.executable, "-m", "infra.local.dinero_sandbox", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        # When
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        response = requests.get(f"{url}/v1/organizations", timeout=TIMEOUT_SECONDS)

        # Then: it is up, and the Dinero API wants a token
        assert url.startswith("http://127.0.0.1:")
        assert response.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT_SECONDS)
