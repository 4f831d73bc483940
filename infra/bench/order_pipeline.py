"""Benchmark of the order pipeline on the embedded runtime. Prints figures; asserts nothing.

  python -m infra.bench.order_pipeline [--orders N]

- Dinero calls per booked invoice, for a new customer and for a returning one (from the sandbox's request log).
- The worker's own time per order with the sandbox answering instantly: CPU time of the thread that runs the
  handler (moto and the sandbox serve from other threads, so their work is not counted), and wall time per order
  (one receive from the queue, the handler, the delete: what a Lambda invocation of one message costs).

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

from dinero_bookkeeping.adapters.dynamodb_rate_limiter import rate_key
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from infra.local.seeding import seed_configured_merchant
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


def run_one(system: LocalSystem, event: dict[str, Any]) -> tuple[float, float, Counter[str]]:
    assert system.sandbox is not None
    # Worker time is the subject, not waiting for Dinero's budget: start each order with an empty budget (the
    # limiter still does its reads and writes).
    worker_adapters().table.delete_item(Key=rate_key(DEMO_PRO_ORG_ID))
    since = len(system.sandbox.state.request_log)
    system.send_order(event)
    (poller,) = system.pollers
    cpu, wall = time.thread_time(), time.perf_counter()
    result = poller.poll_once()
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    assert result.succeeded == 1, result
    return cpu, wall, dinero_calls(system, since)


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
        _, _, new_customer = run_one(system, order(0, "first@example.dk"))
        _, _, returning = run_one(system, order(1, "first@example.dk"))
        cpu_ms, wall_ms = [], []
        for number in range(2, args.orders + 2):
            cpu, wall, _ = run_one(system, order(number, "first@example.dk"))
            cpu_ms.append(cpu * 1000)
            wall_ms.append(wall * 1000)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"Dinero calls per booked invoice, new customer:       {sum(new_customer.values())}  {dict(new_customer)}")
    print(f"Dinero calls per booked invoice, returning customer: {sum(returning.values())}  {dict(returning)}")
    print(
        f"worker CPU per order (handler thread), {len(cpu_ms)} orders: "
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
