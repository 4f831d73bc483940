"""The catch-up poll: what it enqueues, and when its watermark may move (only past a fully enqueued window)."""

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.integration import OrderIntegrationLink
from dinero_bookkeeping.domain.order_record import (
    OrderRecord,
    OrderStatus,
    RecordKind,
    cancellation_key,
    invoice_guid_for,
    order_key,
    payment_key,
    record_guid_for,
    return_key,
)
from dinero_bookkeeping.domain.payment import PaymentTemplate
from dinero_bookkeeping.domain.shipmondo_connection import ShipmondoConnection, ShipmondoCredentials
from dinero_bookkeeping.services.poll_shipmondo import PollShipmondoService
from dinero_bookkeeping.services.shipmondo_feed import ShipmondoOrderFeed
from support.events import order_event
from support.fakes import (
    FixedClock,
    InMemoryIntegrations,
    InMemoryOrderHistory,
    InMemoryOrderQueue,
    InMemoryPaymentTemplates,
)
from support.shipmondo_fakes import FakeShipmondo, FakeShipmondoAccount, InMemoryShipmondoStore

MERCHANT = "merchant-1"
WEBSHOP = "nordlys-design-webshop"
INTEGRATION = "integration-1"


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.account = FakeShipmondoAccount(per_page=2)
        self.store = InMemoryShipmondoStore()
        self.watermark = self.clock.now() - timedelta(minutes=5)
        self.store.save(
            ShipmondoConnection(
                merchant_id=MERCHANT,
                hook_id="hook",
                connected_at=self.clock.now(),
                updated_at=self.clock.now(),
                poll_watermark=self.watermark,
            ),
            ShipmondoCredentials(api_user="user", api_key=SecretStr("key"), webhook_key=SecretStr("k" * 32)),
        )
        self.integrations = InMemoryIntegrations()
        self.integrations.link(
            OrderIntegrationLink(
                order_integration_id=WEBSHOP,
                integration_id=INTEGRATION,
                merchant_id=MERCHANT,
                linked_at=self.clock.now(),
            )
        )
        self.records = InMemoryOrderHistory()
        self.queue = InMemoryOrderQueue()
        self.payment_templates = InMemoryPaymentTemplates()
        self.service = PollShipmondoService(
            store=self.store,
            shipmondo=FakeShipmondo({"user": self.account}),
            feed=ShipmondoOrderFeed(self.integrations, self.records, self.queue, self.payment_templates),
            clock=self.clock,
        )

    def add_handled_order(self, sales_order_id: int, *, source: str = "Nordlys Design webshop") -> None:
        order: dict[str, Any] = order_event("danish_private")["sales_order"]
        fulfilment = {**order["order_fulfillments"][0], "id": sales_order_id * 10}
        stamp = (self.clock.now() - timedelta(minutes=1)).isoformat()
        self.account.orders.append(
            order
            | {"id": sales_order_id, "source_name": source, "order_fulfillments": [fulfilment], "updated_at": stamp}
        )

    def add_record(
        self, kind: RecordKind, key: str, fulfillment_id: int | None, status: OrderStatus = OrderStatus.BOOKED
    ) -> None:
        guid = record_guid_for(kind, INTEGRATION, key)
        self.records.records[guid] = OrderRecord(
            integration_id=INTEGRATION,
            order_key=key,
            order_integration_id=WEBSHOP,
            sales_order_id=int(key.split("#")[1]),
            order_number="10421",
            fulfillment_id=fulfillment_id,
            status=status,
            invoice_guid=guid,
            kind=kind,
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
        )

    def enqueued_events(self) -> list[tuple[str, int, int | None]]:
        events = [json.loads(body) for body in self.queue.sent]
        return sorted((e["event_type"], e["sales_order"]["id"], e.get("fulfillment_id")) for e in events)

    def enqueued_orders(self) -> list[int]:
        return sorted(json.loads(body)["sales_order"]["id"] for body in self.queue.sent)

    def watermark_now(self) -> Any:
        connection = self.store.get_connection(MERCHANT)
        assert connection is not None
        return connection.poll_watermark


def test_a_window_read_to_the_end_enqueues_every_handled_order_and_moves_the_watermark() -> None:
    world = World()
    for number in (1, 2, 3):
        world.add_handled_order(number)
    world.add_handled_order(4, source="Another shop")  # not linked: the worker would only reject it
    (outcome,) = world.service.poll_all()
    assert outcome.advanced and world.enqueued_orders() == [1, 2, 3]
    assert (outcome.count.found, outcome.count.unlinked) == (4, 1)
    assert world.watermark_now() == world.clock.now()
    assert [page for _, page in world.account.requests] == [1, 2]


def test_a_shipmondo_500_mid_page_keeps_the_watermark_and_the_next_run_loses_nothing() -> None:
    world = World()
    for number in (1, 2, 3):
        world.add_handled_order(number)

    def fail_page_two(page: int) -> None:
        if page == 2:
            raise RetryableError("Shipmondo answered GET /sales_orders with 500")

    world.account.before_page = fail_page_two
    (stalled,) = world.service.poll_all()
    assert not stalled.advanced and stalled.result.startswith("Stopped, watermark kept")
    assert world.watermark_now() == world.watermark and world.enqueued_orders() == [1, 2]
    world.account.before_page = None
    world.clock.advance(300)
    (recovered,) = world.service.poll_all()
    assert recovered.advanced and world.watermark_now() == world.clock.now()
    assert set(world.enqueued_orders()) == {1, 2, 3}  # 1 and 2 again (not recorded yet): the worker books them once


def test_orders_changing_while_paging_keep_the_watermark() -> None:
    world = World()
    for number in (1, 2, 3):
        world.add_handled_order(number)

    def first_order_updated_meanwhile(page: int) -> None:
        if page == 2:
            world.account.orders[0]["updated_at"] = (world.clock.now() + timedelta(seconds=1)).isoformat()

    world.account.before_page = first_order_updated_meanwhile
    (outcome,) = world.service.poll_all()
    assert not outcome.advanced and "changed while paging" in outcome.result
    assert world.watermark_now() == world.watermark


def test_recorded_fulfilments_are_not_enqueued_again() -> None:
    world = World()
    world.add_handled_order(1)
    world.add_handled_order(2)
    key = order_key(WEBSHOP, 1, 10)
    guid = invoice_guid_for(INTEGRATION, key)
    world.records.records[guid] = OrderRecord(
        integration_id=INTEGRATION,
        order_key=key,
        order_integration_id=WEBSHOP,
        sales_order_id=1,
        order_number="10421",
        fulfillment_id=10,
        status=OrderStatus.BOOKED,
        invoice_guid=guid,
        created_at=world.clock.now(),
        updated_at=world.clock.now(),
    )
    (outcome,) = world.service.poll_all()
    assert world.enqueued_orders() == [2]
    assert (outcome.count.already_recorded, outcome.count.enqueued) == (1, 1)


def test_a_return_is_enqueued_as_order_returned_until_its_credit_note_is_recorded() -> None:
    world = World()
    world.add_handled_order(1)
    order = world.account.orders[0]
    order["order_fulfillments"].append({**order["order_fulfillments"][0], "id": 11, "type": "return"})
    world.add_record(RecordKind.INVOICE, order_key(WEBSHOP, 1, 10), 10)
    (outcome,) = world.service.poll_all()
    assert world.enqueued_events() == [("order.returned", 1, 11)]
    assert (outcome.count.found, outcome.count.already_recorded) == (2, 1)
    world.add_record(RecordKind.CREDIT_NOTE, return_key(WEBSHOP, 1, 11), 11, OrderStatus.FAILED)
    world.clock.advance(60)
    (again,) = world.service.poll_all()
    assert len(world.queue.sent) == 1 and again.count.already_recorded == 2


def test_a_cancelled_order_is_enqueued_as_order_cancelled_only_until_its_cancellation_is_recorded() -> None:
    world = World()
    world.add_handled_order(1)
    world.account.orders[0]["order_status"] = "cancelled"
    world.service.poll_all()
    assert world.enqueued_events() == [("order.cancelled", 1, None)]  # not invoiced, returned or paid any more
    world.add_record(RecordKind.CANCELLATION, cancellation_key(WEBSHOP, 1), None, OrderStatus.SKIPPED)
    world.clock.advance(60)
    world.service.poll_all()
    assert len(world.queue.sent) == 1


def test_a_paid_order_is_enqueued_as_order_paid_while_one_of_its_invoices_lacks_its_payment() -> None:
    world = World()
    world.payment_templates.put_payment_template(
        INTEGRATION, PaymentTemplate(register_payments=True, deposit_account=55000)
    )
    world.add_handled_order(1)  # paid, not invoiced yet: its order.handled brings the payment
    world.add_handled_order(2)  # paid and invoiced, its payment not registered
    world.add_handled_order(3)  # paid, invoiced and its payment registered
    world.add_handled_order(4)  # paid, its invoice still being made
    for number in (2, 3):
        world.add_record(RecordKind.INVOICE, order_key(WEBSHOP, number, number * 10), number * 10)
    world.add_record(RecordKind.PAYMENT, payment_key(order_key(WEBSHOP, 3, 30)), 30)
    world.add_record(RecordKind.INVOICE, order_key(WEBSHOP, 4, 40), 40, OrderStatus.PROCESSING)
    world.service.poll_all()
    assert world.enqueued_events() == [("order.handled", 1, 10), ("order.paid", 2, None)]


def test_no_order_paid_is_enqueued_while_the_integrations_payments_are_off() -> None:
    world = World()
    world.add_handled_order(1)
    world.add_record(RecordKind.INVOICE, order_key(WEBSHOP, 1, 10), 10)
    (outcome,) = world.service.poll_all()
    assert world.queue.sent == [] and (outcome.count.found, outcome.count.already_recorded) == (1, 1)


def test_a_long_outage_is_caught_up_a_day_per_run() -> None:
    hours_behind = 30
    world = World()
    connection = world.store.get_connection(MERCHANT)
    assert connection is not None
    world.store.connections[MERCHANT] = connection.model_copy(
        update={"poll_watermark": world.clock.now() - timedelta(hours=hours_behind)}
    )
    (outcome,) = world.service.poll_all()
    assert outcome.advanced
    assert world.watermark_now() == world.clock.now() - timedelta(hours=hours_behind - 24)


def test_one_merchants_unexpected_fault_does_not_stop_the_others_and_fails_the_run() -> None:
    world = World()
    world.add_handled_order(1)
    broken = world.store.get_connection(MERCHANT)
    assert broken is not None
    world.store.connections = {"broken": broken.model_copy(update={"merchant_id": "broken"}), MERCHANT: broken}
    world.store.credentials["broken"] = world.store.credentials[MERCHANT].model_copy(update={"api_user": "nobody"})
    original = world.service.shipmondo

    class Crashing:
        def for_account(self, credentials: ShipmondoCredentials) -> Any:
            if credentials.api_user == "nobody":
                raise KeyError("unexpected")
            return original.for_account(credentials)

    world.service.shipmondo = Crashing()
    with pytest.raises(KeyError):
        world.service.poll_all()
    assert world.enqueued_orders() == [1] and world.watermark_now() == world.clock.now()
