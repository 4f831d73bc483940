"""Sales credit note endpoints: create (client Guid honoured), preview, get, book, and generating one from an invoice.

`CreditNoteFor` is checked against the invoice it names: the invoice must exist and be booked, the currency must be
the invoice's, every product line must post to an account the invoice used, and all credit notes for the invoice
together may credit no account more than the invoice charged to it.
"""

import uuid
from decimal import Decimal

from infra.local.dinero_sandbox.api_context import ApiContext, parse_guid, utc_now_iso
from infra.local.dinero_sandbox.invoice_model import credit_note_fetch_model, credit_note_read_model
from infra.local.dinero_sandbox.invoice_rules import invoice_errors
from infra.local.dinero_sandbox.messages import (
    NOT_FOUND,
    TIMESTAMP_OUTDATED,
    VALIDATION,
    ApiError,
    Json,
    Response,
    json_response,
    validation_error,
)
from infra.local.dinero_sandbox.organization import Organization

_OUTDATED = "The timestamp is outdated: get the latest version of the credit note and use its TimeStamp"


def _credit_note(context: ApiContext) -> Json:
    credit_note = context.organization.credit_notes.get(context.guid_param("credit note"))
    if credit_note is None:
        raise ApiError(404, NOT_FOUND, "The credit note was not found")
    return credit_note


def _by_account(lines: list[Json]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for line in lines:
        if line["LineType"] != "Text":
            totals[line["AccountNumber"]] = totals.get(line["AccountNumber"], Decimal(0)) + line["TotalAmountInclVat"]
    return totals


def _credit_errors(organization: Organization, credit_note: Json) -> dict[str, str]:
    """What is wrong with crediting the invoice the (computed) credit note names."""
    invoice_guid = credit_note["CreditNoteFor"]
    if invoice_guid is None:
        return {}
    invoice = organization.invoices.get(invoice_guid)
    if invoice is None:
        return {"CreditNoteFor": "no invoice with this guid exists"}
    if invoice["Status"] != "Booked":
        return {"CreditNoteFor": "the invoice is not booked: delete or change a draft instead"}
    if credit_note["Currency"] != invoice["Currency"]:
        return {"Currency": f"must be the invoice's currency ({invoice['Currency']})"}
    charged = _by_account(invoice["ProductLines"])
    credited: dict[int, Decimal] = {}
    earlier = [
        other
        for other in organization.credit_notes.values()
        if other["CreditNoteFor"] == invoice_guid and other["Guid"] != credit_note["Guid"]
    ]
    for other in [*earlier, credit_note]:
        for account, amount in _by_account(other["ProductLines"]).items():
            credited[account] = credited.get(account, Decimal(0)) + amount
    errors: dict[str, str] = {}
    for account, amount in credited.items():
        if account not in charged:
            errors["ProductLines"] = f"account {account} is not used by the invoice it credits"
        elif amount > charged[account]:
            errors["ProductLines"] = f"account {account} would be credited more than the invoice charged to it"
    return errors


def _store(context: ApiContext, body: Json, guid: str) -> Json:
    organization = context.organization
    credit_note = credit_note_read_model(organization, body, guid, context.state.next_timestamp(), utc_now_iso())
    errors = _credit_errors(organization, credit_note)
    if errors:
        raise validation_error(errors)
    organization.credit_notes[guid] = credit_note
    context.state.count("credit_notes_created")
    return credit_note


def create_credit_note(context: ApiContext) -> Response:
    body = context.body("POST /v1/{organizationId}/sales/creditnotes")
    organization = context.organization
    errors = invoice_errors(organization, body)
    guid = parse_guid(str(body["Guid"])) if body.get("Guid") else str(uuid.uuid4())
    assert guid is not None  # the schema's uuid format was checked
    if guid in organization.credit_notes:
        raise validation_error(errors | {"Guid": "already exists"}, f"A credit note with Guid {guid} already exists")
    if errors:
        raise validation_error(errors)
    credit_note = _store(context, body, guid)
    return json_response(200, {"Guid": guid, "TimeStamp": credit_note["TimeStamp"]})


def fetch_credit_note(context: ApiContext) -> Response:
    body = context.body("POST /v1/{organizationId}/sales/creditnotes/fetch")
    errors = invoice_errors(context.organization, body)
    if errors:
        raise validation_error(errors)
    return json_response(200, credit_note_fetch_model(context.organization, body))


def get_credit_note(context: ApiContext) -> Response:
    return json_response(200, _credit_note(context))


def book_credit_note(context: ApiContext) -> Response:
    credit_note = _credit_note(context)
    body = context.body("POST /v1/{organizationId}/sales/creditnotes/{guid}/book")
    if credit_note["Status"] == "Booked":
        raise ApiError(400, VALIDATION, "The credit note is already booked")
    if body["Timestamp"] != credit_note["TimeStamp"]:
        raise ApiError(400, TIMESTAMP_OUTDATED, _OUTDATED)
    if not credit_note["ContactGuid"]:
        raise validation_error({"ContactGuid": "is required to book a credit note"}, "The credit note has no contact")
    credit_note |= {
        "Number": context.organization.next_credit_note_number(),
        "Status": "Booked",
        "PaymentStatus": "Booked",
        "TimeStamp": context.state.next_timestamp(),
        "UpdatedAt": utc_now_iso(),
    }
    context.state.count("credit_notes_booked")
    return json_response(200, credit_note)


def generate_credit_note(context: ApiContext) -> Response:
    """A draft credit note copying a booked invoice in full (CreditNoteFor set)."""
    invoice = context.organization.invoices.get(context.guid_param("invoice"))
    if invoice is None:
        raise ApiError(404, NOT_FOUND, "The invoice was not found")
    body = context.body("POST /v1/{organizationId}/invoices/{guid}/generate-creditnote", required=False)
    if body.get("Timestamp") is not None and body["Timestamp"] != invoice["TimeStamp"]:
        raise ApiError(400, TIMESTAMP_OUTDATED, _OUTDATED)
    incl_vat = bool(invoice["ShowLinesInclVat"])
    copy = {
        "CreditNoteFor": invoice["Guid"],
        "ContactGuid": invoice["ContactGuid"],
        "ShowLinesInclVat": incl_vat,
        "InvoiceTemplateId": invoice["InvoiceTemplateId"],
        "Currency": invoice["Currency"],
        "Language": invoice["Language"],
        "ExternalReference": invoice["ExternalReference"],
        "ProductLines": [
            {
                "Description": line["Description"],
                "Quantity": line["Quantity"],
                "AccountNumber": line["AccountNumber"],
                "Unit": line["Unit"],
                "Discount": line["Discount"],
                "LineType": line["LineType"],
                "BaseAmountValue": line["BaseAmountValueInclVat"] if incl_vat else line["BaseAmountValue"],
            }
            for line in invoice["ProductLines"]
        ],
    }
    credit_note = _store(context, copy, str(uuid.uuid4()))
    return json_response(200, {"Guid": credit_note["Guid"], "TimeStamp": credit_note["TimeStamp"]})
