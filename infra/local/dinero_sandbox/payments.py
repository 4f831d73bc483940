"""Payment endpoints of invoices and credit notes: list (with the remaining amount) and register.

ASSUMPTION (Dinero documents neither): `Amount` is in DKK and `AmountInForeignCurrency` in the voucher's currency
(required for a voucher not in DKK); the remaining amount is in the voucher's currency; a refund on a credit note
is a positive amount, like a payment on an invoice. Only booked vouchers take payments, with their current
Timestamp (a payment changes the voucher's version, as Dinero's does).
"""

import uuid
from decimal import Decimal

from infra.local.dinero_sandbox.api_context import ApiContext
from infra.local.dinero_sandbox.invoice_rules import DKK_RATES, is_iso_date
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

_OUTDATED = "The timestamp is outdated: get the latest version of the voucher and use its TimeStamp"


def _voucher(context: ApiContext, credit_note: bool) -> Json:
    vouchers = context.organization.credit_notes if credit_note else context.organization.invoices
    voucher = vouchers.get(context.guid_param("credit note" if credit_note else "invoice"))
    if voucher is None:
        raise ApiError(404, NOT_FOUND, "The credit note was not found" if credit_note else "The invoice was not found")
    return voucher


def _paid(payments: list[Json], currency: str) -> Decimal:
    """What the payments cover, in the voucher's currency."""
    key = "AmountInForeignCurrency" if currency != "DKK" else "Amount"
    return sum((Decimal(str(payment[key])) for payment in payments), Decimal(0))


def payments_model(context: ApiContext, voucher: Json) -> Json:
    """An InvoicePaymentsModel."""
    payments = context.organization.payments.get(voucher["Guid"], [])
    paid = _paid(payments, voucher["Currency"])
    return {
        "Payments": [{k: v for k, v in payment.items() if k != "AmountInForeignCurrency"} for payment in payments],
        "RemainingAmount": voucher["TotalInclVat"] - paid,
        "PaidAmount": paid,
        "InvoiceTotalIncludingReminderExpenses": voucher["TotalInclVat"],
        "RemainderAsFeeAvailable": False,
    }


def list_invoice_payments(context: ApiContext) -> Response:
    return json_response(200, payments_model(context, _voucher(context, credit_note=False)))


def list_credit_note_payments(context: ApiContext) -> Response:
    return json_response(200, payments_model(context, _voucher(context, credit_note=True)))


def create_invoice_payment(context: ApiContext) -> Response:
    body = context.body("POST /v1/{organizationId}/invoices/{guid}/payments")
    return _create(context, _voucher(context, credit_note=False), body, "Invoice")


def create_credit_note_payment(context: ApiContext) -> Response:
    body = context.body("POST /v1/{organizationId}/sales/creditnotes/{guid}/payments")
    return _create(context, _voucher(context, credit_note=True), body, "CreditNote")


def _create(context: ApiContext, voucher: Json, body: Json, payment_class: str) -> Response:
    if voucher["Status"] != "Booked":
        raise ApiError(400, VALIDATION, "Payments can only be registered on booked vouchers")
    if body["Timestamp"] != voucher["TimeStamp"]:
        raise ApiError(400, TIMESTAMP_OUTDATED, _OUTDATED)
    errors: dict[str, str] = {}
    account = context.organization.deposit_accounts.get(body["DepositAccountNumber"])
    if account is None or account.is_hidden:
        errors["DepositAccountNumber"] = "must be a deposit account that is not hidden"
    if body["Amount"] == 0:
        errors["Amount"] = "must not be 0"
    if not str(body["Description"]).strip():
        errors["Description"] = "is required"
    foreign = body.get("AmountInForeignCurrency")
    currency = voucher["Currency"]
    if currency != "DKK" and foreign is None:
        errors["AmountInForeignCurrency"] = f"is required for a voucher in {currency}"
    if body.get("PaymentDate") is not None and not is_iso_date(body["PaymentDate"]):
        errors["PaymentDate"] = "must be a date as YYYY-MM-DD"
    if len(body.get("ExternalReference") or "") > 128:
        errors["ExternalReference"] = "must be at most 128 characters long"
    if errors:
        raise validation_error(errors)
    amount = Decimal(str(body["Amount"]))
    in_currency = Decimal(str(foreign)) if currency != "DKK" else amount
    payment_guid = str(uuid.uuid4())
    payments = context.organization.payments.setdefault(voucher["Guid"], [])
    payments.append(
        {
            "Guid": payment_guid,
            "DepositAccountNumber": body["DepositAccountNumber"],
            "Currency": currency,
            "ExchangeRate": (amount / in_currency * 100) if currency != "DKK" else DKK_RATES["DKK"] * 100,
            "PaymentClass": payment_class,
            "RelatedVoucherId": str(uuid.uuid4()),
            "ExternalReference": body.get("ExternalReference"),
            "PaymentDate": body.get("PaymentDate"),
            "Description": body["Description"],
            "Amount": amount,
            "AmountInForeignCurrency": in_currency,
        }
    )
    remaining = voucher["TotalInclVat"] - _paid(payments, currency)
    voucher |= {
        "TimeStamp": context.state.next_timestamp(),
        "PaymentStatus": "Paid" if remaining == 0 else ("OverPaid" if remaining < 0 else voucher["PaymentStatus"]),
    }
    context.state.count("payments_created")
    response = {
        "Guid": payment_guid,
        "TimeStamp": voucher["TimeStamp"],
        "RelatedVoucherGuid": payments[-1]["RelatedVoucherId"],
    }
    return json_response(200, response)
