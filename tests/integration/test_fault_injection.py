"""Many orders of several merchants through the whole system while Dinero, the network and the workers misbehave.

After each run the invariants of support.invariants must hold: one invoice per order (or a recorded failure with
its reason), Dinero and the records agree, nothing left on the queue or unexplained in the dead-letter queue, and
every connection still connected unless its consent was revoked.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.domain.integration import ConnectionStatus, connection_id_for
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.handlers.order_handler import lambda_handler
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.dinero_sandbox import FaultKind
from infra.local.lambda_context import LambdaHandler
from infra.local.sqs_poller import SqsPoller
from infra.local.system import REPO_ROOT, LocalSystem
from support.invariants import SentOrder, violations
from support.order_traffic import Merchant, seed_merchants, shop_order, wait_until_quiet, workers

# Short enough for a test: retries come back at once, a call is given up after a second, and a claimed order whose
# worker died is free again two seconds later.
ENVIRONMENT = {"RETRY_BASE_DELAY_SECONDS": "0", "DINERO_TIMEOUT_SECONDS": "1", "ORDER_LEASE_SECONDS": "2"}
SETTLE_TIMEOUT_S = 60


@pytest.fixture
def system(moto_endpoint: str) -> Iterator[LocalSystem]:
    with LocalSystem(moto_endpoint=moto_endpoint, environment=ENVIRONMENT) as local:
        yield local


def send(system: LocalSystem, events: list[dict[str, Any]]) -> set[SentOrder]:
    for event in events:
        system.send_order(event)
    return {SentOrder.of(event) for event in events}


def records(merchant: Merchant) -> list[OrderRecord]:
    link = worker_adapters().integrations.get_link(merchant.merchant_id, merchant.webshop_id)
    assert link is not None
    return worker_adapters().records.list_records(link.integration_id)


def statuses(merchants: list[Merchant]) -> dict[str, int]:
    """How many orders ended in each status, over all merchants."""
    return dict(Counter(record.status.value for merchant in merchants for record in records(merchant)))


def fault(system: LocalSystem, method: str, organization_id: int, path: str, kind: FaultKind, **options: Any) -> None:
    assert system.sandbox is not None
    system.sandbox.faults.add(method, f"/v1/{organization_id}{path}", kind, **options)


def test_orders_of_many_merchants_survive_dinero_faults_expired_tokens_revoked_consent_and_duplicates(
    system: LocalSystem,
) -> None:
    # Given: three merchants with two organizations each (one connection per merchant), faults in every organization
    # of the first two, every access token expired, and the third merchant's consent revoked
    assert system.sandbox is not None
    merchants = seed_merchants(system, 3, organizations_each=2)
    first, second, third, fourth, revoked, revoked_too = merchants
    fault(system, "POST", first.organization_id, "/invoices", FaultKind.STATUS, status=500, times=2)
    fault(system, "POST", second.organization_id, "/invoices/*/book", FaultKind.STATUS, status=429, seconds=1, times=2)
    fault(system, "GET", second.organization_id, "/contacts", FaultKind.STATUS, status=503, times=1)
    # Slower than our timeout: Dinero commits after the worker has given up on the answer.
    fault(system, "POST", third.organization_id, "/invoices", FaultKind.DELAY, seconds=2, times=2)
    fault(system, "POST", fourth.organization_id, "/invoices/*/book", FaultKind.DROP_AFTER_COMMIT, times=1)
    fault(system, "POST", fourth.organization_id, "/contacts", FaultKind.DROP_AFTER_COMMIT, times=1)
    system.sandbox.state.expire_access_tokens()
    system.sandbox.state.revoke_consent(revoked.user)
    events = [
        shop_order(merchant, number * 10 + index, customer=number % 3)
        for index, merchant in enumerate(merchants)
        for number in range(6)
    ]
    # When: every order sent, then some again in reverse order, while four workers taking two orders at a time race
    # to refresh each merchant's token
    with workers(system, 4, batch_size=2):
        sent = send(system, events)
        send(system, events[::-6])
        wait_until_quiet(system, SETTLE_TIMEOUT_S)
    # Then: every fault was met, and
    assert system.sandbox.faults.pending() == []
    assert violations(system, sent, revoked_merchants=frozenset({revoked.merchant_id})) == []
    assert statuses([first, second, third, fourth]) == {OrderStatus.BOOKED.value: 24}
    # the revoked merchant's orders failed, saying what to do, and its connection shows disconnected;
    failed = records(revoked) + records(revoked_too)
    assert [record.status for record in failed] == [OrderStatus.FAILED] * 12
    assert all("connect Dinero again" in (record.reason or "") for record in failed)
    connection = worker_adapters().connections.get_connection(connection_id_for(revoked.merchant_id))
    assert connection is not None and connection.status is ConnectionStatus.DISCONNECTED
    # and each other merchant's one-time refresh token was used once (a second use would have disconnected it)
    assert system.sandbox.state.counters["tokens_refreshed"] == 2


class WorkerDied(Exception):
    """The invocation ended abnormally (out of memory, timeout): Lambda reports the whole batch as failed."""


def dies_after(records: int) -> LambdaHandler:
    """An order function invocation that handles the first `records` records of its batch, then dies."""

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
        lambda_handler({"Records": event["Records"][:records]}, context)
        raise WorkerDied

    return handler


def test_invocation_that_dies_after_part_of_its_batch_is_reconciled_by_the_next_delivery(system: LocalSystem) -> None:
    # Given: one invocation receives a batch of 6 orders, books the first 2 and dies
    assert system.session is not None and system.resources is not None
    merchants = seed_merchants(system, 1)
    sqs, queue_url = system.session.client("sqs"), system.resources.order_queue_url
    # What a dead invocation held comes back after the queue's visibility timeout: short here, to see it soon.
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "1"})
    sent = send(system, [shop_order(merchants[0], number, customer=number % 2) for number in range(6)])
    dying = SqsPoller(sqs, queue_url, dies_after(2), function_name="OrderFunction", batch_size=10)
    first = dying.poll_once()
    # When: two workers take what comes back
    with workers(system, 2):
        wait_until_quiet(system, SETTLE_TIMEOUT_S)
    # Then
    assert (first.received, first.failed) == (6, 6)
    assert violations(system, sent) == []
    assert statuses(merchants) == {OrderStatus.BOOKED.value: 6}


WORKER_PROCESS = """
import boto3, os
from dinero_bookkeeping.handlers.order_handler import lambda_handler
from infra.local.sqs_poller import SqsPoller
SqsPoller(boto3.client("sqs"), os.environ["ORDER_QUEUE_URL"], lambda_handler, function_name="Doomed").poll_once()
"""


def test_worker_killed_while_dinero_creates_its_invoice_is_taken_over_after_its_lease(system: LocalSystem) -> None:
    # Given: a worker process takes a batch of 3 orders; Dinero is slow to create the second invoice
    assert system.sandbox is not None and system.session is not None and system.resources is not None
    merchants = seed_merchants(system, 1)
    system.session.client("sqs").set_queue_attributes(
        QueueUrl=system.resources.order_queue_url, Attributes={"VisibilityTimeout": "2"}
    )
    organization = merchants[0].organization_id
    system.sandbox.faults.add("POST", f"/v1/{organization}/invoices", FaultKind.DELAY, seconds=0.01, times=1)
    system.sandbox.faults.add("POST", f"/v1/{organization}/invoices", FaultKind.DELAY, seconds=0.8, times=1)
    sent = send(system, [shop_order(merchants[0], number, customer=7) for number in range(3)])
    doomed = subprocess.Popen([sys.executable, "-c", WORKER_PROCESS], cwd=REPO_ROOT, env=dict(os.environ))
    # When: it is killed while the second invoice is being created (the fault taken, its answer not yet sent)
    deadline = time.monotonic() + 20
    while system.sandbox.faults.pending() and time.monotonic() < deadline:
        time.sleep(0.02)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    with workers(system, 2):
        wait_until_quiet(system, SETTLE_TIMEOUT_S)
    # Then: the order it held is taken over once its lease ran out, and finds the invoice Dinero created
    assert violations(system, sent) == []
    assert statuses(merchants) == {OrderStatus.BOOKED.value: 3}
    assert sorted(record.attempts for record in records(merchants[0])) == [1, 1, 2]
