"""Dinero's rate limit, shared by every worker: which order may call Dinero now, and when the others' places come.

Dinero allows 100 requests a minute per organization and client, counted over a sliding minute. All workers of an
organization share one `RateWindow` (the adapter keeps it in one DynamoDB item per organization and changes it with
optimistic concurrency) and stay under a configurable ceiling L below 100. Why this scheme:

- An order reserves what it may call BEFORE its first call (3 calls for a returning customer, 5 for a new one,
  one more when an earlier attempt may already have reached Dinero). So an admitted order never stops half-way for
  lack of budget, and an order without budget makes no call at all. Every request counts, the repeat after a 401
  included, and so do the configuration API's (`reserve_now`).
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
- An order without room gets a `Place` in the organization's line: the earliest time after the line's end at which
  the planned load leaves it room. The place travels with the order's message (the window keeps no list of waiting
  orders, so a line of any length fits in the item): the message waits in SQS until then, however long that is,
  and an order at its place goes ahead of orders arriving fresh, which join the end of the line. The window keeps
  only the line's `tail`, the places whose planned occupation still reaches past the end (at most L of them), which
  is all the next place depends on. Places are planned with EXPECTED_SPAN per order and leave INTERACTIVE_CALLS
  free for the configuration API (`reserve_now`); admission is always checked against the grants, so a wrong plan
  costs a later place, never an excess call. A backlog drains at about (L - 2) x 60 / (61 + EXPECTED_SPAN) calls a
  minute (91 % of L = 95).
- A place remembers whether the order had ever called Dinero. If not, the attempt at its place needs no lookup
  first (`look_up_first`), so waiting costs no extra call.
"""

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dinero_bookkeeping.domain.errors import RetryableError

WINDOW = timedelta(seconds=60)  # Dinero counts requests over a sliding minute
MARGIN = timedelta(seconds=1)  # a request reaches Dinero a little after we send it; worker clocks differ slightly
CALL_DEADLINE = timedelta(seconds=30)  # the order function's timeout: no call of an invocation starts later
EXPECTED_SPAN = timedelta(seconds=4)  # one order's calls (~1 s) plus how late a message may come back at its place
PLANNED_OCCUPATION = EXPECTED_SPAN + WINDOW + MARGIN  # how long a place is planned to hold its calls
# Kept free of the line's plan (below a ceiling of 20, one call), so a merchant's choices (three reads: accounts,
# layouts, VAT types) wait at most for the next order's calls to free the third, not for a backlog of orders.
INTERACTIVE_CALLS = 2


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
class Slot:
    """A place given out, as the window remembers it for planning the next ones."""

    at: datetime
    calls: int

    @property
    def planned_until(self) -> datetime:
        return self.at + PLANNED_OCCUPATION


@dataclass(frozen=True)
class Place:
    """An order's place in its organization's line: it may call Dinero from `at`. Carried by its message."""

    at: datetime
    reached_dinero: bool  # an attempt of this order may have called Dinero (then it looks its invoice up first)

    def is_due(self, now: datetime) -> bool:
        return now + MARGIN >= self.at


@dataclass(frozen=True)
class Admitted:
    grant: Grant
    look_up_first: bool  # an earlier attempt may have created the invoice: look for it before creating one


@dataclass(frozen=True)
class Wait:
    place: Place


@dataclass(frozen=True)
class RateWindow:
    """One organization's budget: grants still occupying it, and the tail of the line (places in the order given)."""

    limit: int
    grants: tuple[Grant, ...] = ()
    tail: tuple[Slot, ...] = ()

    def reserve(
        self, calls: int, now: datetime, *, resumed: bool, grant_id: str, place: Place | None = None
    ) -> tuple["RateWindow", Admitted | Wait]:
        """Admit an order for `calls` calls (plus a lookup when it may have reached Dinero), or give it a place.

        `place`: the place the order's message was given earlier (None: it arrives fresh and joins the line).
        """
        window = self.pruned(now)
        untouched = not resumed or (place is not None and not place.reached_dinero)
        needed = calls if untouched else calls + 1
        has_room = window._fits(window._load(), needed, window.limit)
        if place is not None:
            if not place.is_due(now):
                return window, Wait(place)  # early (SQS delays at most 12 hours at a time): no change
            tail = window._without(place.at)
            if has_room:
                return window._admit(grant_id, needed, now, tail, look_up_first=not untouched)
            # Its place came but the budget is not free as planned (orders late or slow): the earliest the grants
            # allow, still ahead of the line.
            at = window._frees_at(needed, now)
            return replace(window, tail=(*tail, Slot(at, needed))), Wait(Place(at, reached_dinero=not untouched))
        at = window._next_place(needed, now)
        if has_room and at == now:
            return window._admit(grant_id, needed, now, window.tail, look_up_first=not untouched)
        return replace(window, tail=(*window.tail, Slot(at, needed))), Wait(Place(at, reached_dinero=not untouched))

    def reserve_now(self, calls: int, now: datetime, *, grant_id: str) -> tuple["RateWindow", Admitted | Wait]:
        """For a merchant waiting on an HTTP answer: admitted when the grants leave room now, ahead of the line
        (the line's plan keeps INTERACTIVE_CALLS free for this); else when they will, without taking a place."""
        window = self.pruned(now)
        if window._fits(window._load(), calls, window.limit):
            return window._admit(grant_id, calls, now, window.tail, look_up_first=False)
        return window, Wait(Place(window._frees_at(calls, now), reached_dinero=False))

    def settle(self, grant_id: str, calls_made: int, last_call_at: datetime | None) -> "RateWindow":
        """Replace the grant by what its order really used."""
        grants = [g if g.grant_id != grant_id else g.settled_with(calls_made, last_call_at) for g in self.grants]
        return replace(self, grants=tuple(g for g in grants if g is not None))

    def pruned(self, now: datetime) -> "RateWindow":
        """Without grants that no longer occupy the budget and places that no longer matter for the next one."""
        grants = tuple(g for g in self.grants if g.occupied_until > now)
        end = max([now, *(slot.at for slot in self.tail)])
        return replace(self, grants=grants, tail=tuple(s for s in self.tail if s.planned_until > end))

    def _admit(
        self, grant_id: str, needed: int, now: datetime, tail: tuple[Slot, ...], *, look_up_first: bool
    ) -> tuple["RateWindow", Admitted]:
        grant = Grant(grant_id, now, now + CALL_DEADLINE, needed)
        return replace(self, grants=(*self.grants, grant), tail=tail), Admitted(grant, look_up_first)

    def _without(self, at: datetime) -> tuple[Slot, ...]:
        """The tail without the place given for `at` (its order has come), if the tail still holds it."""
        for index, slot in enumerate(self.tail):
            if abs(slot.at - at) < timedelta(milliseconds=1):
                return self.tail[:index] + self.tail[index + 1 :]
        return self.tail

    @staticmethod
    def _fits(load: int, needed: int, limit: int) -> bool:
        return load + needed <= max(limit, needed)  # an order is never split: alone it always fits

    def _load(self) -> int:
        """Calls occupying the budget now (the window is pruned, so every grant still does)."""
        return sum(grant.calls for grant in self.grants)

    def _frees_at(self, needed: int, now: datetime) -> datetime:
        load = self._load()
        for grant in sorted(self.grants, key=lambda g: g.occupied_until):
            if self._fits(load, needed, self.limit):
                break
            load -= grant.calls
            now = grant.occupied_until
        return now

    def _next_place(self, needed: int, now: datetime) -> datetime:
        """The earliest time from the end of the line at which the planned load leaves room for `needed` calls.

        Every grant and every place starts at or before the end of the line, so from there on the planned load only
        falls: room at a candidate time means room for the whole time the order occupies the budget.
        """
        end = max([now, *(slot.at for slot in self.tail)])
        planned = sorted(
            [(g.planned_until(now), g.calls) for g in self.grants] + [(s.planned_until, s.calls) for s in self.tail]
        )
        pending = [(until, calls) for until, calls in planned if until > end]
        load, passed = sum(calls for _, calls in pending), 0
        limit = max(1, self.limit - min(INTERACTIVE_CALLS, self.limit // 10))
        while not self._fits(load, needed, limit):
            end = pending[passed][0]  # the next moment planned load falls; all of it falls by the last one
            while passed < len(pending) and pending[passed][0] <= end:
                load -= pending[passed][1]
                passed += 1
        return end


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
            # Beyond the reservation (a repeat after a 401, say) or past its deadline (a stalled order): stopping
            # keeps the window's promise; the next delivery resumes.
            raise RetryableError("The order used up the Dinero calls it reserved; it resumes on its next delivery")
        self.used += 1
        self.last_call_at = now


class WaitForBudget(RetryableError):
    """No room in the organization's budget: the order waits in SQS for its place (no call was made)."""

    def __init__(self, place: Place, now: datetime) -> None:
        seconds = max(0.0, (place.at - now).total_seconds())
        super().__init__(
            f"Waiting for Dinero's rate limit: the order's place in line comes in {math.ceil(seconds)} s",
            retry_after_seconds=seconds,
        )
        self.place = place


def reservation_for(organization_id: int, outcome: Admitted | Wait, now: datetime) -> Reservation:
    """The admitted order's reservation; for a waiting one, WaitForBudget with its place."""
    if isinstance(outcome, Wait):
        raise WaitForBudget(outcome.place, now)
    return Reservation(organization_id, outcome.grant, outcome.look_up_first)
