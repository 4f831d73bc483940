"""Concurrent first orders of one new customer: one contact in Dinero, and every order within its reservation."""

import time
from collections.abc import Iterator

import pytest

from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.system import LocalSystem
from support.order_traffic import seed_merchants, shop_order, workers


@pytest.fixture
def system(moto_endpoint: str) -> Iterator[LocalSystem]:
    with LocalSystem(moto_endpoint=moto_endpoint, environment={"RETRY_BASE_DELAY_SECONDS": "0"}) as local:
        yield local


def test_four_first_orders_of_a_new_customer_at_once_create_one_contact_within_their_reservations(
    system: LocalSystem,
) -> None:
    # Given: four orders of one new customer, four workers taking one each, Dinero answering slowly enough that
    # they all look the customer up before any has created it
    assert system.sandbox is not None
    (merchant,) = seed_merchants(system, 1)
    system.sandbox.state.latency_seconds = 1.0
    for number in range(4):
        system.send_order(shop_order(merchant, number, customer=7))
    # When
    with workers(system, 4, batch_size=1):
        deadline = time.monotonic() + 60
        while system.sandbox.state.counters.get("invoices_booked", 0) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
    # Then: one contact, though several orders tried to create it; each order made exactly the calls it reserved,
    # 5 as a new customer (look up, create, invoice) or 3 if the customer was known by the time it started: no
    # second lookup, nothing left for a later delivery
    log = [e for e in system.sandbox.state.request_log if e.organization_id == merchant.organization_id]
    lookups = sum(1 for e in log if e.method == "GET" and e.path.endswith("/contacts"))
    creates = sum(1 for e in log if e.method == "POST" and e.path.endswith("/contacts"))
    assert system.sandbox.state.counters["contacts_created"] == 1
    assert lookups == creates >= 2
    assert len(log) == 4 * 3 + 2 * lookups
    link = worker_adapters().integrations.get_link(merchant.merchant_id, merchant.webshop_id)
    assert link is not None
    records = worker_adapters().records.list_records(link.integration_id)
    assert [(r.status, r.attempts) for r in records] == [(OrderStatus.BOOKED, 1)] * 4
