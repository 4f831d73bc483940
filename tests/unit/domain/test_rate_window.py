"""The shared Dinero budget's arithmetic: admission, places in line, settling, and the sliding-minute guarantee."""

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.rate_window import (
    CALL_DEADLINE,
    INTERACTIVE_CALLS,
    MARGIN,
    PLANNED_OCCUPATION,
    WINDOW,
    Admitted,
    CallBudget,
    Grant,
    Place,
    RateWindow,
    Reservation,
    Slot,
    Wait,
    WaitForBudget,
    reservation_for,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
_ids = itertools.count(1)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def reserve(
    window: RateWindow, calls: int, at: datetime, *, resumed: bool = False, place: Place | None = None
) -> tuple[RateWindow, Admitted | Wait]:
    return window.reserve(calls, at, resumed=resumed, grant_id=f"grant-{next(_ids)}", place=place)


def admitted(outcome: Admitted | Wait) -> Admitted:
    assert isinstance(outcome, Admitted), outcome
    return outcome


def waiting(outcome: Admitted | Wait) -> Place:
    assert isinstance(outcome, Wait), outcome
    return outcome.place


def full_window(limit: int = 10, calls: int = 5, at: datetime = T0) -> RateWindow:
    """Requests of `calls` admitted at `at` until the budget is used up, all settled one second later."""
    window = RateWindow(limit=limit)
    for _ in range(limit // calls):
        window, outcome = window.reserve_now(calls, at, grant_id=f"grant-{next(_ids)}")
        window = window.settle(admitted(outcome).grant.grant_id, calls, at + seconds(1))
    return window


def test_order_with_room_is_admitted_for_its_calls_until_the_deadline() -> None:
    # Given
    window = RateWindow(limit=95)
    # When
    window, outcome = reserve(window, 3, T0)
    # Then
    grant = admitted(outcome).grant
    assert (grant.calls, grant.start, grant.last_call) == (3, T0, T0 + CALL_DEADLINE)
    assert admitted(outcome).look_up_first is False
    assert window.grants == (grant,)


def test_order_without_room_gets_a_place_when_the_planned_load_has_fallen() -> None:
    # Given: 10 calls used at T0, their last calls at T0 + 1 s
    window = full_window(limit=10, calls=5)
    # When
    window, outcome = reserve(window, 3, T0 + seconds(5))
    # Then: room once the grants stop occupying the budget, a minute (and the margin) after their last calls
    place = waiting(outcome)
    assert place == Place(T0 + seconds(1) + WINDOW + MARGIN, reached_dinero=False)
    assert window.tail == (Slot(place.at, 3),)


def test_order_coming_back_before_its_place_keeps_it_and_changes_nothing() -> None:
    # Given
    window, first = reserve(full_window(), 3, T0 + seconds(5))
    # When
    again, outcome = reserve(window, 3, T0 + seconds(30), resumed=True, place=waiting(first))
    # Then
    assert waiting(outcome) == waiting(first)
    assert again == window


def test_order_at_its_place_goes_before_an_order_arriving_fresh() -> None:
    # Given: two orders in line, the first one's place has come
    window, first = reserve(full_window(), 5, T0 + seconds(5))
    window, second = reserve(window, 5, T0 + seconds(6))
    at = waiting(first).at
    # When
    window, fresh = reserve(window, 1, at)
    window, outcome = reserve(window, 5, at, resumed=True, place=waiting(first))
    # Then: the fresh one joined the end of the line; the first left it
    assert isinstance(outcome, Admitted)
    assert waiting(fresh).at >= waiting(second).at
    assert window.tail == (Slot(waiting(second).at, 5), Slot(waiting(fresh).at, 1))


def test_order_arriving_fresh_goes_at_once_when_the_line_leaves_it_room() -> None:
    # Given: one order of 5 waits for its place in a budget of 10
    window, first = reserve(full_window(), 5, T0 + seconds(5))
    at = waiting(first).at
    # When: at that moment a fresh order of 3 arrives before it
    window, fresh = reserve(window, 3, at)
    window, outcome = reserve(window, 5, at + seconds(1), resumed=True, place=waiting(first))
    # Then: both fit (the line's plan leaves INTERACTIVE_CALLS free, so 5 + 3 is all a fresh one may join)
    assert isinstance(fresh, Admitted) and isinstance(outcome, Admitted)


def test_line_keeps_room_for_the_merchants_own_requests() -> None:
    # Given: a line of orders planned back to back
    window = full_window(limit=10, calls=5)
    for _ in range(20):
        window, _ = reserve(window, 1, T0 + seconds(2))
    # When: the line's places are planned
    ends = sorted(slot.at for slot in window.tail)
    # Then: no moment has more than the ceiling less INTERACTIVE_CALLS planned
    for moment in ends:
        planned = sum(s.calls for s in window.tail if s.at <= moment < s.planned_until)
        assert planned <= 10 - INTERACTIVE_CALLS


def test_order_that_only_waited_for_budget_needs_no_lookup_at_its_place() -> None:
    # Given: a first attempt (not resumed) found no room
    window, first = reserve(full_window(), 3, T0 + seconds(5))
    # When: at its place the record was claimed again, so the attempt counts as resumed
    window, outcome = reserve(window, 3, waiting(first).at, resumed=True, place=waiting(first))
    # Then
    assert admitted(outcome).look_up_first is False
    assert admitted(outcome).grant.calls == 3


def test_resumed_order_reserves_one_more_call_to_look_up_its_invoice_first() -> None:
    # Given
    window = RateWindow(limit=95)
    # When
    window, outcome = reserve(window, 3, T0, resumed=True)
    # Then
    assert admitted(outcome).look_up_first is True
    assert admitted(outcome).grant.calls == 4


def test_order_that_reached_dinero_before_waiting_still_looks_up_at_its_place() -> None:
    # Given: a resumed attempt (an earlier one may have created the invoice) found no room
    window, first = reserve(full_window(), 3, T0 + seconds(5), resumed=True)
    # When
    window, outcome = reserve(window, 3, waiting(first).at, resumed=True, place=waiting(first))
    # Then
    assert waiting(first).reached_dinero is True
    assert admitted(outcome).look_up_first is True
    assert admitted(outcome).grant.calls == 4


def test_settling_gives_back_unused_calls_and_ends_the_occupation_after_the_last_call() -> None:
    # Given: 5 calls reserved of 10
    window, outcome = reserve(RateWindow(limit=10), 5, T0)
    grant_id = admitted(outcome).grant.grant_id
    # When: it made 3 calls, the last at T0 + 2 s
    window = window.settle(grant_id, 3, T0 + seconds(2))
    # Then: 7 calls of room now (5 for an order arriving fresh, the line's plan keeping 2 free), all 10 once a
    # minute and the margin have passed since the last call
    _, five = reserve(window, 5, T0 + seconds(3))
    _, seven = reserve(window, 7, T0 + seconds(3), place=Place(T0, reached_dinero=False))
    _, eight = reserve(window, 8, T0 + seconds(3), place=Place(T0, reached_dinero=False))
    _, ten = reserve(window, 10, T0 + seconds(2) + WINDOW + MARGIN, place=Place(T0, reached_dinero=False))
    assert isinstance(five, Admitted) and isinstance(seven, Admitted)
    assert isinstance(eight, Wait) and isinstance(ten, Admitted)


def test_order_that_made_no_call_gives_its_grant_back_entirely() -> None:
    # Given
    window, outcome = reserve(RateWindow(limit=10), 5, T0)
    # When
    window = window.settle(admitted(outcome).grant.grant_id, 0, None)
    # Then
    assert window.grants == ()


def test_grant_of_a_worker_that_never_settled_occupies_until_a_minute_after_its_deadline() -> None:
    # Given: a worker admitted for all 10 calls and was killed
    window, _ = reserve(RateWindow(limit=10), 10, T0)
    end = T0 + CALL_DEADLINE + WINDOW + MARGIN
    # When
    _, before = reserve(window, 1, end - seconds(1))
    _, after = reserve(RateWindow(limit=10, grants=window.grants), 1, end)
    # Then
    assert isinstance(before, Wait) and isinstance(after, Admitted)


def test_place_without_room_when_it_comes_moves_to_when_the_grants_free_it_ahead_of_the_line() -> None:
    # Given: order-1's place has come, but a slow order still holds all 10 calls, unsettled; another waits behind
    at = T0 + seconds(70)
    slow = Grant("slow", T0 + seconds(50), T0 + seconds(50) + CALL_DEADLINE, calls=10)
    behind = Slot(at + seconds(30), 5)
    window = RateWindow(limit=10, grants=(slow,), tail=(Slot(at, 5), behind))
    # When
    window, outcome = reserve(window, 5, at, resumed=True, place=Place(at, reached_dinero=False))
    # Then: its new place is the moment the slow order's grant stops occupying the budget
    assert waiting(outcome) == Place(slow.occupied_until, reached_dinero=False)
    assert window.tail == (behind, Slot(slow.occupied_until, 5))


def test_line_of_any_length_gets_places_hours_ahead_and_the_window_stays_small() -> None:
    # Given
    window = full_window(limit=95, calls=5)
    places = []
    # When: 5,000 orders of 3 calls arrive at once
    for _ in range(5_000):
        window, outcome = reserve(window, 3, T0)
        places.append(waiting(outcome).at)
    # Then: places in the order given, at the planned pace, and the window remembers at most the ceiling's worth
    assert places == sorted(places)
    pace = (places[-1] - places[0]) / (5_000 - 1)
    assert pace == pytest.approx(PLANNED_OCCUPATION * 3 / (95 - INTERACTIVE_CALLS), rel=0.05)
    assert places[-1] - T0 > timedelta(hours=2)
    assert sum(slot.calls for slot in window.tail) <= 95


def test_ceiling_below_an_orders_calls_admits_it_alone() -> None:
    # Given
    window = RateWindow(limit=2)
    # When
    window, first = reserve(window, 5, T0)
    _, second = reserve(window, 5, T0 + seconds(1))
    # Then
    assert isinstance(first, Admitted) and isinstance(second, Wait)


def test_merchants_request_goes_ahead_of_the_line_when_the_grants_leave_room() -> None:
    # Given: a line of orders, the budget's grants using 5 of 10
    window, outcome = reserve(RateWindow(limit=10), 5, T0)
    window, _ = reserve(window, 5, T0 + seconds(1))
    window, _ = reserve(window, 5, T0 + seconds(1))
    tail = window.tail
    # When
    window, interactive = window.reserve_now(3, T0 + seconds(2), grant_id="choices")
    _, refused = window.reserve_now(3, T0 + seconds(2), grant_id="more")
    # Then: the first is admitted at once; the next is told when the grants free room, without taking a place
    assert admitted(interactive).grant.calls == 3 and set(window.tail) <= set(tail)
    assert waiting(refused).at == admitted(outcome).grant.occupied_until


def test_waiting_order_becomes_a_retryable_error_with_its_place() -> None:
    # Given
    outcome = Wait(Place(T0 + seconds(41.5), reached_dinero=False))
    # When
    with pytest.raises(WaitForBudget) as raised:
        reservation_for(1001, outcome, T0)
    # Then
    assert raised.value.retry_after_seconds == 41.5 and raised.value.place == outcome.place
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
    Messages sent away carry their place and come back then, plus a random lateness (SQS, a busy poller, a full
    batch). Some workers die after their first call and never settle; their orders come back as resumed.
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
        self.events: list[tuple[datetime, int, str, str, bool, Place | None]] = []
        self.sequence = itertools.count()
        self.calls_of: dict[str, int] = {}
        self.admissions: list[datetime] = []

    def ask_now(self, request: str, at: datetime) -> None:
        """A merchant's request (the choices: three calls), ahead of the line; without room, back when told."""
        heapq.heappush(self.events, (at, next(self.sequence), "interactive", request, False, None))

    def arrive(self, order: str, at: datetime) -> None:
        self.calls_of[order] = 5 if self.random.random() < 0.25 else 3
        heapq.heappush(self.events, (at, next(self.sequence), "deliver", order, False, None))

    def run(self) -> None:
        while self.events:
            now, _, kind, order, resumed, place = heapq.heappop(self.events)
            if kind == "deliver":
                self._deliver(order, now, resumed, place)
            elif kind == "interactive":
                self._interactive(order, now)
            else:
                grant_id, made, last = order.split("|")
                self.window = self.window.settle(grant_id, int(made), datetime.fromisoformat(last))

    def _deliver(self, order: str, now: datetime, resumed: bool, place: Place | None) -> None:
        self.receives[order] = self.receives.get(order, 0) + 1
        calls = self.calls_of[order]
        grant_id = f"{order}/{now}"
        self.window, outcome = self.window.reserve(calls, now, resumed=resumed, grant_id=grant_id, place=place)
        if isinstance(outcome, Wait):
            back = outcome.place.at + seconds(self.random.uniform(0, self.lateness_s))
            heapq.heappush(self.events, (back, next(self.sequence), "deliver", order, True, outcome.place))
            return
        grant = outcome.grant
        self.admissions.append(now)
        made = grant.calls - 1 if grant.calls == 5 and self.random.random() < 0.1 else grant.calls
        offsets = itertools.accumulate(self.random.uniform(0.05, self.latency_s) for _ in range(made - 1))
        times = [now, *(now + seconds(offset) for offset in offsets)]
        if self.random.random() < self.deaths:
            self.calls.append(times[0])  # died after its first call: never settles, comes back resumed
            heapq.heappush(self.events, (now + seconds(90), next(self.sequence), "deliver", order, True, place))
            return
        self.calls += times
        self.done[order] = times[-1]
        settle = f"{grant.grant_id}|{made}|{times[-1].isoformat()}"
        settled_at = times[-1] + seconds(self.latency_s)
        heapq.heappush(self.events, (settled_at, next(self.sequence), "settle", settle, False, None))

    def _interactive(self, request: str, now: datetime) -> None:
        self.window, outcome = self.window.reserve_now(3, now, grant_id=f"{request}/{now}")
        if isinstance(outcome, Wait):
            heapq.heappush(self.events, (outcome.place.at, next(self.sequence), "interactive", request, False, None))
            return
        times = [now, now + seconds(self.random.uniform(0.05, self.latency_s))]
        self.calls += times
        self.window = self.window.settle(outcome.grant.grant_id, 2, times[-1])

    def busiest_sliding_window(self, length: timedelta) -> int:
        moments = sorted(self.calls)
        busiest, start = 0, 0
        for end, moment in enumerate(moments):
            while moments[start] <= moment - length:
                start += 1
            busiest = max(busiest, end - start + 1)
        return busiest


@pytest.mark.parametrize(("limit", "seed"), [(80, 1), (95, 1), (95, 2), (95, 3), (99, 4)])
def test_no_sliding_minute_sees_more_than_the_ceiling_under_load_slow_calls_deaths_and_late_messages(
    limit: int, seed: int
) -> None:
    # Given: a steady stream above the ceiling plus bursts, calls of up to 3 s, messages up to 20 s late, one worker
    # in ten dying mid-order, and a merchant asking for the choices every 20 s, ahead of the line
    simulation = Simulation(limit=limit, seed=seed, latency_s=3.0, lateness_s=20.0, deaths=0.1)
    for number in range(600):
        burst = simulation.random.choice([0, 95, 410])
        at = burst + simulation.random.uniform(0, 5) if number % 2 else simulation.random.uniform(0, 600)
        simulation.arrive(f"order-{number}", T0 + seconds(at))
    for number in range(40):
        simulation.ask_now(f"choices-{number}", T0 + seconds(20 * number))
    # When
    simulation.run()
    # Then: Dinero's window and the one with our margin both stay under the ceiling; every order got through
    assert simulation.busiest_sliding_window(WINDOW + MARGIN) <= limit
    assert len(simulation.done) == 600


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
