"""After the invoice in the sandbox: deposit accounts, payments with the remaining amount, credit notes checked
against the invoice they credit, generate-creditnote, and faults on the new endpoints."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, DineroSandbox, FaultKind
from infra.local.dinero_sandbox.spec_schemas import schema_errors
from sandbox.sandbox_support import api_session, create_contact, decimal_json, invoice_body, org_url, product_line

pytestmark = pytest.mark.integration


@pytest.fixture
def session(sandbox: DineroSandbox) -> requests.Session:
    return api_session(sandbox)


def booked_invoice(session: requests.Session, sandbox: DineroSandbox, **overrides: Any) -> Any:
    """A booked invoice of 125.00 incl. VAT (100.00 + 25 % on account 1000), as Dinero answers the booking."""
    body = invoice_body(ContactGuid=create_contact(session, sandbox), **overrides)
    created = session.post(org_url(sandbox, "/invoices"), json=body).json()
    booked = session.post(
        org_url(sandbox, f"/invoices/{created['Guid']}/book"), json={"Timestamp": created["TimeStamp"]}
    )
    assert booked.status_code == 200, booked.text
    return decimal_json(booked)


def payment(timestamp: str, amount: float, **overrides: Any) -> dict[str, Any]:
    body = {
        "Timestamp": timestamp,
        "DepositAccountNumber": 55000,
        "Amount": amount,
        "Description": "Order 1042",
        "RemainderIsFee": False,
        "ExternalReference": "txn-1",
        "PaymentDate": "2026-03-03",
    }
    return body | overrides


def credit_note(invoice: Any, *lines: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A credit note for the invoice, amounts incl. VAT (40.00 by default)."""
    body = {
        "Guid": str(uuid.uuid4()),
        "CreditNoteFor": invoice["Guid"],
        "ContactGuid": invoice["ContactGuid"],
        "ShowLinesInclVat": True,
        "ProductLines": list(lines) or [product_line(BaseAmountValue=40)],
    }
    return body | overrides


def test_deposit_accounts_list_the_organizations_bank_and_clearing_accounts(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # When
    response = session.get(org_url(sandbox, "/accounts/deposit"), params={"fields": "AccountNumber,Name,IsHidden"})
    # Then
    assert response.status_code == 200
    accounts = {item["AccountNumber"]: item["IsHidden"] for item in response.json()}
    assert accounts == {55000: False, 55010: False, 55020: False, 55090: True}


def test_a_payment_settles_the_invoice_and_is_listed_with_the_remaining_amount(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given a booked invoice of 125.00
    invoice = booked_invoice(session, sandbox)
    # When it is paid 100.00, then 25.00
    first = session.post(
        org_url(sandbox, f"/invoices/{invoice['Guid']}/payments"), json=payment(invoice["TimeStamp"], 100)
    )
    second_timestamp = first.json()["TimeStamp"]
    session.post(org_url(sandbox, f"/invoices/{invoice['Guid']}/payments"), json=payment(second_timestamp, 25))
    # Then the v2 list shows both, nothing remains, and the invoice is Paid with a new version
    assert first.status_code == 200 and schema_errors("CreatedPaymentResponse", first.json()) == {}
    listed = decimal_json(session.get(f"{sandbox.url}/v2/{DEMO_PRO_ORG_ID}/invoices/{invoice['Guid']}/payments"))
    assert schema_errors("InvoicePaymentsModel", listed) == {}
    assert [p["Amount"] for p in listed["Payments"]] == [Decimal(100), Decimal(25)]
    assert (listed["RemainingAmount"], listed["PaidAmount"]) == (Decimal(0), Decimal(125))
    after = decimal_json(session.get(org_url(sandbox, f"/invoices/{invoice['Guid']}")))
    assert after["PaymentStatus"] == "Paid" and after["TimeStamp"] != invoice["TimeStamp"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"DepositAccountNumber": 1000}, "DepositAccountNumber"),
        ({"DepositAccountNumber": 55090}, "DepositAccountNumber"),
        ({"Amount": 0}, "Amount"),
        ({"PaymentDate": "3 March"}, "PaymentDate"),
    ],
)
def test_a_payment_dinero_would_refuse_is_400_naming_the_field(
    sandbox: DineroSandbox, session: requests.Session, overrides: dict[str, Any], field: str
) -> None:
    # Given
    invoice = booked_invoice(session, sandbox)
    # When
    body = payment(invoice["TimeStamp"], 125, **overrides)
    response = session.post(org_url(sandbox, f"/invoices/{invoice['Guid']}/payments"), json=body)
    # Then
    assert response.status_code == 400 and field in response.json()["validationErrors"]


def test_a_payment_breaking_the_official_schema_is_400(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    invoice = booked_invoice(session, sandbox)
    body = payment(invoice["TimeStamp"], 125)
    del body["RemainderIsFee"]
    # When
    response = session.post(org_url(sandbox, f"/invoices/{invoice['Guid']}/payments"), json=body)
    # Then
    assert response.status_code == 400 and "RemainderIsFee" in response.json()["validationErrors"]


def test_a_payment_with_a_stale_timestamp_or_on_a_draft_is_refused(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given a booked invoice and a draft
    invoice = booked_invoice(session, sandbox)
    draft = session.post(org_url(sandbox, "/invoices"), json=invoice_body()).json()
    # When
    stale = session.post(org_url(sandbox, f"/invoices/{invoice['Guid']}/payments"), json=payment("0" * 16, 125))
    on_draft = session.post(
        org_url(sandbox, f"/invoices/{draft['Guid']}/payments"), json=payment(draft["TimeStamp"], 1)
    )
    # Then
    assert (stale.status_code, stale.json()["code"]) == (400, 58)
    assert on_draft.status_code == 400 and "booked" in on_draft.json()["message"]


def test_a_foreign_currency_payment_needs_its_foreign_amount(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given an invoice in EUR
    invoice = booked_invoice(session, sandbox, Currency="EUR")
    url = org_url(sandbox, f"/invoices/{invoice['Guid']}/payments")
    # When
    without = session.post(url, json=payment(invoice["TimeStamp"], 932.5))
    paid = session.post(url, json=payment(invoice["TimeStamp"], 932.5, AmountInForeignCurrency=125))
    # Then the remaining amount is in EUR
    assert without.status_code == 400 and "AmountInForeignCurrency" in without.json()["validationErrors"]
    assert paid.status_code == 200
    listed = decimal_json(session.get(f"{sandbox.url}/v2/{DEMO_PRO_ORG_ID}/invoices/{invoice['Guid']}/payments"))
    assert listed["RemainingAmount"] == 0


def test_a_credit_note_for_a_booked_invoice_is_created_booked_and_refunded(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given a booked invoice of 125.00
    invoice = booked_invoice(session, sandbox)
    body = credit_note(invoice)
    # When 40.00 of it is credited, booked and refunded
    created = session.post(org_url(sandbox, "/sales/creditnotes"), json=body)
    read = decimal_json(session.get(org_url(sandbox, f"/sales/creditnotes/{body['Guid']}")))
    booked = session.post(
        org_url(sandbox, f"/sales/creditnotes/{body['Guid']}/book"), json={"Timestamp": read["TimeStamp"]}
    )
    url = org_url(sandbox, f"/sales/creditnotes/{body['Guid']}/payments")
    refund = session.post(url, json=payment(booked.json()["TimeStamp"], 40, ExternalReference="txn-1/refund"))
    # Then
    assert created.status_code == 200 and created.json()["Guid"] == body["Guid"]
    assert schema_errors("SalesCreditNoteReadModel", read, allow_unknown_properties=False) == {}
    assert read["CreditNoteFor"] == invoice["Guid"] and read["TotalInclVat"] == Decimal(40)
    assert booked.status_code == 200 and booked.json()["Number"] == 1 and booked.json()["Status"] == "Booked"
    assert refund.status_code == 200
    listed = decimal_json(session.get(url))
    assert listed["RemainingAmount"] == 0 and listed["Payments"][0]["ExternalReference"] == "txn-1/refund"


def test_credit_notes_may_not_credit_more_than_the_invoice_charged(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given an invoice of 125.00 on account 1000, and 100.00 of it credited already
    invoice = booked_invoice(session, sandbox)
    first = session.post(
        org_url(sandbox, "/sales/creditnotes"), json=credit_note(invoice, product_line(BaseAmountValue=80))
    )
    assert first.status_code == 200
    # When 50.00 more is credited, and a line on another account
    more = session.post(
        org_url(sandbox, "/sales/creditnotes"), json=credit_note(invoice, product_line(BaseAmountValue=50))
    )
    other = credit_note(invoice, product_line(BaseAmountValue=1, AccountNumber=1350))
    elsewhere = session.post(org_url(sandbox, "/sales/creditnotes"), json=other)
    # Then both are refused and only the first exists
    assert more.status_code == 400 and "more than the invoice" in more.json()["validationErrors"]["ProductLines"]
    assert (
        elsewhere.status_code == 400
        and "not used by the invoice" in elsewhere.json()["validationErrors"]["ProductLines"]
    )
    assert len(sandbox.state.credit_notes(DEMO_PRO_ORG_ID)) == 1


def test_a_credit_note_for_an_unknown_or_draft_invoice_or_with_an_existing_guid_is_refused(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given
    invoice = booked_invoice(session, sandbox)
    draft = session.post(org_url(sandbox, "/invoices"), json=invoice_body()).json()
    body = credit_note(invoice)
    session.post(org_url(sandbox, "/sales/creditnotes"), json=body)
    # When
    unknown = session.post(
        org_url(sandbox, "/sales/creditnotes"), json=credit_note(invoice, CreditNoteFor=str(uuid.uuid4()))
    )
    for_draft = session.post(
        org_url(sandbox, "/sales/creditnotes"), json=credit_note(invoice, CreditNoteFor=draft["Guid"])
    )
    again = session.post(org_url(sandbox, "/sales/creditnotes"), json=body)
    # Then
    assert "CreditNoteFor" in unknown.json()["validationErrors"]
    assert "not booked" in for_draft.json()["validationErrors"]["CreditNoteFor"]
    assert "Guid" in again.json()["validationErrors"]
    assert len(sandbox.state.credit_notes(DEMO_PRO_ORG_ID)) == 1


def test_generate_creditnote_copies_a_booked_invoice_in_full(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    invoice = booked_invoice(session, sandbox)
    # When
    generated = session.post(org_url(sandbox, f"/invoices/{invoice['Guid']}/generate-creditnote"), json={})
    # Then a draft credit note of the whole invoice, for it
    assert generated.status_code == 200
    read = decimal_json(session.get(org_url(sandbox, f"/sales/creditnotes/{generated.json()['Guid']}")))
    assert (read["Status"], read["CreditNoteFor"], read["TotalInclVat"]) == ("Draft", invoice["Guid"], Decimal(125))


def test_credit_note_fetch_previews_totals_without_storing(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    invoice = booked_invoice(session, sandbox)
    # When
    preview = decimal_json(session.post(org_url(sandbox, "/sales/creditnotes/fetch"), json=credit_note(invoice)))
    # Then
    assert preview["TotalInclVat"] == Decimal(40) and preview["TotalVat"] == Decimal(8)
    assert schema_errors("SalesCreditNoteFetchReadModel", preview, allow_unknown_properties=False) == {}
    assert sandbox.state.credit_notes(DEMO_PRO_ORG_ID) == []


def test_faults_can_be_injected_on_payments_and_credit_notes(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given a booked invoice, a 503 armed on its payments and a lost answer on credit notes
    invoice = booked_invoice(session, sandbox)
    sandbox.faults.add("POST", f"/v1/{DEMO_PRO_ORG_ID}/invoices/*/payments", FaultKind.STATUS, status=503)
    sandbox.faults.add("POST", f"/v1/{DEMO_PRO_ORG_ID}/sales/creditnotes", FaultKind.DROP_AFTER_COMMIT)
    # When
    refused = session.post(
        org_url(sandbox, f"/invoices/{invoice['Guid']}/payments"), json=payment(invoice["TimeStamp"], 1)
    )
    with pytest.raises(requests.ConnectionError):
        session.post(org_url(sandbox, "/sales/creditnotes"), json=credit_note(invoice))
    # Then the payment was not taken, and the credit note was (its answer lost)
    assert refused.status_code == 503 and sandbox.state.payments(DEMO_PRO_ORG_ID, invoice["Guid"]) == []
    assert len(sandbox.state.credit_notes(DEMO_PRO_ORG_ID)) == 1
