"""Dinero's rules for an invoice body beyond its JSON schema (a failure is a 400, code 42, per field)."""

import re
from datetime import date
from decimal import Decimal
from typing import Any

from infra.local.dinero_sandbox.messages import Json
from infra.local.dinero_sandbox.organization import Organization

# The units InvoiceLinesCreateModel.Unit lists.
UNITS = frozenset(
    [
        "hours",
        "parts",
        "km",
        "day",
        "week",
        "month",
        "kilogram",
        "cubicMetre",
        "set",
        "litre",
        "box",
        "case",
        "carton",
        "metre",
        "package",
        "shipment",
        "squareMetre",
        "session",
        "tonne",
    ]
)
LANGUAGES = ("da-DK", "en-GB")
PAYMENT_CONDITIONS = ("Netto", "NettoCash", "CurrentMonthOut", "Paid")
CONDITIONS_WITHOUT_DAYS = ("NettoCash", "Paid")
LINE_TYPES = ("Product", "Text")
# ASSUMPTION: fixed DKK rates (per 1 unit), only to fill the list model's ...InDkk totals; Dinero uses the day's rate.
DKK_RATES = {
    "DKK": Decimal("1"),
    "EUR": Decimal("7.46"),
    "USD": Decimal("6.85"),
    "SEK": Decimal("0.65"),
    "NOK": Decimal("0.63"),
    "GBP": Decimal("8.70"),
    "CHF": Decimal("7.80"),
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_iso_date(text: str) -> bool:
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _line_errors(organization: Organization, prefix: str, line: Json) -> dict[str, str]:
    errors: dict[str, str] = {}
    line_type = line.get("LineType")
    if line_type is not None and line_type not in LINE_TYPES:
        errors[f"{prefix}.LineType"] = "must be Product or Text"
    if line.get("ProductGuid") is not None:
        errors[f"{prefix}.ProductGuid"] = "no product with this guid exists"  # the sandbox has no products
    elif not line.get("Description"):
        errors[f"{prefix}.Description"] = "is required when there is no ProductGuid"
    if line_type == "Text":
        return errors
    account = organization.accounts.get(line["AccountNumber"])
    if account is None:
        errors[f"{prefix}.AccountNumber"] = f"account {line['AccountNumber']} does not exist"
    elif account.is_hidden:
        errors[f"{prefix}.AccountNumber"] = f"account {account.number} is hidden and cannot be used"
    if line.get("Unit") not in UNITS:
        errors[f"{prefix}.Unit"] = "is required for product lines and must be one of the units Dinero lists"
    if not 0 <= line["Discount"] <= 100:
        errors[f"{prefix}.Discount"] = "must be a percentage from 0 to 100"
    return errors


def _header_errors(organization: Organization, body: Json) -> dict[str, str]:
    errors: dict[str, str] = {}
    currency = body.get("Currency")
    if currency is not None and currency not in DKK_RATES:
        errors["Currency"] = f"must be one of {', '.join(DKK_RATES)}"
    if body.get("Language") is not None and body["Language"] not in LANGUAGES:
        errors["Language"] = "must be da-DK or en-GB"
    if body.get("Date") is not None and not is_iso_date(body["Date"]):
        errors["Date"] = "must be a date as YYYY-MM-DD"
    condition, days = body.get("PaymentConditionType"), body.get("PaymentConditionNumberOfDays")
    if condition is not None and condition not in PAYMENT_CONDITIONS:
        errors["PaymentConditionType"] = f"must be one of {', '.join(PAYMENT_CONDITIONS)}"
    if condition in CONDITIONS_WITHOUT_DAYS and days is not None:
        errors["PaymentConditionNumberOfDays"] = f"must be null for {condition}"
    elif days is not None and days < 0:
        errors["PaymentConditionNumberOfDays"] = "must not be negative"
    for name in ("ReminderFee", "ReminderInterestRate"):
        value: Any = body.get(name)
        if value is not None and not 0 <= value <= 100:
            errors[name] = "must be from 0 to 100"
    template = body.get("InvoiceTemplateId")
    if template is not None and str(template).lower() not in {layout.id for layout in organization.layouts}:
        errors["InvoiceTemplateId"] = "no invoice template with this id exists"
    contact = body.get("ContactGuid")
    if contact is not None and str(contact).lower() not in organization.contacts:
        errors["ContactGuid"] = "no contact with this guid exists"
    return errors


def invoice_errors(organization: Organization, body: Json) -> dict[str, str]:
    """Every rule the (schema-valid) body breaks, by field path."""
    errors = _header_errors(organization, body)
    lines = body["ProductLines"]
    if not lines:
        errors["ProductLines"] = "at least one line is required"
    for index, line in enumerate(lines):
        errors |= _line_errors(organization, f"ProductLines[{index}]", line)
    return errors
