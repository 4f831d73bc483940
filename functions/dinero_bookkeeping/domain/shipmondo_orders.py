"""From a Shipmondo sales order (webhook `data`, or a page of GET /sales_orders) to our order events.

Every outbound fulfilment that is not cancelled is one handled order: one `order.handled` event; every return
fulfilment that is not cancelled one `order.returned`; a `payment_status` of paid or marked_as_paid one `order.paid`;
an `order_status` of cancelled one `order.cancelled` (and nothing else: a cancelled order is not invoiced, returned or
paid any more). Each event's id is derived from (sales order, what happened), so a webhook, the catch-up poll and a
backfill that all see it produce the same event and the worker books it once. Fulfilment events are dated at the
fulfilment's creation (its handling), so an invoice made late (poll, backfill) carries the historical date; payment
and cancellation at the order's last update.

The webshop (order integration) of a sales order is Shipmondo's `source_name`, the order source the merchant set up
in Shipmondo, as a slug ("Nordlys Design webshop" → "nordlys-design-webshop"), so it travels in URL paths unchanged;
orders entered by hand have none and count as the webshop MANUAL_WEBSHOP.
"""

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from dinero_bookkeeping.domain.order_event import (
    OrderCancelledEvent,
    OrderHandledEvent,
    OrderPaidEvent,
    OrderReturnedEvent,
    SalesOrder,
)
from dinero_bookkeeping.domain.payment import is_paid

MANUAL_WEBSHOP = "shipmondo-manual"
# SQS carries at most 256 KiB a message.
MAX_QUEUE_MESSAGE_BYTES = 256 * 1024
# The Orders actions after which a sales order may have a new outbound fulfilment.
FULFILMENT_ACTIONS = frozenset({"create_fulfillment", "create_shipment"})
CANCELLED_ORDER_STATUS = "cancelled"

FulfilmentEvent = OrderHandledEvent | OrderReturnedEvent
ShipmondoEvent = OrderHandledEvent | OrderReturnedEvent | OrderPaidEvent | OrderCancelledEvent


class NotASalesOrderError(Exception):
    """The resource is not a sales order we can read; the reason names fields, never their values."""


class EventTooLargeError(NotASalesOrderError):
    """The order is too large for one queue message."""


def queue_message(event: BaseModel) -> str:
    body = event.model_dump_json()
    size = len(body.encode())
    if size > MAX_QUEUE_MESSAGE_BYTES:
        raise EventTooLargeError(
            f"The order is too large for the queue ({size} bytes; at most {MAX_QUEUE_MESSAGE_BYTES})"
        )
    return body


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def webshop_of(sales_order: dict[str, Any]) -> str:
    source = sales_order.get("source_name")
    slug = _NOT_SLUG.sub("-", source.lower()).strip("-") if isinstance(source, str) else ""
    return slug[:200] or MANUAL_WEBSHOP


def fulfilment_events(merchant_id: str, sales_order: dict[str, Any], now: datetime) -> list[FulfilmentEvent]:
    """One order.handled event per outbound, one order.returned per return fulfilment of the order, cancelled
    fulfilments left out (none: an empty list)."""
    order = _sales_order(sales_order)
    created = {
        fulfilment.get("id"): fulfilment.get("created_at")
        for fulfilment in sales_order.get("order_fulfillments") or []
        if isinstance(fulfilment, dict)
    }
    webshop = webshop_of(sales_order)
    events: list[FulfilmentEvent] = []
    for fulfilment in order.order_fulfillments:
        if fulfilment.cancelled:
            continue
        occurred_at = _moment(created.get(fulfilment.id)) or _moment(sales_order.get("updated_at")) or now
        if fulfilment.type == "outbound":
            events.append(
                OrderHandledEvent(
                    event_type="order.handled",
                    event_id=f"shipmondo:{order.id}:{fulfilment.id}",
                    occurred_at=occurred_at,
                    merchant_id=merchant_id,
                    order_integration_id=webshop,
                    sales_order=order,
                    fulfillment_id=fulfilment.id,
                )
            )
        else:
            events.append(
                OrderReturnedEvent(
                    event_type="order.returned",
                    event_id=f"shipmondo:{order.id}:return-{fulfilment.id}",
                    occurred_at=occurred_at,
                    merchant_id=merchant_id,
                    order_integration_id=webshop,
                    sales_order=order,
                    fulfillment_id=fulfilment.id,
                )
            )
    return events


def payment_events(merchant_id: str, sales_order: dict[str, Any], now: datetime) -> list[OrderPaidEvent]:
    """order.paid when the order is paid (or marked as paid), else nothing."""
    order = _sales_order(sales_order)
    if not is_paid(order):
        return []
    return [OrderPaidEvent(event_type="order.paid", **_whole_order(merchant_id, sales_order, order, "paid", now))]


def cancellation_events(merchant_id: str, sales_order: dict[str, Any], now: datetime) -> list[OrderCancelledEvent]:
    """order.cancelled when the order's status is cancelled, else nothing."""
    order = _sales_order(sales_order)
    if not is_cancelled(sales_order):
        return []
    fields = _whole_order(merchant_id, sales_order, order, "cancelled", now)
    return [OrderCancelledEvent(event_type="order.cancelled", **fields)]


def _whole_order(
    merchant_id: str, sales_order: dict[str, Any], order: SalesOrder, what: str, now: datetime
) -> dict[str, Any]:
    """The fields of an event about the whole order: one deterministic id per order and kind, so webhook and poll
    duplicates are one event."""
    return {
        "event_id": f"shipmondo:{order.id}:{what}",
        "occurred_at": _moment(sales_order.get("updated_at")) or now,
        "merchant_id": merchant_id,
        "order_integration_id": webshop_of(sales_order),
        "sales_order": order,
    }


def sales_order_events(merchant_id: str, sales_order: dict[str, Any], now: datetime) -> list[ShipmondoEvent]:
    """Everything the order's current state asks of the books (the catch-up poll and backfill read orders so)."""
    if is_cancelled(sales_order):
        return [*cancellation_events(merchant_id, sales_order, now)]
    return [*fulfilment_events(merchant_id, sales_order, now), *payment_events(merchant_id, sales_order, now)]


def is_cancelled(sales_order: dict[str, Any]) -> bool:
    status = sales_order.get("order_status")
    return isinstance(status, str) and status.strip().lower() == CANCELLED_ORDER_STATUS


# What each Orders action of a webhook becomes. Actions not named here (payment_refunded, delete, ...) are acknowledged
# and not enqueued: a refund is registered with the return's credit note, and the catch-up poll reads the order's state.
EventMapper = Callable[[str, dict[str, Any], datetime], Sequence[BaseModel]]
ACTION_MAPPERS: dict[str, EventMapper] = {
    **dict.fromkeys(FULFILMENT_ACTIONS, fulfilment_events),
    "payment_captured": payment_events,
    "status_update": cancellation_events,
}


def _sales_order(resource: dict[str, Any]) -> SalesOrder:
    try:
        return SalesOrder.model_validate(resource)
    except ValidationError as error:
        fields = sorted({".".join(map(str, detail["loc"])) or "body" for detail in error.errors(include_input=False)})
        raise NotASalesOrderError(f"Not a Shipmondo sales order (check: {', '.join(fields[:10])})") from error


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
