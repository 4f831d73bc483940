"""Malformed requests through API Gateway v2 events: every body that cannot be read is a 422 naming the body on the
configuration API and POST /oauth/connect, the public callback still sends the browser back to the app, the JWT
`sub` is used exactly as issued, and path parameters arrive decoded."""

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from dinero_bookkeeping.domain.integration import integration_id_for
from support.gateway_api import Api
from support.merchant_world import MERCHANT, PRO_ORG, MerchantWorld

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

PRO = integration_id_for(MERCHANT, PRO_ORG.id)
JSON = {"Content-Type": "application/json"}

MALFORMED_BODIES = {
    "nested-10000-deep": (b"[" * 10_000 + b"]" * 10_000, "json_too_deep"),
    "number-5000-digits": (b'{"enabled": ' + b"9" * 5000 + b"}", "number_too_long"),
    "not-utf8": (b'{"enabled": "\xff\xfe"}', "utf8_invalid"),
    "over-64-KiB": (b'{"enabled": true, "pad": "' + b"x" * 70_000 + b'"}', "too_long"),
}
ROUTES = {
    "book-automatically": ("PUT", f"/integrations/{PRO}/book-automatically"),
    "template": ("PUT", f"/integrations/{PRO}/templates/product_domestic"),
    "connect": ("POST", "/oauth/connect"),
}


@pytest.mark.parametrize(("body", "kind"), MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
@pytest.mark.parametrize(("method", "path"), ROUTES.values(), ids=ROUTES.keys())
def test_a_body_that_cannot_be_read_is_a_422_naming_the_body(
    api: Api, world: MerchantWorld, method: str, path: str, body: bytes, kind: str
) -> None:
    # Given
    world.connected()

    # When
    response = api.call(method, path, merchant=MERCHANT, headers=JSON, raw_body=body)

    # Then
    assert response.status == 422
    assert response.json() == {"statusCode": 422, "detail": [{"loc": ["body"], "type": kind}]}
    assert world.states.states == {}


@pytest.mark.parametrize(
    ("route", "body", "loc"),
    [
        ("book-automatically", b"[1, 2]", ["body"]),
        ("book-automatically", b'"yes"', ["body"]),
        ("book-automatically", b'{"enabled": "maybe"}', ["body", "enabled"]),
        ("templates/product_domestic", b'{"account_number": 1E+400}', ["body", "account_number"]),
        ("templates/product_domestic", b'{"account_number": NaN}', ["body", "account_number"]),
    ],
    ids=["a-list", "a-string", "a-wrong-type", "number-1E+400", "NaN"],
)
def test_a_body_of_the_wrong_shape_is_a_422_naming_the_field(
    api: Api, world: MerchantWorld, route: str, body: bytes, loc: list[str]
) -> None:
    # Given
    world.connected()

    # When
    response = api.call("PUT", f"/integrations/{PRO}/{route}", merchant=MERCHANT, headers=JSON, raw_body=body)

    # Then
    assert response.status == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


@pytest.mark.parametrize(("body", "kind"), MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", None], ids=["json", "form", "none"]
)
def test_the_callback_sends_the_browser_back_to_the_app_whatever_the_body(
    api: Api, world: MerchantWorld, content_type: str | None, body: bytes, kind: str
) -> None:
    # Given a callback whose body cannot be read
    headers = {"Content-Type": content_type} if content_type else {}

    # When
    response = api.call("POST", "/oauth/callback", headers=headers, raw_body=body)

    # Then a redirect to the app with an error outcome, and nothing connected
    assert response.status == 302
    location = response.header("Location")
    assert location is not None and location.startswith("https://app.example/settings?")
    assert parse_qs(urlsplit(location).query)["dinero"] == ["error"]
    assert world.integrations.integrations == {}


def test_a_body_on_connect_that_can_be_read_is_ignored(api: Api, world: MerchantWorld) -> None:
    # Given
    body = b'{"anything": [1, 2, 3]}'

    # When
    response = api.call("POST", "/oauth/connect", merchant=MERCHANT, headers=JSON, raw_body=body)

    # Then
    assert response.status == 200
    assert len(world.states.states) == 1


def test_the_jwt_sub_is_used_exactly_as_issued(api: Api, world: MerchantWorld) -> None:
    # Given merchant-1 is connected, and another identity whose subject differs only by spaces
    world.connected(MERCHANT)

    # When
    own = api.call("GET", "/integrations", merchant=MERCHANT)
    padded = api.call("GET", "/integrations", merchant=f" {MERCHANT} ")

    # Then the padded subject is a different merchant, who sees none of merchant-1's integrations
    assert len(own.json()) == 2
    assert padded.status == 200 and padded.json() == []


def test_a_percent_encoded_webshop_id_is_decoded_before_use(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()

    # When
    linked = api.call("PUT", f"/integrations/{PRO}/links/my%20shop%C3%B8", merchant=MERCHANT)
    listed = api.call("GET", f"/integrations/{PRO}/links", merchant=MERCHANT)

    # Then the link is for the webshop id an order event carries: "my shopø"
    assert linked.status == 200
    assert linked.json()["order_integration_id"] == "my shopø"
    assert [link["order_integration_id"] for link in listed.json()] == ["my shopø"]


@pytest.mark.parametrize("webshop_id", ["shop/1", "a#b?c", "tab\there", "€ shop"], ids=["slash", "hash", "tab", "euro"])
def test_a_webshop_id_of_any_characters_reaches_its_route_decoded(
    api: Api, world: MerchantWorld, webshop_id: str
) -> None:
    # Given
    world.activated()

    # When
    linked = api.call("PUT", f"/integrations/{PRO}/links/{quote(webshop_id, safe='')}", merchant=MERCHANT)
    unlinked = api.call("DELETE", f"/integrations/{PRO}/links/{quote(webshop_id, safe='')}", merchant=MERCHANT)

    # Then
    assert linked.status == 200 and linked.json()["order_integration_id"] == webshop_id
    assert unlinked.status == 204
    assert api.call("GET", f"/integrations/{PRO}/links", merchant=MERCHANT).json() == []
