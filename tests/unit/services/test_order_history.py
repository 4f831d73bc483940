"""OrderHistoryService against in-memory fakes: the history newest first, and retrying failed or skipped orders."""

import json
from datetime import datetime, timedelta

import pytest

from dinero_bookkeeping.domain.errors import ConflictError, NotFoundError
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, invoice_guid_for, order_key
from support.events import order_event
from support.fakes import InMemoryOrderHistory
from support.merchant_world import MERCHANT, OTHER_MERCHANT, MerchantWorld


class WorkerTakesOverFirst(InMemoryOrderHistory):
    """The order worker claims the record between the retry's read and its conditional write."""

    def queue_for_retry(self, record: OrderRecord, now: datetime) -> OrderRecord | None:
        taken = record.model_copy(update={"status": OrderStatus.PROCESSING, "attempts": record.attempts + 1})
        self.records[record.invoice_guid] = taken
        return super().queue_for_retry(record, now)


def add_record(world: MerchantWorld, integration_id: str, sales_order_id: int, status: OrderStatus) -> OrderRecord:
    """A record as the order worker leaves it, created `sales_order_id` minutes after the clock's start."""
    created = world.clock.now() + timedelta(minutes=sales_order_id)
    event = order_event("danish_private")
    event["sales_order"]["id"] = sales_order_id
    key = order_key("webshop-1", sales_order_id, None)
    record = OrderRecord(
        integration_id=integration_id,
        order_key=key,
        order_integration_id="webshop-1",
        sales_order_id=sales_order_id,
        order_number=str(10000 + sales_order_id),
        fulfillment_id=None,
        status=status,
        invoice_guid=invoice_guid_for(integration_id, key),
        reason="Product (EU) has no account" if status is OrderStatus.FAILED else None,
        attempts=1,
        created_at=created,
        updated_at=created,
    )
    world.records.records[record.invoice_guid] = record
    world.records.events[record.invoice_guid] = json.dumps(event)
    return record


def test_orders_are_listed_newest_first_a_page_at_a_time_and_only_the_integrations_own() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    other = world.activated(OTHER_MERCHANT)
    oldest = add_record(world, integration_id, 1, OrderStatus.BOOKED)
    older = add_record(world, integration_id, 2, OrderStatus.FAILED)
    newest = add_record(world, integration_id, 3, OrderStatus.DRAFT)
    add_record(world, other, 4, OrderStatus.BOOKED)
    # When
    first = world.history.list_orders(MERCHANT, integration_id, limit=2, cursor=None)
    second = world.history.list_orders(MERCHANT, integration_id, limit=2, cursor=first.next_cursor)
    # Then
    assert first.records == [newest, older] and first.next_cursor is not None
    assert second.records == [oldest] and second.next_cursor is None


def test_retrying_a_failed_order_queues_it_and_sends_its_event_again() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    failed = add_record(world, integration_id, 1, OrderStatus.FAILED)
    world.clock.advance(300)
    # When
    queued = world.history.retry(MERCHANT, integration_id, failed.invoice_guid)
    # Then
    assert queued.status is OrderStatus.QUEUED and queued.reason is None
    assert queued.updated_at == world.clock.now()
    assert world.records.records[failed.invoice_guid] == queued
    assert world.queue.sent == [world.records.events[failed.invoice_guid]]
    assert world.queue.owners == [integration_id]


def test_retrying_a_skipped_order_is_allowed() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    skipped = add_record(world, integration_id, 1, OrderStatus.SKIPPED)
    # When
    queued = world.history.retry(MERCHANT, integration_id, skipped.invoice_guid)
    # Then
    assert queued.status is OrderStatus.QUEUED
    assert len(world.queue.sent) == 1


@pytest.mark.parametrize("status", [OrderStatus.BOOKED, OrderStatus.DRAFT, OrderStatus.PROCESSING, OrderStatus.QUEUED])
def test_retrying_an_order_that_is_not_failed_or_skipped_is_a_conflict(status: OrderStatus) -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    record = add_record(world, integration_id, 1, status)
    # When
    with pytest.raises(ConflictError) as raised:
        world.history.retry(MERCHANT, integration_id, record.invoice_guid)
    # Then
    assert f"this one is {status.value}" in str(raised.value)
    assert world.queue.sent == []
    assert world.records.records[record.invoice_guid] == record


def test_retrying_another_integrations_order_is_not_found() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    theirs = world.activated(OTHER_MERCHANT)
    their_order = add_record(world, theirs, 1, OrderStatus.FAILED)
    # When
    with pytest.raises(NotFoundError):
        world.history.retry(MERCHANT, integration_id, their_order.invoice_guid)
    # Then
    assert world.records.records[their_order.invoice_guid].status is OrderStatus.FAILED
    assert world.queue.sent == []


def test_orders_of_another_merchants_integration_are_not_found() -> None:
    # Given
    world = MerchantWorld()
    theirs = world.activated(OTHER_MERCHANT)
    their_order = add_record(world, theirs, 1, OrderStatus.FAILED)
    world.connected(MERCHANT)
    # When / Then
    with pytest.raises(NotFoundError):
        world.history.list_orders(MERCHANT, theirs, limit=25, cursor=None)
    with pytest.raises(NotFoundError):
        world.history.retry(MERCHANT, theirs, their_order.invoice_guid)
    assert world.queue.sent == []


def test_retry_whose_event_cannot_be_enqueued_puts_the_order_back_to_failed() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    failed = add_record(world, integration_id, 1, OrderStatus.FAILED)
    world.queue.failure = ConnectionError("SQS could not be reached")
    # When
    with pytest.raises(ConnectionError):
        world.history.retry(MERCHANT, integration_id, failed.invoice_guid)
    # Then
    assert world.records.records[failed.invoice_guid] == failed


def test_retry_racing_with_the_worker_is_a_conflict_and_sends_nothing() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.records = WorkerTakesOverFirst()
    world.history.records = world.records
    failed = add_record(world, integration_id, 1, OrderStatus.FAILED)
    # When
    with pytest.raises(ConflictError) as raised:
        world.history.retry(MERCHANT, integration_id, failed.invoice_guid)
    # Then
    assert "changed meanwhile" in str(raised.value)
    assert world.queue.sent == []
    assert world.records.records[failed.invoice_guid].status is OrderStatus.PROCESSING


def test_retry_for_an_integration_that_is_no_longer_active_is_refused_with_the_reason() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    failed = add_record(world, integration_id, 1, OrderStatus.FAILED)
    world.manage.deactivate(MERCHANT, integration_id)
    # When
    with pytest.raises(ConflictError) as raised:
        world.history.retry(MERCHANT, integration_id, failed.invoice_guid)
    # Then
    assert "is not active: activate it, then retry" in str(raised.value)
    assert world.queue.sent == []
    assert world.records.records[failed.invoice_guid] == failed


def test_retry_of_an_order_whose_event_has_expired_is_refused_with_the_reason() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    failed = add_record(world, integration_id, 1, OrderStatus.FAILED)
    del world.records.events[failed.invoice_guid]
    # When
    with pytest.raises(ConflictError) as raised:
        world.history.retry(MERCHANT, integration_id, failed.invoice_guid)
    # Then
    assert "no longer kept" in str(raised.value)
    assert world.records.records[failed.invoice_guid] == failed
