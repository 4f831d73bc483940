"""Use case: one "order handled" message becomes exactly one Dinero invoice (booked, or a draft with a reason).

Exactly-once rests on three things: the order record is claimed (conditional write) before Dinero is called; the
invoice Guid is derived from the order, so a retry after a crash finds the invoice it already created; and an
attempt that may have reached Dinero looks the invoice up before creating one. (When Dinero refuses to create an
invoice or contact because one with the derived Guid exists, a slow earlier attempt or another worker made it: it
is used.)

Before its first Dinero call an order reserves every call it may make in its organization's shared budget (Dinero
allows 100 a minute per organization); without room it makes no call and comes back at its turn.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus, totals_disagreements
from dinero_bookkeeping.domain.errors import DineroValidationError, MalformedEventError, PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import ID_NAMESPACE, AccountingIntegration, ConnectionStatus
from dinero_bookkeeping.domain.invoice import ContactDetails, InvoiceDraft, build_invoice, contact_body, skip_reason
from dinero_bookkeeping.domain.order_event import OrderEventBase, OrderHandledEvent, parse_order_event
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, invoice_guid_for, order_key
from dinero_bookkeeping.domain.rate_window import CallBudget
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import (
    Clock,
    ConnectionRepository,
    ContactCache,
    DineroGateway,
    DineroOrganizationApi,
    IntegrationRepository,
    OrderRecordRepository,
    RateLimiter,
)

if TYPE_CHECKING:
    from dinero_bookkeeping.services.order_follow_ups import OrderFollowUps


class Outcome(StrEnum):
    BOOKED = "booked"
    DRAFT = "draft"
    FAILED = "failed"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


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
    # Payments, returns and cancellations (services/order_follow_ups.py); None: invoices only.
    follow_ups: "OrderFollowUps | None" = None

    def handle_message(
        self, body: str, message_id: str, *, owning_integration_id: str | None = None, final_attempt: bool = False
    ) -> Outcome:
        """Entry point for a queue message. Raises RetryableError when the message should come back later.

        `owning_integration_id`: a retry, which only that integration may book. `final_attempt`: the queue will not
        deliver the message again, so a failure now is recorded as failed (retryable by the merchant) rather than
        left to the dead-letter queue with the record still in processing.
        """
        try:
            event = parse_order_event(body)
        except ValidationError as error:
            reason = MalformedEventError(f"Not a valid order event: {_field_errors(error)}").reason
            return self._reject(message_id, body, reason)
        if isinstance(event, OrderHandledEvent):
            outcome = self.handle(
                event, message_id, owning_integration_id=owning_integration_id, final_attempt=final_attempt
            )
            if outcome in (Outcome.BOOKED, Outcome.DRAFT, Outcome.DUPLICATE) and self.follow_ups is not None:
                integration = self._integration_for(event, owning_integration_id)
                if integration is not None:
                    self.follow_ups.handle(integration, event, final_attempt=final_attempt)
            return outcome
        if self.follow_ups is None:
            return self._reject(message_id, body, f"{event.event_type} events are not booked by this worker")
        integration = self._integration_for(event, owning_integration_id)
        if integration is None:
            reason = (
                f"Webshop {event.order_integration_id} is not linked to an accounting integration of merchant "
                f"{event.merchant_id}"
            )
            return self._reject(message_id, body, reason)
        logger.append_keys(integration_id=integration.integration_id, sales_order_id=event.sales_order.id)
        return self.follow_ups.handle(integration, event, final_attempt=final_attempt)

    def handle(
        self,
        event: OrderHandledEvent,
        message_id: str,
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
        logger.append_keys(integration_id=integration.integration_id, sales_order_id=event.sales_order.id)

        try:
            claim = self.records.claim(self._new_record(integration, event), event.model_dump_json(), self.clock.now())
        except MalformedEventError as error:
            return self._reject(message_id, event.model_dump_json(), error.reason)
        if not claim.acquired:
            if claim.record.status is OrderStatus.PROCESSING:
                # Come back when its lease ends: by then that worker has finished, or died and the order is free.
                lease_until = claim.record.lease_until or self.clock.now()
                wait = max(1.0, (lease_until - self.clock.now()).total_seconds())
                raise RetryableError("Another worker is processing this order", retry_after_seconds=wait)
            logger.info("duplicate delivery ignored", status=claim.record.status.value)
            return Outcome.DUPLICATE
        record = claim.record
        try:
            return self._invoice(integration, event, record, resumed=claim.resumed)
        except PermanentError as error:
            self.records.finish(record, OrderStatus.FAILED, reason=error.reason)
            logger.warning("order failed permanently", reason=error.reason)
            return Outcome.FAILED
        except RetryableError as error:
            if final_attempt:
                return self._give_up(record, f"Gave up after repeated attempts ({error}): retry the order later")
            self.records.release(record, f"Will retry: {error}", self.clock.now())
            raise
        except Exception as error:
            # A bug or an answer we do not understand: SQS retries it; the record says so (the type only: a message
            # may quote personal data), and on the last delivery the order is recorded as failed.
            if final_attempt:
                return self._give_up(
                    record, f"Failed after an unexpected error ({type(error).__name__}): retry the order"
                )
            self.records.release(
                record, f"Will retry after an unexpected error ({type(error).__name__})", self.clock.now()
            )
            raise

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

    def _give_up(self, record: OrderRecord, reason: str) -> Outcome:
        self.records.finish(record, OrderStatus.FAILED, reason=reason)
        logger.warning("order failed on its last delivery", reason=reason)
        return Outcome.FAILED

    def _invoice(
        self, integration: AccountingIntegration, event: OrderHandledEvent, record: OrderRecord, *, resumed: bool
    ) -> Outcome:
        skip = self._skip_reason(integration, event)
        if skip:
            self.records.finish(record, OrderStatus.SKIPPED, reason=skip)
            return Outcome.SKIPPED
        self._require_connected(integration)
        draft = build_invoice(event, self.integrations.get_templates(integration.integration_id), record.invoice_guid)
        api = self.dinero.for_organization(integration.connection_id, integration.organization_id)
        known_contact = self.contacts.get_contact(integration.integration_id, draft.contact.lookup_key)
        if self.rate_limiter is None:
            return self._book(api, integration, draft, record, known_contact, look_up_first=resumed)
        calls = _calls_needed(contact_known=known_contact is not None, book=integration.book_automatically)
        reservation = self.rate_limiter.reserve(
            integration.organization_id, str(record.invoice_guid), calls, self.clock.now(), resumed=resumed
        )
        budget = CallBudget(reservation)
        budgeted = _BudgetedApi(api, budget, self.clock)
        try:
            return self._book(
                budgeted, integration, draft, record, known_contact, look_up_first=reservation.look_up_first
            )
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

        reasons = [
            *draft.review_reasons,
            *totals_disagreements(invoice, draft.expected_total_incl_vat, draft.expected_vat, draft.currency),
        ]
        if invoice.status is DineroInvoiceStatus.DRAFT and integration.book_automatically and not reasons:
            invoice = api.book_invoice(invoice.guid, invoice.timestamp)
        if invoice.status is DineroInvoiceStatus.BOOKED:
            self._finish(record, OrderStatus.BOOKED, invoice, reason=None)
            logger.info("invoice booked", invoice_number=invoice.number)
            return Outcome.BOOKED
        reason = "; ".join(reasons) or BOOK_AUTOMATICALLY_OFF
        self._finish(record, OrderStatus.DRAFT, invoice, reason=reason)
        logger.info("invoice left as draft", reason=reason)
        return Outcome.DRAFT

    def _skip_reason(self, integration: AccountingIntegration, event: OrderHandledEvent) -> str | None:
        if not integration.active:
            return f"Accounting integration for {integration.organization_name} is not active"
        return skip_reason(event)

    def _require_connected(self, integration: AccountingIntegration) -> None:
        if not integration.is_pro:
            raise PermanentError(
                f"{integration.organization_name} has no Dinero Pro subscription, which Dinero's API requires"
            )
        connection = self.connections.get_connection(integration.connection_id)
        if connection is None or connection.status is ConnectionStatus.DISCONNECTED:
            raise PermanentError("Dinero is disconnected: connect Dinero again, then retry the order")

    def _contact_guid(
        self, api: DineroOrganizationApi, integration: AccountingIntegration, contact: ContactDetails
    ) -> uuid.UUID:
        guid = api.find_contact(email=contact.email, name=contact.name) or _create_contact(api, integration, contact)
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


def _create_contact(
    api: DineroOrganizationApi, integration: AccountingIntegration, contact: ContactDetails
) -> uuid.UUID:
    # A deterministic guid: a retry after a lost answer creates no second contact.
    try:
        return api.create_contact(contact_body(contact, _contact_guid_for(integration, contact)))
    except DineroValidationError:
        # Dinero refuses a second contact with the guid: another worker may have created this customer a moment ago.
        # (The extra lookup may use up the order's reserved calls; it then finishes on its next delivery.)
        created = api.find_contact(email=contact.email, name=contact.name)
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


class _BudgetedApi:
    """The organization's Dinero API, every call counted against the order's reservation."""

    def __init__(self, api: DineroOrganizationApi, budget: CallBudget, clock: Clock) -> None:
        self._api = api
        self._budget = budget
        self._clock = clock

    def find_contact(self, *, email: str | None, name: str) -> uuid.UUID | None:
        self._budget.spend(self._clock.now())
        return self._api.find_contact(email=email, name=name)

    def create_contact(self, body: dict[str, Any]) -> uuid.UUID:
        self._budget.spend(self._clock.now())
        return self._api.create_contact(body)

    def create_invoice(self, body: dict[str, Any]) -> None:
        self._budget.spend(self._clock.now())
        self._api.create_invoice(body)

    def get_invoice(self, guid: uuid.UUID) -> DineroInvoice | None:
        self._budget.spend(self._clock.now())
        return self._api.get_invoice(guid)

    def book_invoice(self, guid: uuid.UUID, timestamp: str) -> DineroInvoice:
        self._budget.spend(self._clock.now())
        return self._api.book_invoice(guid, timestamp)


def _contact_guid_for(integration: AccountingIntegration, contact: ContactDetails) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"contact/{integration.integration_id}/{contact.lookup_key}")


def _field_errors(error: ValidationError) -> str:
    """Field paths and messages only: the input values may hold personal data."""
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors(include_input=False)]
    return json.dumps(parts[:5], ensure_ascii=False)
