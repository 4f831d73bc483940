"""Dinero's rate limit in the sandbox: requests per client and organization in a sliding minute."""

import pytest

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, DEMO_USER, DineroSandbox
from sandbox.sandbox_support import api_session, http_session, org_url

pytestmark = pytest.mark.integration


def test_rate_limit_101st_request_in_a_minute_is_429_with_retry_after(sandbox: DineroSandbox) -> None:
    # Given: the default limit of 100 used up
    session = api_session(sandbox)
    statuses = {session.get(org_url(sandbox, "/vatTypes")).status_code for _ in range(100)}

    # When
    response = session.get(org_url(sandbox, "/vatTypes"))

    # Then
    assert statuses == {200}
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("API calls quota exceeded!")
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_rate_limit_of_one_organization_leaves_another_untouched(sandbox: DineroSandbox) -> None:
    # Given: a second Pro organization of the same user, and the first one's limit used up
    sandbox.state.rate_limit_per_minute = 2
    sandbox.state.add_organization(1003, "Nordlys Engros ApS", DEMO_USER)
    session = api_session(sandbox)
    for _ in range(2):
        session.get(org_url(sandbox, "/vatTypes"))

    # When
    limited = session.get(org_url(sandbox, "/vatTypes"))
    other = session.get(org_url(sandbox, "/vatTypes", 1003))

    # Then
    assert limited.status_code == 429
    assert other.status_code == 200


def test_rate_limit_of_one_client_leaves_another_client_untouched(sandbox: DineroSandbox) -> None:
    # Given: a second integration (client) for the same user, and the first client's limit used up
    sandbox.state.rate_limit_per_minute = 1
    sandbox.state.add_client("isv_other_app", "other-secret")
    first = api_session(sandbox)
    first.get(org_url(sandbox, "/vatTypes"))

    # When
    limited = first.get(org_url(sandbox, "/vatTypes"))
    other = http_session(sandbox.state.issue_tokens(DEMO_USER, "isv_other_app").access_token)

    # Then
    assert limited.status_code == 429
    assert other.get(org_url(sandbox, "/vatTypes")).status_code == 200


def test_organizations_list_is_not_rate_limited(sandbox: DineroSandbox) -> None:
    # Given
    sandbox.state.rate_limit_per_minute = 1
    session = api_session(sandbox)

    # When
    statuses = [session.get(f"{sandbox.url}/v1/organizations").status_code for _ in range(3)]

    # Then
    assert statuses == [200, 200, 200]


def test_rate_limited_requests_are_counted_and_logged(sandbox: DineroSandbox) -> None:
    # Given
    sandbox.state.rate_limit_per_minute = 1
    session = api_session(sandbox)

    # When
    session.get(org_url(sandbox, "/vatTypes"))
    session.get(org_url(sandbox, "/vatTypes"))

    # Then
    assert sandbox.state.counters["rate_limited"] == 1
    assert [(entry.organization_id, entry.status) for entry in sandbox.state.request_log] == [
        (DEMO_PRO_ORG_ID, 200),
        (DEMO_PRO_ORG_ID, 429),
    ]
