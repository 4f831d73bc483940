"""The shared Dinero budget's arithmetic: admission, turns, settling, and the sliding-minute guarantee."""

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.rate_window import (
    CALL_DEADLINE,
    HORIZON,
    MARGIN,
    TURN_GRACE,
    WINDOW,
    Admitted,
    CallBudget,
    Grant,
    RateWindow,
    Reservation,
    Turn,
    Wait,
    reservation_for,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
_ids = itertools.count(1)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def reserve(
    window: RateWindow, order: str, calls: int, at: datetime, *, resumed: bool = False
) -> tuple[RateWindow, Admitted | Wait]:
    return window.reserve(order, calls, at, resumed=resumed, grant_id=f"grant-{next(_ids)}")


def admitted(outcome: Admitted | Wait) -> Admitted:
    assert isinstance(outcome, Admitted), outcome
    return outcome


def waiting(outcome: Admitted | Wait) -> Wait:
    assert isinstance(outcome, Wait), outcome
    return outcome


def full_window(limit: int = 10, calls: int = 5, at: datetime = T0) -> RateWindow:
    """Orders of `calls` admitted at `at` until the budget is used up, all settled one second later."""
    window = RateWindow(limit=limit)
    for number in range(limit // calls):
        window, outcome = reserve(window, f"full-{number}", calls, at)
        window = window.settle(admitted(outcome).grant.grant_id, calls, at + seconds(1))
    return window


def test_order_with_room_is_admitted_for_its_calls_until_the_deadline() -> None:
    # Given
    window = RateWindow(limit=80)
    # When
    window, outcome = reserve(window, "order-1", 3, T0)
    # Then
    grant = admitted(outcome).grant
    assert (grant.calls, grant.start, grant.last_call) == (3, T0, T0 + CALL_DEADLINE)
    assert admitted(outcome).look_up_first is False
    assert window.grants == (grant,)


def test_order_without_room_gets_a_turn_when_the_planned_load_has_fallen() -> None:
    # Given: 10 calls used at T0, their last calls at T0 + 1 s
    window = full_window(limit=10, calls=5)
    # When
    window, outcome = reserve(window, "order-late", 3, T0 + seconds(5))
    # Then: room once the first grant stops occupying the budget, a minute (and the margin) after its last call
    assert waiting(outcome).until == T0 + seconds(1) + WINDOW + MARGIN
    (turn,) = window.turns
    assert (turn.order, turn.at, turn.calls, turn.untouched) == ("order-late", waiting(outcome).until, 3, True)


def test_order_coming_back_before_its_turn_keeps_its_place() -> None:
    # Given
    window, first = reserve(full_window(), "order-late", 3, T0 + seconds(5))
    # When
    again, outcome = reserve(window, "order-late", 3, T0 + seconds(30))
    # Then
    assert waiting(outcome).until == waiting(first).until
    assert again == window


def test_order_at_its_turn_goes_before_an_order_arriving_fresh() -> None:
    # Given: two orders waiting in line, the first one's turn has come
    window, first = reserve(full_window(), "order-a", 5, T0 + seconds(5))
    window, second = reserve(window, "order-b", 5, T0 + seconds(6))
    turn = waiting(first).until
    # When
    window, fresh = reserve(window, "order-fresh", 1, turn)
    window, outcome = reserve(window, "order-a", 5, turn, resumed=True)
    # Then
    assert isinstance(outcome, Admitted)
    assert waiting(fresh).until > waiting(second).until
    assert [t.order for t in window.turns] == ["order-b", "order-fresh"]


def test_order_arriving_fresh_goes_at_once_when_the_line_leaves_it_room() -> None:
    # Given: one order of 5 waits for its turn in a budget of 10
    window, first = reserve(full_window(), "order-a", 5, T0 + seconds(5))
    turn = waiting(first).until
    # When: at that moment a fresh order of 5 arrives before it
    window, fresh = reserve(window, "order-fresh", 5, turn)
    window, outcome = reserve(window, "order-a", 5, turn + seconds(1), resumed=True)
    # Then: both fit
    assert isinstance(fresh, Admitted) and isinstance(outcome, Admitted)


def test_order_that_only_waited_for_budget_needs_no_lookup_at_its_turn() -> None:
    # Given: a first attempt (not resumed) found no room
    window, first = reserve(full_window(), "order-1", 3, T0 + seconds(5))
    # When: at its turn the record was claimed again, so the attempt counts as resumed
    window, outcome = reserve(window, "order-1", 3, waiting(first).until, resumed=True)
    # Then
    assert admitted(outcome).look_up_first is False
    assert admitted(outcome).grant.calls == 3


def test_resumed_order_reserves_one_more_call_to_look_up_its_invoice_first() -> None:
    # Given
    window = RateWindow(limit=80)
    # When
    window, outcome = reserve(window, "order-1", 3, T0, resumed=True)
    # Then
    assert admitted(outcome).look_up_first is True
    assert admitted(outcome).grant.calls == 4


def test_order_that_reached_dinero_before_waiting_still_looks_up_at_its_turn() -> None:
    # Given: a resumed attempt (an earlier one may have created the invoice) found no room
    window, first = reserve(full_window(), "order-1", 3, T0 + seconds(5), resumed=True)
    # When
    window, outcome = reserve(window, "order-1", 3, waiting(first).until, resumed=True)
    # Then
    assert admitted(outcome).look_up_first is True
    assert admitted(outcome).grant.calls == 4


def test_settling_gives_back_unused_calls_and_ends_the_occupation_after_the_last_call() -> None:
    # Given: 5 calls reserved of 10
    window, outcome = reserve(RateWindow(limit=10), "order-1", 5, T0)
    grant_id = admitted(outcome).grant.grant_id
    # When: it made 3 calls, the last at T0 + 2 s
    window = window.settle(grant_id, 3, T0 + seconds(2))
    # Then: 7 calls of room now, all 10 once a minute and the margin have passed since the last call
    _, seven = reserve(window, "order-7", 7, T0 + seconds(3))
    _, eight = reserve(window, "order-8", 8, T0 + seconds(3))
    _, ten = reserve(window, "order-10", 10, T0 + seconds(2) + WINDOW + MARGIN)
    assert isinstance(seven, Admitted) and isinstance(eight, Wait) and isinstance(ten, Admitted)


def test_order_that_made_no_call_gives_its_grant_back_entirely() -> None:
    # Given
    window, outcome = reserve(RateWindow(limit=10), "order-1", 5, T0)
    # When
    window = window.settle(admitted(outcome).grant.grant_id, 0, None)
    # Then
    assert window.grants == ()


def test_grant_of_a_worker_that_never_settled_occupies_until_a_minute_after_its_deadline() -> None:
    # Given: a worker admitted for all 10 calls and was killed
    window, _ = reserve(RateWindow(limit=10), "order-1", 10, T0)
    end = T0 + CALL_DEADLINE + WINDOW + MARGIN
    # When
    _, before = reserve(window, "order-2", 1, end - seconds(1))
    _, after = reserve(RateWindow(limit=10, grants=window.grants), "order-3", 1, end)
    # Then
    assert isinstance(before, Wait) and isinstance(after, Admitted)


def test_turn_without_room_when_it_comes_moves_to_when_the_grants_free_it() -> None:
    # Given: order-1's turn has come, but a slow order still holds all 10 calls, unsettled
    turn = T0 + seconds(70)
    slow = Grant("slow", T0 + seconds(50), T0 + seconds(50) + CALL_DEADLINE, calls=10)
    window = RateWindow(limit=10, grants=(slow,), turns=(Turn("order-1", turn, 5, untouched=True),))
    # When
    window, outcome = reserve(window, "order-1", 5, turn, resumed=True)
    # Then: it keeps its place in line, at the moment the slow order's grant stops occupying the budget
    assert waiting(outcome).until == slow.occupied_until
    assert window.turns == (Turn("order-1", slow.occupied_until, 5, untouched=True),)


def test_turn_nobody_took_is_dropped_after_the_grace() -> None:
    # Given
    window, first = reserve(full_window(), "order-1", 3, T0 + seconds(5))
    # When
    pruned = window.pruned(waiting(first).until + TURN_GRACE)
    # Then
    assert pruned.turns == ()


def test_line_longer_than_sqs_can_delay_sends_the_order_back_without_a_turn() -> None:
    # Given: turns given out as far as they go
    window, number = full_window(limit=10, calls=5), 0
    while True:
        after, outcome = reserve(window, f"queued-{number}", 10, T0)
        if after.turns == window.turns:
            break
        window, number = after, number + 1
    # When
    after, outcome = reserve(window, "order-last", 10, T0)
    # Then
    assert waiting(outcome).until == T0 + HORIZON
    assert after.turns == window.turns and window.turns[-1].at - T0 <= HORIZON
    assert number > 10


def test_ceiling_below_an_orders_calls_admits_it_alone() -> None:
    # Given
    window = RateWindow(limit=2)
    # When
    window, first = reserve(window, "order-1", 5, T0)
    _, second = reserve(window, "order-2", 5, T0 + seconds(1))
    # Then
    assert isinstance(first, Admitted) and isinstance(second, Wait)


def test_waiting_order_becomes_a_retryable_error_with_the_delay() -> None:
    # Given
    outcome = Wait(T0 + seconds(41.5))
    # When
    with pytest.raises(RetryableError) as raised:
        reservation_for(1001, outcome, T0)
    # Then
    assert raised.value.retry_after_seconds == 41.5
    assert "rate limit" in str(raised.value) and "42 s" in str(raised.value)


def test_call_budget_refuses_calls_beyond_the_reservation_or_after_its_deadline() -> None:
    # Given
    reservation = Reservation(1001, Grant("grant-1", T0, T0 + CALL_DEADLINE, calls=2), look_up_first=False)
    budget, late = CallBudget(reservation), CallBudget(reservation)
    # When
    budget.spend(T0)
    budget.spend(T0 + seconds(1))
    # Then
    with pytest.raises(RetryableError):
        budget.spend(T0 + seconds(2))
    with pytest.raises(RetryableError):
        late.spend(T0 + CALL_DEADLINE + seconds(1))
    assert (budget.used, budget.last_call_at, late.used) == (2, T0 + seconds(1), 0)


# --- Many workers over time: a deterministic simulation ----------------------------------------------------------


@dataclass
class Simulation:
    """Orders arriving over time, each handled by some worker: it reserves, makes its calls, then settles.

    A quarter of the orders are for new customers (5 calls), the rest for returning ones (3); one in ten new
    customers is found by lookup, so it makes one call less than it reserved. Each call takes up to `latency_s`.
    Messages sent away come back at their turn plus a random lateness (SQS, a busy poller, a full batch). Some
    workers die after their first call and never settle; their orders come back as resumed.
    """

    limit: int
    seed: int
    latency_s: float = 0.15
    lateness_s: float = 3.0
    deaths: float = 0.0
    window: RateWindow = field(init=False)
    calls: list[datetime] = field(default_factory=list)
    receives: dict[str, int] = field(default_factory=dict)
    done: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.window = RateWindow(limit=self.limit)
        self.random = random.Random(self.seed)
        self.events: list[tuple[datetime, int, str, str, bool]] = []
        self.sequence = itertools.count()
        self.calls_of: dict[str, int] = {}
        self.admissions: list[datetime] = []

    def arrive(self, order: str, at: datetime) -> None:
        self.calls_of[order] = 5 if self.random.random() < 0.25 else 3
        heapq.heappush(self.events, (at, next(self.sequence), "deliver", order, False))

    def run(self) -> None:
        while self.events:
            now, _, kind, order, resumed = heapq.heappop(self.events)
            if kind == "deliver":
                self._deliver(order, now, resumed)
            else:
                grant_id, made, last = order.split("|")
                self.window = self.window.settle(grant_id, int(made), datetime.fromisoformat(last))

    def _deliver(self, order: str, now: datetime, resumed: bool) -> None:
        self.receives[order] = self.receives.get(order, 0) + 1
        calls = self.calls_of[order]
        self.window, outcome = self.window.reserve(order, calls, now, resumed=resumed, grant_id=f"{order}/{now}")
        if isinstance(outcome, Wait):
            back = outcome.until + seconds(self.random.uniform(0, self.lateness_s))
            heapq.heappush(self.events, (back, next(self.sequence), "deliver", order, True))
            return
        grant = outcome.grant
        self.admissions.append(now)
        made = grant.calls - 1 if grant.calls == 5 and self.random.random() < 0.1 else grant.calls
        offsets = itertools.accumulate(self.random.uniform(0.05, self.latency_s) for _ in range(made - 1))
        times = [now, *(now + seconds(offset) for offset in offsets)]
        if self.random.random() < self.deaths:
            self.calls.append(times[0])  # died after its first call: never settles, comes back resumed
            heapq.heappush(self.events, (now + seconds(90), next(self.sequence), "deliver", order, True))
            return
        self.calls += times
        self.done[order] = times[-1]
        settle = f"{grant.grant_id}|{made}|{times[-1].isoformat()}"
        heapq.heappush(self.events, (times[-1] + seconds(self.latency_s), next(self.sequence), "settle", settle, False))

    def busiest_sliding_window(self, length: timedelta) -> int:
        moments = sorted(self.calls)
        busiest, start = 0, 0
        for end, moment in enumerate(moments):
            while moments[start] <= moment - length:
                start += 1
            busiest = max(busiest, end - start + 1)
        return busiest


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_sliding_minute_sees_more_than_the_ceiling_under_load_slow_calls_deaths_and_late_messages(seed: int) -> None:
    # Given: a steady stream above the ceiling plus bursts, calls of up to 3 s, messages up to 20 s late, one worker
    # in ten dying mid-order
    simulation = Simulation(limit=80, seed=seed, latency_s=3.0, lateness_s=20.0, deaths=0.1)
    for number in range(500):
        burst = simulation.random.choice([0, 95, 410])
        at = burst + simulation.random.uniform(0, 5) if number % 2 else simulation.random.uniform(0, 600)
        simulation.arrive(f"order-{number}", T0 + seconds(at))
    # When
    simulation.run()
    # Then: Dinero's window and the one with our margin both stay under the ceiling; every order got through
    assert simulation.busiest_sliding_window(WINDOW + MARGIN) <= 80
    assert len(simulation.done) == 500


def test_backlog_drains_near_the_ceiling_with_few_receives_per_message() -> None:
    # Given: a sale-day backlog of 300 orders at once
    simulation = Simulation(limit=80, seed=7)
    for number in range(300):
        simulation.arrive(f"order-{number}", T0)
    # When
    simulation.run()
    # Then: up to the last admission (after it the line is empty), calls go at over 90 % of the ceiling, and a
    # message comes back at most twice
    last = max(simulation.admissions)
    sustained_per_minute = sum(1 for call in simulation.calls if call < last) / ((last - T0) / WINDOW)
    assert sustained_per_minute >= 0.9 * 80, sustained_per_minute
    assert max(simulation.receives.values()) <= 3
