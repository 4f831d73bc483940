"""Use case: the catch-up poll. Shipmondo does not retry a webhook that failed, so every few minutes each connected
merchant's sales orders updated since the watermark are read (GET /sales_orders, updated_at_min/max, every page)
and each handled or returned fulfilment, payment and cancellation without its order record is enqueued.

The watermark moves to the end of the window only when every page of the window was read and enqueued, and only if
the window's order count did not change while paging (Shipmondo pages an unsorted result: an order updated meanwhile
leaves the window and shifts the pages, so one could be skipped). Otherwise it stays, and the next run reads the
window again; what was enqueued then is found recorded. Windows start `overlap` before the watermark (clock skew,
orders saved while we read). So every handled order is enqueued within one poll interval of its handling, webhook or
not, as long as Shipmondo answers.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from dinero_bookkeeping.domain.errors import BookkeepingError
from dinero_bookkeeping.domain.shipmondo_connection import ShipmondoConnection
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Clock, ShipmondoGateway, ShipmondoStore
from dinero_bookkeeping.services.shipmondo_feed import FeedCount, ShipmondoOrderFeed


@dataclass(frozen=True)
class PollOutcome:
    merchant_id: str
    advanced: bool
    result: str
    count: FeedCount


@dataclass
class PollShipmondoService:
    store: ShipmondoStore
    shipmondo: ShipmondoGateway
    feed: ShipmondoOrderFeed
    clock: Clock
    overlap: timedelta = timedelta(minutes=5)
    # A merchant back after a long outage catches up a day per run instead of in one unbounded read.
    max_window: timedelta = timedelta(days=1)

    def poll_all(self) -> list[PollOutcome]:
        """Every merchant in turn. An unexpected fault of one merchant's poll does not stop the others' (its watermark
        stays); it is raised once all were polled, so the run counts as failed and the alarm sees it."""
        outcomes = []
        unexpected: list[Exception] = []
        for connection in self.store.list_connections():
            try:
                outcome = self.poll(connection)
            except Exception as error:
                # The type only: an exception's text may quote an order.
                logger.error(
                    "Shipmondo poll failed", merchant_id=connection.merchant_id, error_type=type(error).__name__
                )
                unexpected.append(error)
                continue
            logger.info(
                "Shipmondo poll",
                merchant_id=connection.merchant_id,
                advanced=outcome.advanced,
                result=outcome.result,
                enqueued=outcome.count.enqueued,
            )
            outcomes.append(outcome)
        if unexpected:
            raise unexpected[0]
        return outcomes

    def poll(self, connection: ShipmondoConnection) -> PollOutcome:
        now = self.clock.now()
        start = connection.poll_watermark - self.overlap
        end = min(now, connection.poll_watermark + self.max_window)
        count = FeedCount()
        try:
            advanced, result = self._read_window(connection, start, end, count, now)
        except BookkeepingError as error:  # Shipmondo down, 429 for long, credentials refused, AWS throttling
            advanced, result = False, f"Stopped, watermark kept: {error}"
        if not advanced:
            self.store.record_poll(connection, result, now)
            return PollOutcome(connection.merchant_id, False, result, count)
        if not self.store.record_poll(connection, result, now, watermark=end):
            result = "Another poll moved the watermark meanwhile"
        return PollOutcome(connection.merchant_id, True, result, count)

    def _read_window(
        self, connection: ShipmondoConnection, start: datetime, end: datetime, count: FeedCount, now: datetime
    ) -> tuple[bool, str]:
        credentials = self.store.load_credentials(connection.merchant_id)
        if credentials is None:
            return False, "No credentials stored"
        api = self.shipmondo.for_account(credentials)
        filters = {"updated_at_min": start.isoformat(), "updated_at_max": end.isoformat()}
        page = api.sales_orders(filters, 1)
        first_total = page.total_count
        while True:
            _add(count, self.feed.feed(connection.merchant_id, page.orders, now))
            if page.page >= page.total_pages:
                break
            page = api.sales_orders(filters, page.page + 1)
        if page.total_count != first_total:
            return False, "Orders changed while paging; the window is read again next run"
        return True, f"Read {count.found} fulfilments, payments and cancellations, enqueued {count.enqueued}"


def _add(total: FeedCount, part: FeedCount) -> None:
    total.found += part.found
    total.enqueued += part.enqueued
    total.already_recorded += part.already_recorded
    total.unlinked += part.unlinked
    total.unreadable += part.unreadable
    total.records += part.records
