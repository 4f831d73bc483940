"""Backfills: a period's handled orders enqueued a few pages per step, invoiced ones skipped, progress counted."""

from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import InvalidRequestError, NotFoundError, RetryableError
from dinero_bookkeeping.domain.integration import OrderIntegrationLink
from dinero_bookkeeping.domain.order_event import OrderHandledEvent
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, invoice_guid_for, order_key
from dinero_bookkeeping.domain.shipmondo_connection import (
    BackfillStatus,
    ShipmondoConnection,
    ShipmondoCredentials,
)
from dinero_bookkeeping.services.backfill_shipmondo import BackfillShipmondoService
from dinero_bookkeeping.services.shipmondo_feed import ShipmondoOrderFeed
from support.events import order_event
from support.fakes import (
    FixedClock,
    InMemoryIntegrations,
    InMemoryOrderHistory,
    InMemoryOrderQueue,
    InMemoryPaymentTemplates,
)
from support.shipmondo_fakes import (
    FakeShipmondo,
    FakeShipmondoAccount,
    InMemoryRecordStatuses,
    InMemoryShipmondoStore,
)

MERCHANT, WEBSHOP, INTEGRATION = "merchant-1", "nordlys-design-webshop", "integration-1"


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.account = FakeShipmondoAccount(per_page=2)
        self.store = InMemoryShipmondoStore()
        now = self.clock.now()
        self.store.save(
            ShipmondoConnection(
                merchant_id=MERCHANT, hook_id="h", connected_at=now, updated_at=now, poll_watermark=now
            ),
            ShipmondoCredentials(api_user="user", api_key=SecretStr("key"), webhook_key=SecretStr("k" * 32)),
        )
        integrations = InMemoryIntegrations()
        integrations.link(
            OrderIntegrationLink(
                order_integration_id=WEBSHOP, integration_id=INTEGRATION, merchant_id=MERCHANT, linked_at=now
            )
        )
        self.records = InMemoryOrderHistory()
        self.queue = InMemoryOrderQueue()
        self.service = BackfillShipmondoService(
            store=self.store,
            shipmondo=FakeShipmondo({"user": self.account}),
            feed=ShipmondoOrderFeed(integrations, self.records, self.queue, InMemoryPaymentTemplates()),
            records=InMemoryRecordStatuses(self.records),
            clock=self.clock,
            pages_per_step=2,
        )

    def add_order(self, number: int, days_ago: int) -> None:
        order: dict[str, Any] = order_event("danish_private")["sales_order"]
        created = (self.clock.now() - timedelta(days=days_ago)).isoformat()
        fulfilment = {**order["order_fulfillments"][0], "id": number * 10, "created_at": created}
        self.account.orders.append(
            order
            | {"id": number, "source_name": "Nordlys Design webshop", "order_fulfillments": [fulfilment]}
            | {"created_at": created, "updated_at": created}
        )

    def record(self, number: int, status: OrderStatus) -> None:
        key = order_key(WEBSHOP, number, number * 10)
        guid = invoice_guid_for(INTEGRATION, key)
        now = self.clock.now()
        self.records.records[guid] = OrderRecord(
            integration_id=INTEGRATION,
            order_key=key,
            order_integration_id=WEBSHOP,
            sales_order_id=number,
            order_number=str(number),
            fulfillment_id=number * 10,
            status=status,
            invoice_guid=guid,
            created_at=now,
            updated_at=now,
        )


def test_a_period_is_read_a_few_pages_per_step_skipping_invoiced_orders_and_counting_progress() -> None:
    world = World()
    for number in range(1, 6):
        world.add_order(number, days_ago=number)
    world.add_order(9, days_ago=40)  # before the period
    world.record(2, OrderStatus.BOOKED)
    now = world.clock.now()
    started = world.service.start(MERCHANT, now - timedelta(days=30), now)
    (first,) = world.service.run_due()
    assert (first.status, first.next_page, first.total_pages) == (BackfillStatus.RUNNING, 3, 3)
    (done,) = world.service.run_due()
    assert done.status is BackfillStatus.DONE and world.service.run_due() == []
    assert (done.found, done.enqueued, done.already_recorded) == (5, 4, 1)
    events = [OrderHandledEvent.model_validate_json(body) for body in world.queue.sent]
    assert sorted(event.sales_order.id for event in events) == [1, 3, 4, 5]
    assert {event.occurred_at.date() for event in events} == {(now - timedelta(days=n)).date() for n in (1, 3, 4, 5)}
    world.record(3, OrderStatus.BOOKED)
    world.record(4, OrderStatus.FAILED)
    assert world.service.progress(MERCHANT, started.backfill_id).invoiced == 1
    with pytest.raises(NotFoundError):
        world.service.progress("another-merchant", started.backfill_id)


def test_a_transient_failure_ends_the_step_not_the_backfill() -> None:
    world = World()
    for number in range(1, 4):
        world.add_order(number, days_ago=1)

    def fail_page_two(page: int) -> None:
        if page == 2:
            raise RetryableError("Shipmondo answered GET /sales_orders with 500")

    world.account.before_page = fail_page_two
    world.service.start(MERCHANT, world.clock.now() - timedelta(days=2), world.clock.now())
    (stopped,) = world.service.run_due()
    assert stopped.status is BackfillStatus.RUNNING and stopped.next_page == 2 and "500" in (stopped.reason or "")
    world.account.before_page = None
    (done,) = world.service.run_due()
    assert done.status is BackfillStatus.DONE and done.enqueued == 3


def test_periods_are_checked_and_need_a_connection() -> None:
    world = World()
    now = world.clock.now()
    with pytest.raises(InvalidRequestError):
        world.service.start(MERCHANT, now, now - timedelta(days=1))
    with pytest.raises(InvalidRequestError):
        world.service.start(MERCHANT, now - timedelta(days=100), now)
    with pytest.raises(NotFoundError):
        world.service.start("not-connected", now - timedelta(days=1), now)


def test_an_operator_backfill_is_not_stepped_by_the_schedule() -> None:
    world = World()
    now = world.clock.now()
    world.service.start(MERCHANT, now - timedelta(days=1), now, stepped_by="operator")
    assert world.service.run_due() == []
