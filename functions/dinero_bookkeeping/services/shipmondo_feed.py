"""Use case shared by the catch-up poll and backfills: enqueue what a page of sales orders asks of the books (handled
and returned fulfilments, payments, cancellations) that has no order record yet. Each event is checked against the
record it makes: the invoice (order.handled), the credit note (order.returned), the cancellation (order.cancelled), the
payment of each invoice in Dinero (order.paid; none while the integration's payments are off, and none for an invoice
not made yet: its order.handled brings the payment). Something already recorded (done, or being tried) is skipped, so
reading the same order again (overlapping poll windows, a backfill over a polled period, a webhook that did arrive)
enqueues nothing; an event that is enqueued twice anyway is booked once by the worker."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from dinero_bookkeeping.domain.order_event import (
    OrderCancelledEvent,
    OrderHandledEvent,
    OrderPaidEvent,
    OrderReturnedEvent,
)
from dinero_bookkeeping.domain.order_record import (
    RecordKind,
    cancellation_key,
    order_key,
    payment_key,
    record_guid_for,
    return_key,
)
from dinero_bookkeeping.domain.shipmondo_orders import (
    NotASalesOrderError,
    ShipmondoEvent,
    queue_message,
    sales_order_events,
)
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import IntegrationRepository, OrderQueue, PaymentTemplates, RecordLookup
from dinero_bookkeeping.services.ledger_steps import INVOICED


@dataclass
class FeedCount:
    found: int = 0
    enqueued: int = 0
    already_recorded: int = 0
    unlinked: int = 0
    unreadable: int = 0
    # (integration id, invoice guid) of each enqueued order.handled event: where its invoice's record will appear.
    records: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ShipmondoOrderFeed:
    integrations: IntegrationRepository
    records: RecordLookup
    queue: OrderQueue
    payment_templates: PaymentTemplates

    def feed(self, merchant_id: str, orders: Sequence[dict[str, Any]], now: datetime) -> FeedCount:
        count = FeedCount()
        links: dict[str, str | None] = {}
        for order in orders:
            try:
                events = sales_order_events(merchant_id, order, now)
            except NotASalesOrderError as error:
                count.unreadable += 1
                logger.warning("sales order skipped", sales_order_id=order.get("id"), reason=str(error))
                continue
            for event in events:
                webshop = event.order_integration_id
                if webshop not in links:
                    link = self.integrations.get_link(merchant_id, webshop)
                    links[webshop] = link.integration_id if link else None
                integration_id = links[webshop]
                records = self._records_to_make(integration_id, event) if integration_id else []
                if isinstance(event, OrderPaidEvent) and not records:
                    continue  # nothing to pay: payments off, or no invoice in Dinero yet (its order.handled pays it)
                count.found += 1
                if integration_id is None:
                    count.unlinked += 1  # the worker would only reject it; linking later and a backfill bring it
                    continue
                missing = [guid for guid in records if self.records.get_record(integration_id, guid) is None]
                if not missing:
                    count.already_recorded += 1
                    continue
                try:
                    body = queue_message(event)
                except NotASalesOrderError as error:
                    count.unreadable += 1
                    logger.warning("order event skipped", sales_order_id=event.sales_order.id, reason=str(error))
                    continue
                self.queue.send(body)
                count.enqueued += 1
                if isinstance(event, OrderHandledEvent):
                    count.records.append((integration_id, str(missing[0])))
        return count

    def _records_to_make(self, integration_id: str, event: ShipmondoEvent) -> list[UUID]:
        """The ids of the records the worker makes of the event: one, or one payment per invoice in Dinero."""
        webshop, order = event.order_integration_id, event.sales_order
        if isinstance(event, OrderHandledEvent):
            key = order_key(webshop, order.id, event.fulfillment_id)
            return [record_guid_for(RecordKind.INVOICE, integration_id, key)]
        if isinstance(event, OrderReturnedEvent):
            key = return_key(webshop, order.id, event.fulfillment_id)
            return [record_guid_for(RecordKind.CREDIT_NOTE, integration_id, key)]
        if isinstance(event, OrderCancelledEvent):
            return [record_guid_for(RecordKind.CANCELLATION, integration_id, cancellation_key(webshop, order.id))]
        if not self.payment_templates.get_payment_template(integration_id).register_payments:
            return []
        # As the worker pays an order.paid: the whole-order invoice and each outbound fulfilment's, once in Dinero.
        outbound = sorted(f.id for f in order.order_fulfillments if f.type == "outbound")
        payments = []
        for fulfillment_id in (None, *outbound):
            key = order_key(webshop, order.id, fulfillment_id)
            invoice = self.records.get_record(integration_id, record_guid_for(RecordKind.INVOICE, integration_id, key))
            if invoice is not None and invoice.status in INVOICED:
                payments.append(record_guid_for(RecordKind.PAYMENT, integration_id, payment_key(key)))
        return payments
