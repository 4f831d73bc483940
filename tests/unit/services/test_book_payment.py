"""BookPaymentService: a booked invoice's payment, exactly once, within the Dinero calls it reserved."""

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus
from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection
from dinero_bookkeeping.domain.order_event import OrderHandledEvent
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, RecordKind, invoice_guid_for, order_key
from dinero_bookkeeping.domain.rate_window import Place, WaitForBudget
from dinero_bookkeeping.services.book_payment import PAYMENT_CALLS, BookPaymentService
from dinero_bookkeeping.services.ledger_steps import LedgerSteps
from dinero_bookkeeping.services.order_steps import Outcome
from support.events import order_event
from support.fakes import (
    FakeDineroPayments,
    FixedClock,
    InMemoryConnections,
    InMemoryIntegrations,
    InMemoryOrderHistory,
    InMemoryPaymentTemplates,
    InMemoryRateLimiter,
)
from support.seed import PAYMENTS

INTEGRATION = "integration-1001"


class World:
    """One integration with a booked (or draft) invoice of 527.90 for the danish_private order's parcel."""

    def __init__(self, status: DineroInvoiceStatus = DineroInvoiceStatus.BOOKED) -> None:
        self.clock = FixedClock()
        now = self.clock.now()
        self.integration = AccountingIntegration(
            integration_id=INTEGRATION,
            merchant_id="merchant-1",
            connection_id="connection-1",
            organization_id=1001,
            organization_name="Nordlys Webshop ApS",
            is_pro=True,
            active=True,
            book_automatically=True,
            created_at=now,
            updated_at=now,
        )
        self.event = OrderHandledEvent.model_validate(order_event("danish_private"))
        key = order_key("webshop-1", self.event.sales_order.id, self.event.fulfillment_id)
        self.invoice_guid = invoice_guid_for(INTEGRATION, key)
        self.records = InMemoryOrderHistory()
        self.records.records[self.invoice_guid] = OrderRecord(
            integration_id=INTEGRATION,
            order_key=key,
            order_integration_id="webshop-1",
            sales_order_id=self.event.sales_order.id,
            order_number="10421",
            fulfillment_id=self.event.fulfillment_id,
            status=OrderStatus.BOOKED if status is DineroInvoiceStatus.BOOKED else OrderStatus.DRAFT,
            invoice_guid=self.invoice_guid,
            created_at=now,
            updated_at=now,
        )
        self.dinero = FakeDineroPayments(
            invoices={self.invoice_guid: _invoice(self.invoice_guid, status)},
        )
        self.limiter = InMemoryRateLimiter()
        integrations = InMemoryIntegrations()
        connections = InMemoryConnections()
        connections.connections["connection-1"] = Connection(
            connection_id="connection-1", merchant_id="merchant-1", updated_at=now
        )
        self.service = BookPaymentService(
            steps=LedgerSteps(
                integrations=integrations,
                connections=connections,
                records=self.records,
                dinero=self.dinero,
                clock=self.clock,
                lease=timedelta(seconds=90),
                rate_limiter=self.limiter,
            ),
            templates=InMemoryPaymentTemplates({INTEGRATION: PAYMENTS}),
        )

    def pay(self, place: Place | None = None, *, final_attempt: bool = False) -> Outcome | None:
        return self.service.pay(self.integration, self.event, place, final_attempt=final_attempt)

    def payment_record(self) -> OrderRecord:
        (record,) = [r for r in self.records.records.values() if r.kind is RecordKind.PAYMENT]
        return record


def _invoice(guid: UUID, status: DineroInvoiceStatus) -> DineroInvoice:
    return DineroInvoice(
        guid=guid,
        timestamp="0000000000000001",
        status=status,
        number=1 if status is DineroInvoiceStatus.BOOKED else None,
        currency="DKK",
        total_incl_vat=Decimal("527.90"),
        total_vat=Decimal("105.58"),
    )


def test_a_booked_invoice_is_paid_within_the_calls_it_reserved() -> None:
    # Given
    world = World()
    # When
    outcome = world.pay()
    # Then one payment, on QuickPay's clearing account; the reservation counted the payment's calls and got back the
    # ones it did not use (a DKK invoice needs no rate, a first attempt no lookup)
    assert outcome is Outcome.BOOKED
    (body,) = world.dinero.payments[world.invoice_guid]
    assert (body["Amount"], body["DepositAccountNumber"], body["ExternalReference"]) == (527.9, 55010, "512340177")
    ((reservation, used),) = world.limiter.settled
    assert reservation.calls == PAYMENT_CALLS and used == 3 == sum(world.dinero.calls.values())
    record = world.payment_record()
    assert record.status is OrderStatus.BOOKED and record.related_guid == world.invoice_guid
    assert record.payment is not None and record.payment.remaining_amount == 0


def test_a_payment_whose_answer_was_lost_is_found_by_its_reference_and_not_sent_again() -> None:
    # Given Dinero takes the payment but its answer is lost
    world = World()
    world.dinero.lost_answers["create_invoice_payment"] = [RetryableError("Dinero did not answer (outcome unknown)")]
    with pytest.raises(RetryableError):
        world.pay()
    # When the message comes back
    outcome = world.pay()
    # Then the payment is looked up by its transaction id, not sent again, and the lookup was reserved too
    assert outcome is Outcome.BOOKED
    assert len(world.dinero.payments[world.invoice_guid]) == 1
    assert world.dinero.calls["create_invoice_payment"] == 1
    resumed, used = world.limiter.settled[-1]
    assert resumed.calls == PAYMENT_CALLS + 1 and used <= resumed.calls
    assert world.payment_record().status is OrderStatus.BOOKED


def test_a_draft_invoice_gets_no_payment_and_a_reason() -> None:
    # Given
    world = World(DineroInvoiceStatus.DRAFT)
    # When
    outcome = world.pay()
    # Then
    assert outcome is Outcome.SKIPPED
    assert world.dinero.calls["create_invoice_payment"] == 0
    record = world.payment_record()
    assert record.status is OrderStatus.SKIPPED and record.reason is not None and "draft" in record.reason


def test_nothing_is_paid_when_payments_are_off_or_the_order_is_unpaid() -> None:
    # Given payments off; and, separately, an order not paid yet
    off = World()
    off.service.templates = InMemoryPaymentTemplates()
    unpaid = World()
    unpaid.event = unpaid.event.model_copy(
        update={"sales_order": unpaid.event.sales_order.model_copy(update={"payment_status": "authorized"})}
    )
    # When & Then neither calls Dinero or makes a record
    assert off.pay() is None and unpaid.pay() is None
    assert sum(off.dinero.calls.values()) + sum(unpaid.dinero.calls.values()) == 0
    assert len(off.records.records) == len(unpaid.records.records) == 1


def test_a_payment_without_room_in_the_budget_waits_for_its_place_even_on_the_last_delivery() -> None:
    # Given the organization's budget used up by another order's calls a moment ago
    world = World()
    world.limiter.limit = PAYMENT_CALLS
    other = world.limiter.reserve(1001, PAYMENT_CALLS, world.clock.now(), resumed=False)
    world.limiter.settle(other, PAYMENT_CALLS, world.clock.now())
    # When the payment's message arrives for the last time
    with pytest.raises(WaitForBudget) as waiting:
        world.pay(final_attempt=True)
    # Then it made no call and is not recorded failed: its record is released and the message gets a place
    assert sum(world.dinero.calls.values()) == 0
    record = world.payment_record()
    assert record.status is OrderStatus.PROCESSING and record.reason is not None and "Will retry" in record.reason
    place = waiting.value.place
    # When it comes back at its place, once the other order's calls left Dinero's minute
    world.clock.advance((place.at - world.clock.now()).total_seconds())
    outcome = world.pay(place)
    # Then it is paid, ahead of any later order
    assert outcome is Outcome.BOOKED and len(world.dinero.payments[world.invoice_guid]) == 1
