"""In-memory fakes of the ports, behaving like the real adapters (claim semantics included)."""

import copy
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from pydantic import SecretStr

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus
from dinero_bookkeeping.domain.errors import BookkeepingError, ConsentRevokedError, DineroValidationError, NotFoundError
from dinero_bookkeeping.domain.integration import (
    AccountingIntegration,
    Connection,
    ConnectionStatus,
    OrderIntegrationLink,
)
from dinero_bookkeeping.domain.oauth_state import OAuthState, s256_code_challenge
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.payment import PaymentsOverview, PaymentTemplate
from dinero_bookkeeping.domain.pending_connection import PendingConnection
from dinero_bookkeeping.domain.rate_window import Place, RateWindow, Reservation, reservation_for
from dinero_bookkeeping.domain.templates import Template, TemplateSet
from dinero_bookkeeping.domain.tokens import StoredTokens, TokenSet
from dinero_bookkeeping.ports import Claim, RecordPage, RequestMeter


class FixedClock:
    def __init__(self, now: datetime = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@dataclass
class InMemoryIntegrations:
    links: dict[tuple[str, str], OrderIntegrationLink] = field(default_factory=dict)  # (merchant, webshop)
    integrations: dict[str, AccountingIntegration] = field(default_factory=dict)
    templates: dict[str, TemplateSet] = field(default_factory=dict)
    contacts: dict[tuple[str, str], UUID] = field(default_factory=dict)
    oss: dict[str, OssSettings] = field(default_factory=dict)
    oss_reads: int = 0

    def get_link(self, merchant_id: str, order_integration_id: str) -> OrderIntegrationLink | None:
        return self.links.get((merchant_id, order_integration_id))

    def link(self, link: OrderIntegrationLink) -> None:
        self.links[(link.merchant_id, link.order_integration_id)] = link

    def get_integration(self, integration_id: str) -> AccountingIntegration | None:
        return self.integrations.get(integration_id)

    def get_templates(self, integration_id: str) -> TemplateSet:
        return self.templates.get(integration_id, TemplateSet(templates={}))

    def get_oss_settings(self, integration_id: str) -> OssSettings | None:
        self.oss_reads += 1
        return self.oss.get(integration_id)

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
    events: dict[UUID, str] = field(default_factory=dict)
    rejected: list[dict[str, str]] = field(default_factory=list)

    def claim(self, record: OrderRecord, event_json: str, now: datetime) -> Claim:
        existing = self.records.get(record.invoice_guid)
        if existing is None:
            self.records[record.invoice_guid] = record
            self.events[record.invoice_guid] = event_json
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
            retried = existing.status is OrderStatus.QUEUED
            return Claim(record=taken, acquired=True, resumed=True, retried=retried)
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
    meter: RequestMeter = field(default=lambda: None, repr=False)

    def for_organization(self, connection_id: str, organization_id: int, meter: RequestMeter) -> "FakeDinero":
        self.meter = meter
        return self

    def find_contact(self, *, email: str | None, name: str, vat_number: str | None = None) -> UUID | None:
        self._enter("find_contact")
        for guid, contact in self.contacts.items():
            if vat_number:
                if contact.get("VatNumber") == vat_number:
                    return guid
            elif (email and contact.get("Email") == email) or (not email and contact["Name"] == name):
                return guid
        return None

    def create_contact(self, body: dict[str, Any]) -> UUID:
        self._enter("create_contact")
        guid = UUID(body["ContactGuid"]) if body.get("ContactGuid") else uuid4()
        if guid in self.contacts:
            raise DineroValidationError("Dinero rejected /contacts: already exists", frozenset({"ContactGuid"}))
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
        self.meter()
        self.calls[method] += 1
        if self.failures.get(method):
            raise self.failures[method].pop(0)

    def _after(self, method: str) -> None:
        if self.lost_answers.get(method):
            raise self.lost_answers[method].pop(0)


@dataclass
class InMemoryRateLimiter:
    """Dinero's shared budget with the adapter's semantics, one window per organization, without DynamoDB."""

    limit: int = 80
    windows: dict[int, RateWindow] = field(default_factory=dict)
    settled: list[tuple[Reservation, int]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def reserve(
        self, organization_id: int, calls: int, now: datetime, *, resumed: bool, place: Place | None = None
    ) -> Reservation:
        window = self.windows.get(organization_id, RateWindow(limit=self.limit))
        grant_id = f"grant-{next(self._ids)}"
        self.windows[organization_id], outcome = window.reserve(
            calls, now, resumed=resumed, grant_id=grant_id, place=place
        )
        return reservation_for(organization_id, outcome, now)

    def reserve_now(self, organization_id: int, calls: int, now: datetime) -> Reservation:
        window = self.windows.get(organization_id, RateWindow(limit=self.limit))
        grant_id = f"grant-{next(self._ids)}"
        self.windows[organization_id], outcome = window.reserve_now(calls, now, grant_id=grant_id)
        return reservation_for(organization_id, outcome, now)

    def settle(self, reservation: Reservation, calls_made: int, last_call_at: datetime | None) -> None:
        window = self.windows[reservation.organization_id]
        self.windows[reservation.organization_id] = window.settle(reservation.grant.grant_id, calls_made, last_call_at)
        self.settled.append((reservation, calls_made))


# --- The configuration API's ports: connecting Dinero, integrations, templates, links, order history ---


@dataclass
class InMemoryIntegrationStore(InMemoryIntegrations):
    """InMemoryIntegrations plus what the configuration API writes; semantics as in DynamoIntegrations."""

    def list_integrations(self, merchant_id: str) -> list[AccountingIntegration]:
        return [i for i in self.integrations.values() if i.merchant_id == merchant_id]

    def save_connected(self, integration: AccountingIntegration) -> None:
        existing = self.integrations.get(integration.integration_id)
        if existing is not None:
            kept = {"active", "book_automatically", "created_at"}
            integration = integration.model_copy(update=existing.model_dump(include=kept))
        self.integrations[integration.integration_id] = integration

    def update_settings(
        self, integration_id: str, now: datetime, *, active: bool | None = None, book_automatically: bool | None = None
    ) -> AccountingIntegration:
        existing = self.integrations.get(integration_id)
        if existing is None:
            raise NotFoundError(f"Integration {integration_id} does not exist")
        changes = {"active": active, "book_automatically": book_automatically}
        updated = existing.model_copy(
            update={name: value for name, value in changes.items() if value is not None} | {"updated_at": now}
        )
        self.integrations[integration_id] = updated
        return updated

    def put_oss_settings(self, integration_id: str, settings: OssSettings) -> None:
        self.oss[integration_id] = settings

    def create_templates(self, integration_id: str, templates: TemplateSet) -> None:
        current = self.get_templates(integration_id).templates
        self.templates[integration_id] = TemplateSet(templates={**templates.templates, **current})

    def put_template(self, integration_id: str, template: Template) -> None:
        current = self.get_templates(integration_id).templates
        self.templates[integration_id] = TemplateSet(templates={**current, template.kind: template})

    def list_links(self, merchant_id: str, integration_id: str) -> list[OrderIntegrationLink]:
        return [
            link
            for link in self.links.values()
            if link.merchant_id == merchant_id and link.integration_id == integration_id
        ]

    def add_link(self, link: OrderIntegrationLink) -> OrderIntegrationLink:
        return self.links.setdefault((link.merchant_id, link.order_integration_id), link)

    def remove_link(self, merchant_id: str, order_integration_id: str, integration_id: str) -> bool:
        link = self.links.get((merchant_id, order_integration_id))
        if link is None or link.integration_id != integration_id:
            return False
        del self.links[(merchant_id, order_integration_id)]
        return True


@dataclass
class InMemoryConnectionStore(InMemoryConnections):
    token_sets: dict[str, TokenSet] = field(default_factory=dict)
    load_failure: BookkeepingError | None = None  # KMS unable to decrypt, for example

    def save_grant(self, connection: Connection, tokens: TokenSet) -> None:
        self.connections[connection.connection_id] = connection
        self.token_sets[connection.connection_id] = tokens

    def load_tokens(self, connection_id: str) -> StoredTokens | None:
        if self.load_failure is not None:
            raise self.load_failure
        tokens, connection = self.token_sets.get(connection_id), self.connections.get(connection_id)
        if tokens is None or connection is None:
            return None
        return StoredTokens(connection_id=connection_id, merchant_id=connection.merchant_id, tokens=tokens, version=1)

    def mark_disconnected(self, connection_id: str, reason: str, now: datetime) -> None:
        # KeyError for an unknown connection, as the real update's condition fails for one.
        self.connections[connection_id] = self.connections[connection_id].model_copy(
            update={"status": ConnectionStatus.DISCONNECTED, "status_reason": reason, "updated_at": now}
        )
        self.token_sets.pop(connection_id, None)


@dataclass
class InMemoryOAuthStates:
    states: dict[str, OAuthState] = field(default_factory=dict)

    def put_state(self, state: OAuthState) -> None:
        self.states[state.state] = state

    def consume_state(self, state: str) -> OAuthState | None:
        return self.states.pop(state, None)


@dataclass
class InMemoryPendingConnections:
    pending: dict[str, PendingConnection] = field(default_factory=dict)
    failure: BookkeepingError | None = None

    def park(self, pending: PendingConnection) -> None:
        if self.failure is not None:
            raise self.failure
        self.pending[pending.handle] = pending

    def consume(self, handle: str) -> PendingConnection | None:
        return self.pending.pop(handle, None)


@dataclass
class FakeVismaConnect:
    """Visma Connect's authorize, token and revocation endpoints: codes are single-use and PKCE (S256) is checked."""

    base_url: str = "https://connect.visma.example"
    # code -> the code_challenge of the authorize request it answers
    codes: dict[str, str] = field(default_factory=dict)
    failure: BookkeepingError | None = None
    issued: list[TokenSet] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)  # refresh tokens, in the order they were revoked
    revoke_failure: BookkeepingError | None = None
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        query = {"redirect_uri": redirect_uri, "state": state, "code_challenge": code_challenge}
        return f"{self.base_url}/connect/authorize?{urlencode(query)}"

    def consent(self, code_challenge: str) -> str:
        """The user accepts in the browser: a code for the authorize request with this challenge."""
        code = f"code-{next(self._numbers)}"
        self.codes[code] = code_challenge
        return code

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str, now: datetime) -> TokenSet:
        if self.failure is not None:
            raise self.failure
        challenge = self.codes.pop(code, None)
        if challenge is None or s256_code_challenge(code_verifier) != challenge:
            raise ConsentRevokedError("Dinero access was revoked or expired: connect Dinero again")
        number = next(self._numbers)
        tokens = TokenSet(
            access_token=SecretStr(f"access-token-{number}"),
            refresh_token=SecretStr(f"refresh-token-{number}"),
            access_expires_at=now + timedelta(hours=1),
        )
        self.issued.append(tokens)
        return tokens

    def revoke(self, refresh_token: SecretStr) -> None:
        if self.revoke_failure is not None:
            raise self.revoke_failure
        self.revoked.append(refresh_token.get_secret_value())


@dataclass(frozen=True)
class FakeOrganization:
    id: int
    name: str
    is_pro: bool


@dataclass
class FakeOrganizationDirectory:
    """GET /v1/organizations: the organizations of whoever the access token belongs to."""

    organizations: list[FakeOrganization] = field(default_factory=list)
    failure: BookkeepingError | None = None
    tokens_seen: list[str] = field(default_factory=list)

    def list_organizations(self, access_token: SecretStr) -> list[FakeOrganization]:
        if self.failure is not None:
            raise self.failure
        self.tokens_seen.append(access_token.get_secret_value())
        return list(self.organizations)


@dataclass
class FakeDineroChoices:
    """One organization's entry accounts, invoice layouts, VAT types and deposit accounts, as Dinero's read models."""

    accounts: list[dict[str, Any]] = field(default_factory=list)
    layouts: list[dict[str, Any]] = field(default_factory=list)
    vat_types: list[dict[str, Any]] = field(default_factory=list)
    deposit_accounts: list[dict[str, Any]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    failure: BookkeepingError | None = None
    meter: RequestMeter = field(default=lambda: None, repr=False)

    def for_organization(self, connection_id: str, organization_id: int, meter: RequestMeter) -> "FakeDineroChoices":
        self.meter = meter
        return self

    def list_entry_accounts(self) -> list[dict[str, Any]]:
        self._enter("list_entry_accounts")
        return copy.deepcopy(self.accounts)

    def list_invoice_layouts(self) -> list[dict[str, Any]]:
        self._enter("list_invoice_layouts")
        return copy.deepcopy(self.layouts)

    def list_vat_types(self) -> list[dict[str, Any]]:
        self._enter("list_vat_types")
        return copy.deepcopy(self.vat_types)

    def list_deposit_accounts(self) -> list[dict[str, Any]]:
        self._enter("list_deposit_accounts")
        return copy.deepcopy(self.deposit_accounts)

    def _enter(self, method: str) -> None:
        self.meter()
        self.calls[method] += 1
        if self.failure is not None:
            raise self.failure


@dataclass
class InMemoryOrderHistory(InMemoryOrderRecords):
    """InMemoryOrderRecords plus the reads and the retry of the configuration API."""

    def list_page(self, integration_id: str, limit: int, cursor: str | None) -> RecordPage:
        ordered = sorted(
            (record for record in self.records.values() if record.integration_id == integration_id),
            key=lambda record: (record.created_at, str(record.invoice_guid)),
            reverse=True,
        )
        start = int(cursor) if cursor is not None else 0
        page = ordered[start : start + limit]
        more = start + limit < len(ordered)
        return RecordPage(records=page, next_cursor=str(start + limit) if more else None)

    def get_record(self, integration_id: str, invoice_guid: UUID) -> OrderRecord | None:
        record = self.records.get(invoice_guid)
        return record if record is not None and record.integration_id == integration_id else None

    def get_event(self, record: OrderRecord) -> str | None:
        return self.events.get(record.invoice_guid)

    def queue_for_retry(self, record: OrderRecord, now: datetime) -> OrderRecord | None:
        current = self.records[record.invoice_guid]
        if (current.status, current.attempts) != (record.status, record.attempts):
            return None
        queued = record.model_copy(update={"status": OrderStatus.QUEUED, "reason": None, "updated_at": now})
        self.records[record.invoice_guid] = queued
        return queued

    def undo_queue_for_retry(self, queued: OrderRecord, previous: OrderRecord) -> None:
        current = self.records[queued.invoice_guid]
        if (current.status, current.attempts) == (OrderStatus.QUEUED, queued.attempts):
            self.records[queued.invoice_guid] = previous


@dataclass
class InMemoryOrderQueue:
    sent: list[str] = field(default_factory=list)
    owners: list[str | None] = field(default_factory=list)  # the integration each message was sent for, if any
    failure: Exception | None = None

    def send(self, body: str, *, integration_id: str | None = None) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(body)
        self.owners.append(integration_id)


@dataclass
class InMemoryPaymentTemplates:
    templates: dict[str, PaymentTemplate] = field(default_factory=dict)

    def get_payment_template(self, integration_id: str) -> PaymentTemplate:
        return self.templates.get(integration_id, PaymentTemplate())

    def put_payment_template(self, integration_id: str, template: PaymentTemplate) -> None:
        self.templates[integration_id] = template


@dataclass
class FakeDineroPayments:
    """Dinero's invoices as payments see them: booked or draft vouchers, and the payments registered on them."""

    invoices: dict[UUID, DineroInvoice] = field(default_factory=dict)
    payments: dict[UUID, list[dict[str, Any]]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    # method name -> errors raised AFTER the call took effect (a lost answer)
    lost_answers: dict[str, list[BookkeepingError]] = field(default_factory=dict)
    meter: RequestMeter = field(default=lambda: None, repr=False)

    def for_organization(self, connection_id: str, organization_id: int, meter: RequestMeter) -> "FakeDineroPayments":
        self.meter = meter
        return self

    def get_invoice(self, guid: UUID) -> DineroInvoice | None:
        self.meter()
        self.calls["get_invoice"] += 1
        return self.invoices.get(guid)

    def invoice_total_in_dkk(self, guid: UUID, external_reference: str) -> Decimal | None:
        self.meter()
        self.calls["invoice_total_in_dkk"] += 1
        return self.invoices[guid].total_incl_vat * Decimal("7.46")

    def list_invoice_payments(self, guid: UUID) -> PaymentsOverview | None:
        self.meter()
        self.calls["list_invoice_payments"] += 1
        paid = sum((Decimal(str(p["Amount"])) for p in self.payments.get(guid, [])), Decimal(0))
        return PaymentsOverview(
            external_references=[p["ExternalReference"] for p in self.payments.get(guid, [])],
            remaining_amount=self.invoices[guid].total_incl_vat - paid,
            paid_amount=paid,
        )

    def create_invoice_payment(self, guid: UUID, body: dict[str, Any]) -> None:
        self.meter()
        self.calls["create_invoice_payment"] += 1
        invoice = self.invoices[guid]
        assert invoice.status is DineroInvoiceStatus.BOOKED and body["Timestamp"] == invoice.timestamp
        self.payments.setdefault(guid, []).append(body)
        self.invoices[guid] = invoice.model_copy(update={"timestamp": f"{invoice.timestamp}+"})
        if self.lost_answers.get("create_invoice_payment"):
            raise self.lost_answers["create_invoice_payment"].pop(0)

    def delete_invoice(self, guid: UUID, timestamp: str) -> None:
        raise AssertionError("payments never delete invoices")

    def create_credit_note(self, body: dict[str, Any]) -> None:
        raise AssertionError("payments make no credit notes")

    def get_credit_note(self, guid: UUID) -> DineroInvoice | None:
        raise AssertionError("payments make no credit notes")

    def book_credit_note(self, guid: UUID, timestamp: str) -> DineroInvoice:
        raise AssertionError("payments make no credit notes")

    def list_credit_note_payments(self, guid: UUID) -> PaymentsOverview | None:
        raise AssertionError("payments make no credit notes")

    def create_credit_note_payment(self, guid: UUID, body: dict[str, Any]) -> None:
        raise AssertionError("payments make no credit notes")
