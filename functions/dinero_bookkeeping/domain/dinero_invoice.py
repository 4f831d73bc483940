"""What Dinero says about an invoice (or credit note), and whether that agrees with the order it came from."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from dinero_bookkeeping.domain.money import ORE, format_amount, round_ore


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


@dataclass(frozen=True)
class TotalsCheck:
    """Merchant-facing: the reasons keep the invoice a draft; `notes` are recorded with a booked one. A VAT reason
    found before Dinero was called explains the VAT difference better, so the VAT's are kept apart."""

    total_reasons: list[str]
    vat_reasons: list[str]
    notes: list[str]


def compare_totals(
    invoice: DineroInvoice, expected_total_incl_vat: Decimal, expected_vat: Decimal, vat_lines: int, currency: str
) -> TotalsCheck:
    """Dinero computes VAT per line from each account's VAT code, to the øre; the order's VAT may have fractions of an
    øre (19,99 incl. 25 % holds 3,998). So both are compared to the øre, and a VAT that differs by at most 1 øre a line
    while the total agrees is rounding: booked, with the difference recorded. The VAT codes were checked against the
    lines before the invoice was made, so a larger difference means a code changed in Dinero since."""
    total, vat = round_ore(expected_total_incl_vat), round_ore(expected_vat)
    total_reasons = []
    if invoice.total_incl_vat != total:
        total_reasons.append(
            f"Dinero's total {format_amount(invoice.total_incl_vat, currency)} differs from the order's "
            f"{format_amount(total, currency)}: an account or amount in the invoice differs from the order"
        )
    difference = invoice.total_vat - vat
    if difference == 0:
        return TotalsCheck(total_reasons, [], [])
    if not total_reasons and abs(difference) <= ORE * max(vat_lines, 1):
        note = (
            f"Dinero's VAT {format_amount(invoice.total_vat, currency)} differs from the order's "
            f"{format_amount(vat, currency)} by {format_amount(abs(difference), currency)}: "
            "rounding per line, booked as Dinero computed it"
        )
        return TotalsCheck([], [], [note])
    vat_reason = (
        f"Dinero's VAT {format_amount(invoice.total_vat, currency)} differs from the order's "
        f"{format_amount(vat, currency)} by {format_amount(abs(difference), currency)}, more than rounding: the VAT "
        "code of an account may have changed in Dinero since its template was saved; save the template again"
    )
    return TotalsCheck(total_reasons, [vat_reason], [])
