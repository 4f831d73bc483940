"""Use case: one "order handled" message becomes exactly one Dinero invoice (booked, or a draft with a reason).

Exactly-once rests on three things: the order record is claimed (conditional write) before Dinero is called; the
invoice Guid is derived from the order, so a retry after a crash finds the invoice it already created; and an
attempt that may have reached Dinero looks the invoice up before creating one. (When Dinero refuses to create an
invoice or contact because one with the derived Guid exists, a slow earlier attempt or another worker made it: it
is used.)

Before its first Dinero call an order reserves every call it may make in its organization's shared budget (Dinero
allows 100 a minute per organization); without room it makes no call and waits for its place in line (WaitForBudget).
"""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus, compare_totals
from dinero_bookkeeping.domain.dinero_invoice_body import ContactDetails, InvoiceDraft, contact_body
from dinero_bookkeeping.domain.errors import (
    BookkeepingError,
    DineroValidationError,
    MalformedEventError,
    RetryableError,
)
from dinero_bookkeeping.domain.integration import ID_NAMESPACE, AccountingIntegration
from dinero_bookkeeping.domain.invoice import build_invoice, needs_oss_settings, skip_reason
from dinero_bookkeeping.domain.order_event import OrderEventBase, OrderHandledEvent, parse_order_event
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, RecordKind, invoice_guid_for, order_key
from dinero_bookkeeping.domain.rate_window import CallBudget, Place
from dinero_bookkeeping.observability import logger, tag_integration
from dinero_bookkeeping.ports import (
    Clock,
    ConfigurationCache,
    ConnectionRepository,
    ContactCache,
    DineroGateway,
    DineroOrganizationApi,
    IntegrationRepository,
    OrderRecordRepository,
    RateLimiter,
)
from dinero_bookkeeping.services.order_steps import (
    Outcome,
    StepOutcome,
    require_reachable,
    run_claimed,
    unacquired,
    unmetered,
)

if TYPE_CHECKING:
    from dinero_bookkeeping.services.order_follow_ups import OrderFollowUps


_KIND_OF: dict[str, RecordKind] = {
    "order.paid": RecordKind.PAYMENT,
    "order.returned": RecordKind.CREDIT_NOTE,
    "order.cancelled": RecordKind.CANCELLATION,
}

BOOK_AUTOMATICALLY_OFF = "Book automatically is off: review the draft in Dinero and book it there"


@dataclass
class BookOrderService:
    integrations: IntegrationRepository
    connections: ConnectionRepository
    contacts: ContactCache
    records: OrderRecordRepository
    dinero: DineroGateway
    clock: Clock
    # Longer than one attempt can take (function timeout), shorter than the queue's visibility timeout.
    lease: timedelta = timedelta(seconds=90)
    # Dinero's budget shared by all workers; None only for a lone worker (tests of the other rules).
    rate_limiter: RateLimiter | None = None
    # What a warm worker keeps of the configuration, when it keeps any.
    configuration_cache: ConfigurationCache | None = None
    # Payments, returns and cancellations (services/order_follow_ups.py); None: invoices only.
    follow_ups: "OrderFollowUps | None" = None

    def handle_message(
        self,
        body: str,
        message_id: str,
        place: Place | None = None,
        *,
        owning_integration_id: str | None = None,
        final_attempt: bool = False,
    ) -> list[StepOutcome]:
        """Entry point for a queue message: what each step did, the event's own first (an order.handled event's
        invoice may be followed by its payment). Raises RetryableError when the message should come back later
        (WaitForBudget when it waits for its place in Dinero's budget). `place`: the place the message carries.

        `owning_integration_id`: a retry, which only that integration may book. `final_attempt`: the queue will not
        deliver the message again, so a failure now is recorded as failed (retryable by the merchant) rather than
        left to the dead-letter queue with the record still in processing.
        """
        try:
            event = parse_order_event(body)
        except ValueError as error:
            # A ValidationError names the fields; any other ValueError is the parser failing on input it was not
            # made for, which is just as much the event's defect.
            details = _field_errors(error) if isinstance(error, ValidationError) else type(error).__name__
            reason = MalformedEventError(f"Not a valid order event: {details}").reason
            return [StepOutcome(RecordKind.INVOICE, self._reject(message_id, body, reason))]
        if isinstance(event, OrderHandledEvent):
            outcome = self.handle(
                event, message_id, place, owning_integration_id=owning_integration_id, final_attempt=final_attempt
            )
            steps = [StepOutcome(RecordKind.INVOICE, outcome)]
            if outcome in (Outcome.BOOKED, Outcome.DRAFT, Outcome.DUPLICATE) and self.follow_ups is not None:
                integration = self._integration_for(event, owning_integration_id)
                if integration is not None:
                    # A duplicate made no reservation, so the place the message carries is still its own to use.
                    unused_place = place if outcome is Outcome.DUPLICATE else None
                    steps += self.follow_ups.handle(integration, event, unused_place, final_attempt=final_attempt)
            return steps
        kind = _KIND_OF[event.event_type]
        if self.follow_ups is None:
            reason = f"{event.event_type} events are not booked by this worker"
            return [StepOutcome(kind, self._reject(message_id, body, reason))]
        integration = self._integration_for(event, owning_integration_id)
        if integration is None:
            reason = (
                f"Webshop {event.order_integration_id} is not linked to an accounting integration of merchant "
                f"{event.merchant_id}"
            )
            return [StepOutcome(kind, self._reject(message_id, body, reason))]
        logger.append_keys(sales_order_id=event.sales_order.id)
        tag_integration(integration.integration_id, integration.organization_id)
        try:
            return self.follow_ups.handle(integration, event, place, final_attempt=final_attempt)
        except MalformedEventError as error:  # too large to keep beside its record
            return [StepOutcome(kind, self._reject(message_id, body, error.reason))]

    def handle(
        self,
        event: OrderHandledEvent,
        message_id: str,
        place: Place | None = None,
        *,
        owning_integration_id: str | None = None,
        final_attempt: bool = False,
    ) -> Outcome:
        integration = self._integration_for(event, owning_integration_id)
        if integration is None:
            reason = (
                f"Webshop {event.order_integration_id} is not linked to an accounting integration of merchant "
                f"{event.merchant_id}"
            )
            return self._reject(message_id, event.model_dump_json(), reason)
        logger.append_keys(sales_order_id=event.sales_order.id)
        tag_integration(integration.integration_id, integration.organization_id)

        try:
            claim = self.records.claim(self._new_record(integration, event), event.model_dump_json(), self.clock.now())
        except MalformedEventError as error:
            return self._reject(message_id, event.model_dump_json(), error.reason)
        if not claim.acquired:
            return unacquired(claim, self.clock)
        record = claim.record
        if claim.retried and self.configuration_cache is not None:
            # The merchant asked for this attempt, likely after fixing its cause: what was kept may predate the fix.
            self.configuration_cache.forget(integration)
            integration = self.integrations.get_integration(integration.integration_id) or integration
        current = integration
        return run_claimed(
            self.records,
            self.clock,
            record,
            lambda: self._invoice(current, event, record, resumed=claim.resumed, place=place),
            final_attempt=final_attempt,
        )

    def _integration_for(
        self, event: OrderEventBase, owning_integration_id: str | None
    ) -> AccountingIntegration | None:
        """The integration that books the event: the record's owner for a retry, else the one the event's merchant
        linked the webshop to. Never another merchant's."""
        if owning_integration_id is None:
            link = self.integrations.get_link(event.merchant_id, event.order_integration_id)
            owning_integration_id = link.integration_id if link else None
        integration = self.integrations.get_integration(owning_integration_id) if owning_integration_id else None
        return integration if integration is not None and integration.merchant_id == event.merchant_id else None

    def _reject(self, message_id: str, body: str, reason: str) -> Outcome:
        self.records.reject_event(message_id, body, reason, self.clock.now())
        logger.warning("order event rejected", message_id=message_id, reason=reason)
        return Outcome.REJECTED

    def _invoice(
        self,
        integration: AccountingIntegration,
        event: OrderHandledEvent,
        record: OrderRecord,
        *,
        resumed: bool,
        place: Place | None,
    ) -> Outcome:
        with _event_defects(event):
            skip = self._skip_reason(integration, event)
        if skip:
            self.records.finish(record, OrderStatus.SKIPPED, reason=skip)
            return Outcome.SKIPPED
        require_reachable(integration, self.connections)
        templates = self.integrations.get_templates(integration.integration_id)
        oss = self.integrations.get_oss_settings(integration.integration_id) if needs_oss_settings(event) else None
        with _event_defects(event):
            draft = build_invoice(event, templates, record.invoice_guid, oss)
        known_contact = self.contacts.get_contact(integration.integration_id, draft.contact.lookup_key)
        if self.rate_limiter is None:
            api = self.dinero.for_organization(integration.connection_id, integration.organization_id, unmetered)
            return self._book(api, integration, draft, record, known_contact, look_up_first=resumed)
        calls = _calls_needed(contact_known=known_contact is not None, book=integration.book_automatically)
        reservation = self.rate_limiter.reserve(
            integration.organization_id, calls, self.clock.now(), resumed=resumed, place=place
        )
        budget = CallBudget(reservation)
        api = self.dinero.for_organization(
            integration.connection_id, integration.organization_id, lambda: budget.spend(self.clock.now())
        )
        try:
            return self._book(api, integration, draft, record, known_contact, look_up_first=reservation.look_up_first)
        finally:
            self.rate_limiter.settle(reservation, budget.used, budget.last_call_at)

    def _book(
        self,
        api: DineroOrganizationApi,
        integration: AccountingIntegration,
        draft: InvoiceDraft,
        record: OrderRecord,
        known_contact: uuid.UUID | None,
        *,
        look_up_first: bool,
    ) -> Outcome:
        invoice = api.get_invoice(draft.guid) if look_up_first else None
        if invoice is None:
            contact_guid = known_contact or self._contact_guid(api, integration, draft.contact)
            invoice = _create_invoice(api, draft, contact_guid)

        # A VAT reason found before the call already explains Dinero's totals; the comparison is the backstop.
        totals = compare_totals(
            invoice, draft.expected_total_incl_vat, draft.expected_vat, draft.vat_lines, draft.currency
        )
        reasons = [*draft.review_reasons, *totals.total_reasons, *(draft.vat_reasons or totals.vat_reasons)]
        notes = [*draft.notes, *(totals.notes if not draft.vat_reasons else [])]
        if invoice.status is DineroInvoiceStatus.DRAFT and integration.book_automatically and not reasons:
            invoice = api.book_invoice(invoice.guid, invoice.timestamp)
        if invoice.status is DineroInvoiceStatus.BOOKED:
            self._finish(record, OrderStatus.BOOKED, invoice, reason="; ".join(notes) or None)
            logger.info("invoice booked", invoice_number=invoice.number)
            return Outcome.BOOKED
        reason = "; ".join([*(reasons or [BOOK_AUTOMATICALLY_OFF]), *notes])
        self._finish(record, OrderStatus.DRAFT, invoice, reason=reason)
        logger.info("invoice left as draft", reason=reason)
        return Outcome.DRAFT

    def _skip_reason(self, integration: AccountingIntegration, event: OrderHandledEvent) -> str | None:
        if not integration.active:
            return f"Accounting integration for {integration.organization_name} is not active"
        return skip_reason(event)

    def _contact_guid(
        self, api: DineroOrganizationApi, integration: AccountingIntegration, contact: ContactDetails
    ) -> uuid.UUID:
        found = api.find_contact(email=contact.email, name=contact.name, vat_number=contact.vat_number)
        guid = found or _create_contact(api, integration, contact)
        self.contacts.put_contact(integration.integration_id, contact.lookup_key, guid)
        return guid

    def _finish(self, record: OrderRecord, status: OrderStatus, invoice: DineroInvoice, reason: str | None) -> None:
        self.records.finish(
            record,
            status,
            reason=reason,
            invoice_number=invoice.number,
            total_incl_vat=invoice.total_incl_vat,
            currency=invoice.currency,
        )

    def _new_record(self, integration: AccountingIntegration, event: OrderHandledEvent) -> OrderRecord:
        now = self.clock.now()
        key = order_key(event.order_integration_id, event.sales_order.id, event.fulfillment_id)
        return OrderRecord(
            integration_id=integration.integration_id,
            order_key=key,
            order_integration_id=event.order_integration_id,
            sales_order_id=event.sales_order.id,
            order_number=event.sales_order.order_id,
            fulfillment_id=event.fulfillment_id,
            status=OrderStatus.PROCESSING,
            invoice_guid=invoice_guid_for(integration.integration_id, key),
            attempts=1,
            lease_until=now + self.lease,
            created_at=now,
            updated_at=now,
        )


@contextmanager
def _event_defects(event: OrderHandledEvent) -> Iterator[None]:
    """Turning an event into an invoice is pure, so an error there would come back on every delivery: it is the
    order's permanent failure, not a retry. (The error's type only: its message may quote personal data.)"""
    try:
        yield
    except BookkeepingError:
        raise
    except Exception as error:
        reason = f"Order {event.sales_order.order_id} cannot be turned into an invoice ({type(error).__name__})"
        raise MalformedEventError(reason) from error


def _create_contact(
    api: DineroOrganizationApi, integration: AccountingIntegration, contact: ContactDetails
) -> uuid.UUID:
    # A deterministic guid: a retry after a lost answer, or another worker booking the same new customer at the same
    # moment, creates no second contact.
    guid = _contact_guid_for(integration, contact)
    try:
        return api.create_contact(contact_body(contact, guid))
    except DineroValidationError as error:
        if error.fields == {"ContactGuid"}:
            return guid  # Dinero has a contact with this guid already: the customer, created a moment ago
        # Refused without saying why: look for the customer (a call beyond the reservation, if it comes to that,
        # makes the order finish on its next delivery).
        created = api.find_contact(email=contact.email, name=contact.name, vat_number=contact.vat_number)
        if created is None:
            raise
        return created


def _create_invoice(api: DineroOrganizationApi, draft: InvoiceDraft, contact_guid: uuid.UUID) -> DineroInvoice:
    try:
        api.create_invoice(draft.dinero_body(contact_guid))
    except DineroValidationError:
        # An earlier attempt whose answer came too late may have created it after our lookup; Dinero then refuses a
        # second invoice with the same Guid. If it is there, it is this order's invoice: carry on with it.
        existing = api.get_invoice(draft.guid)
        if existing is None:
            raise
        return existing
    invoice = api.get_invoice(draft.guid)
    if invoice is None:
        raise RetryableError("Dinero did not return the invoice it just created")
    return invoice


def _calls_needed(*, contact_known: bool, book: bool) -> int:
    """The Dinero calls of a first attempt: create and read back the invoice; look up and create the contact unless
    it is known; book it when booking automatically. The rate limiter adds the lookup a resumed attempt makes."""
    return 2 + (0 if contact_known else 2) + (1 if book else 0)


def _contact_guid_for(integration: AccountingIntegration, contact: ContactDetails) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"contact/{integration.integration_id}/{contact.lookup_key}")


def _field_errors(error: ValidationError) -> str:
    """Field paths and messages only: the input values may hold personal data."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors(include_input=False)]
    return json.dumps(parts[:5], ensure_ascii=False)
