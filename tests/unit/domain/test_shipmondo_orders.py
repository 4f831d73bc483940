"""Mapping a Shipmondo sales order to our order events: each action, and the order's whole state for the poll."""

from datetime import UTC, datetime
from typing import Any

import pytest

from dinero_bookkeeping.domain.order_event import (
    OrderCancelledEvent,
    OrderHandledEvent,
    OrderPaidEvent,
    OrderReturnedEvent,
    parse_order_event,
)
from dinero_bookkeeping.domain.shipmondo_orders import (
    ACTION_MAPPERS,
    MANUAL_WEBSHOP,
    NotASalesOrderError,
    fulfilment_events,
    queue_message,
    sales_order_events,
    webshop_of,
)
from support.events import order_event

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _sales_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = order_event("danish_private")["sales_order"]
    order["source_name"] = "Nordlys Design webshop"
    return order | changes


def _with_fulfilments(order: dict[str, Any], *changes: dict[str, Any]) -> dict[str, Any]:
    first = dict(order["order_fulfillments"][0])
    return order | {"order_fulfillments": [first | change for change in changes]}


def _kinds(events: list[Any]) -> list[tuple[str, str]]:
    return [(event.event_type, event.event_id) for event in events]


def test_each_outbound_fulfilment_is_one_handled_event_dated_at_its_creation() -> None:
    order = _with_fulfilments(
        _sales_order(),
        {"id": 1, "created_at": "2026-03-01T08:00:00Z"},
        {"id": 3, "cancelled": True},
        {"id": 4, "created_at": "2026-03-05T08:00:00Z"},
    )
    events = fulfilment_events("merchant-9", order, NOW)
    assert [(event.fulfillment_id, event.occurred_at.day) for event in events] == [(1, 1), (4, 5)]
    assert {event.merchant_id for event in events} == {"merchant-9"}
    assert {event.order_integration_id for event in events} == {"nordlys-design-webshop"}
    assert [event.event_id for event in events] == ["shipmondo:5123401:1", "shipmondo:5123401:4"]


def test_a_return_fulfilment_is_order_returned_with_its_fulfilment_id_and_a_cancelled_one_nothing() -> None:
    order = _with_fulfilments(
        _sales_order(),
        {"id": 1},
        {"id": 2, "type": "return", "created_at": "2026-03-09T12:00:00Z"},
        {"id": 5, "type": "return", "cancelled": True},
    )
    events = ACTION_MAPPERS["create_fulfillment"]("merchant-9", order, NOW)
    assert _kinds(list(events)) == [
        ("order.handled", "shipmondo:5123401:1"),
        ("order.returned", "shipmondo:5123401:return-2"),
    ]
    returned = events[1]
    assert isinstance(returned, OrderReturnedEvent)
    assert (returned.fulfillment_id, returned.merchant_id, returned.occurred_at.day) == (2, "merchant-9", 9)


@pytest.mark.parametrize("status", ["paid", "marked_as_paid", "Paid"])
def test_a_captured_payment_of_a_paid_order_is_order_paid_dated_at_the_orders_update(status: str) -> None:
    order = _sales_order(payment_status=status, updated_at="2026-03-04T09:00:00Z")
    (event,) = ACTION_MAPPERS["payment_captured"]("merchant-9", order, NOW)
    assert isinstance(event, OrderPaidEvent)
    assert (event.event_id, event.merchant_id, event.order_integration_id) == (
        "shipmondo:5123401:paid",
        "merchant-9",
        "nordlys-design-webshop",
    )
    assert event.occurred_at == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", ["authorized", "partially_paid", "refunded", None])
def test_an_order_not_paid_gives_no_payment_event(status: str | None) -> None:
    assert ACTION_MAPPERS["payment_captured"]("m", _sales_order(payment_status=status), NOW) == []


def test_a_status_update_to_cancelled_is_order_cancelled_and_any_other_status_nothing() -> None:
    (event,) = ACTION_MAPPERS["status_update"]("merchant-9", _sales_order(order_status="cancelled"), NOW)
    assert isinstance(event, OrderCancelledEvent)
    assert (event.event_id, event.merchant_id) == ("shipmondo:5123401:cancelled", "merchant-9")
    for status in ("open", "sent", "on_hold", None):
        assert ACTION_MAPPERS["status_update"]("m", _sales_order(order_status=status), NOW) == []


def test_the_orders_state_gives_its_fulfilments_and_its_payment_together() -> None:
    order = _with_fulfilments(_sales_order(payment_status="paid"), {"id": 1}, {"id": 2, "type": "return"})
    assert _kinds(sales_order_events("m", order, NOW)) == [
        ("order.handled", "shipmondo:5123401:1"),
        ("order.returned", "shipmondo:5123401:return-2"),
        ("order.paid", "shipmondo:5123401:paid"),
    ]
    unpaid = _with_fulfilments(_sales_order(payment_status="authorized"), {"id": 1})
    assert _kinds(sales_order_events("m", unpaid, NOW)) == [("order.handled", "shipmondo:5123401:1")]


def test_a_cancelled_order_is_only_cancelled_not_invoiced_returned_or_paid() -> None:
    order = _with_fulfilments(
        _sales_order(order_status="cancelled", payment_status="paid"), {"id": 1}, {"id": 2, "type": "return"}
    )
    assert _kinds(sales_order_events("m", order, NOW)) == [("order.cancelled", "shipmondo:5123401:cancelled")]


def test_the_same_order_maps_to_the_same_events_and_each_is_a_valid_queue_message() -> None:
    order = _with_fulfilments(_sales_order(payment_status="paid"), {"id": 1}, {"id": 2, "type": "return"})
    first, again = sales_order_events("m", order, NOW), sales_order_events("m", order, datetime.now(UTC))
    assert first == again
    parsed = [parse_order_event(queue_message(event)) for event in first]
    assert [type(event) for event in parsed] == [OrderHandledEvent, OrderReturnedEvent, OrderPaidEvent]


def test_an_order_without_fulfilments_gives_no_event_and_an_unreadable_one_is_refused() -> None:
    assert fulfilment_events("m", {**_sales_order(), "order_fulfillments": []}, NOW) == []
    for mapper in {*ACTION_MAPPERS.values(), sales_order_events}:
        with pytest.raises(NotASalesOrderError, match="order_lines"):
            mapper("m", {"id": 1, "order_id": "x", "payment_status": "paid", "order_status": "cancelled"}, NOW)


def test_mapped_actions_and_webshops_as_slugs() -> None:
    assert set(ACTION_MAPPERS) == {"create_fulfillment", "create_shipment", "payment_captured", "status_update"}
    assert webshop_of({"source_name": "  Nordlys Design / DK "}) == "nordlys-design-dk"
    assert webshop_of({"source_name": None}) == MANUAL_WEBSHOP
