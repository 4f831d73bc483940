"""The ports the use cases talk to. Adapters implement them; tests use in-memory fakes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from pydantic import SecretStr

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice
from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection, OrderIntegrationLink
from dinero_bookkeeping.domain.oauth_state import OAuthState
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.rate_window import Reservation
from dinero_bookkeeping.domain.templates import Template, TemplateSet
from dinero_bookkeeping.domain.tokens import TokenSet


class Clock(Protocol):
    def now(self) -> datetime: ...


class IntegrationRepository(Protocol):
    def get_link(self, order_integration_id: str) -> OrderIntegrationLink | None: ...

    def get_integration(self, integration_id: str) -> AccountingIntegration | None: ...

    def get_templates(self, integration_id: str) -> TemplateSet: ...

    def get_oss_settings(self, integration_id: str) -> OssSettings | None: ...


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

    def find_contact(self, *, email: str | None, name: str, vat_number: str | None = None) -> UUID | None:
        """By VAT number when given (a business), else by e-mail, else by name."""
        ...

    def create_contact(self, body: dict[str, Any]) -> UUID: ...

    def create_invoice(self, body: dict[str, Any]) -> None: ...

    def get_invoice(self, guid: UUID) -> DineroInvoice | None: ...

    def book_invoice(self, guid: UUID, timestamp: str) -> DineroInvoice: ...


class DineroGateway(Protocol):
    def for_organization(self, connection_id: str, organization_id: int) -> DineroOrganizationApi: ...


class ConnectionRepository(Protocol):
    def get_connection(self, connection_id: str) -> Connection | None: ...


class RateLimiter(Protocol):
    """Dinero's request budget per organization, shared by every worker (see domain/rate_window.py)."""

    def reserve(self, organization_id: int, order: str, calls: int, now: datetime, *, resumed: bool) -> Reservation:
        """Budget for the order's Dinero calls from now on, or RetryableError with retry_after_seconds (its turn).

        `calls`: what the order needs when nothing was created yet. The reservation adds the lookup a resumed order
        needs, unless the order has never called Dinero (then `look_up_first` is False).
        """
        ...

    def settle(self, reservation: Reservation, calls_made: int, last_call_at: datetime | None) -> None:
        """Give back what the order did not use. Best effort: never raises for a transient fault (then the unused
        budget simply frees a little later)."""
        ...


# --- Connecting Dinero and configuring integrations (the OAuth and configuration functions) ---


class OAuthStateStore(Protocol):
    def put_state(self, state: OAuthState) -> None: ...

    def consume_state(self, state: str) -> OAuthState | None:
        """The state, gone from the store from now on; None if it is unknown or was used already."""
        ...


class OAuthProvider(Protocol):
    """Visma Connect, as the connect flow uses it."""

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str: ...

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str, now: datetime) -> TokenSet: ...


class OrganizationSummary(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def is_pro(self) -> bool: ...


class OrganizationDirectory(Protocol):
    def list_organizations(self, access_token: SecretStr) -> Sequence[OrganizationSummary]: ...


class ConnectionStore(ConnectionRepository, Protocol):
    def save_grant(self, connection: Connection, tokens: TokenSet) -> None: ...

    def mark_disconnected(self, connection_id: str, reason: str, now: datetime) -> None: ...


class IntegrationStore(IntegrationRepository, Protocol):
    def list_integrations(self, merchant_id: str) -> list[AccountingIntegration]: ...

    def save_connected(self, integration: AccountingIntegration) -> None:
        """Create the integration, or refresh what Dinero says about it while keeping the merchant's settings."""
        ...

    def update_settings(
        self, integration_id: str, now: datetime, *, active: bool | None = None, book_automatically: bool | None = None
    ) -> AccountingIntegration:
        """Change the given settings (None: leave as is) and return the integration as stored."""
        ...

    def create_templates(self, integration_id: str, templates: TemplateSet) -> None:
        """Store each template that does not exist yet; existing ones keep what the merchant chose."""
        ...

    def put_template(self, integration_id: str, template: Template) -> None: ...

    def put_oss_settings(self, integration_id: str, settings: OssSettings) -> None: ...

    def list_links(self, merchant_id: str, integration_id: str) -> list[OrderIntegrationLink]: ...

    def add_link(self, link: OrderIntegrationLink) -> OrderIntegrationLink:
        """Link the webshop if it is linked to nothing; return the link in place (this one, or an earlier one)."""
        ...

    def remove_link(self, order_integration_id: str, integration_id: str) -> bool:
        """Unlink the webshop if it is linked to this integration; False if it was not."""
        ...


class OrderHistory(Protocol):
    def list_records(self, integration_id: str) -> list[OrderRecord]: ...

    def get_record(self, integration_id: str, invoice_guid: UUID) -> OrderRecord | None: ...

    def queue_for_retry(self, record: OrderRecord, now: datetime) -> OrderRecord | None:
        """Set status queued if the record is still as read; None if it changed meanwhile."""
        ...

    def undo_queue_for_retry(self, queued: OrderRecord, previous: OrderRecord) -> None:
        """Put the previous status back when the event could not be re-enqueued (nothing would ever claim it)."""
        ...


class OrderQueue(Protocol):
    def send(self, body: str) -> None: ...


class DineroChoicesApi(Protocol):
    """The organization's reference data in Dinero, raw (Dinero's read models)."""

    def list_entry_accounts(self) -> list[dict[str, Any]]: ...

    def list_invoice_layouts(self) -> list[dict[str, Any]]: ...

    def list_vat_types(self) -> list[dict[str, Any]]: ...


class DineroChoicesGateway(Protocol):
    def for_organization(self, connection_id: str, organization_id: int) -> DineroChoicesApi: ...
