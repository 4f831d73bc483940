"""The OAuth function through API Gateway v2 events: connect (authenticated) and the public callback."""

from urllib.parse import parse_qs, urlsplit

import pytest

from support.gateway_api import Api
from support.merchant_world import MERCHANT, MerchantWorld

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def location_query(location: str | None) -> dict[str, str]:
    assert location is not None
    return {name: values[-1] for name, values in parse_qs(urlsplit(location).query).items()}


def consent(api: Api, world: MerchantWorld) -> tuple[str, str]:
    """POST /oauth/connect, then what Visma Connect sends back once the user accepts: (state, code)."""
    started = api.call("POST", "/oauth/connect", merchant=MERCHANT)
    query = parse_qs(urlsplit(started.json()["authorize_url"]).query)
    return query["state"][0], world.visma.consent(query["code_challenge"][0])


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


def test_callback_by_query_connects_and_redirects_to_the_app(api: Api, world: MerchantWorld) -> None:
    # Given
    state, code = consent(api, world)
    # When
    response = api.call("GET", "/oauth/callback", query={"code": code, "state": state, "scope": "ignored"})
    # Then
    assert response.status == 302
    assert location_query(response.header("Location")) == {
        "tab": "dinero",
        "dinero": "connected",
        "organizations": "2",
    }
    assert response.header("Cache-Control") == "no-store"
    assert len(world.integrations.integrations) == 2


def test_callback_by_form_post_connects_and_redirects_to_the_app(api: Api, world: MerchantWorld) -> None:
    # Given: Visma Connect's response_mode=form_post, which API Gateway hands over base64-encoded
    state, code = consent(api, world)
    form = {"code": code, "state": state, "scope": "dineropublicapi:read", "session_state": "x.y"}
    # When
    response = api.call("POST", "/oauth/callback", form=form)
    # Then
    assert response.status == 302
    assert location_query(response.header("Location"))["dinero"] == "connected"
    assert len(world.integrations.integrations) == 2


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
    assert len(world.visma.issued) == 1


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
