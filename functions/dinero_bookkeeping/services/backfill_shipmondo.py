"""Use case: backfill a period. The merchant (API) names a from-to period; the sales orders
created in it are read a few pages per step (the scheduled poll takes one step per run: a bounded pace),
and each handled fulfilment without an order record is enqueued. Invoices carry the fulfilment's own date; orders
already invoiced are skipped. Progress: found, enqueued, skipped, and how many of the enqueued are invoiced now."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from dinero_bookkeeping.domain.errors import BookkeepingError, InvalidRequestError, NotFoundError
from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.domain.shipmondo_connection import Backfill, BackfillStatus
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Clock, RecordStatuses, ShipmondoGateway, ShipmondoStore
from dinero_bookkeeping.services.shipmondo_feed import ShipmondoOrderFeed

MAX_PERIOD = timedelta(days=92)
# Where the enqueued events' records are kept to count what got invoiced; a period this full is to be split.
MAX_TRACKED_RECORDS = 5000
INVOICED = frozenset({OrderStatus.BOOKED, OrderStatus.DRAFT})


@dataclass(frozen=True)
class BackfillProgress:
    backfill: Backfill
    invoiced: int


@dataclass
class BackfillShipmondoService:
    store: ShipmondoStore
    shipmondo: ShipmondoGateway
    feed: ShipmondoOrderFeed
    records: RecordStatuses
    clock: Clock
    pages_per_step: int = 5

    def start(
        self,
        merchant_id: str,
        created_from: datetime,
        created_to: datetime,
        *,
        stepped_by: Literal["schedule", "operator"] = "schedule",
    ) -> Backfill:
        now = self.clock.now()
        created_to = min(created_to, now)
        if created_from >= created_to:
            raise InvalidRequestError("from: must be before to (and before now)")
        if created_to - created_from > MAX_PERIOD:
            raise InvalidRequestError(f"to: a backfill covers at most {MAX_PERIOD.days} days; split the period")
        if self.store.get_connection(merchant_id) is None:
            raise NotFoundError("Shipmondo is not connected")
        backfill = Backfill(
            backfill_id=uuid.uuid4().hex,
            merchant_id=merchant_id,
            created_from=created_from,
            created_to=created_to,
            stepped_by=stepped_by,
            created_at=now,
            updated_at=now,
        )
        self.store.put_backfill(backfill)
        logger.info("backfill started", merchant_id=merchant_id, backfill_id=backfill.backfill_id)
        return backfill

    def progress(self, merchant_id: str, backfill_id: str) -> BackfillProgress:
        backfill = self.store.get_backfill(merchant_id, backfill_id)
        if backfill is None:
            raise NotFoundError(f"Backfill {backfill_id} not found")
        statuses = self.records.statuses(
            [(integration_id, UUID(guid)) for integration_id, guid in backfill.enqueued_records]
        )
        return BackfillProgress(backfill, sum(status in INVOICED for status in statuses.values()))

    def run_due(self) -> list[Backfill]:
        """One step of every running backfill (the scheduled poll calls this)."""
        return [self.step(backfill) for backfill in self.store.running_backfills()]

    def step(self, backfill: Backfill) -> Backfill:
        """Read up to pages_per_step pages from where the backfill stopped; progress is saved either way."""
        now = self.clock.now()
        updates: dict[str, object] = {"reason": None}
        current = backfill
        try:
            credentials = self.store.load_credentials(backfill.merchant_id)
            if credentials is None:
                raise NotFoundError("Shipmondo is not connected")
            api = self.shipmondo.for_account(credentials)
            filters = {
                "created_at_min": backfill.created_from.isoformat(),
                "created_at_max": backfill.created_to.isoformat(),
            }
            page_number = backfill.next_page
            for _ in range(self.pages_per_step):
                page = api.sales_orders(filters, page_number)
                count = self.feed.feed(backfill.merchant_id, page.orders, now)
                room = MAX_TRACKED_RECORDS - len(current.enqueued_records)
                current = current.model_copy(
                    update={
                        "found": current.found + count.found,
                        "enqueued": current.enqueued + count.enqueued,
                        "already_recorded": current.already_recorded + count.already_recorded,
                        "unlinked": current.unlinked + count.unlinked,
                        "enqueued_records": [*current.enqueued_records, *[tuple(r) for r in count.records[:room]]],
                        "total_pages": page.total_pages,
                        "total_count": page.total_count,
                        "next_page": page_number + 1,
                    }
                )
                if page_number >= page.total_pages:
                    updates["status"] = BackfillStatus.DONE
                    break
                page_number += 1
        except BookkeepingError as error:
            updates["reason"] = str(error)
            # Credentials gone or refused end the backfill; other faults end the step (the next reads the same page).
            if isinstance(error, NotFoundError | InvalidRequestError):
                updates["status"] = BackfillStatus.FAILED
        finished = current.model_copy(update={**updates, "updated_at": now})
        self.store.put_backfill(finished)
        return finished
