"""What the order records keep, for how long, and how they are listed, over HTTP against moto and the sandbox:
the event stored compressed (a 1,500-line order is invoiced, not dead-lettered), records and rejected events
expiring, the orders list paged newest first without ever reading an event, and a failing order never left in
processing once the queue gives up on it."""

import copy
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from dinero_bookkeeping.adapters.dynamodb_order_records import ORDERS_INDEX
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from infra.local.system import LocalSystem
from support.events import order_event
from support.merchant_client import MerchantClient
from support.seed import MERCHANT, connect_merchant, order_records, rejected_events

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

RETENTION = timedelta(days=90)


def queue_depths(system: LocalSystem) -> tuple[int, int]:
    assert system.session is not None and system.resources is not None
    sqs = system.session.client("sqs")
    names: list[Any] = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    depths = [
        sum(int(value) for value in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values())
        for url in (system.resources.order_queue_url, system.resources.order_dead_letter_queue_url)
    ]
    return depths[0], depths[1]


def large_order(lines: int) -> dict[str, Any]:
    """A Danish order of `lines` item lines of 19.96 kr. incl. VAT each, plus its shipping line."""
    event = order_event("danish_private", event_id="evt-large")
    item, *_, shipping = event["sales_order"]["order_lines"]
    items = []
    for number in range(lines):
        line = copy.deepcopy(item)
        line.update(
            id=100_000 + number,
            item_name=f"Knap {number}",
            quantity="1.0",
            unit_price_excluding_vat="15.968",
            amount_excluding_vat="15.968",
            amount_including_vat="19.96",
            vat_amount="3.992",
        )
        items.append(line)
    event["sales_order"]["order_lines"] = [*items, shipping]
    for fulfillment in event["sales_order"]["order_fulfillments"]:
        fulfillment["fulfillment_lines"] = [
            {"order_line_id": line["id"], "quantity": line["quantity"]} for line in event["sales_order"]["order_lines"]
        ]
    return event


def test_a_1500_line_order_is_invoiced_and_its_record_stays_far_below_the_item_limit(system: LocalSystem) -> None:
    # Given
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    event = large_order(1500)
    # When
    system.send_order(event)
    system.drain_orders()
    # Then: one invoice with every line, a settled record, nothing left on either queue
    (invoice,) = system.sandbox.state.invoices(DEMO_PRO_ORG_ID)
    assert len(invoice["ProductLines"]) == 1501
    (record,) = order_records(integration_id)
    assert record["status"] in ("booked", "draft")
    assert len(bytes(record["event_gz"])) < 100_000
    assert queue_depths(system) == (0, 0)


def test_settled_records_and_rejected_events_expire_and_a_record_queued_again_does_not(system: LocalSystem) -> None:
    # Given: one order failing on an empty template, one event for a webshop nobody linked
    integration_id = connect_merchant(system, product_domestic=None)
    system.send_order(order_event("danish_private"))
    system.send_order(order_event("danish_private", order_integration_id="webshop-unknown"))
    system.drain_orders()
    now = datetime.now(UTC)
    # When
    (failed,) = order_records(integration_id)
    (rejected,) = rejected_events()
    client = MerchantClient(system, MERCHANT)
    retried = client.post(f"/integrations/{integration_id}/orders/{failed['invoice_guid']}/retry")
    (queued,) = order_records(integration_id)
    # Then: settled data expires about RETENTION from now; a record waiting for its retry has no expiry
    assert abs(int(failed["expires_at"]) - (now + RETENTION).timestamp()) < 120
    table = worker_adapters().table
    (rejected_item,) = [
        item
        for shard in range(10)
        for item in table.query(
            KeyConditionExpression=Key("pk").eq(f"REJECTED_EVENTS#{rejected.received_at.date().isoformat()}#{shard}")
        )["Items"]
    ]
    assert abs(int(str(rejected_item["expires_at"])) - (now + RETENTION).timestamp()) < 120
    assert retried.status_code == 202
    assert queued["status"] == "queued" and "expires_at" not in queued


def test_rejected_events_are_spread_over_partitions(system: LocalSystem) -> None:
    # Given
    connect_merchant(system)
    # When: twenty events for a webshop nobody linked
    for number in range(20):
        system.send_order(order_event("danish_private", order_integration_id="nobody", event_id=f"evt-{number}"))
    system.drain_orders()
    # Then: all kept, under more than one partition key
    kept = rejected_events()
    assert len(kept) == 20
    table = worker_adapters().table
    day = kept[0].received_at.date().isoformat()
    used = [
        shard
        for shard in range(10)
        if table.query(KeyConditionExpression=Key("pk").eq(f"REJECTED_EVENTS#{day}#{shard}"))["Items"]
    ]
    assert len(used) > 1


def test_orders_are_listed_newest_first_a_page_at_a_time_and_never_with_their_event(system: LocalSystem) -> None:
    # Given: 30 orders
    integration_id = connect_merchant(system)
    for number in range(30):
        event = order_event("danish_private", event_id=f"evt-{number}")
        event["sales_order"]["id"] = 6_000_000 + number
        event["sales_order"]["order_id"] = f"P{number:02d}"
        system.send_order(event)
        system.drain_orders()
    client = MerchantClient(system, MERCHANT)
    # When
    first = client.get(f"/integrations/{integration_id}/orders").json()
    second = client.get(f"/integrations/{integration_id}/orders", params={"cursor": first["next_cursor"]}).json()
    forged = client.get(f"/integrations/{integration_id}/orders", params={"cursor": "bm90IGEgY3Vyc29y"})
    # Then: 25 then 5, newest first, each order once
    numbers = [order["order_number"] for order in first["orders"] + second["orders"]]
    assert numbers == [f"P{number:02d}" for number in reversed(range(30))]
    assert len(first["orders"]) == 25 and second["next_cursor"] is None
    assert forged.status_code == 422 and "cursor" in forged.json()["message"]
    # Then: the index the list reads holds no event (no customer data is read to list orders)
    index_items = worker_adapters().table.query(
        IndexName=ORDERS_INDEX, KeyConditionExpression=Key("gsi2pk").eq(f"ORDERS#{integration_id}")
    )["Items"]
    assert len(index_items) == 30 and all("event_gz" not in item for item in index_items)


def test_an_order_failing_on_its_last_delivery_is_recorded_failed_not_left_processing(system: LocalSystem) -> None:
    # Given: Dinero answers 500 to every invoice creation, more times than the queue delivers a message
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    system.sandbox.faults.add("POST", f"/v1/{DEMO_PRO_ORG_ID}/invoices", kind="status", status=500, times=10)
    # When
    system.send_order(order_event("danish_private"))
    deadline = time.monotonic() + 30
    while queue_depths(system) != (0, 0) and time.monotonic() < deadline:
        system.drain_orders()
    # Then: the order left the queue as a failed record with the reason, not as a dead letter in processing
    (record,) = order_records(integration_id)
    assert record["status"] == "failed"
    assert record["reason"].startswith("Gave up after repeated attempts (Dinero answered 500")
    assert queue_depths(system) == (0, 0)
    assert Decimal(record["attempts"]) == 5
