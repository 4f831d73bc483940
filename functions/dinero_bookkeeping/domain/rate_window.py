"""Dinero's rate limit, shared by every worker: which order may call Dinero now, and when the others' turns come.

Dinero allows 100 requests a minute per organization and client, counted over a sliding minute. All workers of an
organization share one `RateWindow` (the adapter keeps it in one DynamoDB item per organization and changes it with
optimistic concurrency) and stay under a configurable ceiling L below 100. Why this scheme:

- An order reserves what it may call BEFORE its first call (3 calls for a returning customer, 5 for a new one,
  one more when an earlier attempt may already have reached Dinero). So an admitted order never stops half-way for
  lack of budget, and an order without budget makes no call at all.
- A fixed window of L per minute lets 2L through in a sliding minute (L at the end of one minute, L at the start of
  the next). Here a grant instead occupies its calls from its admission until a minute (plus MARGIN for network
  delay and clock skew) after its LAST call, and admission needs room now. Then no sliding minute ever sees more
  than L calls: of the grants with a call in that minute, the one admitted last found every other one still
  occupying the budget when it was admitted (each had a call at or after the minute's start, and it was admitted
  before the minute's end), so together they hold at most L.
- Until an order reports what it used (`settle`), its last call is taken to be as late as it may be (CALL_DEADLINE
  after admission; the order's calls are cut off there). A worker killed mid-order therefore holds its budget a
  little longer, never too short. Settling gives back what went unused (a customer found by lookup, an invoice
  found when resuming).
- An order without room gets a turn: a time when the budget will have room, after every turn already given. Its
  message waits in SQS until then (no sleeping in Lambda), and at its turn it goes before orders arriving fresh.
  Without turns every waiting message would come back whenever budget frees, most would be sent away again, and
  each trip counts against the queue's maxReceiveCount (then the dead-letter queue). Turns are planned with
  EXPECTED_SPAN per order; admission is always checked against the grants, so a wrong plan costs a later turn,
  never an excess call. A backlog thus drains at about L x 60 / (61 + EXPECTED_SPAN) calls a minute, 92 % of the
  ceiling, with each message received twice (the test's simulation shows it under late messages).
- A turn remembers whether the order had ever been tried against Dinero. If not, the attempt at its turn needs no
  lookup first (`look_up_first`), so waiting for budget costs no extra call.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dinero_bookkeeping.domain.errors import BudgetWaitError, RetryableError
from dinero_bookkeeping.domain.retry_policy import MAX_DELAY_S

WINDOW = timedelta(seconds=60)  # Dinero counts requests over a sliding minute
MARGIN = timedelta(seconds=1)  # a request reaches Dinero a little after we send it; worker clocks differ slightly
CALL_DEADLINE = timedelta(seconds=30)  # the order function's timeout: no call of an invocation starts later
EXPECTED_SPAN = timedelta(seconds=4)  # one order's calls (~1 s) plus how late a message may come back at its turn
TURN_GRACE = timedelta(seconds=120)  # a turn nobody took by then is dropped (the message was handled otherwise)
HORIZON = timedelta(seconds=MAX_DELAY_S)  # no turns further ahead than SQS will delay a message


@dataclass(frozen=True)
class Grant:
    """Calls an admitted order may make (or made, once settled)."""

    grant_id: str
    start: datetime
    last_call: datetime  # settled: when the last call started; until then the latest a call may start
    calls: int
    settled: bool = False

    @property
    def occupied_until(self) -> datetime:
        return self.last_call + WINDOW + MARGIN

    def planned_until(self, now: datetime) -> datetime:
        """When it is expected to stop occupying the budget: an unsettled order is assumed to end soon."""
        end = self.last_call if self.settled else min(self.last_call, max(self.start + EXPECTED_SPAN, now))
        return end + WINDOW + MARGIN

    def settled_with(self, calls_made: int, last_call_at: datetime | None) -> "Grant | None":
        """What the order really used; None when it made no call (the grant is given back entirely)."""
        if calls_made <= 0 or last_call_at is None:
            return None
        return replace(
            self, last_call=min(last_call_at, self.last_call), calls=min(calls_made, self.calls), settled=True
        )


@dataclass(frozen=True)
class Turn:
    """An order's place in line: it may try again at `at`."""

    order: str
    at: datetime
    calls: int
    untouched: bool  # no attempt of this order has called Dinero yet

    @property
    def planned_until(self) -> datetime:
        return self.at + EXPECTED_SPAN + WINDOW + MARGIN


@dataclass(frozen=True)
class Admitted:
    grant: Grant
    look_up_first: bool  # an earlier attempt may have created the invoice: look for it before creating one


@dataclass(frozen=True)
class Wait:
    until: datetime


@dataclass(frozen=True)
class RateWindow:
    """One organization's budget: grants still occupying it and turns given out (in the order given)."""

    limit: int
    grants: tuple[Grant, ...] = ()
    turns: tuple[Turn, ...] = ()

    def reserve(
        self, order: str, calls: int, now: datetime, *, resumed: bool, grant_id: str
    ) -> tuple["RateWindow", Admitted | Wait]:
        """Admit `order` for `calls` calls (plus a lookup when resumed), or say when its turn is."""
        window = self.pruned(now)
        turn = next((t for t in window.turns if t.order == order), None)
        if turn is not None and now < turn.at:
            return window, Wait(turn.at)
        untouched = not resumed or (turn is not None and turn.untouched)
        needed = calls if untouched else calls + 1
        has_room = window._load() + needed <= max(window.limit, needed)  # an order is never split: alone it fits
        # At its turn an order goes ahead; a fresh one only if the line leaves it room now.
        if has_room and (turn is not None or window._next_turn(needed, now) == now):
            grant = Grant(grant_id, now, now + CALL_DEADLINE, needed)
            admitted = replace(window, grants=(*window.grants, grant), turns=window._without(order))
            return admitted, Admitted(grant, look_up_first=not untouched)
        if turn is not None:
            # Its turn came but the budget is not free as planned (slow orders): the earliest the grants allow.
            at = window._frees_at(needed, now)
            turns = tuple(replace(t, at=at) if t.order == order else t for t in window.turns)
            return replace(window, turns=turns), Wait(at)
        at = window._next_turn(needed, now)
        if at - now > HORIZON:
            return window, Wait(now + HORIZON)  # come back then and join the line
        return replace(window, turns=(*window.turns, Turn(order, at, needed, untouched))), Wait(at)

    def settle(self, grant_id: str, calls_made: int, last_call_at: datetime | None) -> "RateWindow":
        """Replace the grant by what its order really used."""
        grants = [g if g.grant_id != grant_id else g.settled_with(calls_made, last_call_at) for g in self.grants]
        return replace(self, grants=tuple(g for g in grants if g is not None))

    def pruned(self, now: datetime) -> "RateWindow":
        return replace(
            self,
            grants=tuple(g for g in self.grants if g.occupied_until > now),
            turns=tuple(t for t in self.turns if t.at + TURN_GRACE > now),
        )

    def _load(self) -> int:
        """Calls occupying the budget now (the window is pruned, so every grant still does)."""
        return sum(grant.calls for grant in self.grants)

    def _without(self, order: str) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.order != order)

    def _frees_at(self, needed: int, now: datetime) -> datetime:
        load = self._load()
        for grant in sorted(self.grants, key=lambda g: g.occupied_until):
            if load + needed <= max(self.limit, needed):
                break
            load -= grant.calls
            now = grant.occupied_until
        return now

    def _next_turn(self, needed: int, now: datetime) -> datetime:
        """The earliest time after the last turn at which the planned load leaves room for `needed` calls.

        Nothing is planned to start after the last turn, so the planned load only falls from there on: room at a
        candidate time means room for the whole time the order occupies the budget.
        """
        earliest = max([now, *(t.at for t in self.turns)])
        # Every grant has started, whatever its stored start says (times are kept to the millisecond, clocks differ).
        planned = [(min(g.start, now), g.planned_until(now), g.calls) for g in self.grants]
        planned += [(t.at, t.planned_until, t.calls) for t in self.turns]
        planned = [p for p in planned if p[1] > earliest]
        for candidate in sorted({earliest, *(until for _, until, _ in planned)}):
            load = sum(calls for start, until, calls in planned if start <= candidate < until)
            if load + needed <= max(self.limit, needed):
                return candidate
        raise AssertionError("the last candidate has nothing planned, so it always has room")


@dataclass(frozen=True)
class Reservation:
    """Budget an order holds in its organization's window."""

    organization_id: int
    grant: Grant
    look_up_first: bool

    @property
    def calls(self) -> int:
        return self.grant.calls

    @property
    def deadline(self) -> datetime:
        """No call may start after this."""
        return self.grant.last_call


@dataclass
class CallBudget:
    """Counts an order's calls against its reservation and refuses any call beyond it."""

    reservation: Reservation
    used: int = 0
    last_call_at: datetime | None = None

    def spend(self, now: datetime) -> None:
        if self.used >= self.reservation.calls or now > self.reservation.deadline:
            # Beyond the reservation (a race needed another lookup: another worker created the same customer) or
            # past its deadline (a stalled order): stopping keeps the window's promise; the next delivery resumes.
            raise RetryableError("The order used up the Dinero calls it reserved; it resumes on its next delivery")
        self.used += 1
        self.last_call_at = now


def reservation_for(organization_id: int, outcome: Admitted | Wait, now: datetime) -> Reservation:
    """The admitted order's reservation; for a waiting one, BudgetWaitError saying when to come back."""
    if isinstance(outcome, Wait):
        seconds = (outcome.until - now).total_seconds()
        raise BudgetWaitError(
            f"Waiting for Dinero's rate limit: the organization's next turn is in {max(0, round(seconds))} s",
            retry_after_seconds=seconds,
        )
    return Reservation(organization_id, outcome.grant, outcome.look_up_first)
