"""From a Shipmondo sales order (webhook `data`, or a page of GET /sales_orders) to our order events.

Every outbound fulfilment that is not cancelled is one handled order: one `order.handled` event, whose id is derived
from (sales order, fulfilment), so a webhook, the catch-up poll and a backfill that all see it produce the same event
and the worker books it once. The event is dated at the fulfilment's creation (its handling), so an invoice made late
(poll, backfill) carries the historical date.

The webshop (order integration) of a sales order is Shipmondo's `source_name`, the order source the merchant set up
in Shipmondo, as a slug ("Nordlys Design webshop" → "nordlys-design-webshop"), so it travels in URL paths unchanged;
orders entered by hand have none and count as the webshop MANUAL_WEBSHOP.
"""

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from dinero_bookkeeping.domain.order_event import OrderHandledEvent, SalesOrder

MANUAL_WEBSHOP = "shipmondo-manual"
# SQS carries at most 256 KiB a message.
MAX_QUEUE_MESSAGE_BYTES = 256 * 1024
# The Orders actions after which a sales order may have a new outbound fulfilment.
FULFILMENT_ACTIONS = frozenset({"create_fulfillment", "create_shipment"})


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


def handled_fulfilment_events(merchant_id: str, sales_order: dict[str, Any], now: datetime) -> list[OrderHandledEvent]:
    """One order.handled event per outbound, not cancelled fulfilment of the order (none: an empty list)."""
    order = _sales_order(sales_order)
    created = {
        fulfilment.get("id"): fulfilment.get("created_at")
        for fulfilment in sales_order.get("order_fulfillments") or []
        if isinstance(fulfilment, dict)
    }
    return [
        OrderHandledEvent(
            event_type="order.handled",
            event_id=f"shipmondo:{order.id}:{fulfilment.id}",
            occurred_at=_moment(created.get(fulfilment.id)) or _moment(sales_order.get("updated_at")) or now,
            merchant_id=merchant_id,
            order_integration_id=webshop_of(sales_order),
            sales_order=order,
            fulfillment_id=fulfilment.id,
        )
        for fulfilment in order.order_fulfillments
        if fulfilment.type == "outbound" and not fulfilment.cancelled
    ]


# What each Orders action of a webhook becomes. Actions not named here are acknowledged and not enqueued (the catch-up
# poll does not need them either). Returns, cancellations and payments are for the integrator to add here once their
# events exist on the queue's contract.
EventMapper = Callable[[str, dict[str, Any], datetime], Sequence[BaseModel]]
ACTION_MAPPERS: dict[str, EventMapper] = dict.fromkeys(FULFILMENT_ACTIONS, handled_fulfilment_events)


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
