"""BookOrderService with Dinero's shared budget: what it reserves, when it waits, and what it gives back."""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice
from dinero_bookkeeping.domain.errors import DineroValidationError, RetryableError
from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection, OrderIntegrationLink
from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.domain.rate_window import Place, WaitForBudget
from dinero_bookkeeping.services.book_order import BookOrderService
from dinero_bookkeeping.services.order_steps import Outcome
from support.events import order_event, standard_templates
from support.fakes import (
    FakeDinero,
    FixedClock,
    InMemoryConnections,
    InMemoryIntegrations,
    InMemoryOrderRecords,
    InMemoryRateLimiter,
)

VAT_RATES = {1000: Decimal("0.25"), 1350: Decimal("0.25")}
ORGANIZATIONS = {"webshop-1": 1001, "webshop-2": 2002}


class World:
    """Two merchants' webshops, each booking into its own organization, sharing one limiter."""

    def __init__(self, limit: int = 80, *, active: bool = True) -> None:
        self.clock = FixedClock()
        now = self.clock.now()
        self.integrations = InMemoryIntegrations()
        self.connections = InMemoryConnections()
        for webshop, organization_id in ORGANIZATIONS.items():
            integration_id, connection_id = f"integration-{organization_id}", f"connection-{organization_id}"
            self.integrations.integrations[integration_id] = AccountingIntegration(
                integration_id=integration_id,
                merchant_id=f"merchant-{organization_id}",
                connection_id=connection_id,
                organization_id=organization_id,
                organization_name=f"Organization {organization_id}",
                is_pro=True,
                active=active,
                book_automatically=True,
                created_at=now,
                updated_at=now,
            )
            self.integrations.templates[integration_id] = standard_templates()
            self.integrations.link(
                OrderIntegrationLink(
                    order_integration_id=webshop,
                    integration_id=integration_id,
                    merchant_id=f"merchant-{organization_id}",
                    linked_at=now,
                )
            )
            self.connections.connections[connection_id] = Connection(
                connection_id=connection_id, merchant_id=f"merchant-{organization_id}", updated_at=now
            )
        self.records = InMemoryOrderRecords()
        self.dinero = FakeDinero(vat_rates=dict(VAT_RATES))
        self.limiter = InMemoryRateLimiter(limit=limit)
        self.service = BookOrderService(
            integrations=self.integrations,
            connections=self.connections,
            contacts=self.integrations,
            records=self.records,
            dinero=self.dinero,
            clock=self.clock,
            rate_limiter=self.limiter,
        )

    def deliver(
        self,
        order_id: int,
        webshop: str = "webshop-1",
        message_id: str = "m-1",
        place: Place | None = None,
        *,
        final_attempt: bool = False,
    ) -> Outcome:
        event: dict[str, Any] = order_event(
            "danish_private", merchant_id=f"merchant-{ORGANIZATIONS[webshop]}", order_integration_id=webshop
        )
        event["sales_order"]["id"] = order_id
        event["sales_order"]["order_id"] = str(order_id)
        (step,) = self.service.handle_message(json.dumps(event), message_id, place, final_attempt=final_attempt)
        return step.outcome

    def reserved(self) -> list[tuple[int, int]]:
        """(calls reserved, calls made) per settled reservation, in order."""
        return [(reservation.calls, made) for reservation, made in self.limiter.settled]


def test_new_customer_reserves_five_calls_and_a_returning_one_three() -> None:
    # Given
    world = World()
    # When
    first = world.deliver(1)
    second = world.deliver(2)
    # Then: find + create contact, create + read back the invoice, book; then the contact is known
    assert (first, second) == (Outcome.BOOKED, Outcome.BOOKED)
    assert world.reserved() == [(5, 5), (3, 3)]


def test_order_without_budget_makes_no_call_and_is_given_its_place_in_line() -> None:
    # Given: the organization's budget of 5 used by the first order
    world = World(limit=5)
    world.deliver(1)
    calls_before = sum(world.dinero.calls.values())
    # When
    with pytest.raises(WaitForBudget) as raised:
        world.deliver(2, message_id="m-2")
    # Then: its place is a minute and a second after the first order's last call; the reason is on its record
    assert sum(world.dinero.calls.values()) == calls_before
    assert raised.value.retry_after_seconds == 61
    assert raised.value.place == Place(world.clock.now() + timedelta(seconds=61), reached_dinero=False)
    waiting = next(r for r in world.records.records.values() if r.sales_order_id == 2)
    assert waiting.status is OrderStatus.PROCESSING and waiting.lease_until == world.clock.now()
    assert (waiting.reason or "").startswith("Will retry: Waiting for Dinero's rate limit")


def test_waiting_on_what_would_be_the_last_delivery_is_still_waiting_not_a_failure() -> None:
    # Given: the budget is used up, and the order's message is on the queue's last delivery
    world = World(limit=5)
    world.deliver(1)
    # When
    with pytest.raises(WaitForBudget):
        world.deliver(2, message_id="m-2", final_attempt=True)
    # Then: the order waits for its place (the worker requeues it); nothing records it as failed
    waiting = next(r for r in world.records.records.values() if r.sales_order_id == 2)
    assert waiting.status is OrderStatus.PROCESSING


def test_order_at_its_place_is_booked_without_looking_up_an_invoice_it_never_created() -> None:
    # Given: order 2 waited for its place
    world = World(limit=5)
    world.deliver(1)
    with pytest.raises(WaitForBudget) as raised:
        world.deliver(2, message_id="m-2")
    # When: its message, carrying the place, comes back then
    world.clock.advance(raised.value.retry_after_seconds or 0)
    outcome = world.deliver(2, message_id="m-3", place=raised.value.place)
    # Then: create, read back and book; no lookup first although the record was claimed before
    assert outcome is Outcome.BOOKED
    assert world.reserved()[-1] == (3, 3)
    assert world.dinero.calls["get_invoice"] == 2


def test_resumed_order_reserves_the_lookup_of_the_invoice_it_may_have_created() -> None:
    # Given: Dinero created the invoice, but the answer was lost
    world = World()
    world.dinero.lost_answers["create_invoice"] = [RetryableError("Dinero did not answer (outcome unknown)")]
    with pytest.raises(RetryableError):
        world.deliver(1)
    # When
    outcome = world.deliver(1)
    # Then: the first attempt made 3 of its 5 calls; the second (contact known by then) reserved 3 and the lookup,
    # found the invoice and booked it
    assert outcome is Outcome.BOOKED
    assert world.reserved() == [(5, 3), (4, 2)]
    assert world.dinero.calls["create_invoice"] == 1


def test_permanent_failure_gives_back_the_calls_it_did_not_make() -> None:
    # Given
    world = World(limit=5)
    world.dinero.failures["create_invoice"] = [DineroValidationError("Dinero rejected /invoices: AccountNumber")]
    # When
    outcome = world.deliver(1)
    # Then: find + create contact, the refused create and the lookup whether an earlier attempt created it; one
    # call of room left for the next order
    assert outcome is Outcome.FAILED
    assert world.reserved() == [(5, 4)]
    assert world.limiter.windows[1001].grants[0].calls == 4


class LateCommitDinero(FakeDinero):
    """Dinero that commits a create whose answer was lost only after the next attempt has looked for the invoice."""

    def __init__(self) -> None:
        super().__init__(vat_rates=dict(VAT_RATES))
        self.late: dict[str, Any] | None = None

    def create_invoice(self, body: dict[str, Any]) -> None:
        if self.late is None and not self.invoices:
            self.late = body
            raise RetryableError("Dinero did not answer POST /v1/{id}/invoices (outcome unknown)")
        super().create_invoice(body)

    def get_invoice(self, guid: UUID) -> DineroInvoice | None:
        found = super().get_invoice(guid)
        if self.late is not None:
            late, self.late = self.late, None
            meter, self.meter = self.meter, lambda: None  # Dinero's own doing, not a request of ours
            super().create_invoice(late)
            self.meter = meter
        return found


def test_invoice_a_lost_attempt_created_late_is_taken_over_within_the_reserved_calls() -> None:
    # Given: the first create timed out, and Dinero commits it between the next attempt's lookup and its create
    world = World()
    world.dinero = world.service.dinero = LateCommitDinero()
    with pytest.raises(RetryableError):
        world.deliver(1)
    # When
    outcome = world.deliver(1)
    # Then: one invoice, booked; the refused create's lookup took the place of reading the invoice back
    assert outcome is Outcome.BOOKED
    assert len(world.dinero.invoices) == 1
    assert world.reserved()[-1] == (4, 4)


class RacedContactDinero(FakeDinero):
    """Dinero where another worker creates the same new customer between our lookup and our create."""

    def create_contact(self, body: dict[str, Any]) -> UUID:
        if not self.contacts:
            self.contacts[UUID(body["ContactGuid"])] = body  # the other worker's, with the same derived guid
        return super().create_contact(body)


class UnclearRefusalDinero(RacedContactDinero):
    """The same race, but Dinero refuses the second create without naming the field."""

    def create_contact(self, body: dict[str, Any]) -> UUID:
        try:
            return super().create_contact(body)
        except DineroValidationError as error:
            raise DineroValidationError(error.reason) from error


def test_contact_another_worker_created_a_moment_earlier_is_used_within_the_reserved_calls() -> None:
    # Given: another worker creates the same new customer between this order's lookup and its create
    world = World()
    world.dinero = world.service.dinero = RacedContactDinero(vat_rates=dict(VAT_RATES))
    # When: Dinero refuses the second contact with the derived guid
    outcome = world.deliver(1)
    # Then: that guid is the customer's: no second lookup, the invoice is booked with it
    assert outcome is Outcome.BOOKED
    assert (len(world.dinero.contacts), len(world.dinero.invoices)) == (1, 1)
    assert world.dinero.calls["find_contact"] == 1
    assert world.reserved() == [(5, 5)]


def test_contact_refused_without_a_reason_is_looked_up_on_the_next_delivery() -> None:
    # Given: the same race, Dinero not saying which field it refused
    world = World()
    world.dinero = world.service.dinero = UnclearRefusalDinero(vat_rates=dict(VAT_RATES))
    # When: the second lookup costs a call beyond the reservation, so booking waits for the next delivery
    with pytest.raises(RetryableError, match="reserved"):
        world.deliver(1)
    outcome = world.deliver(1)
    # Then
    assert outcome is Outcome.BOOKED
    assert (len(world.dinero.contacts), len(world.dinero.invoices)) == (1, 1)
    assert world.reserved() == [(5, 5), (4, 2)]


def test_busy_organization_does_not_hold_up_another_one() -> None:
    # Given: organization 1001's budget used up
    world = World(limit=5)
    world.deliver(1, webshop="webshop-1")
    with pytest.raises(RetryableError):
        world.deliver(2, webshop="webshop-1", message_id="m-2")
    # When
    outcome = world.deliver(3, webshop="webshop-2", message_id="m-3")
    # Then
    assert outcome is Outcome.BOOKED


def test_order_needing_no_dinero_call_reserves_nothing() -> None:
    # Given
    world = World(active=False)
    # When
    outcome = world.deliver(1)
    # Then
    assert outcome is Outcome.SKIPPED
    assert world.limiter.windows == {}


def test_order_held_by_another_worker_comes_back_when_that_workers_lease_ends() -> None:
    # Given: another worker claimed the order 30 s ago (lease 90 s) and has not finished
    world = World()
    world.dinero.failures["create_invoice"] = [RetryableError("Dinero answered 500")]
    with pytest.raises(RetryableError):
        world.deliver(1)
    record = world.records.only()
    world.records.records[record.invoice_guid] = record.model_copy(
        update={"status": OrderStatus.PROCESSING, "lease_until": world.clock.now() + timedelta(seconds=60)}
    )
    # When
    with pytest.raises(RetryableError, match="Another worker") as raised:
        world.deliver(1, message_id="m-2")
    # Then
    assert raised.value.retry_after_seconds == 60
