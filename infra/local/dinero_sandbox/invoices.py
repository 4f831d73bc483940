"""Invoice endpoints: create a draft (client Guid honoured), preview totals, get, list, book, delete a draft."""

import uuid

from infra.local.dinero_sandbox.api_context import ApiContext, parse_guid, utc_now_iso
from infra.local.dinero_sandbox.invoice_model import LIST_FIELDS, draft_read_model, fetch_model, list_model
from infra.local.dinero_sandbox.invoice_rules import invoice_errors
from infra.local.dinero_sandbox.listing import collection
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
from infra.local.dinero_sandbox.query_filter import QueryFilterError, matches_all, parse_query_filter

LIST_STATUSES = ("Draft", "Booked", "Paid", "OverPaid", "Overdue")
LIST_FILTERABLE = ("ExternalReference", "ContactGuid", "Description")
_OUTDATED = "The timestamp is outdated: get the latest version of the invoice and use its TimeStamp"


def _invoice(context: ApiContext) -> Json:
    invoice = context.organization.invoices.get(context.guid_param("invoice"))
    if invoice is None:
        raise ApiError(404, NOT_FOUND, "The invoice was not found")
    return invoice


def create_invoice(context: ApiContext) -> Response:
    body = context.body("POST /v1/{organizationId}/invoices")
    organization = context.organization
    errors = invoice_errors(organization, body)
    guid = parse_guid(str(body["Guid"])) if body.get("Guid") else str(uuid.uuid4())
    assert guid is not None  # the schema's uuid format was checked
    if guid in organization.invoices:
        raise validation_error(errors | {"Guid": "already exists"}, f"An invoice with Guid {guid} already exists")
    if errors:
        raise validation_error(errors)
    timestamp = context.state.next_timestamp()
    organization.invoices[guid] = draft_read_model(organization, body, guid, timestamp, utc_now_iso())
    context.state.count("invoices_created")
    return json_response(200, {"Guid": guid, "TimeStamp": timestamp})


def fetch_invoice(context: ApiContext) -> Response:
    body = context.body("POST /v1/{organizationId}/invoices/fetch")
    errors = invoice_errors(context.organization, body)
    if errors:
        raise validation_error(errors)
    return json_response(200, fetch_model(context.organization, body))


def get_invoice(context: ApiContext) -> Response:
    return json_response(200, _invoice(context))


def list_invoices(context: ApiContext) -> Response:
    query = context.request.query
    statuses = {status.strip() for status in query.get("statusFilter", "").split(",") if status.strip()}
    if statuses - set(LIST_STATUSES):
        raise validation_error({"statusFilter": f"must be a comma list of {', '.join(LIST_STATUSES)}"})
    try:
        conditions = parse_query_filter(query.get("queryFilter", ""), LIST_FILTERABLE)
    except QueryFilterError as error:
        raise validation_error({"queryFilter": str(error)}) from None
    items = [list_model(invoice) for invoice in context.organization.invoices.values()]
    found = [item for item in items if matches_all(item, conditions) and (not statuses or item["Status"] in statuses)]
    # Dinero's default sort: VoucherNumber, VoucherDate, descending.
    found.sort(key=lambda item: (item["Number"], item["Date"], item["CreatedAt"]), reverse=True)
    return json_response(200, collection(found, query, "Guid,ContactName,Date,Description", LIST_FIELDS))


def book_invoice(context: ApiContext) -> Response:
    invoice = _invoice(context)
    body = context.body("POST /v1/{organizationId}/invoices/{guid}/book")
    if invoice["Status"] == "Booked":
        raise ApiError(400, VALIDATION, "The invoice is already booked")
    if body["Timestamp"] != invoice["TimeStamp"]:
        raise ApiError(400, TIMESTAMP_OUTDATED, _OUTDATED)
    if not invoice["ContactGuid"]:
        raise validation_error({"ContactGuid": "is required to book an invoice"}, "The invoice has no contact")
    organization = context.organization
    number = body.get("Number")
    if number is None:
        number = organization.next_invoice_number()
    elif number < 1 or any(other["Number"] == number for other in organization.invoices.values()):
        raise validation_error({"Number": "must be a positive number not used by another invoice"})
    invoice |= {
        "Number": number,
        "Status": "Booked",
        # ASSUMPTION: terms "Paid" mean paid at issue (Dinero does not document it).
        "PaymentStatus": "Paid" if invoice["PaymentConditionType"] == "Paid" else "Booked",
        "TimeStamp": context.state.next_timestamp(),
        "UpdatedAt": utc_now_iso(),
    }
    context.state.count("invoices_booked")
    return json_response(200, invoice)


def delete_invoice(context: ApiContext) -> Response:
    invoice = _invoice(context)
    timestamp = context.body("DELETE /v1/{organizationId}/invoices/{guid}", required=False).get("Timestamp")
    if invoice["Status"] == "Booked":
        raise ApiError(400, VALIDATION, "A booked invoice cannot be deleted: credit it with a credit note")
    if timestamp is not None and timestamp != invoice["TimeStamp"]:
        raise ApiError(400, TIMESTAMP_OUTDATED, _OUTDATED)
    del context.organization.invoices[invoice["Guid"]]
    context.state.count("invoices_deleted")
    return Response(200)
