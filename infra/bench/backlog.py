"""A sale-day backlog, drained through the production scheduling code with a simulated clock and SQS. Prints figures.

  python -m infra.bench.backlog [--orders 5000] [--organizations 1] [--ceiling 95] [--new-customers 0.0]
                                [--lateness 3] [--seed 1]

All orders arrive at once, spread evenly over the organizations. What runs is the production code: the
organization's `RateWindow` (what the DynamoDB limiter stores and changes) and the order worker's waiting rule
(`Place.is_due`, then `how_to_wait`: a fresh copy carrying the place, or hiding the message until its place). What
is simulated is time and the queue: SQS with the template's visibility timeout and maxReceiveCount (read from
template.yaml), a receive count per message, copies sent with DelaySeconds, ChangeMessageVisibility, and the redrive
to the dead-letter queue when a message is received more than maxReceiveCount times. Workers are not scarce here:
a visible message is received within `--lateness` seconds (the throughput benchmark measures real workers). An
admitted order makes its calls 0.1-0.3 s apart and settles.

Its last line is `orders=N booked=N dead_lettered=D max_receives=R minutes=M`: R is the most receives of any one
message (what maxReceiveCount counts), M the minutes until the last invoice was booked.
"""

import argparse
import heapq
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dinero_bookkeeping.domain.rate_window import WINDOW, Admitted, Place, RateWindow
from dinero_bookkeeping.domain.retry_policy import Hide, how_to_wait
from infra.local.aws_resources import load_template
from infra.local.system import TEMPLATE

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class QueueSettings:
    visibility_timeout_s: int
    max_receive_count: int

    @classmethod
    def from_template(cls, path: Path = TEMPLATE) -> "QueueSettings":
        queue = load_template(path)["Resources"]["OrderQueue"]["Properties"]
        return cls(int(queue["VisibilityTimeout"]), int(queue["RedrivePolicy"]["maxReceiveCount"]))


@dataclass
class Message:
    order: int
    place: Place | None  # the message attribute a waiting copy carries
    receives: int = 0


@dataclass
class Order:
    organization: int
    calls: int  # 3 for a returning customer, 5 for a new one
    claimed: bool = False  # an earlier attempt claimed its record (the next one is "resumed")


@dataclass
class Backlog:
    """The simulation. `run()` drains it; the figures are its fields afterwards."""

    orders: int
    organizations: int
    ceiling: int
    queue: QueueSettings
    new_customers: float = 0.0
    lateness_s: float = 3.0
    seed: int = 1
    booked: int = 0
    dead_lettered: int = 0
    max_receives: int = 0
    copies_sent: int = 0
    hidden: int = 0
    receives: int = 0
    last_booking: datetime = T0
    calls: dict[int, list[datetime]] = field(default_factory=dict)

    def run(self) -> None:
        rng = random.Random(self.seed)
        windows = {organization: RateWindow(limit=self.ceiling) for organization in range(self.organizations)}
        orders = [
            Order(number % self.organizations, 5 if rng.random() < self.new_customers else 3)
            for number in range(self.orders)
        ]
        sequence = itertools.count()
        queue: list[tuple[datetime, int, Message]] = []

        def visible_at(moment: datetime, message: Message) -> None:
            received = moment + timedelta(seconds=rng.uniform(0, self.lateness_s))
            heapq.heappush(queue, (received, next(sequence), message))

        for number in range(self.orders):
            visible_at(T0, Message(number, None))
        while queue:
            now, _, message = heapq.heappop(queue)
            message.receives += 1
            self.receives += 1
            if message.receives > self.queue.max_receive_count:
                self.dead_lettered += 1  # SQS's redrive: received once too often
                continue
            self.max_receives = max(self.max_receives, message.receives)
            order = orders[message.order]
            place = message.place
            if place is not None and not place.is_due(now):
                wait_for = place  # the handler's shortcut: early, nothing to look at
            else:
                resumed, order.claimed = order.claimed, True
                window = windows[order.organization]
                grant_id = f"{message.order}/{now.isoformat()}"
                window, outcome = window.reserve(order.calls, now, resumed=resumed, grant_id=grant_id, place=place)
                if isinstance(outcome, Admitted):
                    windows[order.organization] = self._book(window, outcome, order, now, rng)
                    continue
                windows[order.organization], wait_for = window, outcome.place
            action = how_to_wait(wait_for, now, receive_count=message.receives, carries_place=place is not None)
            if isinstance(action, Hide):
                self.hidden += 1
                visible_at(now + timedelta(seconds=action.delay_s), message)
            else:
                self.copies_sent += 1  # the received message is deleted (reported as a success)
                visible_at(now + timedelta(seconds=action.delay_s), Message(message.order, action.place))

    def _book(
        self, window: RateWindow, admitted: Admitted, order: Order, now: datetime, rng: random.Random
    ) -> RateWindow:
        offsets = itertools.accumulate(rng.uniform(0.1, 0.3) for _ in range(admitted.grant.calls - 1))
        times = [now, *(now + timedelta(seconds=offset) for offset in offsets)]
        self.calls.setdefault(order.organization, []).extend(times)
        self.booked += 1
        self.last_booking = max(self.last_booking, times[-1])
        return window.settle(admitted.grant.grant_id, len(times), times[-1])

    @property
    def minutes(self) -> float:
        return (self.last_booking - T0) / timedelta(minutes=1)

    def busiest_minute(self) -> int:
        """The most calls any organization made in a sliding minute (at most the ceiling)."""
        busiest = 0
        for moments in self.calls.values():
            moments.sort()
            first = 0
            for last, moment in enumerate(moments):
                while moments[first] <= moment - WINDOW:
                    first += 1
                busiest = max(busiest, last - first + 1)
        return busiest

    def calls_per_invoice(self) -> float:
        return sum(len(moments) for moments in self.calls.values()) / max(1, self.booked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--organizations", type=int, default=1)
    parser.add_argument("--ceiling", type=int, default=95, help="DINERO_RATE_LIMIT_PER_MINUTE")
    parser.add_argument("--new-customers", type=float, default=0.0, help="fraction of orders from new customers")
    parser.add_argument("--lateness", type=float, default=3.0, help="most seconds a visible message waits")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    args = parser.parse_args()
    settings = QueueSettings.from_template(args.template)
    backlog = Backlog(
        orders=args.orders,
        organizations=args.organizations,
        ceiling=args.ceiling,
        queue=settings,
        new_customers=args.new_customers,
        lateness_s=args.lateness,
        seed=args.seed,
    )
    backlog.run()
    per_organization = args.orders / args.organizations
    ideal = per_organization * backlog.calls_per_invoice() / args.ceiling
    receives = Counter({"receives": backlog.receives, "copies": backlog.copies_sent, "hidden": backlog.hidden})
    print(
        f"queue (template.yaml): visibility {settings.visibility_timeout_s} s, maxReceiveCount "
        f"{settings.max_receive_count}; ceiling {args.ceiling} calls/min per organization\n"
        f"calls per invoice {backlog.calls_per_invoice():.2f}; busiest sliding minute of one organization "
        f"{backlog.busiest_minute()} calls; {dict(receives)} ({backlog.receives / args.orders:.2f} receives "
        f"per order)\n"
        f"drained in {backlog.minutes:.1f} min; orders x calls per invoice / ceiling = {ideal:.1f} min "
        f"({ideal / max(backlog.minutes, 1e-9):.0%} of the ceiling's pace)"
    )
    print(
        f"orders={args.orders} booked={backlog.booked} dead_lettered={backlog.dead_lettered} "
        f"max_receives={backlog.max_receives} minutes={backlog.minutes:.0f}"
    )


if __name__ == "__main__":
    main()
