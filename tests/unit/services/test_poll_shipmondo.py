"""The catch-up poll: what it enqueues, and when its watermark may move (only past a fully enqueued window)."""

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.integration import OrderIntegrationLink
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, invoice_guid_for, order_key
from dinero_bookkeeping.domain.shipmondo_connection import ShipmondoConnection, ShipmondoCredentials
from dinero_bookkeeping.services.poll_shipmondo import PollShipmondoService
from dinero_bookkeeping.services.shipmondo_feed import ShipmondoOrderFeed
from support.events import order_event
from support.fakes import FixedClock, InMemoryIntegrations, InMemoryOrderHistory, InMemoryOrderQueue
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
        self.service = PollShipmondoService(
            store=self.store,
            shipmondo=FakeShipmondo({"user": self.account}),
            feed=ShipmondoOrderFeed(self.integrations, self.records, self.queue),
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
