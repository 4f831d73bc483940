"""The end state every run of the order pipeline must reach, whatever faults were injected.

`violations(system, sent)` lists everything wrong (empty when all holds), so a failing test shows every problem at
once:
- every order sent ends with exactly one invoice in Dinero, or a recorded failure (or skip) with its reason;
- no invoice in Dinero without an order record, and no record claiming an invoice Dinero does not have;
- nothing left on the order queue;
- the dead-letter queue holds only what the records explain (an order recorded as failed, or a rejected event);
- every connection is still connected (those whose consent was revoked aside).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dinero_bookkeeping.domain.integration import AccountingIntegration, ConnectionStatus
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, order_key
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.system import LocalSystem
from support.seed import rejected_events

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# The invoice status in Dinero that each outcome claims.
_INVOICE_STATUS = {OrderStatus.BOOKED: "Booked", OrderStatus.DRAFT: "Draft"}


@dataclass(frozen=True)
class SentOrder:
    """An order event put on the queue (maybe more than once)."""

    merchant_id: str
    webshop_id: str
    sales_order_id: int
    fulfillment_id: int | None

    @staticmethod
    def of(event: dict[str, Any]) -> "SentOrder":
        return SentOrder(
            event["merchant_id"], event["order_integration_id"], event["sales_order"]["id"], event.get("fulfillment_id")
        )

    @staticmethod
    def of_record(record: OrderRecord, merchant_id: str) -> "SentOrder":
        return SentOrder(merchant_id, record.order_integration_id, record.sales_order_id, record.fulfillment_id)

    @property
    def key(self) -> str:
        return order_key(self.webshop_id, self.sales_order_id, self.fulfillment_id)


def violations(
    system: LocalSystem, sent: Iterable[SentOrder], *, revoked_merchants: frozenset[str] = frozenset()
) -> list[str]:
    assert system.sandbox is not None
    orders = set(sent)
    integrations = _integrations({(order.merchant_id, order.webshop_id) for order in orders})
    records = {
        SentOrder.of_record(record, integration.merchant_id): record
        for integration in integrations.values()
        for record in worker_adapters().records.list_records(integration.integration_id)
    }
    invoices = {
        str(invoice["Guid"]): invoice
        for organization_id in {integration.organization_id for integration in integrations.values()}
        for invoice in system.sandbox.state.invoices(organization_id)
    }
    problems = [problem for order in sorted(orders, key=lambda o: o.key) for problem in _outcome(order, records)]
    problems += [problem for record in records.values() for problem in _claim(record, invoices)]
    recorded = {str(record.invoice_guid) for record in records.values()}
    problems += [
        f"invoice {guid} ({invoice['ExternalReference']}) has no record"
        for guid, invoice in invoices.items()
        if guid not in recorded
    ]
    problems += _queues(system, records)
    problems += _connections(integrations.values(), revoked_merchants)
    problems += [
        f"order {order.key}: its webshop is linked to nothing"
        for order in orders
        if (order.merchant_id, order.webshop_id) not in integrations
    ]
    return problems


def _integrations(webshops: set[tuple[str, str]]) -> dict[tuple[str, str], AccountingIntegration]:
    """The integration of each (merchant, webshop) that is linked."""
    adapters = worker_adapters()
    found: dict[tuple[str, str], AccountingIntegration] = {}
    for merchant_id, webshop_id in webshops:
        link = adapters.integrations.get_link(merchant_id, webshop_id)
        integration = adapters.integrations.get_integration(link.integration_id) if link else None
        if integration is not None:
            found[(merchant_id, webshop_id)] = integration
    return found


def _outcome(order: SentOrder, records: dict[SentOrder, OrderRecord]) -> list[str]:
    record = records.get(order)
    if record is None:
        return [f"order {order.key}: no record"]
    if not record.status.is_final:
        return [f"order {order.key}: still {record.status.value} ({record.reason})"]
    if record.status in (OrderStatus.FAILED, OrderStatus.SKIPPED) and not record.reason:
        return [f"order {order.key}: {record.status.value} without a reason"]
    return []


def _claim(record: OrderRecord, invoices: dict[str, dict[str, Any]]) -> list[str]:
    """What the record says about Dinero must be so. (A failed order may have left a draft: a retry takes it up.)"""
    expected = _INVOICE_STATUS.get(record.status)
    invoice = invoices.get(str(record.invoice_guid))
    if expected is None:
        return []
    if invoice is None:
        return [f"order {record.order_key}: recorded {record.status.value}, but Dinero has no invoice"]
    if invoice["Status"] != expected:
        return [f"order {record.order_key}: recorded {record.status.value}, Dinero's invoice is {invoice['Status']}"]
    if record.status is OrderStatus.BOOKED and record.invoice_number != invoice["Number"]:
        return [f"order {record.order_key}: recorded number {record.invoice_number}, Dinero's {invoice['Number']}"]
    return []


def _queues(system: LocalSystem, records: dict[SentOrder, OrderRecord]) -> list[str]:
    assert system.session is not None and system.resources is not None
    sqs = system.session.client("sqs")
    problems = []
    left = queue_depth(sqs, system.resources.order_queue_url)
    if left:
        problems.append(f"the order queue still holds {left} message(s)")
    rejected = {event.message_id for event in rejected_events()}
    for message in _all_messages(sqs, system.resources.order_dead_letter_queue_url):
        if message["MessageId"] in rejected:
            continue
        try:
            order = SentOrder.of(json.loads(message["Body"]))
        except (ValueError, KeyError, TypeError):
            problems.append(f"dead-letter queue: message {message['MessageId']} is explained by no record")
            continue
        record = records.get(order)
        if record is None or record.status is not OrderStatus.FAILED:
            status = record.status.value if record else "not recorded"
            problems.append(f"dead-letter queue: order {order.key} is {status}, not failed")
    return problems


def _connections(integrations: Iterable[AccountingIntegration], revoked_merchants: frozenset[str]) -> list[str]:
    problems = []
    for integration in integrations:
        if integration.merchant_id in revoked_merchants:
            continue
        connection = worker_adapters().connections.get_connection(integration.connection_id)
        if connection is None or connection.status is not ConnectionStatus.CONNECTED:
            problems.append(f"connection of {integration.merchant_id} is not connected")
    return problems


def queue_depth(sqs: "SQSClient", queue_url: str) -> int:
    """Messages on the queue, visible or not (in flight, or delayed until their next try)."""
    names: list[Any] = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(value) for value in attributes.values())


def _all_messages(sqs: "SQSClient", queue_url: str) -> list[Any]:
    messages: list[Any] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        messages += batch
    return messages
