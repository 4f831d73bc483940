"""One Dinero organization as the sandbox keeps it: reference data plus the contacts, invoices, credit notes and
payments written to it."""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from infra.local.dinero_sandbox.messages import Json

TEMPLATE_NAMESPACE = uuid.UUID("0d7b6c1e-5a0f-4f53-9d55-6a4f6b1c9e20")


@dataclass(frozen=True)
class EntryAccount:
    number: int
    name: str
    vat_code: str | None  # "none" (or no code at all) when the account carries no VAT
    category: str = "Turnover"
    category_name: str = "Omsætning"
    is_hidden: bool = False
    is_default_sales_account: bool = False

    def read_model(self) -> Json:
        return {
            "AccountNumber": self.number,
            "PublicStandardNumber": None,
            "Name": self.name,
            "VatCode": self.vat_code,
            "Category": self.category,
            "CategoryName": self.category_name,
            "IsHidden": self.is_hidden,
            "IsDefaultSalesAccount": self.is_default_sales_account,
        }


@dataclass(frozen=True)
class VatType:
    code: str
    name: str
    rate: Decimal

    def read_model(self) -> Json:
        return {"VatCode": self.code, "Name": self.name, "VatRate": self.rate}


@dataclass(frozen=True)
class LayoutTemplate:
    """An invoice layout ("InvoiceTemplateModel"); its Id goes into an invoice's InvoiceTemplateId."""

    id: str
    name: str
    is_default: bool
    theme: str

    def read_model(self) -> Json:
        return {
            "Id": self.id,
            "Name": self.name,
            "IsDefault": self.is_default,
            "Theme": self.theme,
            "PrimaryColor": "#1f3a5f",
            "SecondaryColor": "#e8eef5",
            "AddressPlacement": "Right",
            "Font": "Open Sans",
            "LogoType": "Letters",
            "LogoText": None,
            "LogoFileGuid": None,
            "MaxImageWidthMm": 60,
            "ShowCompanyInfo": True,
            "ShowPaymentConditions": True,
            "ShowLogo": False,
            "ShowLineQuantity": True,
            "ShowLineUnit": True,
            "ImageFileUploadGuid": None,
            "ImageTextColor": None,
        }


@dataclass(frozen=True)
class DepositAccount:
    """A bank or clearing account payments can be registered on (DepositAccountReadModel)."""

    number: int
    name: str
    is_default: bool = False
    is_hidden: bool = False

    def read_model(self) -> Json:
        return {
            "AccountNumber": self.number,
            "PublicStandardNumber": None,
            "Name": self.name,
            "IsDefault": self.is_default,
            "IsHidden": self.is_hidden,
            "BankRegistrationNumber": None,
            "BankAccountNumber": None,
            "BankSwiftNumber": None,
            "BankIbanNumber": None,
        }


def layout_id(organization_id: int, name: str) -> str:
    """Stable ids, so a test can name a layout without listing them first."""
    return str(uuid.uuid5(TEMPLATE_NAMESPACE, f"{organization_id}/{name}"))


@dataclass
class Organization:
    id: int
    name: str
    owner: str
    is_pro: bool
    profile: Json  # OrganizationReadModel
    accounts: dict[int, EntryAccount]
    vat_types: dict[str, VatType]
    layouts: list[LayoutTemplate]
    sales_settings: Json  # SalesVoucherSetttingsModel (sic, the spec's spelling)
    deposit_accounts: dict[int, DepositAccount] = field(default_factory=dict)
    contacts: dict[str, Json] = field(default_factory=dict)  # ContactReadModel by lower-case guid
    invoices: dict[str, Json] = field(default_factory=dict)  # InvoiceReadModel by lower-case guid
    credit_notes: dict[str, Json] = field(default_factory=dict)  # SalesCreditNoteReadModel by lower-case guid
    payments: dict[str, list[Json]] = field(default_factory=dict)  # PaymentReadModels by voucher guid

    def vat_rate(self, account: EntryAccount) -> Decimal:
        """As Dinero: an invoice line's VAT comes from its account's code; an account without a code carries none."""
        vat_type = self.vat_types.get(account.vat_code) if account.vat_code else None
        return vat_type.rate if vat_type else Decimal("0")

    def default_layout(self) -> LayoutTemplate:
        return next(layout for layout in self.layouts if layout.is_default)

    def next_invoice_number(self) -> int:
        return max((int(invoice["Number"]) for invoice in self.invoices.values()), default=0) + 1

    def next_credit_note_number(self) -> int:
        return max((int(note["Number"]) for note in self.credit_notes.values()), default=0) + 1

    def clear_vouchers(self) -> None:
        self.contacts.clear()
        self.invoices.clear()
        self.credit_notes.clear()
        self.payments.clear()

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "is_pro": self.is_pro,
            "invoices": list(self.invoices.values()),
            "credit_notes": list(self.credit_notes.values()),
            "payments": dict(self.payments),
            "contacts": list(self.contacts.values()),
        }
