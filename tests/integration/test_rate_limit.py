"""Dinero's rate limit shared by all workers, through DynamoDB (moto server) and the whole system.

The ceiling is set low here (9 calls a minute) so a handful of orders fill it; what happens a minute later is the
window arithmetic's business (tests/unit/domain/test_rate_window.py) and the throughput benchmark's.
"""

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from dinero_bookkeeping.adapters.dynamodb_rate_limiter import DynamoRateLimiter, rate_key
from dinero_bookkeeping.adapters.sqs_queue import PLACE_ATTRIBUTE, encode_place
from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.domain.rate_window import PLANNED_OCCUPATION, Place, Reservation, WaitForBudget
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.system import LocalSystem
from support.order_traffic import Merchant, seed_merchants, shop_order, workers

CEILING = 9


@pytest.fixture
def system(moto_endpoint: str) -> Iterator[LocalSystem]:
    environment = {"RETRY_BASE_DELAY_SECONDS": "0", "DINERO_RATE_LIMIT_PER_MINUTE": str(CEILING)}
    with LocalSystem(moto_endpoint=moto_endpoint, environment=environment) as local:
        yield local


def order_statuses(merchant: Merchant) -> list[tuple[OrderStatus, str | None]]:
    link = worker_adapters().integrations.get_link(merchant.merchant_id, merchant.webshop_id)
    assert link is not None
    return [(record.status, record.reason) for record in worker_adapters().records.list_records(link.integration_id)]


def wait_for_records(merchants: list[Merchant], count: int, timeout_s: float = 30) -> None:
    """Until `count` orders have a booked or waiting record (each message was handled once)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        handled = [
            status
            for merchant in merchants
            for status, reason in order_statuses(merchant)
            if status is OrderStatus.BOOKED or (reason or "").startswith("Will retry: Waiting for Dinero's rate limit")
        ]
        if len(handled) >= count:
            return
        time.sleep(0.1)


def test_workers_together_stay_within_the_ceiling_and_the_rest_wait_for_their_places_in_sqs(
    system: LocalSystem,
) -> None:
    # Given: a merchant's first order booked (5 calls of 9: a new customer), 7 more of that customer (3 calls each),
    # and another merchant with 2 orders
    assert system.sandbox is not None and system.session is not None and system.resources is not None
    busy, other = seed_merchants(system, 2)
    system.send_order(shop_order(busy, 0, customer=1))
    (poller,) = system.pollers
    poller.poll_once()
    for number in range(1, 8):
        system.send_order(shop_order(busy, number, customer=1))
    for number in range(2):
        system.send_order(shop_order(other, 100 + number, customer=2))
    # When: three workers take them at once
    with workers(system, 3):
        wait_for_records([busy, other], 10)
    # Then: 5 + 3 calls fit under 9; the other six orders made no call and wait in SQS for their places
    calls = [entry for entry in system.sandbox.state.request_log if entry.organization_id == busy.organization_id]
    assert len(calls) == 8
    assert "rate_limited" not in system.sandbox.state.counters
    statuses = [status for status, _ in order_statuses(busy)]
    assert statuses.count(OrderStatus.BOOKED) == 2 and statuses.count(OrderStatus.PROCESSING) == 6
    window = worker_adapters().table.get_item(Key=rate_key(busy.organization_id), ConsistentRead=True)["Item"]
    places = sorted(int(slot[0]) for slot in cast(list[list[Any]], window["tail"]))
    # The window keeps only the end of the line (what the next place depends on): places over a minute away, the
    # last a planned occupation after the first group's
    assert 0 < len(places) <= 6 and places[0] > (time.time() + 50) * 1000
    assert places[-1] - places[0] >= (PLANNED_OCCUPATION - timedelta(seconds=5)) // timedelta(milliseconds=1)
    # And: each waits as a fresh copy carrying its place, delayed until then; the received messages are gone
    sqs = system.session.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=system.resources.order_queue_url, AttributeNames=["All"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "6"
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"
    # And: a busy organization holds up no other
    assert [status for status, _ in order_statuses(other)] == [OrderStatus.BOOKED] * 2


def test_workers_reserving_at_once_never_share_the_same_room(system: LocalSystem) -> None:
    # Given: 12 workers, each wanting 3 calls of an organization's 20 at the same moment
    limiter = DynamoRateLimiter(worker_adapters().table, limit_per_minute=20)
    now = datetime.now(UTC)
    admitted: list[Reservation] = []
    waiting: list[WaitForBudget] = []
    start = threading.Barrier(12)

    def worker(number: int) -> None:
        start.wait()
        try:
            admitted.append(limiter.reserve(7001, 3, now, resumed=False))
        except WaitForBudget as error:
            waiting.append(error)

    # When
    threads = [threading.Thread(target=worker, args=(number,)) for number in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then: six fit (18 calls, the line's plan keeping 2 free); the other six got places a minute and more away
    assert len(admitted) == 6 and len(waiting) == 6
    assert len({reservation.grant.grant_id for reservation in admitted}) == 6
    assert all((error.retry_after_seconds or 0) >= 61 for error in waiting)


def test_settled_reservation_gives_its_unused_calls_to_the_next_order(system: LocalSystem) -> None:
    # Given: of 9 calls, one order holds 5 and another 3 (an order at its place may use all 9)
    limiter = DynamoRateLimiter(worker_adapters().table, limit_per_minute=CEILING)
    now = datetime.now(UTC)
    first = limiter.reserve(7002, 5, now, resumed=False)
    limiter.reserve(7002, 3, now, resumed=False)
    # When: the first made only 3 calls (its customer was found by lookup, and it failed on the fourth)
    limiter.settle(first, 3, now)
    # Then: room for 3 more at once
    reservation = limiter.reserve(7002, 3, now, resumed=False, place=Place(now, reached_dinero=False))
    assert reservation.calls == 3 and reservation.look_up_first is False


def send_waiting(system: LocalSystem, event: dict[str, Any], place: Place) -> None:
    """The order's message as a worker requeues it: a copy carrying its place."""
    assert system.session is not None and system.resources is not None
    system.session.client("sqs").send_message(
        QueueUrl=system.resources.order_queue_url,
        MessageBody=json.dumps(event),
        MessageAttributes={PLACE_ATTRIBUTE: {"DataType": "String", "StringValue": encode_place(place)}},
    )


def test_message_early_for_its_place_is_hidden_until_then_without_touching_anything(system: LocalSystem) -> None:
    # Given: a copy whose place is two hours away (beyond what a send can delay)
    assert system.sandbox is not None and system.session is not None and system.resources is not None
    (merchant,) = seed_merchants(system, 1)
    send_waiting(system, shop_order(merchant, 1, customer=1), Place(datetime.now(UTC) + timedelta(hours=2), False))
    # When
    (poller,) = system.pollers
    result = poller.poll_once()
    # Then: reported failed and hidden, no order record claimed, no Dinero call
    assert (result.received, result.failed) == (1, 1)
    attributes = system.session.client("sqs").get_queue_attributes(
        QueueUrl=system.resources.order_queue_url, AttributeNames=["All"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert order_statuses(merchant) == []
    assert not [e for e in system.sandbox.state.request_log if e.organization_id == merchant.organization_id]


def test_order_at_its_place_is_booked_without_looking_up_an_invoice_it_never_created(system: LocalSystem) -> None:
    # Given: an order that found the budget full (its record claimed, no call made) and was given a place
    assert system.sandbox is not None
    (merchant,) = seed_merchants(system, 1)
    limiter = DynamoRateLimiter(worker_adapters().table, limit_per_minute=CEILING)
    limiter.reserve_now(merchant.organization_id, CEILING, datetime.now(UTC))
    event = shop_order(merchant, 1, customer=1)
    system.send_order(event)
    (poller,) = system.pollers
    poller.poll_once()
    assert (order_statuses(merchant)[0][1] or "").startswith("Will retry: Waiting for Dinero's rate limit")
    # When: its place has come (the budget is free again) and its copy arrives
    worker_adapters().table.delete_item(Key=rate_key(merchant.organization_id))
    send_waiting(system, event, Place(datetime.now(UTC), reached_dinero=False))
    poller.poll_once()
    # Then: booked with a new customer's 5 calls; the invoice read once (after creating it), never looked up first
    log = [e for e in system.sandbox.state.request_log if e.organization_id == merchant.organization_id]
    assert [status for status, _ in order_statuses(merchant)] == [OrderStatus.BOOKED]
    assert len(log) == 5
    assert len([e for e in log if e.method == "GET" and "/invoices/" in e.path]) == 1
