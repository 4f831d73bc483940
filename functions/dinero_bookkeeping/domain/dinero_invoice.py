"""What Dinero says about an invoice (or credit note), and whether that agrees with the order it came from."""

from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from dinero_bookkeeping.domain.money import format_amount


class DineroInvoiceStatus(StrEnum):
    DRAFT = "Draft"
    BOOKED = "Booked"


class DineroInvoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    guid: UUID
    timestamp: str
    status: DineroInvoiceStatus
    number: int | None
    currency: str
    total_incl_vat: Decimal
    total_vat: Decimal
    contact_guid: UUID | None = None


def totals_disagreements(
    invoice: DineroInvoice, expected_total_incl_vat: Decimal, expected_vat: Decimal, currency: str
) -> list[str]:
    """Dinero computes VAT from each account's VAT code; a differing total or VAT means a wrong account or rounding.

    Either way the invoice must not be booked unseen, so each difference becomes a merchant-facing reason.
    """
    reasons = []
    if invoice.total_incl_vat != expected_total_incl_vat:
        reasons.append(
            f"Dinero's total {format_amount(invoice.total_incl_vat, currency)} differs from the order's "
            f"{format_amount(expected_total_incl_vat, currency)}"
        )
    if invoice.total_vat != expected_vat:
        reasons.append(
            f"Dinero's VAT {format_amount(invoice.total_vat, currency)} differs from the order's "
            f"{format_amount(expected_vat, currency)}: check the VAT code of the template accounts"
        )
    return reasons
