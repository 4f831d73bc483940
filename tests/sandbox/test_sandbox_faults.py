"""Fault injection: an error status before processing, a delay, and a commit whose answer never arrives."""

import uuid

import pytest
import requests

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, DineroSandbox
from sandbox.sandbox_support import TIMEOUT_SECONDS, api_session, invoice_body, org_url

pytestmark = pytest.mark.integration

INVOICES = f"/v1/{DEMO_PRO_ORG_ID}/invoices"


def test_status_fault_answers_500_without_creating_the_invoice(sandbox: DineroSandbox) -> None:
    # Given
    sandbox.faults.add(method="POST", path=INVOICES, kind="status", status=500)
    session = api_session(sandbox)

    # When
    failed = session.post(org_url(sandbox, "/invoices"), json=invoice_body())
    retried = session.post(org_url(sandbox, "/invoices"), json=invoice_body())

    # Then: only the first request failed, and it changed nothing
    assert failed.status_code == 500
    assert failed.headers["Content-Type"].startswith("application/json")
    assert retried.status_code == 200
    assert len(sandbox.state.invoices(DEMO_PRO_ORG_ID)) == 1


def test_status_fault_429_carries_retry_after(sandbox: DineroSandbox) -> None:
    # Given
    sandbox.faults.add(method="GET", path=f"/v1/{DEMO_PRO_ORG_ID}/vatTypes", status=429, seconds=7)

    # When
    response = api_session(sandbox).get(org_url(sandbox, "/vatTypes"))

    # Then
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.text.startswith("API calls quota exceeded!")


def test_status_fault_with_pattern_and_times_fails_that_many_matching_requests(sandbox: DineroSandbox) -> None:
    # Given
    sandbox.faults.add(method="GET", path="/v1/*/invoices/*", status=503, times=2)
    session = api_session(sandbox)
    url = org_url(sandbox, f"/invoices/{uuid.uuid4()}")

    # When
    statuses = [session.get(url).status_code for _ in range(3)]

    # Then: the third request reaches the API (and finds no such invoice)
    assert statuses == [503, 503, 404]


def test_delay_fault_processes_the_request_after_sleeping(sandbox: DineroSandbox) -> None:
    # Given
    sandbox.faults.add(method="POST", path=INVOICES, kind="delay", seconds=0.2)

    # When
    response = api_session(sandbox).post(org_url(sandbox, "/invoices"), json=invoice_body())

    # Then
    assert response.status_code == 200
    assert sandbox.state.request_log[-1].fault == "delay"
    assert len(sandbox.state.invoices(DEMO_PRO_ORG_ID)) == 1


def test_drop_after_commit_fault_raises_connection_error_yet_the_invoice_exists(sandbox: DineroSandbox) -> None:
    # Given
    sandbox.faults.add(method="POST", path=INVOICES, kind="drop_after_commit")
    session = api_session(sandbox)
    guid = str(uuid.uuid4())

    # When
    with pytest.raises(requests.ConnectionError):
        session.post(org_url(sandbox, "/invoices"), json=invoice_body(Guid=guid))

    # Then
    assert session.get(org_url(sandbox, f"/invoices/{guid}")).json()["Guid"] == guid
    assert sandbox.state.request_log[0].status == 200


def test_faults_armed_over_http_apply_and_clear(sandbox: DineroSandbox) -> None:
    # Given
    fault = {"method": "GET", "path": f"/v1/{DEMO_PRO_ORG_ID}/vatTypes", "kind": "status", "status": 502, "times": 5}
    armed = requests.post(f"{sandbox.url}/_sandbox/faults", json=fault, timeout=TIMEOUT_SECONDS)
    session = api_session(sandbox)

    # When
    faulted = session.get(org_url(sandbox, "/vatTypes"))
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=TIMEOUT_SECONDS)
    cleared = session.get(org_url(sandbox, "/vatTypes"))

    # Then
    assert armed.status_code == 201
    assert (faulted.status_code, cleared.status_code) == (502, 200)


def test_fault_with_unknown_kind_is_rejected(sandbox: DineroSandbox) -> None:
    # Given / When
    response = requests.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"method": "GET", "path": "/v1/*", "kind": "explode"},
        timeout=TIMEOUT_SECONDS,
    )

    # Then
    assert response.status_code == 400
    assert sandbox.faults.pending() == []
