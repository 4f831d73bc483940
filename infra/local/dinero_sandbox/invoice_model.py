"""Builds Dinero's invoice read models (InvoiceReadModel, InvoiceFetchReadModel, list model) and its credit note
read model (SalesCreditNoteReadModel) from a valid body."""

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from infra.local.dinero_sandbox.invoice_rules import CONDITIONS_WITHOUT_DAYS, DKK_RATES
from infra.local.dinero_sandbox.messages import Json
from infra.local.dinero_sandbox.organization import Organization
from infra.local.dinero_sandbox.totals import TEXT_LINE, LineAmounts, invoice_totals, line_amounts

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# Property orders as in the spec, so responses read like Dinero's.
INVOICE_FIELDS = (
    *("PaymentDate", "PaymentStatus", "PaymentConditionNumberOfDays", "PaymentConditionType", "FikCode"),
    *("DepositAccountNumber", "MailOutStatus", "LatestMailOutType", "IsSentToDebtCollection"),
    *("IsMobilePayInvoiceEnabled", "IsPensoPayEnabled", "Status", "ContactGuid", "Guid", "TimeStamp", "CreatedAt"),
    *("UpdatedAt", "DeletedAt", "Number", "ContactName", "ShowLinesInclVat", "TotalExclVat", "TotalVatableAmount"),
    *("TotalInclVat", "TotalNonVatableAmount", "TotalVat", "TotalLines", "InvoiceTemplateId", "Currency"),
    *("Language", "ExternalReference", "Description", "Comment", "Date", "ProductLines", "Address"),
)
FETCH_FIELDS = (
    *("PaymentDate", "PaymentConditionNumberOfDays", "PaymentConditionType", "CanEnableMobilePayInvoice"),
    *("CanEnablePensoPay", "ContactGuid", "Number", "ContactName", "ShowLinesInclVat", "TotalExclVat"),
    *("TotalVatableAmount", "TotalInclVat", "TotalNonVatableAmount", "TotalVat", "TotalLines", "InvoiceTemplateId"),
    *("Currency", "Language", "ExternalReference", "Description", "Comment", "Date", "ProductLines", "Address"),
)
LIST_FIELDS = (
    *("Number", "Guid", "ExternalReference", "Date", "PaymentDate", "Description", "Status", "Type", "ContactName"),
    *("ContactGuid", "TotalInclVat", "TotalExclVat", "TotalInclVatInDkk", "TotalExclVatInDkk", "MailOutStatus"),
    *("LatestMailOutType", "Currency", "CreatedAt", "UpdatedAt", "DeletedAt"),
)
CREDIT_NOTE_FIELDS = (
    *("CreditNoteFor", "MailOutStatus", "LatestMailOutType", "PaymentStatus", "Status", "ContactGuid", "Guid"),
    *("TimeStamp", "CreatedAt", "UpdatedAt", "DeletedAt", "Number", "ContactName", "ShowLinesInclVat"),
    *("TotalExclVat", "TotalVatableAmount", "TotalInclVat", "TotalNonVatableAmount", "TotalVat", "TotalLines"),
    *("InvoiceTemplateId", "Currency", "Language", "ExternalReference", "Description", "Comment", "Date"),
    *("ProductLines", "Address"),
)
_NOT_IN_FETCH = frozenset(
    {"MailOutStatus", "LatestMailOutType", "PaymentStatus", "Status", "Guid", "TimeStamp", "CreatedAt"}
    | {"UpdatedAt", "DeletedAt"}
)
_TOTAL_LABELS = {"da-DK": ("Subtotal", "Moms", "I alt"), "en-GB": ("Subtotal", "VAT", "Total")}
_DOCUMENT_NAME = {"da-DK": "Faktura", "en-GB": "Invoice"}
_CREDIT_NOTE_NAME = {"da-DK": "Kreditnota", "en-GB": "Credit note"}


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(int(value))


def _line(organization: Organization, line: Json, incl_vat: bool) -> tuple[LineAmounts, Json]:
    account = organization.accounts.get(line["AccountNumber"])
    is_text = line.get("LineType") == "Text"
    if is_text or account is None:
        amounts = TEXT_LINE
    else:
        amounts = line_amounts(
            _decimal(line["BaseAmountValue"]),
            _decimal(line["Quantity"]),
            _decimal(line["Discount"]),
            organization.vat_rate(account),
            incl_vat,
        )
    read_model = {
        "AccountName": account.name if account else None,
        "BaseAmountValue": amounts.unit_excl_vat,
        "BaseAmountValueInclVat": amounts.unit_incl_vat,
        "TotalAmount": amounts.total_excl_vat,
        "TotalAmountInclVat": amounts.total_incl_vat,
        "ProductGuid": line.get("ProductGuid"),
        "Description": line.get("Description"),
        "Comments": line.get("Comments"),
        "Quantity": _decimal(line["Quantity"]),
        "AccountNumber": line["AccountNumber"],
        "Unit": line.get("Unit"),
        "Discount": _decimal(line["Discount"]),
        "LineType": line.get("LineType") or "Product",
    }
    return amounts, read_model


def _payment_terms(organization: Organization, body: Json, contact: Json | None) -> tuple[str, int]:
    """The invoice's terms; when it names none, the contact's, else the organization's sales settings."""
    condition, days = body.get("PaymentConditionType"), body.get("PaymentConditionNumberOfDays")
    settings = organization.sales_settings
    if condition is None and days is None and contact and contact.get("PaymentConditionType"):
        condition, days = contact["PaymentConditionType"], contact.get("PaymentConditionNumberOfDays")
    condition = condition or settings["PaymentConditionType"]
    if condition in CONDITIONS_WITHOUT_DAYS:
        return condition, 0
    return condition, int(days if days is not None else settings["PaymentConditionNumberOfDays"])


def _payment_date(issued: date, condition: str, days: int) -> date:
    if condition == "Netto":
        return issued + timedelta(days=days)
    if condition == "CurrentMonthOut":
        month_end = issued.replace(day=calendar.monthrange(issued.year, issued.month)[1])
        return month_end + timedelta(days=days)
    return issued  # NettoCash and Paid are due at once


def _today() -> date:
    """Dinero is Danish: "today" is today in Copenhagen."""
    return datetime.now(COPENHAGEN).date()


def _contact_address(contact: Json | None) -> str | None:
    if contact is None:
        return None
    town = " ".join(part for part in (contact.get("ZipCode"), contact.get("City")) if part)
    return "\n".join(part for part in (contact.get("Street"), town) if part) or None


def _computed(organization: Organization, body: Json) -> Json:
    """The fields a draft, a booked invoice and a fetch preview share."""
    contact = organization.contacts.get(str(body["ContactGuid"]).lower()) if body.get("ContactGuid") else None
    incl_vat = bool(body.get("ShowLinesInclVat"))
    lines = [_line(organization, line, incl_vat) for line in body["ProductLines"]]
    totals = invoice_totals(amounts for amounts, _ in lines)
    language = body.get("Language") or "da-DK"
    currency = body.get("Currency") or "DKK"
    issued = date.fromisoformat(body["Date"]) if body.get("Date") else _today()
    condition, days = _payment_terms(organization, body, contact)
    subtotal_label, vat_label, total_label = _TOTAL_LABELS[language]
    return {
        "PaymentDate": _payment_date(issued, condition, days).isoformat(),
        "PaymentConditionNumberOfDays": days,
        "PaymentConditionType": condition,
        "ContactGuid": contact["ContactGuid"] if contact else None,
        "ContactName": contact["Name"] if contact else None,
        "ShowLinesInclVat": incl_vat,
        "TotalExclVat": totals.total_excl_vat,
        "TotalVatableAmount": totals.total_vatable_amount,
        "TotalInclVat": totals.total_incl_vat,
        "TotalNonVatableAmount": totals.total_non_vatable_amount,
        "TotalVat": totals.total_vat,
        "TotalLines": [
            {"Type": "SubTotal", "TotalAmount": totals.total_excl_vat, "Position": 0, "Label": subtotal_label},
            {"Type": "Vat", "TotalAmount": totals.total_vat, "Position": 1, "Label": vat_label},
            {
                "Type": "Total",
                "TotalAmount": totals.total_incl_vat,
                "Position": 2,
                "Label": f"{total_label} {currency}",
            },
        ],
        "InvoiceTemplateId": str(body.get("InvoiceTemplateId") or organization.default_layout().id).lower(),
        "Currency": currency,
        "Language": language,
        "ExternalReference": body.get("ExternalReference"),
        "Description": body.get("Description") or _DOCUMENT_NAME[language],
        "Comment": body.get("Comment"),
        "Date": issued.isoformat(),
        "ProductLines": [read_model for _, read_model in lines],
        "Address": body.get("Address") or _contact_address(contact),
    }


def fetch_model(organization: Organization, body: Json) -> Json:
    preview = {"CanEnableMobilePayInvoice": False, "CanEnablePensoPay": False, "Number": 0}
    values = _computed(organization, body) | preview
    return {name: values.get(name) for name in FETCH_FIELDS}


def draft_read_model(organization: Organization, body: Json, guid: str, timestamp: str, now: str) -> Json:
    values = _computed(organization, body) | {
        "PaymentStatus": "Draft",
        "MailOutStatus": "NotSent",
        "IsSentToDebtCollection": False,
        "IsMobilePayInvoiceEnabled": bool(body.get("IsMobilePayInvoiceEnabled")),
        "IsPensoPayEnabled": bool(body.get("IsPensoPayEnabled")),
        "Status": "Draft",
        "Guid": guid,
        "TimeStamp": timestamp,
        "CreatedAt": now,
        "UpdatedAt": now,
        "Number": 0,
    }
    return {name: values.get(name) for name in INVOICE_FIELDS}


def credit_note_read_model(organization: Organization, body: Json, guid: str, timestamp: str, now: str) -> Json:
    values = _computed(organization, body) | {
        "CreditNoteFor": str(body["CreditNoteFor"]).lower() if body.get("CreditNoteFor") else None,
        "PaymentStatus": "Draft",
        "MailOutStatus": "NotSent",
        "Status": "Draft",
        "Guid": guid,
        "TimeStamp": timestamp,
        "CreatedAt": now,
        "UpdatedAt": now,
        "Number": 0,
        "Description": body.get("Description") or _CREDIT_NOTE_NAME[body.get("Language") or "da-DK"],
    }
    return {name: values.get(name) for name in CREDIT_NOTE_FIELDS}


def credit_note_fetch_model(organization: Organization, body: Json) -> Json:
    """A SalesCreditNoteFetchReadModel: the credit note as it would be, nothing stored."""
    values = credit_note_read_model(organization, body, "", "", "")
    return {name: values.get(name) for name in CREDIT_NOTE_FIELDS if name not in _NOT_IN_FETCH}


def list_model(invoice: Json) -> Json:
    rate = DKK_RATES[invoice["Currency"]]
    values = invoice | {
        "Status": invoice["PaymentStatus"],
        "Type": "Invoice",
        "TotalInclVatInDkk": invoice["TotalInclVat"] * rate,
        "TotalExclVatInDkk": invoice["TotalExclVat"] * rate,
    }
    return {name: values.get(name) for name in LIST_FIELDS}
