"""Order events through SQS (moto server) into the Dinero sandbox, over HTTP, exactly as deployed handlers run."""

import json
from decimal import Decimal
from typing import Any

import pytest

from dinero_bookkeeping.wiring import worker_adapters
from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, DEMO_USER
from infra.local.system import LocalSystem
from support.events import order_event
from support.seed import connect_merchant, order_records, rejected_events

INVOICES = f"/v1/{DEMO_PRO_ORG_ID}/invoices"


def invoices(system: LocalSystem) -> list[dict[str, Any]]:
    assert system.sandbox is not None
    return system.sandbox.state.invoices(DEMO_PRO_ORG_ID)


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


def test_handled_order_becomes_a_booked_invoice_with_the_right_lines(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system)
    # When
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then
    (invoice,) = invoices(system)
    assert invoice["Status"] == "Booked" and invoice["Number"] == 1
    assert invoice["ExternalReference"] == "10421"
    assert Decimal(str(invoice["TotalInclVat"])) == Decimal("527.90")
    assert Decimal(str(invoice["TotalVat"])) == Decimal("105.58")
    lines = [(ln["AccountNumber"], ln["Quantity"], ln["BaseAmountValueInclVat"]) for ln in invoice["ProductLines"]]
    assert lines == [(1000, 2, Decimal("199.95")), (1000, 1, Decimal("89.00")), (1350, 1, Decimal("39.00"))]
    (record,) = order_records(integration_id)
    assert record["status"] == "booked" and int(record["invoice_number"]) == 1
    assert queue_depths(system) == (0, 0)


def test_book_automatically_off_leaves_a_draft_in_dinero(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system, book_automatically=False)
    # When
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then
    (invoice,) = invoices(system)
    assert invoice["Status"] == "Draft"
    (record,) = order_records(integration_id)
    assert record["status"] == "draft" and "Book automatically is off" in record["reason"]


def test_the_same_event_twice_makes_one_invoice(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system)
    event = order_event("danish_private")
    # When
    system.send_order(event)
    system.send_order(event)
    system.drain_orders()
    # Then
    assert len(invoices(system)) == 1
    assert len(order_records(integration_id)) == 1


def test_crash_after_dinero_created_the_invoice_still_ends_with_one_booked_invoice(system: LocalSystem) -> None:
    # Given: Dinero commits the invoice, then the connection drops before the answer arrives
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    system.sandbox.faults.add("POST", INVOICES, kind="drop_after_commit")
    # When
    system.send_order(order_event("danish_private"))
    first = system.drain_orders()
    system.drain_orders()
    # Then
    assert first[0].failed == 1
    (invoice,) = invoices(system)
    assert invoice["Status"] == "Booked"
    (record,) = order_records(integration_id)
    assert record["status"] == "booked" and int(record["attempts"]) == 2


@pytest.mark.parametrize("status", [429, 500])
def test_rate_limit_and_server_errors_are_retried_then_succeed(system: LocalSystem, status: int) -> None:
    # Given
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    system.sandbox.faults.add("POST", INVOICES, kind="status", status=status, times=2)
    # When
    system.send_order(order_event("danish_private"))
    results = system.drain_orders()
    # Then
    assert sum(result.failed for result in results) == 2
    assert [invoice["Status"] for invoice in invoices(system)] == ["Booked"]
    (record,) = order_records(integration_id)
    assert record["status"] == "booked" and int(record["attempts"]) == 3


def test_dinero_validation_error_is_recorded_as_a_permanent_failure(system: LocalSystem) -> None:
    # Given: the Product (Domestic) template points at an account the organization does not have
    integration_id = connect_merchant(system, product_domestic=1999)
    # When
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then
    assert invoices(system) == []
    (record,) = order_records(integration_id)
    assert record["status"] == "failed"
    assert "Dinero rejected" in record["reason"] and "AccountNumber" in record["reason"]
    assert queue_depths(system) == (0, 0)


def test_malformed_event_is_recorded_and_not_retried(system: LocalSystem) -> None:
    # Given
    connect_merchant(system)
    event = order_event("danish_private")
    del event["sales_order"]["order_lines"]
    # When
    system.send_order(event)
    system.drain_orders()
    # Then
    (rejected,) = rejected_events()
    assert "order_lines" in rejected.reason and json.loads(rejected.body) == event
    assert queue_depths(system) == (0, 0)
    assert invoices(system) == []


def test_expired_access_token_is_refreshed_and_the_rotated_token_stored(system: LocalSystem) -> None:
    # Given
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    system.sandbox.state.expire_access_tokens()
    # When
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then
    assert [invoice["Status"] for invoice in invoices(system)] == ["Booked"]
    assert order_records(integration_id)[0]["status"] == "booked"
    item = worker_adapters().table.get_item(Key={"pk": f"CONNECTION#{_connection(integration_id)}", "sk": "CONNECTION"})
    assert item["Item"]["token_version"] == 2


def test_revoked_consent_disconnects_and_fails_the_order_with_a_reason(system: LocalSystem) -> None:
    # Given
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    system.sandbox.state.revoke_consent(DEMO_USER)
    # When
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then
    (record,) = order_records(integration_id)
    assert record["status"] == "failed"
    assert "connect Dinero again" in record["reason"]
    connection = worker_adapters().connections.get_connection(_connection(integration_id))
    assert connection is not None and connection.status.value == "disconnected"


def _connection(integration_id: str) -> str:
    integration = worker_adapters().integrations.get_integration(integration_id)
    assert integration is not None
    return integration.connection_id
