"""The OAuth function through API Gateway v2 events: connect and complete (authenticated), the public callback."""

from urllib.parse import parse_qs, urlsplit

import pytest

from dinero_bookkeeping.domain.errors import RetryableError
from support.gateway_api import Api
from support.merchant_world import MERCHANT, OTHER_MERCHANT, MerchantWorld

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def location_query(location: str | None) -> dict[str, str]:
    assert location is not None
    return {name: values[-1] for name, values in parse_qs(urlsplit(location).query).items()}


def consent(api: Api, world: MerchantWorld) -> tuple[str, str]:
    """POST /oauth/connect, then what Visma Connect sends back once the user accepts: (state, code)."""
    started = api.call("POST", "/oauth/connect", merchant=MERCHANT)
    query = parse_qs(urlsplit(started.json()["authorize_url"]).query)
    return query["state"][0], world.visma.consent(query["code_challenge"][0])


def parked(api: Api, world: MerchantWorld) -> str:
    """merchant-1 started connecting and consented; the handle the callback sent the browser back with."""
    state, code = consent(api, world)
    response = api.call("POST", "/oauth/callback", form={"code": code, "state": state})
    return location_query(response.header("Location"))["handle"]


def test_connect_returns_the_authorize_url_and_its_expiry(api: Api, world: MerchantWorld) -> None:
    # Given
    headers = {"Content-Length": "0"}
    # When
    response = api.call("POST", "/oauth/connect", merchant=MERCHANT, headers=headers)
    # Then
    assert response.status == 200
    body = response.json()
    assert set(body) == {"authorize_url", "expires_at"}
    (state,) = world.states.states.values()
    assert state.merchant_id == MERCHANT
    assert parse_qs(urlsplit(body["authorize_url"]).query)["state"] == [state.state]


def test_connect_without_a_token_is_refused_by_the_authorizer(api: Api, world: MerchantWorld) -> None:
    # Given
    headers = {"Authorization": "Bearer not-a-jwt"}
    # When
    response = api.call("POST", "/oauth/connect", headers=headers)
    # Then
    assert response.status == 401
    assert world.states.states == {}


def test_connect_without_a_merchant_claim_is_refused_by_the_handler_itself(
    api_without_authorizer: Api, world: MerchantWorld
) -> None:
    # Given: the route reached without the JWT authorizer, so the event has no claims
    # When
    response = api_without_authorizer.call("POST", "/oauth/connect")
    # Then
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}
    assert world.states.states == {}


def test_callback_by_query_parks_the_consent_and_redirects_to_the_app_with_a_handle(
    api: Api, world: MerchantWorld
) -> None:
    # Given
    state, code = consent(api, world)
    # When
    response = api.call("GET", "/oauth/callback", query={"code": code, "state": state, "scope": "ignored"})
    # Then
    assert response.status == 302
    query = location_query(response.header("Location"))
    assert query == {"tab": "dinero", "dinero": "complete", "handle": query["handle"]}
    assert response.header("Cache-Control") == "no-store"
    assert list(world.pending.pending) == [query["handle"]]
    assert world.visma.issued == [] and world.integrations.integrations == {}


def test_callback_by_form_post_parks_the_consent_and_redirects_to_the_app(api: Api, world: MerchantWorld) -> None:
    # Given: Visma Connect's response_mode=form_post, which API Gateway hands over base64-encoded
    state, code = consent(api, world)
    form = {"code": code, "state": state, "scope": "dineropublicapi:read", "session_state": "x.y"}
    # When
    response = api.call("POST", "/oauth/callback", form=form)
    # Then
    assert response.status == 302
    assert location_query(response.header("Location"))["dinero"] == "complete"
    assert world.visma.issued == [] and world.integrations.integrations == {}


def test_complete_by_the_merchant_who_started_connects_every_organization(api: Api, world: MerchantWorld) -> None:
    # Given
    handle = parked(api, world)
    # When
    response = api.call("POST", "/oauth/complete", merchant=MERCHANT, json_body={"handle": handle})
    # Then
    assert response.status == 200
    assert response.json() == {"result": "connected", "organizations": 2}
    assert len(world.integrations.list_integrations(MERCHANT)) == 2


def test_complete_by_another_merchant_is_a_404_that_connects_nothing(api: Api, world: MerchantWorld) -> None:
    # Given: merchant-1's consent, come back in merchant-2's browser
    handle = parked(api, world)
    # When
    response = api.call("POST", "/oauth/complete", merchant=OTHER_MERCHANT, json_body={"handle": handle})
    # Then
    assert response.status == 404
    assert MERCHANT not in response.body.decode()
    assert world.visma.issued == [] and world.integrations.integrations == {}


def test_complete_without_a_token_is_refused_by_the_authorizer(api: Api, world: MerchantWorld) -> None:
    # Given
    handle = parked(api, world)
    # When
    response = api.call("POST", "/oauth/complete", json_body={"handle": handle})
    # Then
    assert response.status == 401
    assert list(world.pending.pending) == [handle]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"handle": "h" * 129}, "handle"), ({}, "handle"), ({"handle": "h", "merchant": "x"}, "merchant")],
)
def test_complete_with_a_malformed_body_is_a_422_naming_the_field(
    api: Api, world: MerchantWorld, body: dict[str, str], field: str
) -> None:
    # Given
    parked(api, world)
    # When
    response = api.call("POST", "/oauth/complete", merchant=MERCHANT, json_body=body)
    # Then
    assert response.status == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert world.visma.issued == []


def test_complete_while_dinero_is_down_is_a_503(api: Api, world: MerchantWorld) -> None:
    # Given
    handle = parked(api, world)
    world.directory.failure = RetryableError("Dinero answered 503 to GET /v1/organizations")
    # When
    response = api.call("POST", "/oauth/complete", merchant=MERCHANT, json_body={"handle": handle})
    # Then
    assert response.status == 503
    assert response.json() == {"message": "Dinero or AWS is unavailable; try again"}


def test_callback_with_access_denied_redirects_denied(api: Api, world: MerchantWorld) -> None:
    # Given
    state, _ = consent(api, world)
    # When
    response = api.call("POST", "/oauth/callback", form={"error": "access_denied", "state": state})
    # Then
    assert response.status == 302
    assert location_query(response.header("Location")) == {"tab": "dinero", "dinero": "denied"}
    assert world.integrations.integrations == {}


def test_callback_replayed_is_rejected_with_a_friendly_redirect(api: Api, world: MerchantWorld) -> None:
    # Given
    state, code = consent(api, world)
    api.call("POST", "/oauth/callback", form={"code": code, "state": state})
    # When
    replayed = api.call("POST", "/oauth/callback", form={"code": code, "state": state})
    # Then
    assert replayed.status == 302
    assert location_query(replayed.header("Location"))["reason"] == "invalid_state"
    assert len(world.pending.pending) == 1


def test_callback_without_anything_redirects_with_an_error(api: Api, world: MerchantWorld) -> None:
    # Given
    query: dict[str, str] = {}
    # When
    response = api.call("GET", "/oauth/callback", query=query)
    # Then
    assert response.status == 302
    assert location_query(response.header("Location")) == {
        "tab": "dinero",
        "dinero": "error",
        "reason": "invalid_state",
    }
