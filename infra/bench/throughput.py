"""Throughput against Dinero's rate limit on the embedded runtime, for 1, 10 and 50 organizations. Prints figures.

  python -m infra.bench.throughput [--organizations 1 10 50] [--minutes 3] [--orders N] [--workers N]
                                   [--latency-ms 150] [--ceiling 95]

Per run: a sale day for each organization, a backlog that never runs dry (see `Feeder`; one customer each, so after
the first order every one is a returning customer), `--workers` pollers taking the orders as the order function's
concurrent Lambdas (default: the template's MaximumConcurrency; batch size and batching window as in the template), and
the sandbox answering every call after `--latency-ms`, with Dinero's own limit of 100 a minute. A run ends when
`--orders` per organization are booked, or after `--minutes`. It reports:
- booked invoices a minute, in all and per organization, over whole cycles of the budget (see `sustained_rate`),
  and as a fraction of what our ceiling and Dinero's limit allow at the measured calls per invoice;
- 429s from the sandbox, and orders whose record mentions one (both must be 0), the busiest sliding minute of calls
  any one organization saw (at most the ceiling), receives per message (maxReceiveCount is 5) and the DLQ;
- the CPU it took: this process (the workers and the sandbox) and moto's, in CPU seconds per minute of the run.
moto runs in a process of its own, so the workers (threads of this process) and moto each have a core.
"""

import argparse
import copy
import itertools
import json
import math
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.handlers.order_handler import lambda_handler
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.aws_resources import load_template, read_sqs_event_sources
from infra.local.dinero_sandbox import RequestLogEntry
from infra.local.seeding import seed_configured_merchant
from infra.local.sqs_poller import SqsPoller
from infra.local.system import REPO_ROOT, TEMPLATE, LocalSystem, free_port

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

ORDER = REPO_ROOT / "tests" / "data" / "orders" / "danish_private.json"
DINERO_LIMIT = 100  # requests a minute per organization and client
FIRST_ORGANIZATION = 10_000
# Bookings further apart than this belong to different cycles of the budget (a cycle lasts about a minute).
CYCLE_GAP_S = 20.0
# Orders waiting per organization: more than one minute's budget (about 27 orders of 3 calls at 80 calls/min).
BACKLOG_PER_ORGANIZATION = 40
QUEUE_CAP = 300


@dataclass(frozen=True)
class Figures:
    organizations: int
    orders: int
    booked: int
    elapsed_s: float
    invoices_per_minute: float
    calls_per_invoice: float
    rate_limited: int
    records_with_429: int
    busiest_minute: int
    receives: Counter[int]
    unfinished: int
    dead_letters: int
    cpu_s: float  # this process: workers and sandbox
    moto_cpu_s: float


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("moto did not start")


def merchant_of(webshop_id: str) -> str:
    """Each bench webshop has its own merchant: bench-webshop-N belongs to bench-merchant-N."""
    return webshop_id.replace("bench-webshop-", "bench-merchant-")


def order(template: dict[str, Any], webshop_id: str, number: int) -> str:
    event = copy.deepcopy(template)
    event["merchant_id"] = merchant_of(webshop_id)
    event["order_integration_id"] = webshop_id
    event["event_id"] = f"bench-{number}"
    event["sales_order"]["id"] = 7_000_000 + number
    event["sales_order"]["order_id"] = f"B{number}"
    return json.dumps(event)


def seed(system: LocalSystem, organizations: int) -> list[str]:
    """One merchant per organization, each its own Visma user; returns the webshop ids."""
    assert system.sandbox is not None
    webshops = []
    for number in range(organizations):
        user, organization_id = f"bench-user-{number}", FIRST_ORGANIZATION + number
        system.sandbox.state.add_user(user)
        system.sandbox.state.add_organization(organization_id, f"Bench {number} ApS", user)
        webshop = f"bench-webshop-{number}"
        seed_configured_merchant(
            system.sandbox,
            merchant_id=merchant_of(webshop),
            webshop_id=webshop,
            organization_id=organization_id,
            user=user,
        )
        webshops.append(webshop)
    return webshops


class Feeder:
    """Puts each organization's orders on the queue as its earlier ones are booked, keeping a backlog of
    `per_organization` orders each (a sale day that never runs dry), at most QUEUE_CAP in all.

    The cap is moto's, not the system's: moto's SQS scans every message on each receive (on this machine 2.5 s a
    receive with 5,000 messages on the queue), so sending the whole day at once would measure moto.
    """

    def __init__(self, system: LocalSystem, webshops: list[str], orders_each: int) -> None:
        assert system.session is not None and system.resources is not None and system.sandbox is not None
        self._sqs = system.session.client("sqs")
        self._queue_url = system.resources.order_queue_url
        self._state = system.sandbox.state
        self._template: dict[str, Any] = json.loads(ORDER.read_text())
        self._webshops = {FIRST_ORGANIZATION + index: webshop for index, webshop in enumerate(webshops)}
        self._orders_each = orders_each
        self._per_organization = min(BACKLOG_PER_ORGANIZATION, max(4, QUEUE_CAP // len(webshops)))
        self.sent: Counter[int] = Counter()
        self._booked: Counter[int] = Counter()
        self._log_read = 0

    def top_up(self) -> None:
        log = self._state.request_log
        for entry in log[self._log_read :]:
            if entry.organization_id is not None and entry.path.endswith("/book") and entry.status == 200:
                self._booked[entry.organization_id] += 1
        self._log_read = len(log)
        bodies = []
        for organization_id, webshop in self._webshops.items():
            waiting = self.sent[organization_id] - self._booked[organization_id]
            for _ in range(min(self._per_organization - waiting, self._orders_each - self.sent[organization_id])):
                number = (organization_id - FIRST_ORGANIZATION) * self._orders_each + self.sent[organization_id]
                bodies.append(order(self._template, webshop, number))
                self.sent[organization_id] += 1
        for start in range(0, len(bodies), 10):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])
            ]
            self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)


def pollers(system: LocalSystem, count: int) -> list[SqsPoller]:
    assert system.session is not None and system.resources is not None
    (source,) = system.resources.sqs_event_sources
    sqs = system.session.client("sqs")
    return [
        SqsPoller(
            sqs,
            system.resources.order_queue_url,
            lambda_handler,
            function_name=f"{source.function.logical_id}-{number}",
            batch_size=source.batch_size,
            max_batching_window_s=source.maximum_batching_window_seconds,
            function_timeout_s=source.function.timeout_seconds,
        )
        for number in range(count)
    ]


def sustained_rate(bookings: list[float], start: float) -> float:
    """Bookings a minute over whole cycles of the budget.

    A backlog drains in cycles: a burst of bookings whenever the budget has room again, then a pause of about a
    minute. Counting up to the last booking would credit the last burst without its pause, so the rate is taken up
    to the start of the last burst. Without pauses (more room than the workers can use) it is bookings over time.
    """
    if len(bookings) < 2:
        return 0.0
    starts = [later for earlier, later in itertools.pairwise(bookings) if later - earlier > CYCLE_GAP_S]
    if not starts:
        return len(bookings) / ((bookings[-1] - start) / 60)
    last_burst = starts[-1]
    return sum(1 for booked in bookings if booked < last_burst) / ((last_burst - start) / 60)


def busiest_minute(log: list[RequestLogEntry]) -> int:
    by_organization: dict[int, list[float]] = {}
    for entry in log:
        if entry.organization_id is not None and entry.at is not None and entry.status != 429:
            by_organization.setdefault(entry.organization_id, []).append(entry.at)
    busiest = 0
    for moments in by_organization.values():
        moments.sort()
        first = 0
        for last, moment in enumerate(moments):
            while moments[first] <= moment - 60:
                first += 1
            busiest = max(busiest, last - first + 1)
    return busiest


def process_cpu_s(pid: int) -> float:
    """User and system CPU seconds a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(organizations: int, args: argparse.Namespace, moto: subprocess.Popen[bytes], moto_endpoint: str) -> Figures:
    environment = {"POWERTOOLS_LOG_LEVEL": "WARNING", "DINERO_RATE_LIMIT_PER_MINUTE": str(args.ceiling)}
    with LocalSystem(template=args.template, moto_endpoint=moto_endpoint, environment=environment) as system:
        assert system.sandbox is not None and system.session is not None and system.resources is not None
        state = system.sandbox.state
        webshops = seed(system, organizations)
        orders_each = args.orders or math.ceil(args.ceiling / 3 * (args.minutes + 1))
        state.latency_seconds = args.latency_ms / 1000
        total = orders_each * organizations
        feeder = Feeder(system, webshops, orders_each)
        feeder.top_up()
        workers = pollers(system, args.workers)
        cpu, moto_cpu = process_cpu_s(os.getpid()), process_cpu_s(moto.pid)
        started = time.monotonic()
        for worker in workers:
            worker.start()
        deadline, report_at = started + args.minutes * 60, started + 10
        while state.counters.get("invoices_booked", 0) < total and time.monotonic() < deadline:
            time.sleep(0.5)
            feeder.top_up()
            if time.monotonic() >= report_at:
                report_at += 10
                booked = state.counters.get("invoices_booked", 0)
                print(f"  {time.monotonic() - started:4.0f} s: {booked} booked, {feeder.sent.total()} sent", flush=True)
        stopping = [threading.Thread(target=worker.stop) for worker in workers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        cpu, moto_cpu = process_cpu_s(os.getpid()) - cpu, process_cpu_s(moto.pid) - moto_cpu
        return _figures(system, organizations, webshops, feeder.sent.total(), started, (cpu, moto_cpu))


def _figures(
    system: LocalSystem,
    organizations: int,
    webshops: list[str],
    sent: int,
    started: float,
    cpu: tuple[float, float],
) -> Figures:
    assert system.sandbox is not None and system.session is not None and system.resources is not None
    log = system.sandbox.state.request_log
    bookings = sorted(e.at for e in log if e.at is not None and e.path.endswith("/book") and e.status == 200)
    calls = sum(1 for e in log if e.organization_id is not None and e.status != 429)
    adapters = worker_adapters()
    records = []
    for webshop in webshops:
        link = adapters.integrations.get_link(merchant_of(webshop), webshop)
        assert link is not None
        records += adapters.records.list_records(link.integration_id)
    attributes = system.session.client("sqs").get_queue_attributes(
        QueueUrl=system.resources.order_dead_letter_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return Figures(
        organizations=organizations,
        orders=sent,
        booked=len(bookings),
        elapsed_s=(bookings[-1] if bookings else time.monotonic()) - started,
        invoices_per_minute=sustained_rate(bookings, started),
        calls_per_invoice=calls / max(1, len(bookings)),
        rate_limited=system.sandbox.state.counters.get("rate_limited", 0),
        records_with_429=sum(1 for r in records if "rate limit was reached" in (r.reason or "")),
        busiest_minute=busiest_minute(log),
        receives=Counter(record.attempts for record in records),
        unfinished=sum(1 for r in records if r.status is not OrderStatus.BOOKED),
        dead_letters=int(attributes["ApproximateNumberOfMessages"]),
        cpu_s=cpu[0],
        moto_cpu_s=cpu[1],
    )


def report(figures: Figures, args: argparse.Namespace) -> None:
    per_organization = figures.invoices_per_minute / figures.organizations
    ours = args.ceiling / figures.calls_per_invoice
    dinero = DINERO_LIMIT / figures.calls_per_invoice
    print(
        f"{figures.organizations} organization(s): {figures.booked} of {figures.orders} orders sent booked in "
        f"{figures.elapsed_s:.0f} s; at the end {figures.unfinished} received were waiting for a place or in flight\n"
        f"  sustained: {figures.invoices_per_minute:.1f} invoices/min in all, {per_organization:.1f} per organization;"
        f" {figures.calls_per_invoice:.2f} Dinero calls per invoice\n"
        f"  per organization, that is {per_organization / ours:.0%} of our ceiling ({args.ceiling} calls/min ="
        f" {ours:.1f} invoices/min) and {per_organization / dinero:.0%} of Dinero's limit ({dinero:.1f} invoices/min)\n"
        f"  429s: {figures.rate_limited} from Dinero, {figures.records_with_429} in the records;"
        f" busiest sliding minute of one organization: {figures.busiest_minute} calls\n"
        f"  receives per order (claims): {dict(sorted(figures.receives.items()))};"
        f" dead-letter queue: {figures.dead_letters}\n"
        f"  CPU: workers + sandbox {figures.cpu_s:.0f} s, moto {figures.moto_cpu_s:.0f} s"
        f" over {figures.elapsed_s:.0f} s"
        f" ({(figures.cpu_s + figures.moto_cpu_s) / max(1.0, figures.elapsed_s) * 60:.0f} CPU s a minute)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organizations", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--minutes", type=float, default=3.0, help="longest a run may take")
    parser.add_argument("--orders", type=int, default=0, help="orders per organization (default: enough to last)")
    parser.add_argument("--workers", type=int, default=0, help="concurrent Lambdas (default: the template's)")
    parser.add_argument("--latency-ms", type=float, default=150.0, help="Dinero's answer time")
    parser.add_argument("--ceiling", type=int, default=95, help="DINERO_RATE_LIMIT_PER_MINUTE")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args()
    (source,) = read_sqs_event_sources(load_template(args.template))
    args.workers = args.workers or source.maximum_concurrency or 5
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"machine: {os.cpu_count()} cores, {cpu}, {platform.python_implementation()} {platform.python_version()}")
    print(f"workers: {args.workers}, Dinero latency: {args.latency_ms:.0f} ms, ceiling: {args.ceiling} calls/min")
    moto, endpoint = start_moto()
    try:
        for organizations in args.organizations:
            print(f"run: {organizations} organization(s)", flush=True)
            report(run(organizations, args, moto, endpoint), args)
    finally:
        moto.terminate()
        moto.wait()


if __name__ == "__main__":
    main()
