"""What payments, credit notes and cancellations share with invoices: one claimed record per step, the order's
invoices found through their records, and Dinero calls reserved in the organization's budget before the first one.

A step's record is claimed like an invoice's (conditional write, lease, derived Guid), so a duplicate event or a
second worker ends at the same record, and a step that may have reached Dinero looks its result up first.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from dinero_bookkeeping.domain.credit_note import InvoicedDocument
from dinero_bookkeeping.domain.errors import PermanentError
from dinero_bookkeeping.domain.integration import AccountingIntegration
from dinero_bookkeeping.domain.invoice import build_invoice, needs_oss_settings
from dinero_bookkeeping.domain.order_event import OrderEventBase, OrderHandledEvent, SalesOrder
from dinero_bookkeeping.domain.order_record import (
    OrderRecord,
    OrderStatus,
    RecordKind,
    invoice_guid_for,
    order_key,
    record_guid_for,
)
from dinero_bookkeeping.domain.rate_window import CallBudget, Place
from dinero_bookkeeping.ports import (
    Clock,
    ConfigurationCache,
    ConnectionRepository,
    DineroLedgerApi,
    DineroLedgerGateway,
    IntegrationRepository,
    LedgerRecords,
    RateLimiter,
)
from dinero_bookkeeping.services.order_steps import Outcome, require_reachable, run_claimed, unacquired, unmetered

# An invoice in Dinero (booked, or a draft left for review): what a payment or credit note can refer to.
INVOICED = frozenset({OrderStatus.BOOKED, OrderStatus.DRAFT})

Step = Callable[[OrderRecord, DineroLedgerApi, bool], Outcome]


@dataclass
class LedgerSteps:
    integrations: IntegrationRepository
    connections: ConnectionRepository
    records: LedgerRecords
    dinero: DineroLedgerGateway
    clock: Clock
    lease: timedelta = timedelta(seconds=90)
    rate_limiter: RateLimiter | None = None
    configuration_cache: ConfigurationCache | None = None

    def new_record(
        self,
        integration: AccountingIntegration,
        event: OrderEventBase,
        kind: RecordKind,
        key: str,
        *,
        fulfillment_id: int | None,
        related_guid: uuid.UUID | None = None,
    ) -> OrderRecord:
        now = self.clock.now()
        return OrderRecord(
            integration_id=integration.integration_id,
            order_key=key,
            order_integration_id=event.order_integration_id,
            sales_order_id=event.sales_order.id,
            order_number=event.sales_order.order_id,
            fulfillment_id=fulfillment_id,
            status=OrderStatus.PROCESSING,
            invoice_guid=record_guid_for(kind, integration.integration_id, key),
            kind=kind,
            related_guid=related_guid,
            attempts=1,
            lease_until=now + self.lease,
            created_at=now,
            updated_at=now,
        )

    def run(
        self,
        integration: AccountingIntegration,
        record: OrderRecord,
        event_json: str,
        calls: int,
        step: Step,
        place: Place | None,
        *,
        final_attempt: bool,
        skip: str | None = None,
    ) -> Outcome:
        """Claim the record and do the step with `calls` Dinero calls reserved; the outcome is written to the record.
        With a `skip` reason the record is claimed and recorded as skipped, with no call to Dinero. `place`: the
        message's place in the organization's line.

        Failures end as for invoices: permanent → failed with its reason; transient → the lease is given back and the
        error raised (the queue brings the message back), or on the last delivery a failed record. Waiting for the
        budget is no failure, not even on the last delivery: the message is requeued with its place.
        """
        claim = self.records.claim(record, event_json, self.clock.now())
        if not claim.acquired:
            return unacquired(claim, self.clock)
        record = claim.record
        if claim.retried and self.configuration_cache is not None:
            # The merchant asked for this attempt, likely after fixing its cause (a template, the connection).
            self.configuration_cache.forget(integration)
        if skip is not None:
            self.records.finish(record, OrderStatus.SKIPPED, reason=skip)
            return Outcome.SKIPPED

        def connected_step() -> Outcome:
            require_reachable(integration, self.connections)
            return self._with_budget(integration, record, calls, step, resumed=claim.resumed, place=place)

        return run_claimed(self.records, self.clock, record, connected_step, final_attempt=final_attempt)

    def invoiced_documents(
        self, integration: AccountingIntegration, order: SalesOrder, webshop: str
    ) -> list[tuple[OrderRecord, InvoicedDocument]]:
        """The order's invoices in Dinero (whole order first, then per fulfilment, oldest first), each rebuilt from
        the event it was made from, so credit notes reuse its lines exactly."""
        fulfilment_ids: list[int | None] = [None]
        fulfilment_ids += sorted(f.id for f in order.order_fulfillments if f.type == "outbound")
        templates = self.integrations.get_templates(integration.integration_id)
        found: list[tuple[OrderRecord, InvoicedDocument]] = []
        for fulfillment_id in fulfilment_ids:
            key = order_key(webshop, order.id, fulfillment_id)
            record = self.records.get_record(
                integration.integration_id, invoice_guid_for(integration.integration_id, key)
            )
            if record is None or record.status not in INVOICED:
                continue
            event_json = self.records.get_event(record)
            if event_json is None:
                raise PermanentError(f"The event of invoice {record.invoice_number or record.invoice_guid} has expired")
            event = OrderHandledEvent.model_validate_json(event_json)
            oss = self.integrations.get_oss_settings(integration.integration_id) if needs_oss_settings(event) else None
            draft = build_invoice(event, templates, record.invoice_guid, oss)
            found.append((record, InvoicedDocument.from_draft(event, draft)))
        return found

    def _with_budget(
        self,
        integration: AccountingIntegration,
        record: OrderRecord,
        calls: int,
        step: Step,
        *,
        resumed: bool,
        place: Place | None,
    ) -> Outcome:
        if self.rate_limiter is None:
            api = self.dinero.for_organization(integration.connection_id, integration.organization_id, unmetered)
            return step(record, api, resumed)
        reservation = self.rate_limiter.reserve(
            integration.organization_id, calls, self.clock.now(), resumed=resumed, place=place
        )
        budget = CallBudget(reservation)
        api = self.dinero.for_organization(
            integration.connection_id, integration.organization_id, lambda: budget.spend(self.clock.now())
        )
        try:
            return step(record, api, reservation.look_up_first)
        finally:
            self.rate_limiter.settle(reservation, budget.used, budget.last_call_at)
