"""The durable order→invoice record: one per (integration, webshop, order, fulfilment). The event itself is kept
beside it by the repository (for a retry), not in it: listing records never needs the order's personal data."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from dinero_bookkeeping.domain.integration import ID_NAMESPACE


class OrderStatus(StrEnum):
    PROCESSING = "processing"  # claimed by a worker (lease_until says until when)
    QUEUED = "queued"  # the merchant asked for a retry; the event is back on the queue
    DRAFT = "draft"  # invoice created in Dinero, left for review (reason says why)
    BOOKED = "booked"  # reason, if any, notes how the VAT was booked (Domestic accounts, OSS, rounding)
    FAILED = "failed"  # permanent failure; reason says what to fix, then retry
    SKIPPED = "skipped"  # deliberately not invoiced (reason says why)

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.DRAFT, OrderStatus.BOOKED, OrderStatus.FAILED, OrderStatus.SKIPPED)


def order_key(order_integration_id: str, sales_order_id: int, fulfillment_id: int | None) -> str:
    """Order ids are only unique within a webshop, so the webshop is part of the key."""
    return f"{order_integration_id}#{sales_order_id}#{fulfillment_id if fulfillment_id is not None else 'order'}"


def invoice_guid_for(integration_id: str, key: str) -> uuid.UUID:
    """Deterministic, so a retry after a crash finds the invoice it created before."""
    return uuid.uuid5(ID_NAMESPACE, f"invoice/{integration_id}/{key}")


class OrderRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    integration_id: str
    order_key: str
    order_integration_id: str
    sales_order_id: int
    order_number: str
    fulfillment_id: int | None
    status: OrderStatus
    invoice_guid: uuid.UUID
    invoice_number: int | None = None
    total_incl_vat: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    attempts: int = 0
    lease_until: datetime | None = None
    created_at: datetime
    updated_at: datetime


class RejectedEvent(BaseModel):
    """An event that belongs to no integration (malformed, or for a webshop its merchant has not linked), kept as it
    arrived with the reason."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    reason: str
    received_at: datetime
    body: str
