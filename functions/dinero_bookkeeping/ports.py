"""The ports the use cases talk to. Adapters implement them; tests use in-memory fakes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice
from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection, OrderIntegrationLink
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.domain.templates import TemplateSet


class Clock(Protocol):
    def now(self) -> datetime: ...


class IntegrationRepository(Protocol):
    def get_link(self, order_integration_id: str) -> OrderIntegrationLink | None: ...

    def get_integration(self, integration_id: str) -> AccountingIntegration | None: ...

    def get_templates(self, integration_id: str) -> TemplateSet: ...


class ContactCache(Protocol):
    """Remembers Dinero contacts by customer, so a returning customer costs no lookup call."""

    def get_contact(self, integration_id: str, lookup_key: str) -> UUID | None: ...

    def put_contact(self, integration_id: str, lookup_key: str, contact_guid: UUID) -> None: ...


@dataclass(frozen=True)
class Claim:
    """The outcome of trying to take an order for processing."""

    record: OrderRecord
    acquired: bool  # True: this worker owns the record until record.lease_until
    resumed: bool  # True: an earlier attempt may have reached Dinero, so look before creating


class OrderRecordRepository(Protocol):
    def claim(self, record: OrderRecord, now: datetime) -> Claim:
        """Insert `record` (status processing), or take over a queued one or one whose lease expired."""
        ...

    def finish(self, record: OrderRecord, status: OrderStatus, **changes: Any) -> OrderRecord:
        """Write the outcome, only while this worker still holds the lease it claimed."""
        ...

    def release(self, record: OrderRecord, reason: str, now: datetime) -> None:
        """Give the lease back after a transient failure, noting why, so the next delivery can go on."""
        ...

    def reject_event(self, message_id: str, body: str, reason: str, now: datetime) -> None:
        """Keep an event that cannot be processed at all (malformed, or for a webshop linked to nothing)."""
        ...


class DineroOrganizationApi(Protocol):
    """Dinero, as seen by one organization through one connection."""

    def find_contact(self, *, email: str | None, name: str) -> UUID | None: ...

    def create_contact(self, body: dict[str, Any]) -> UUID: ...

    def create_invoice(self, body: dict[str, Any]) -> None: ...

    def get_invoice(self, guid: UUID) -> DineroInvoice | None: ...

    def book_invoice(self, guid: UUID, timestamp: str) -> DineroInvoice: ...


class DineroGateway(Protocol):
    def for_organization(self, connection_id: str, organization_id: int) -> DineroOrganizationApi: ...


class ConnectionRepository(Protocol):
    def get_connection(self, connection_id: str) -> Connection | None: ...
