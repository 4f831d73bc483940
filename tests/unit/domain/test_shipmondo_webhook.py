"""Shipmondo webhook verification: HS256 with the merchant's key only; nothing else gets through."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from dinero_bookkeeping.domain.shipmondo_webhook import (
    WebhookAuthenticationError,
    WebhookPayloadError,
    verify_message,
)
from support.events import order_event

KEY = "merchant-webhook-key-" + "0123456789abcdef" * 3
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HEADERS = {"SMD-Action": "create_fulfillment", "SMD-Resource-Type": "Orders", "SMD-Resource-Id": "5123401"}


def _sales_order() -> dict[str, Any]:
    order: dict[str, Any] = order_event("danish_private")["sales_order"]
    order["source_name"] = "Nordlys Design webshop"
    return order


def _claims(**extra: Any) -> dict[str, Any]:
    return {"webhook": {"action": "create_fulfillment", "resource_name": "Orders"}, "data": _sales_order(), **extra}


def _body(token: str) -> str:
    return json.dumps({"data": token})


def test_a_token_signed_with_the_key_is_read_as_shipmondo_encodes_it_a_json_string_inside() -> None:
    token = jwt.PyJWS().encode(json.dumps(json.dumps(_claims())).encode(), KEY, algorithm="HS256")
    message = verify_message(_body(token), KEY, {**HEADERS, "X-Other": "x"}, NOW)
    assert message.action == "create_fulfillment"
    assert message.resource["order_id"] == "10421"
    assert message.headers == {name.lower(): value for name, value in HEADERS.items()}


def test_a_plain_json_object_payload_is_read_too() -> None:
    token = jwt.encode(_claims(), KEY, algorithm="HS256")
    assert verify_message(_body(token), KEY, HEADERS, NOW).resource["id"] == 5123401


def test_another_merchants_key_is_refused() -> None:
    token = jwt.encode(_claims(), "another-merchants-key-0123456789abcdef", algorithm="HS256")
    with pytest.raises(WebhookAuthenticationError):
        verify_message(_body(token), KEY, HEADERS, NOW)


def test_alg_none_is_refused() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=").decode()
    with pytest.raises(WebhookAuthenticationError):
        verify_message(_body(f"{header}.{payload}."), KEY, HEADERS, NOW)


def test_other_hmac_algorithms_are_refused_even_with_the_right_key() -> None:
    token = jwt.encode(_claims(), KEY, algorithm="HS512")
    with pytest.raises(WebhookAuthenticationError):
        verify_message(_body(token), KEY, HEADERS, NOW)


def test_an_expired_token_is_refused_and_a_live_one_passes() -> None:
    expired = jwt.encode(_claims(exp=int(NOW.timestamp()) - 1), KEY, algorithm="HS256")
    with pytest.raises(WebhookAuthenticationError, match="expired"):
        verify_message(_body(expired), KEY, HEADERS, NOW)
    live = jwt.encode(_claims(exp=int(NOW.timestamp()) + 60), KEY, algorithm="HS256")
    assert verify_message(_body(live), KEY, HEADERS, NOW).action == "create_fulfillment"


@pytest.mark.parametrize("body", ["not json", json.dumps({"data": 5}), json.dumps(["x"]), json.dumps({})])
def test_a_body_that_is_not_a_jwt_envelope_is_a_payload_error(body: str) -> None:
    with pytest.raises(WebhookPayloadError):
        verify_message(body, KEY, HEADERS, NOW)


def test_a_garbled_token_is_an_authentication_error() -> None:
    with pytest.raises(WebhookAuthenticationError):
        verify_message(_body("a.b.c"), KEY, HEADERS, NOW)
