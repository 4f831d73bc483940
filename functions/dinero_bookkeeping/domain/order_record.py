"""The durable order→invoice record: one per (integration, webshop, order, fulfilment). The event itself is kept
beside it by the repository (for a retry), not in it: listing records never needs the order's personal data."""

import uuid
from datetime import date, datetime
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


class RecordKind(StrEnum):
    """What the record books in Dinero. Each has its own key, so each is claimed and done exactly once."""

    INVOICE = "invoice"
    PAYMENT = "payment"  # the payment of one invoice (key: the invoice's key + "#payment")
    CREDIT_NOTE = "credit_note"  # one return fulfilment credited, with its refund
    CANCELLATION = "cancellation"  # the order cancelled: draft invoices deleted, booked ones credited


class PaymentSummary(BaseModel):
    """A payment registered on an invoice, or a refund on a credit note, as Dinero took it."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal  # in the voucher's currency
    currency: str
    deposit_account: int
    payment_date: date
    remaining_amount: Decimal | None = None  # what the voucher still lacks after it (0 when settled)


def order_key(order_integration_id: str, sales_order_id: int, fulfillment_id: int | None) -> str:
    """Order ids are only unique within a webshop, so the webshop is part of the key."""
    return f"{order_integration_id}#{sales_order_id}#{fulfillment_id if fulfillment_id is not None else 'order'}"


def invoice_guid_for(integration_id: str, key: str) -> uuid.UUID:
    """Deterministic, so a retry after a crash finds the invoice it created before."""
    return uuid.uuid5(ID_NAMESPACE, f"invoice/{integration_id}/{key}")


def payment_key(invoice_key: str) -> str:
    return f"{invoice_key}#payment"


def return_key(order_integration_id: str, sales_order_id: int, return_fulfillment_id: int) -> str:
    """Not order_key(): the return fulfilment's own order.handled is recorded (skipped) under that one."""
    return f"{order_integration_id}#{sales_order_id}#return-{return_fulfillment_id}"


def cancellation_key(order_integration_id: str, sales_order_id: int) -> str:
    return f"{order_integration_id}#{sales_order_id}#cancelled"


def record_guid_for(kind: RecordKind, integration_id: str, key: str) -> uuid.UUID:
    """The record's id, derived like the invoice's; for a credit note it is the credit note's Guid in Dinero."""
    if kind is RecordKind.INVOICE:
        return invoice_guid_for(integration_id, key)
    return uuid.uuid5(ID_NAMESPACE, f"{kind.value}/{integration_id}/{key}")


def cancellation_credit_note_guid(integration_id: str, invoice_key: str) -> uuid.UUID:
    """A cancelled order's credit note for one of its invoices."""
    return uuid.uuid5(ID_NAMESPACE, f"credit_note/{integration_id}/{invoice_key}#cancelled")


class OrderRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    integration_id: str
    order_key: str
    order_integration_id: str
    sales_order_id: int
    order_number: str
    fulfillment_id: int | None
    status: OrderStatus
    invoice_guid: uuid.UUID  # the record's id: the Dinero invoice's Guid for an invoice record (see `kind`)
    kind: RecordKind = RecordKind.INVOICE
    related_guid: uuid.UUID | None = None  # payment, credit note: the invoice record it belongs to
    payment: PaymentSummary | None = None  # invoice payment registered, or the credit note's refund
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
