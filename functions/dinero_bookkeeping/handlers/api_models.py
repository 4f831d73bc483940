"""Request and response bodies of the HTTP API. Responses map from domain objects explicitly (`from_...`), so a new
domain field never reaches a merchant unnoticed; requests refuse unknown fields, so a typo is a 422, not a no-op."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from dinero_bookkeeping.domain.dinero_choices import AccountChoice, LayoutChoice
from dinero_bookkeeping.domain.integration import OrderIntegrationLink
from dinero_bookkeeping.domain.money import round_ore
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, PaymentSummary, RecordKind
from dinero_bookkeeping.domain.oss_settings import OssAccount, OssSettings
from dinero_bookkeeping.domain.payment import MAX_METHOD_ACCOUNTS, DepositAccountChoice, PaymentTemplate
from dinero_bookkeeping.domain.pending_connection import MAX_HANDLE_LENGTH
from dinero_bookkeeping.domain.templates import AccountVat, PaymentConditionType, Template, TemplateKind
from dinero_bookkeeping.services.manage_integrations import IntegrationOverview, Revocation


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorResponse(BaseModel):
    message: str


class ConnectResponse(BaseModel):
    authorize_url: str = Field(description="Send the merchant's browser here to consent in Dinero (Visma Connect).")
    expires_at: datetime = Field(description="The consent must be given before this time.")


class CompleteConnectionRequest(_Request):
    handle: str = Field(
        min_length=1, max_length=MAX_HANDLE_LENGTH, description="The `handle` of the callback's redirect to the app."
    )


class CompleteConnectionResponse(BaseModel):
    result: Literal["connected"]
    organizations: int = Field(description="The Dinero organizations of the Visma user, one integration each.")


class DisconnectResponse(BaseModel):
    result: Literal["disconnected"]
    revocation: Revocation = Field(
        description="revoked: Visma Connect ended the grant. nothing_to_revoke: no live tokens were held. "
        "failed: Visma Connect could not be reached or refused; our copy is deleted all the same, and the grant "
        "ends when it expires or when the merchant removes the app's access in Visma Connect."
    )


class IntegrationResponse(BaseModel):
    integration_id: str
    organization_id: int
    organization_name: str
    is_pro: bool = Field(description="Dinero's API only serves organizations with Dinero Pro.")
    connected: bool = Field(description="False after the merchant disconnected or Dinero revoked the consent.")
    connection_status_reason: str | None
    active: bool
    book_automatically: bool
    incomplete_templates: list[str] = Field(description='Templates still to fill, e.g. "Product (EU)".')

    @staticmethod
    def from_overview(overview: IntegrationOverview) -> "IntegrationResponse":
        integration, connection = overview.integration, overview.connection
        return IntegrationResponse(
            integration_id=integration.integration_id,
            organization_id=integration.organization_id,
            organization_name=integration.organization_name,
            is_pro=integration.is_pro,
            connected=overview.connected,
            connection_status_reason=connection.status_reason if connection else "Dinero is not connected",
            active=integration.active,
            book_automatically=integration.book_automatically,
            incomplete_templates=[kind.label for kind in overview.incomplete_templates],
        )


class BookAutomaticallyRequest(_Request):
    enabled: StrictBool


class TemplateRequest(_Request):
    """Replaces the template: accounts for the Product/Shipping kinds; layout and payment terms for Invoice."""

    account_number: int | None = Field(default=None, gt=0)
    layout_id: UUID | None = None
    payment_condition_type: PaymentConditionType | None = None
    payment_condition_days: int | None = Field(default=None, ge=0, le=365)


class TemplateResponse(BaseModel):
    kind: TemplateKind
    label: str
    account_number: int | None
    vat_code: str | None = Field(description="The account's VAT code in Dinero when it was chosen.")
    vat_rate: Decimal | None = Field(description='Its rate as a fraction ("0.25"); orders are checked against it.')
    layout_id: UUID | None
    payment_condition_type: PaymentConditionType | None
    payment_condition_days: int | None
    missing: list[str] = Field(description="What must still be filled before orders can use the template.")

    @staticmethod
    def from_template(template: Template) -> "TemplateResponse":
        return TemplateResponse(
            kind=template.kind,
            label=template.kind.label,
            account_number=template.account_number,
            vat_code=template.vat_code,
            vat_rate=template.vat_rate,
            layout_id=template.layout_id,
            payment_condition_type=template.payment_condition_type,
            payment_condition_days=template.payment_condition_days,
            missing=template.missing,
        )


class SavedTemplateResponse(TemplateResponse):
    warnings: list[str] = Field(description="Accepted, but probably wrong (an account's VAT code for the region).")

    @staticmethod
    def from_saved(template: Template, warnings: list[str]) -> "SavedTemplateResponse":
        return SavedTemplateResponse(**TemplateResponse.from_template(template).model_dump(), warnings=warnings)


class AccountChoiceResponse(BaseModel):
    number: int
    name: str
    vat_code: str | None
    vat_rate: Decimal | None = Field(
        description='The VAT code\'s rate as a fraction ("0.25"); null if Dinero lists none.'
    )

    @staticmethod
    def from_choice(account: AccountChoice, vat: AccountVat) -> "AccountChoiceResponse":
        return AccountChoiceResponse(
            number=account.number, name=account.name, vat_code=account.vat_code, vat_rate=vat.vat_rate
        )


class OssRequest(_Request):
    """Replaces the OSS configuration. Each account must exist in Dinero and carry no VAT. Empty: OSS is off."""

    liability_account_number: int | None = Field(
        default=None, gt=0, description="The OSS VAT liability account: the foreign VAT is booked there."
    )
    countries: dict[str, int] = Field(
        default={},
        description='Per EU country (not DK) its sales account without VAT, e.g. {"DE": 1160}.',
        max_length=26,
    )


class OssAccountResponse(BaseModel):
    account_number: int
    vat_code: str | None
    vat_rate: Decimal | None

    @staticmethod
    def from_account(account: OssAccount) -> "OssAccountResponse":
        return OssAccountResponse(
            account_number=account.account_number, vat_code=account.vat_code, vat_rate=account.vat_rate
        )


class OssResponse(BaseModel):
    enabled: bool = Field(description="True when at least one country is configured.")
    liability_account: OssAccountResponse | None
    countries: dict[str, OssAccountResponse]

    @staticmethod
    def from_settings(settings: OssSettings) -> "OssResponse":
        return OssResponse(
            enabled=bool(settings.countries),
            liability_account=OssAccountResponse.from_account(settings.liability) if settings.liability else None,
            countries={code: OssAccountResponse.from_account(a) for code, a in sorted(settings.countries.items())},
        )


class LayoutChoiceResponse(BaseModel):
    id: UUID
    name: str
    is_default: bool

    @staticmethod
    def from_choice(layout: LayoutChoice) -> "LayoutChoiceResponse":
        return LayoutChoiceResponse(id=layout.id, name=layout.name, is_default=layout.is_default)


class PaymentConditionChoiceResponse(BaseModel):
    type: PaymentConditionType
    takes_days: bool = Field(description="Whether payment_condition_days applies to this type.")


class PaymentTemplateRequest(_Request):
    """Replaces the Payment template. Accounts must be deposit accounts of the organization in Dinero."""

    register_payments: StrictBool = Field(
        default=False, description="Register the payments of paid orders on their invoices (default off)."
    )
    deposit_account: int | None = Field(
        default=None, gt=0, description="Where payments go; required when register_payments is on."
    )
    method_accounts: dict[str, int] = Field(
        default_factory=dict,
        max_length=MAX_METHOD_ACCOUNTS,
        description="A deposit account per Shipmondo payment_method (e.g. a clearing account per card acquirer).",
    )


class PaymentTemplateResponse(BaseModel):
    register_payments: bool
    deposit_account: int | None
    method_accounts: dict[str, int]

    @staticmethod
    def from_template(template: PaymentTemplate) -> "PaymentTemplateResponse":
        return PaymentTemplateResponse(
            register_payments=template.register_payments,
            deposit_account=template.deposit_account,
            method_accounts=dict(template.method_accounts),
        )


class DepositAccountChoiceResponse(BaseModel):
    number: int
    name: str
    is_default: bool

    @staticmethod
    def from_choice(account: DepositAccountChoice) -> "DepositAccountChoiceResponse":
        return DepositAccountChoiceResponse(number=account.number, name=account.name, is_default=account.is_default)


class PaymentResponse(BaseModel):
    """A payment registered on an invoice, or a refund on a credit note."""

    amount: Decimal = Field(description="In the voucher's currency, to the øre.")
    currency: str
    deposit_account: int
    payment_date: date
    remaining_amount: Decimal | None = Field(description="What the voucher still lacks afterwards (0.00: settled).")

    @staticmethod
    def from_summary(summary: PaymentSummary) -> "PaymentResponse":
        remaining = summary.remaining_amount
        return PaymentResponse(
            amount=round_ore(summary.amount),
            currency=summary.currency,
            deposit_account=summary.deposit_account,
            payment_date=summary.payment_date,
            remaining_amount=round_ore(remaining) if remaining is not None else None,
        )


class LinkResponse(BaseModel):
    order_integration_id: str
    integration_id: str
    linked_at: datetime

    @staticmethod
    def from_link(link: OrderIntegrationLink) -> "LinkResponse":
        return LinkResponse(
            order_integration_id=link.order_integration_id, integration_id=link.integration_id, linked_at=link.linked_at
        )


class OrderResponse(BaseModel):
    order_id: UUID = Field(
        description="The record's id: the Dinero invoice's Guid for an invoice, the credit note's for a credit note."
    )
    kind: RecordKind = Field(
        description="invoice; payment (of an invoice); credit_note (a return, with its refund); cancellation."
    )
    related_order_id: UUID | None = Field(description="A payment's or credit note's invoice record (its order_id).")
    status: OrderStatus
    reason: str | None
    order_number: str
    order_integration_id: str
    fulfillment_id: int | None
    invoice_number: int | None = Field(description="The invoice's (or credit note's) number once booked.")
    total_incl_vat: Decimal | None = Field(description='As Dinero computed it, to the øre: a string ("527.90").')
    payment: PaymentResponse | None = Field(description="The payment registered (payment) or refund (credit_note).")
    currency: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_record(record: OrderRecord) -> "OrderResponse":
        return OrderResponse(
            order_id=record.invoice_guid,
            kind=record.kind,
            related_order_id=record.related_guid,
            status=record.status,
            reason=record.reason,
            order_number=record.order_number,
            order_integration_id=record.order_integration_id,
            fulfillment_id=record.fulfillment_id,
            invoice_number=record.invoice_number,
            total_incl_vat=round_ore(record.total_incl_vat) if record.total_incl_vat is not None else None,
            payment=PaymentResponse.from_summary(record.payment) if record.payment else None,
            currency=record.currency,
            attempts=record.attempts,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class OrderPageResponse(BaseModel):
    orders: list[OrderResponse] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
