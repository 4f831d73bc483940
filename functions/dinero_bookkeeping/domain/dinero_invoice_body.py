"""What is sent to Dinero for one order: the contact and the invoice (InvoiceCreateModel), plus what its totals must
come to and why it may need review."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dinero_bookkeeping.domain.money import JsonNumber, decimal_to_json_number
from dinero_bookkeeping.domain.regions import Region
from dinero_bookkeeping.domain.templates import PaymentConditionType

Language = Literal["da-DK", "en-GB"]


class ContactDetails(BaseModel):
    """The customer as a Dinero contact. Personal fields stay out of repr, so a logged draft shows none of them."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, repr=False)
    email: str | None = Field(default=None, repr=False)
    country_code: str = Field(min_length=2, max_length=2)
    street: str | None = Field(default=None, repr=False)
    zip_code: str | None = Field(default=None, repr=False)
    city: str | None = Field(default=None, repr=False)
    phone: str | None = Field(default=None, repr=False)
    is_person: bool = True
    # A business buyer's VAT number ("DE123456789"): the contact is then a company, as an intra-EU invoice requires.
    vat_number: str | None = Field(default=None, repr=False)
    attention: str | None = Field(default=None, repr=False)

    @property
    def lookup_key(self) -> str:
        """Businesses are recognised by VAT number (as Dinero advises), customers by e-mail, guests by name."""
        if self.vat_number:
            return f"vat:{self.vat_number}"
        return f"email:{self.email}" if self.email else f"name:{self.name.lower()}"


class InvoiceLine(BaseModel):
    """One invoice line. `account_number` is set on Text lines too, because Dinero's line schema requires it."""

    model_config = ConfigDict(frozen=True)

    description: str
    quantity: JsonNumber
    unit_price_incl_vat: JsonNumber
    account_number: int
    unit: Literal["parts", "shipment"] | None
    line_type: Literal["Product", "Text"]
    order_line_id: int | None = None  # the order line it bills, so a credit note can credit it (not sent to Dinero)

    @property
    def is_oss_vat(self) -> bool:
        """The foreign VAT of an OSS sale, a line of its own that bills no order line."""
        return self.order_line_id is None and self.line_type == "Product"

    def dinero_body(self) -> dict[str, Any]:
        """An InvoiceLinesCreateModel. Discount is always 0: order amounts are already net of discounts."""
        body: dict[str, Any] = {
            "Description": self.description,
            "Quantity": decimal_to_json_number(self.quantity),
            "BaseAmountValue": decimal_to_json_number(self.unit_price_incl_vat),
            "AccountNumber": self.account_number,
            "Discount": 0,
            "LineType": self.line_type,
        }
        if self.unit is not None:
            body["Unit"] = self.unit
        return body


class InvoiceDraft(BaseModel):
    """Everything Dinero needs for the invoice, plus what its totals must come to and why it may need review.

    `expected_vat` is the Danish VAT Dinero should compute (foreign OSS VAT is an ordinary line, not VAT to Dinero);
    `vat_lines` is how many lines carry it, which bounds the rounding difference Dinero may show (1 øre a line).
    `vat_reasons` say before any call why the VAT cannot come out right; `notes` say how the VAT was booked.
    """

    model_config = ConfigDict(frozen=True)

    guid: UUID
    region: Region
    contact: ContactDetails
    date: dt.date
    currency: str
    language: Language
    external_reference: str
    description: str
    comment: str | None = None
    layout_id: UUID | None
    payment_condition_type: PaymentConditionType | None
    payment_condition_days: int | None
    lines: list[InvoiceLine]
    expected_total_incl_vat: Decimal
    expected_vat: Decimal
    vat_lines: int = 0
    review_reasons: list[str]
    vat_reasons: list[str] = []
    notes: list[str] = []

    def dinero_body(self, contact_guid: UUID) -> dict[str, Any]:
        """The InvoiceCreateModel body. Lines are incl. VAT (ShowLinesInclVat), as the webshop priced them."""
        condition = self.payment_condition_type
        body = {
            "Guid": str(self.guid),
            "ContactGuid": str(contact_guid),
            "Date": self.date.isoformat(),
            "Currency": self.currency,
            "Language": self.language,
            "ExternalReference": self.external_reference,
            "Description": self.description,
            "ShowLinesInclVat": True,
            "InvoiceTemplateId": str(self.layout_id) if self.layout_id else None,
            "PaymentConditionType": condition.value if condition else None,
            "PaymentConditionNumberOfDays": self.payment_condition_days if condition and condition.takes_days else None,
            "ProductLines": [line.dinero_body() for line in self.lines],
        }
        if self.comment:
            body["Comment"] = self.comment
        return body


def contact_body(contact: ContactDetails, contact_guid: UUID) -> dict[str, Any]:
    """A ContactCreateModel. CVR lookup is never used (it would rename a foreign buyer); a business carries its VAT
    number, which Dinero says "should be NULL" for a person."""
    return {
        "ContactGuid": str(contact_guid),
        "Name": contact.name,
        "Email": contact.email,
        "Street": contact.street,
        "ZipCode": contact.zip_code,
        "City": contact.city,
        "Phone": contact.phone,
        "CountryKey": contact.country_code,
        "IsPerson": contact.is_person,
        "IsMember": False,
        "UseCvr": False,
        "VatNumber": None if contact.is_person else contact.vat_number,
        "AttPerson": None if contact.is_person else contact.attention,
    }
