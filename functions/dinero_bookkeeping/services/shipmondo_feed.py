"""Use case shared by the catch-up poll and backfills: enqueue a page of sales orders' handled fulfilments that have
no order record yet. A fulfilment already recorded (invoiced, or being tried) is skipped, so reading the same order
again (overlapping poll windows, a backfill over a polled period, a webhook that did arrive) enqueues nothing; an event
that is enqueued twice anyway is booked once by the worker."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dinero_bookkeeping.domain.order_record import invoice_guid_for, order_key
from dinero_bookkeeping.domain.shipmondo_orders import NotASalesOrderError, handled_fulfilment_events, queue_message
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import IntegrationRepository, OrderQueue, RecordLookup


@dataclass
class FeedCount:
    found: int = 0
    enqueued: int = 0
    already_recorded: int = 0
    unlinked: int = 0
    unreadable: int = 0
    # (integration id, invoice guid) of each enqueued event: where its record will appear.
    records: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ShipmondoOrderFeed:
    integrations: IntegrationRepository
    records: RecordLookup
    queue: OrderQueue

    def feed(self, merchant_id: str, orders: Sequence[dict[str, Any]], now: datetime) -> FeedCount:
        count = FeedCount()
        links: dict[str, str | None] = {}
        for order in orders:
            try:
                events = handled_fulfilment_events(merchant_id, order, now)
            except NotASalesOrderError as error:
                count.unreadable += 1
                logger.warning("sales order skipped", sales_order_id=order.get("id"), reason=str(error))
                continue
            for event in events:
                count.found += 1
                webshop = event.order_integration_id
                if webshop not in links:
                    link = self.integrations.get_link(merchant_id, webshop)
                    links[webshop] = link.integration_id if link else None
                integration_id = links[webshop]
                if integration_id is None:
                    count.unlinked += 1  # the worker would only reject it; linking later and a backfill bring it
                    continue
                key = order_key(webshop, event.sales_order.id, event.fulfillment_id)
                guid = invoice_guid_for(integration_id, key)
                if self.records.get_record(integration_id, guid) is not None:
                    count.already_recorded += 1
                    continue
                try:
                    body = queue_message(event)
                except NotASalesOrderError as error:
                    count.unreadable += 1
                    logger.warning("fulfilment skipped", sales_order_id=event.sales_order.id, reason=str(error))
                    continue
                self.queue.send(body)
                count.enqueued += 1
                count.records.append((integration_id, str(guid)))
        return count
