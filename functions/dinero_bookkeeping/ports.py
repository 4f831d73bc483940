"""The ports the use cases talk to. Adapters implement them; tests use in-memory fakes."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from pydantic import SecretStr

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice
from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection, OrderIntegrationLink
from dinero_bookkeeping.domain.oauth_state import OAuthState
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.payment import PaymentsOverview, PaymentTemplate
from dinero_bookkeeping.domain.pending_connection import PendingConnection
from dinero_bookkeeping.domain.rate_window import Place, Reservation
from dinero_bookkeeping.domain.shipmondo_connection import Backfill, ShipmondoConnection, ShipmondoCredentials
from dinero_bookkeeping.domain.templates import Template, TemplateSet
from dinero_bookkeeping.domain.tokens import StoredTokens, TokenSet


class Clock(Protocol):
    def now(self) -> datetime: ...


class IntegrationRepository(Protocol):
    def get_link(self, merchant_id: str, order_integration_id: str) -> OrderIntegrationLink | None:
        """The merchant's own link of the webshop: webshop ids mean something only within a merchant's namespace."""
        ...

    def get_integration(self, integration_id: str) -> AccountingIntegration | None: ...

    def get_templates(self, integration_id: str) -> TemplateSet: ...

    def get_oss_settings(self, integration_id: str) -> OssSettings | None: ...


class ConfigurationCache(Protocol):
    """What a warm worker keeps of an integration's configuration (see adapters/config_cache.py)."""

    def forget(self, integration: AccountingIntegration) -> None:
        """Read the integration, its templates and its connection anew next time."""
        ...


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
    retried: bool = False  # True: the merchant asked for this attempt (queued for retry), likely after a fix


class OrderRecordRepository(Protocol):
    def claim(self, record: OrderRecord, event_json: str, now: datetime) -> Claim:
        """Insert `record` (status processing) with its event kept beside it, or take over a queued one or one whose
        lease expired. MalformedEventError when the event is too large to keep."""
        ...

    def finish(self, record: OrderRecord, status: OrderStatus, **changes: Any) -> OrderRecord:
        """Write the outcome, only while this worker still holds the lease it claimed."""
        ...

    def release(self, record: OrderRecord, reason: str, now: datetime) -> None:
        """Give the lease back after a transient failure, noting why, so the next delivery can go on."""
        ...

    def reject_event(self, message_id: str, body: str, reason: str, now: datetime) -> None:
        """Keep an event that cannot be processed at all (malformed, or for a webshop its merchant has not linked)."""
        ...


class LedgerRecords(OrderRecordRepository, Protocol):
    """The records, read by the steps after an invoice (payments, credit notes), which need the invoice's record."""

    def get_record(self, integration_id: str, invoice_guid: UUID) -> OrderRecord | None: ...

    def get_event(self, record: OrderRecord) -> str | None: ...


class DineroOrganizationApi(Protocol):
    """Dinero, as seen by one organization through one connection."""

    def find_contact(self, *, email: str | None, name: str, vat_number: str | None = None) -> UUID | None:
        """By VAT number when given (a business), else by e-mail, else by name."""
        ...

    def create_contact(self, body: dict[str, Any]) -> UUID: ...

    def create_invoice(self, body: dict[str, Any]) -> None: ...

    def get_invoice(self, guid: UUID) -> DineroInvoice | None: ...

    def book_invoice(self, guid: UUID, timestamp: str) -> DineroInvoice: ...


# Called before every request to an organization's Dinero API (a repeat after a 401 included); raises to stop it.
# This is how each request counts against the organization's budget (see domain/rate_window.py).
RequestMeter = Callable[[], None]


class DineroGateway(Protocol):
    def for_organization(
        self, connection_id: str, organization_id: int, meter: RequestMeter
    ) -> DineroOrganizationApi: ...


class DineroLedgerApi(Protocol):
    """What happens to an invoice after it is created: payments, deletion, credit notes and their refunds."""

    def get_invoice(self, guid: UUID) -> DineroInvoice | None: ...

    def invoice_total_in_dkk(self, guid: UUID, external_reference: str) -> Decimal | None:
        """The invoice's total in DKK as Dinero converted it (for a payment of a foreign-currency voucher)."""
        ...

    def list_invoice_payments(self, guid: UUID) -> PaymentsOverview | None: ...

    def create_invoice_payment(self, guid: UUID, body: dict[str, Any]) -> None: ...

    def delete_invoice(self, guid: UUID, timestamp: str) -> None:
        """Deletes a draft; an invoice already gone is no error."""
        ...

    def create_credit_note(self, body: dict[str, Any]) -> None: ...

    def get_credit_note(self, guid: UUID) -> DineroInvoice | None: ...

    def book_credit_note(self, guid: UUID, timestamp: str) -> DineroInvoice: ...

    def list_credit_note_payments(self, guid: UUID) -> PaymentsOverview | None: ...

    def create_credit_note_payment(self, guid: UUID, body: dict[str, Any]) -> None: ...


class DineroLedgerGateway(Protocol):
    def for_organization(self, connection_id: str, organization_id: int, meter: RequestMeter) -> DineroLedgerApi: ...


class PaymentTemplates(Protocol):
    def get_payment_template(self, integration_id: str) -> PaymentTemplate:
        """The integration's Payment template; payments off when the merchant never filled it."""
        ...


class PaymentTemplateStore(PaymentTemplates, Protocol):
    def put_payment_template(self, integration_id: str, template: PaymentTemplate) -> None: ...


class ConnectionRepository(Protocol):
    def get_connection(self, connection_id: str) -> Connection | None: ...


class RateLimiter(Protocol):
    """Dinero's request budget per organization, shared by every worker (see domain/rate_window.py)."""

    def reserve(
        self, organization_id: int, calls: int, now: datetime, *, resumed: bool, place: Place | None = None
    ) -> Reservation:
        """Budget for the order's Dinero calls from now on, or WaitForBudget with the order's place in line.

        `calls`: what the order needs when nothing was created yet. The reservation adds the lookup a resumed order
        needs, unless the order has never called Dinero (then `look_up_first` is False). `place`: the place its
        message carries from an earlier wait (None: it joins the end of the line if there is one).
        """
        ...

    def reserve_now(self, organization_id: int, calls: int, now: datetime) -> Reservation:
        """Budget for a merchant's request (the configuration API), ahead of the line; WaitForBudget says when."""
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


class PendingConnectionStore(Protocol):
    def park(self, pending: PendingConnection) -> None: ...

    def consume(self, handle: str) -> PendingConnection | None:
        """The parked consent, gone from the store from now on; None if it is unknown or was used already."""
        ...


class OAuthProvider(Protocol):
    """Visma Connect, as the connect flow uses it."""

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str: ...

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str, now: datetime) -> TokenSet: ...


class GrantRevoker(Protocol):
    """Visma Connect's token revocation (RFC 7009): ends the grant, so no copy of its tokens works any more."""

    def revoke(self, refresh_token: SecretStr) -> None: ...


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

    def load_tokens(self, connection_id: str) -> StoredTokens | None:
        """The decrypted token set of a connected connection; None when there is none (never or no longer)."""
        ...

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
        """Link the webshop if the merchant has not linked it yet; return the merchant's link in place (this one, or
        an earlier one)."""
        ...

    def remove_link(self, merchant_id: str, order_integration_id: str, integration_id: str) -> bool:
        """Unlink the merchant's webshop if it is linked to this integration; False if it was not."""
        ...


@dataclass(frozen=True)
class RecordPage:
    records: list[OrderRecord]
    next_cursor: str | None  # None on the last page


class OrderHistory(Protocol):
    def list_page(self, integration_id: str, limit: int, cursor: str | None) -> RecordPage:
        """Newest first. InvalidRequestError for a cursor that is not a next_cursor of this list."""
        ...

    def get_record(self, integration_id: str, invoice_guid: UUID) -> OrderRecord | None: ...

    def get_event(self, record: OrderRecord) -> str | None:
        """The record's event as it arrived; None once it has expired."""
        ...

    def queue_for_retry(self, record: OrderRecord, now: datetime) -> OrderRecord | None:
        """Set status queued if the record is still as read; None if it changed meanwhile."""
        ...

    def undo_queue_for_retry(self, queued: OrderRecord, previous: OrderRecord) -> None:
        """Put the previous status back when the event could not be re-enqueued (nothing would ever claim it)."""
        ...


class OrderQueue(Protocol):
    def send(self, body: str, *, integration_id: str | None = None) -> None:
        """Put an event on the queue; with `integration_id`, only that integration may book it (a retry)."""
        ...


class DineroChoicesApi(Protocol):
    """The organization's reference data in Dinero, raw (Dinero's read models)."""

    def list_entry_accounts(self) -> list[dict[str, Any]]: ...

    def list_invoice_layouts(self) -> list[dict[str, Any]]: ...

    def list_vat_types(self) -> list[dict[str, Any]]: ...

    def list_deposit_accounts(self) -> list[dict[str, Any]]: ...


class DineroChoicesGateway(Protocol):
    def for_organization(self, connection_id: str, organization_id: int, meter: RequestMeter) -> DineroChoicesApi: ...


# --- Shipmondo: connecting an account, its webhooks, the catch-up poll and backfills ---


@dataclass(frozen=True)
class SalesOrderPage:
    """One page of GET /sales_orders, with Shipmondo's paging headers."""

    orders: list[dict[str, Any]]
    page: int
    total_pages: int
    total_count: int


class ShipmondoAccountApi(Protocol):
    def account_name(self) -> str: ...

    def sales_orders(self, filters: dict[str, str], page: int) -> SalesOrderPage: ...

    def webhooks(self) -> list[dict[str, Any]]: ...

    def create_webhook(self, body: dict[str, str]) -> int: ...

    def delete_webhook(self, webhook_id: int) -> None: ...


class ShipmondoGateway(Protocol):
    def for_account(self, credentials: ShipmondoCredentials) -> ShipmondoAccountApi: ...


class ShipmondoStore(Protocol):
    def get_connection(self, merchant_id: str) -> ShipmondoConnection | None: ...

    def load_credentials(self, merchant_id: str) -> ShipmondoCredentials | None: ...

    def hook_owner(self, hook_id: str) -> str | None:
        """The merchant whose webhook URL carries this opaque id."""
        ...

    def save(self, connection: ShipmondoConnection, credentials: ShipmondoCredentials) -> None: ...

    def delete(self, connection: ShipmondoConnection) -> None: ...

    def list_connections(self) -> list[ShipmondoConnection]: ...

    def record_poll(
        self, connection: ShipmondoConnection, result: str, now: datetime, *, watermark: datetime | None = None
    ) -> bool: ...

    def put_backfill(self, backfill: Backfill) -> None: ...

    def get_backfill(self, merchant_id: str, backfill_id: str) -> Backfill | None: ...

    def running_backfills(self) -> list[Backfill]: ...


class RecordLookup(Protocol):
    def get_record(self, integration_id: str, invoice_guid: UUID) -> OrderRecord | None: ...


class RecordStatuses(Protocol):
    def statuses(self, keys: list[tuple[str, UUID]]) -> dict[UUID, OrderStatus]:
        """The status of each existing record among (integration id, invoice guid), read in batches."""
        ...


class EventRejecter(Protocol):
    def reject_event(self, message_id: str, body: str, reason: str, now: datetime) -> None: ...
