"""Webhook ingest: a verified delivery becomes events on the queue; anything else is a 4xx kept with its reason."""

import json
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import jwt
import pytest
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.order_event import OrderHandledEvent, parse_order_event
from dinero_bookkeeping.domain.shipmondo_connection import ShipmondoConnection, ShipmondoCredentials
from dinero_bookkeeping.services.ingest_shipmondo import IngestShipmondoService
from support.events import order_event
from support.fakes import FixedClock, InMemoryOrderQueue, InMemoryOrderRecords
from support.shipmondo_fakes import InMemoryShipmondoStore

KEY = "webhook-key-" + "x" * 40
HOOK = "opaque-hook-id"


def _service() -> tuple[IngestShipmondoService, InMemoryOrderQueue, InMemoryOrderRecords]:
    clock = FixedClock()
    store = InMemoryShipmondoStore()
    store.save(
        ShipmondoConnection(
            merchant_id="merchant-7",
            hook_id=HOOK,
            connected_at=clock.now(),
            updated_at=clock.now(),
            poll_watermark=clock.now() - timedelta(hours=1),
        ),
        ShipmondoCredentials(api_user="u", api_key=SecretStr("k"), webhook_key=SecretStr(KEY)),
    )
    queue, records = InMemoryOrderQueue(), InMemoryOrderRecords()
    return IngestShipmondoService(store=store, queue=queue, rejected=records, clock=clock), queue, records


def _delivery(resource: dict[str, Any], key: str = KEY) -> str:
    return json.dumps({"data": jwt.encode({"data": resource}, key, algorithm="HS256")})


def _headers(action: str = "create_fulfillment") -> dict[str, str]:
    return {"SMD-Action": action, "SMD-Resource-Type": "Orders", "SMD-Webhook-Id": "5", "Content-Type": "x"}


def test_a_fulfilment_webhook_puts_an_order_handled_event_of_the_merchant_on_the_queue() -> None:
    service, queue, records = _service()
    outcome = service.receive(HOOK, _delivery(order_event("danish_private")["sales_order"]), _headers(), "d-1")
    assert (outcome.status, outcome.enqueued) == (HTTPStatus.OK, 1)
    event = OrderHandledEvent.model_validate_json(queue.sent[0])
    assert (event.merchant_id, event.fulfillment_id, event.order_integration_id) == (
        "merchant-7",
        88001,
        "nordlys-design-webshop",
    )
    assert records.rejected == []


def test_create_shipment_maps_like_create_fulfillment_and_unmapped_actions_are_acknowledged_only() -> None:
    service, queue, _ = _service()
    order = order_event("danish_private")["sales_order"]  # paid, sent
    assert service.receive(HOOK, _delivery(order), _headers("create_shipment"), "d-1").enqueued == 1
    for action in ("status_update", "payment_refunded", "delete"):
        outcome = service.receive(HOOK, _delivery(order), _headers(action), "d-2")
        assert (outcome.status, outcome.enqueued) == (HTTPStatus.OK, 0)
    assert len(queue.sent) == 1


def test_a_captured_payment_and_a_cancellation_put_their_events_of_the_merchant_on_the_queue() -> None:
    service, queue, _ = _service()
    order = order_event("danish_private")["sales_order"]
    assert service.receive(HOOK, _delivery(order), _headers("payment_captured"), "d-1").enqueued == 1
    cancelled = order | {"order_status": "cancelled"}
    assert service.receive(HOOK, _delivery(cancelled), _headers("status_update"), "d-2").enqueued == 1
    events = [parse_order_event(body) for body in queue.sent]
    assert [(event.event_type, event.merchant_id, event.event_id) for event in events] == [
        ("order.paid", "merchant-7", "shipmondo:5123401:paid"),
        ("order.cancelled", "merchant-7", "shipmondo:5123401:cancelled"),
    ]


def test_wrong_key_unknown_url_bad_body_and_not_an_order_are_4xx_and_kept_with_the_reason() -> None:
    service, queue, records = _service()
    order = order_event("danish_private")["sales_order"]
    cases = [
        (HOOK, _delivery(order, key="another-key-" + "y" * 40), HTTPStatus.UNAUTHORIZED),
        ("guessed", _delivery(order), HTTPStatus.NOT_FOUND),
        (HOOK, "not json", HTTPStatus.BAD_REQUEST),
        (HOOK, _delivery({"id": 3}), HTTPStatus.UNPROCESSABLE_ENTITY),
    ]
    for hook, body, status in cases:
        assert service.receive(hook, body, _headers(), f"d-{status}").status == status
    assert queue.sent == []
    assert [rejected["reason"].split(":")[0] for rejected in records.rejected] == ["Shipmondo webhook"] * 4
    kept = json.loads(records.rejected[0]["body"])
    assert kept["headers"] == {"smd-action": "create_fulfillment", "smd-resource-type": "Orders", "smd-webhook-id": "5"}


def test_a_queue_failure_is_raised_for_a_503_not_swallowed() -> None:
    service, queue, _ = _service()
    queue.failure = RetryableError("SQS unavailable")
    order = order_event("danish_private")["sales_order"]
    with pytest.raises(RetryableError, match="SQS"):
        service.receive(HOOK, _delivery(order), _headers(), "d-1")


def test_an_order_too_large_for_one_queue_message_is_refused_and_kept() -> None:
    service, queue, records = _service()
    order = order_event("danish_private")["sales_order"]
    item = order["order_lines"][0]
    order["order_lines"] = [{**item, "id": 50_000 + number, "item_name": "x" * 200} for number in range(600)]
    outcome = service.receive(HOOK, _delivery(order), _headers(), "d-1")
    assert outcome.status == HTTPStatus.UNPROCESSABLE_ENTITY and "too large for the queue" in outcome.message
    assert queue.sent == [] and len(records.rejected) == 1
