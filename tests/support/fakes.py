"""In-memory fakes of the ports, behaving like the real adapters (claim semantics included)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID, uuid4

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus
from dinero_bookkeeping.domain.errors import BookkeepingError, DineroValidationError
from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection, OrderIntegrationLink
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.domain.templates import TemplateSet
from dinero_bookkeeping.ports import Claim


class FixedClock:
    def __init__(self, now: datetime = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass
class InMemoryIntegrations:
    links: dict[str, OrderIntegrationLink] = field(default_factory=dict)
    integrations: dict[str, AccountingIntegration] = field(default_factory=dict)
    templates: dict[str, TemplateSet] = field(default_factory=dict)
    contacts: dict[tuple[str, str], UUID] = field(default_factory=dict)

    def get_link(self, order_integration_id: str) -> OrderIntegrationLink | None:
        return self.links.get(order_integration_id)

    def get_integration(self, integration_id: str) -> AccountingIntegration | None:
        return self.integrations.get(integration_id)

    def get_templates(self, integration_id: str) -> TemplateSet:
        return self.templates.get(integration_id, TemplateSet(templates={}))

    def get_contact(self, integration_id: str, lookup_key: str) -> UUID | None:
        return self.contacts.get((integration_id, lookup_key))

    def put_contact(self, integration_id: str, lookup_key: str, contact_guid: UUID) -> None:
        self.contacts[(integration_id, lookup_key)] = contact_guid


@dataclass
class InMemoryConnections:
    connections: dict[str, Connection] = field(default_factory=dict)

    def get_connection(self, connection_id: str) -> Connection | None:
        return self.connections.get(connection_id)


@dataclass
class InMemoryOrderRecords:
    records: dict[UUID, OrderRecord] = field(default_factory=dict)
    rejected: list[dict[str, str]] = field(default_factory=list)

    def claim(self, record: OrderRecord, now: datetime) -> Claim:
        existing = self.records.get(record.invoice_guid)
        if existing is None:
            self.records[record.invoice_guid] = record
            return Claim(record=record, acquired=True, resumed=False)
        expired = existing.lease_until is None or existing.lease_until <= now
        if existing.status is OrderStatus.QUEUED or (existing.status is OrderStatus.PROCESSING and expired):
            taken = existing.model_copy(
                update={
                    "status": OrderStatus.PROCESSING,
                    "attempts": existing.attempts + 1,
                    "lease_until": record.lease_until,
                }
            )
            self.records[record.invoice_guid] = taken
            return Claim(record=taken, acquired=True, resumed=True)
        return Claim(record=existing, acquired=False, resumed=False)

    def finish(self, record: OrderRecord, status: OrderStatus, **changes: Any) -> OrderRecord:
        finished = record.model_copy(update={"status": status, "lease_until": None, **changes})
        if self._owned(record):
            self.records[record.invoice_guid] = finished
        return finished

    def release(self, record: OrderRecord, reason: str, now: datetime) -> None:
        if self._owned(record):
            self.records[record.invoice_guid] = record.model_copy(update={"lease_until": now, "reason": reason})

    def reject_event(self, message_id: str, body: str, reason: str, now: datetime) -> None:
        self.rejected.append({"message_id": message_id, "body": body, "reason": reason})

    def only(self) -> OrderRecord:
        assert len(self.records) == 1, self.records
        return next(iter(self.records.values()))

    def _owned(self, record: OrderRecord) -> bool:
        current = self.records[record.invoice_guid]
        return current.status is OrderStatus.PROCESSING and current.attempts == record.attempts


@dataclass
class FakeDinero:
    """One organization's Dinero: computes totals from incl.-VAT lines and each account's VAT rate like Dinero."""

    vat_rates: dict[int, Decimal] = field(default_factory=dict)
    invoices: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    # method name -> errors to raise on the next calls (in order)
    failures: dict[str, list[BookkeepingError]] = field(default_factory=dict)
    # method name -> errors raised AFTER the call took effect (a lost answer)
    lost_answers: dict[str, list[BookkeepingError]] = field(default_factory=dict)
    next_number: int = 1

    def for_organization(self, connection_id: str, organization_id: int) -> "FakeDinero":
        return self

    def find_contact(self, *, email: str | None, name: str) -> UUID | None:
        self._enter("find_contact")
        for guid, contact in self.contacts.items():
            if (email and contact.get("Email") == email) or (not email and contact["Name"] == name):
                return guid
        return None

    def create_contact(self, body: dict[str, Any]) -> UUID:
        self._enter("create_contact")
        guid = UUID(body["ContactGuid"]) if body.get("ContactGuid") else uuid4()
        self.contacts[guid] = body
        return guid

    def create_invoice(self, body: dict[str, Any]) -> None:
        self._enter("create_invoice")
        guid = UUID(body["Guid"])
        if guid in self.invoices:
            raise DineroValidationError("Dinero rejected /invoices: an invoice with this Guid already exists")
        self.invoices[guid] = {"body": body, "status": DineroInvoiceStatus.DRAFT, "number": None, "version": 1}
        self._after("create_invoice")

    def get_invoice(self, guid: UUID) -> DineroInvoice | None:
        self._enter("get_invoice")
        return self._read(guid) if guid in self.invoices else None

    def book_invoice(self, guid: UUID, timestamp: str) -> DineroInvoice:
        self._enter("book_invoice")
        invoice = self.invoices[guid]
        assert invoice["status"] is DineroInvoiceStatus.DRAFT and timestamp == f"{invoice['version']:016X}"
        invoice.update(status=DineroInvoiceStatus.BOOKED, number=self.next_number, version=invoice["version"] + 1)
        self.next_number += 1
        self._after("book_invoice")
        return self._read(guid)

    def _read(self, guid: UUID) -> DineroInvoice:
        invoice = self.invoices[guid]
        total = vat = Decimal("0")
        for line in invoice["body"]["ProductLines"]:
            if line.get("LineType") == "Text":
                continue
            gross = (Decimal(str(line["BaseAmountValue"])) * Decimal(str(line["Quantity"]))).quantize(Decimal("0.01"))
            rate = self.vat_rates.get(line["AccountNumber"], Decimal("0"))
            total += gross
            vat += (gross * rate / (1 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return DineroInvoice(
            guid=guid,
            timestamp=f"{invoice['version']:016X}",
            status=invoice["status"],
            number=invoice["number"],
            currency=invoice["body"].get("Currency") or "DKK",
            total_incl_vat=total,
            total_vat=vat,
        )

    def _enter(self, method: str) -> None:
        self.calls[method] += 1
        if self.failures.get(method):
            raise self.failures[method].pop(0)

    def _after(self, method: str) -> None:
        if self.lost_answers.get(method):
            raise self.lost_answers[method].pop(0)
