"""Bad input against the whole system over loopback: defective order events through SQS end as rejected events on
their first delivery (nothing dead-lettered, nothing stuck), malformed HTTP bodies are 4xx (the callback redirects),
the gateway enforces API Gateway's payload limit, and a percent-encoded webshop id reaches its orders decoded."""

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from infra.local.http_gateway import MAX_PAYLOAD_BYTES
from infra.local.system import LocalSystem
from support.events import order_event
from support.merchant_client import MerchantClient
from support.seed import MERCHANT, connect_merchant, order_records, rejected_events

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def with_line(**fields: Any) -> str:
    event = order_event("danish_private")
    event["sales_order"]["order_lines"][0].update(fields)
    return json.dumps(event)


# What went to the dead-letter queue after six receives before (issue 8 §4), and the field each reason must name.
DEFECTIVE_BODIES = {
    with_line(amount_including_vat="1234567890123456.78"): "amount_including_vat",
    with_line(amount_including_vat="1E+400"): "amount_including_vat",
    json.dumps(order_event("danish_private", occurred_at="9999-12-31T23:00:00Z")): "occurred_at",
    json.dumps(order_event("danish_private")).replace("5123401", "1" + "0" * 40): "sales_order.id",
    with_line(id=10**40): "sales_order.order_lines.0.id",
    '{"fulfillment_id": ' + "9" * 5000 + "}": "number out of range",
    '{"sales_order": ' + "[" * 10_000 + "]" * 10_000 + "}": "recursion limit",
}


def queue_depths(system: LocalSystem) -> tuple[int, int]:
    assert system.session is not None and system.resources is not None
    sqs = system.session.client("sqs")
    depths = []
    for url in (system.resources.order_queue_url, system.resources.order_dead_letter_queue_url):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        depths.append(sum(int(value) for value in attributes.values()))
    return depths[0], depths[1]


def test_defective_order_events_are_rejected_on_their_first_delivery_naming_the_field(system: LocalSystem) -> None:
    # Given a linked webshop, every defective event of the issue and one good order behind them
    assert system.sandbox is not None and system.session is not None and system.resources is not None
    integration_id = connect_merchant(system)
    sqs = system.session.client("sqs")
    for body in DEFECTIVE_BODIES:
        sqs.send_message(QueueUrl=system.resources.order_queue_url, MessageBody=body)
    system.send_order(order_event("danish_private"))

    # When
    system.drain_orders()

    # Then each defect is one rejected event naming its field, nothing waits or is dead-lettered, and the good
    # order is booked
    reasons = sorted(event.reason for event in rejected_events())
    assert len(reasons) == len(DEFECTIVE_BODIES)
    assert all(any(field in reason for reason in reasons) for field in DEFECTIVE_BODIES.values())
    assert queue_depths(system) == (0, 0)
    (record,) = order_records(integration_id)
    assert record["status"] == "booked"
    (invoice,) = system.sandbox.state.invoices(DEMO_PRO_ORG_ID)
    assert Decimal(str(invoice["TotalInclVat"])) == Decimal("527.90")


MALFORMED = {
    "nested-10000-deep": b"[" * 10_000 + b"]" * 10_000,
    "number-5000-digits": b'{"enabled": ' + b"9" * 5000 + b"}",
    "not-utf8": b'{"enabled": "\xff\xfe"}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_bodies_over_http_are_4xx_and_the_callback_redirects(system: LocalSystem, body: bytes) -> None:
    # Given
    client = MerchantClient(system, MERCHANT)
    integration_id = connect_merchant(system)
    json_type = {"Content-Type": "application/json"}

    # When
    configuration = client.put(f"/integrations/{integration_id}/book-automatically", data=body, headers=json_type)
    connect = client.post("/oauth/connect", data=body, headers=json_type)
    callback = client.session.post(
        f"{system.gateway_url}/oauth/callback", data=body, headers=json_type, allow_redirects=False, timeout=30
    )

    # Then
    assert configuration.status_code == 422 and configuration.json()["detail"][0]["loc"] == ["body"]
    assert connect.status_code == 422 and connect.json()["detail"][0]["loc"] == ["body"]
    assert callback.status_code == 302
    location = urlsplit(callback.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{system.gateway_url}/app"
    assert parse_qs(location.query)["dinero"] == ["error"]


def test_a_body_over_10_mb_is_refused_by_the_gateway_like_api_gateway(system: LocalSystem) -> None:
    # Given
    client = MerchantClient(system, MERCHANT)
    body = b'{"enabled": true, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'

    # When
    response = client.put("/integrations/any/book-automatically", data=body, headers={"Content-Type": "text/plain"})

    # Then
    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


def test_a_webshop_linked_by_a_percent_encoded_id_gets_its_orders_booked(system: LocalSystem) -> None:
    # Given the merchant links the webshop "my shop" through the API, its id percent-encoded in the path
    client = MerchantClient(system, MERCHANT)
    integration_id = connect_merchant(system)
    linked = client.put(f"/integrations/{integration_id}/links/my%20shop")
    assert linked.status_code == 200

    # When an order of "my shop" arrives
    system.send_order(order_event("danish_private", order_integration_id="my shop"))
    system.drain_orders()

    # Then it is booked through that link, and the link reads back as the id the order platform uses
    records = order_records(integration_id)
    assert [(record["order_integration_id"], record["status"]) for record in records] == [("my shop", "booked")]
    links = client.get(f"/integrations/{integration_id}/links").json()
    assert "my shop" in [link["order_integration_id"] for link in links]
