"""Benchmark of the order pipeline on the embedded runtime. Prints figures; asserts nothing.

  python -m infra.bench.order_pipeline [--orders N]

- Dinero calls per booked invoice, for a new customer and for a returning one (from the sandbox's request log).
- The worker's own time per order with the sandbox answering instantly: CPU time of the thread that runs the
  handler (moto and the sandbox serve from other threads, so their work is not counted), of the handler alone (what
  the Lambda function spends) and with the poller's receive and delete (the event source mapping's part in AWS),
  and wall time per order (one receive from the queue, the handler, the delete).
- DynamoDB requests per order of a returning customer, counted on the worker's own DynamoDB client (a warm
  container: what rarely changes comes from its cache, see CONFIG_CACHE_SECONDS).

Cold start is infra.bench.cold_start's: it imports the deployable package, not this venv.
"""

import argparse
import copy
import json
import platform
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.adapters.dynamodb_rate_limiter import rate_key
from dinero_bookkeeping.handlers.order_handler import lambda_handler
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from infra.local.seeding import seed_configured_merchant
from infra.local.sqs_poller import SqsPoller
from infra.local.system import REPO_ROOT, TEMPLATE, LocalSystem

ORDER = REPO_ROOT / "tests" / "data" / "orders" / "danish_private.json"


def order(number: int, email: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(Path(ORDER).read_text())
    event = copy.deepcopy(event)
    event["event_id"] = f"bench-{number}"
    event["sales_order"]["id"] = 7_000_000 + number
    event["sales_order"]["order_id"] = f"B{number}"
    for address in ("ship_to", "bill_to"):
        event["sales_order"][address]["email"] = email
    return event


def dinero_calls(system: LocalSystem, since: int) -> Counter[str]:
    assert system.sandbox is not None
    log = system.sandbox.state.request_log[since:]
    return Counter(
        f"{entry.method} {_template(entry.path)}" for entry in log if entry.organization_id == DEMO_PRO_ORG_ID
    )


def _template(path: str) -> str:
    return "/".join("{id}" if part[:1].isdigit() or len(part) == 36 else part for part in path.split("/"))


class DynamoRequests:
    """Counts the requests the worker's DynamoDB client sends, by operation."""

    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()
        client = worker_adapters().table.meta.client
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.by_operation[model.name] += 1


class TimedHandler:
    """The order handler, adding up the CPU time of the thread while it runs."""

    def __init__(self) -> None:
        self.cpu_s = 0.0

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
        started = time.thread_time()
        try:
            response: dict[str, Any] = lambda_handler(event, context)
            return response
        finally:
            self.cpu_s += time.thread_time() - started


def timed_poller(system: LocalSystem, handler: TimedHandler) -> SqsPoller:
    assert system.session is not None and system.resources is not None
    return SqsPoller(
        system.session.client("sqs"), system.resources.order_queue_url, handler, function_name="OrderFunction"
    )


def run_one(
    system: LocalSystem, event: dict[str, Any], requests: DynamoRequests, poller: SqsPoller
) -> tuple[float, float, Counter[str], Counter[str]]:
    assert system.sandbox is not None
    # Worker time is the subject, not waiting for Dinero's budget: start each order with an empty budget (the
    # limiter still does its reads and writes).
    worker_adapters().table.delete_item(Key=rate_key(DEMO_PRO_ORG_ID))
    since = len(system.sandbox.state.request_log)
    system.send_order(event)
    requests.by_operation.clear()
    cpu, wall = time.thread_time(), time.perf_counter()
    result = poller.poll_once()
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    assert result.succeeded == 1, result
    return cpu, wall, dinero_calls(system, since), Counter(requests.by_operation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200, help="orders from returning customers to time")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args()
    with LocalSystem(template=args.template, environment={"POWERTOOLS_LOG_LEVEL": "WARNING"}) as system:
        assert system.sandbox is not None
        # Worker time is the subject here, not Dinero's rate limit (that is infra.bench.throughput's).
        system.sandbox.state.rate_limit_per_minute = 1_000_000
        seed_configured_merchant(system.sandbox, merchant_id="merchant-1", webshop_id="webshop-1")
        requests, handler = DynamoRequests(), TimedHandler()
        poller = timed_poller(system, handler)
        _, _, new_customer, new_requests = run_one(system, order(0, "first@example.dk"), requests, poller)
        _, _, returning, _ = run_one(system, order(1, "first@example.dk"), requests, poller)
        handler.cpu_s = 0.0
        cpu_ms, wall_ms, dynamo = [], [], Counter[str]()
        for number in range(2, args.orders + 2):
            cpu, wall, _, used = run_one(system, order(number, "first@example.dk"), requests, poller)
            cpu_ms.append(cpu * 1000)
            wall_ms.append(wall * 1000)
            dynamo += used
        handler_ms = handler.cpu_s * 1000 / args.orders
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"Dinero calls per booked invoice, new customer:       {sum(new_customer.values())}  {dict(new_customer)}")
    print(f"Dinero calls per booked invoice, returning customer: {sum(returning.values())}  {dict(returning)}")
    print(
        f"DynamoDB requests per order, new customer (cold caches): {new_requests.total()}  {dict(new_requests)}\n"
        f"DynamoDB requests per order, returning customer (warm):  {dynamo.total() / len(cpu_ms):.2f}  "
        f"{ {name: round(count / len(cpu_ms), 2) for name, count in sorted(dynamo.items())} }"
    )
    print(f"worker CPU per order, the handler alone: mean {handler_ms:.1f} ms")
    print(
        f"worker CPU per order (handler thread, with the receive and delete), {len(cpu_ms)} orders: "
        f"median {statistics.median(cpu_ms):.1f} ms, p95 {_p95(cpu_ms):.1f} ms"
    )
    print(
        f"wall time per order incl. moto + sandbox over loopback: "
        f"median {statistics.median(wall_ms):.1f} ms, p95 {_p95(wall_ms):.1f} ms"
    )


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


if __name__ == "__main__":
    main()
