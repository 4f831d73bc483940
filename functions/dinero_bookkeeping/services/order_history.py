"""Use cases: what became of each order (the order→invoice records), and trying a failed or skipped one again."""

from dataclasses import dataclass
from uuid import UUID

from dinero_bookkeeping.domain.errors import ConflictError, NotFoundError
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Clock, IntegrationRepository, OrderHistory, OrderQueue, RecordPage
from dinero_bookkeeping.services.ownership import owned_integration

RETRYABLE_STATUSES = frozenset({OrderStatus.FAILED, OrderStatus.SKIPPED})


@dataclass
class OrderHistoryService:
    integrations: IntegrationRepository
    records: OrderHistory
    queue: OrderQueue
    clock: Clock

    def list_orders(self, merchant_id: str, integration_id: str, *, limit: int, cursor: str | None) -> RecordPage:
        """Newest first, a page at a time."""
        owned_integration(self.integrations, merchant_id, integration_id)
        return self.records.list_page(integration_id, limit, cursor)

    def retry(self, merchant_id: str, integration_id: str, invoice_guid: UUID) -> OrderRecord:
        """Queue the stored event again, for this integration only: the record's owner books it, wherever the webshop
        is linked by now. The worker takes over the queued record and, as for any resumed attempt, looks the invoice
        up in Dinero before creating one, so a retry can never make a second invoice."""
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        record = self.records.get_record(integration_id, invoice_guid)
        if record is None:
            raise NotFoundError(f"Order {invoice_guid} not found")
        if record.status not in RETRYABLE_STATUSES:
            raise ConflictError(f"Only failed or skipped orders can be retried; this one is {record.status.value}")
        if not integration.active:
            raise ConflictError(
                f"The accounting integration for {integration.organization_name} is not active: activate it, then retry"
            )
        event_json = self.records.get_event(record)
        if event_json is None:
            raise ConflictError("The order's event is no longer kept: send the order again from the webshop")
        queued = self.records.queue_for_retry(record, self.clock.now())
        if queued is None:
            raise ConflictError("The order changed meanwhile: reload it and try again")
        try:
            self.queue.send(event_json, integration_id=integration_id)
        except Exception:
            # Without its message a queued record would wait forever, and a queued record cannot be retried.
            self.records.undo_queue_for_retry(queued, record)
            raise
        logger.info("order queued for retry", integration_id=integration_id, invoice_guid=str(invoice_guid))
        return queued
