"""Order traffic for the load and fault tests: many merchants, their orders, and several workers on the queue."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dinero_bookkeeping.handlers.order_handler import lambda_handler
from infra.local.seeding import seed_configured_merchant
from infra.local.sqs_poller import SqsPoller
from infra.local.system import LocalSystem
from support.events import order_event
from support.invariants import queue_depth


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    user: str  # the merchant's Visma user: revoking its consent affects this merchant only
    webshop_id: str
    organization_id: int


def seed_merchants(system: LocalSystem, count: int, *, organizations_each: int = 1) -> list[Merchant]:
    """`count` merchants, each connected as its own Visma user, with `organizations_each` organizations (one webshop
    linked to each, all sharing the merchant's one connection)."""
    assert system.sandbox is not None
    merchants = []
    for number in range(count):
        user = f"user-{number}"
        system.sandbox.state.add_user(user)
        for organization in range(organizations_each):
            organization_id = 5000 + number * 10 + organization
            system.sandbox.state.add_organization(organization_id, f"Webshop {number}.{organization} ApS", user)
            merchant = Merchant(f"merchant-{number}", user, f"webshop-{number}-{organization}", organization_id)
            seed_configured_merchant(
                system.sandbox,
                merchant_id=merchant.merchant_id,
                webshop_id=merchant.webshop_id,
                organization_id=organization_id,
                user=user,
            )
            merchants.append(merchant)
    return merchants


def shop_order(merchant: Merchant, number: int, *, customer: int) -> dict[str, Any]:
    """A handled order of `merchant`; orders with the same `customer` number share the customer."""
    event = order_event(
        "danish_private",
        merchant_id=merchant.merchant_id,
        order_integration_id=merchant.webshop_id,
        event_id=f"evt-{number}",
    )
    event["sales_order"]["id"] = 9_000_000 + number
    event["sales_order"]["order_id"] = f"T{number}"
    for address in ("ship_to", "bill_to"):
        event["sales_order"][address]["email"] = f"customer-{customer}@example.dk"
        event["sales_order"][address]["name"] = f"Customer {customer}"
    return event


@contextmanager
def workers(system: LocalSystem, count: int, *, batch_size: int = 10) -> Iterator[list[SqsPoller]]:
    """`count` pollers on the order queue, each like one concurrent Lambda of the order function."""
    assert system.session is not None and system.resources is not None
    sqs = system.session.client("sqs")
    pollers = [
        SqsPoller(
            sqs,
            system.resources.order_queue_url,
            lambda_handler,
            function_name=f"OrderFunction-{number}",
            batch_size=batch_size,
        )
        for number in range(count)
    ]
    for poller in pollers:
        poller.start()
    try:
        yield pollers
    finally:
        # Stopped together: each may be in a long poll of up to a second.
        stopping = [threading.Thread(target=poller.stop) for poller in pollers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()


def wait_until_quiet(system: LocalSystem, timeout_s: float) -> None:
    """Until the order queue is empty (nothing visible, in flight or delayed) twice in a row, or `timeout_s`."""
    assert system.session is not None and system.resources is not None
    sqs = system.session.client("sqs")
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        quiet = quiet + 1 if queue_depth(sqs, system.resources.order_queue_url) == 0 else 0
        time.sleep(0.2)
