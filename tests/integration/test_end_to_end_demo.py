"""The `make run` demo, driven exactly as a newcomer sees it, then checked in the sandbox and through the API."""

from decimal import Decimal

import requests

from infra.local.demo import MERCHANT, run_demo
from infra.local.dinero_sandbox import DEMO_NON_PRO_ORG_ID, DEMO_PRO_ORG_ID
from infra.local.system import LocalSystem


def test_demo_connects_configures_and_books_the_sample_orders(system: LocalSystem) -> None:
    # Given: the embedded runtime with the Dinero sandbox
    assert system.sandbox is not None
    # When
    result = run_demo(system, say=lambda _: None)
    # Then: both organizations appeared, the Pro one was configured
    assert {org["organization_id"]: org["is_pro"] for org in result.organizations} == {
        DEMO_PRO_ORG_ID: True,
        DEMO_NON_PRO_ORG_ID: False,
    }
    # Then: one invoice per order, the duplicate delivery made none; the cancelled order's draft is deleted
    invoices = {invoice["ExternalReference"]: invoice for invoice in system.sandbox.state.invoices(DEMO_PRO_ORG_ID)}
    assert sorted(invoices) == ["10421", "10422", "10423"]
    assert (invoices["10421"]["Status"], invoices["10423"]["Status"]) == ("Booked", "Booked")
    assert Decimal(str(invoices["10421"]["TotalInclVat"])) == Decimal("527.90")
    assert Decimal(str(invoices["10423"]["TotalVat"])) == Decimal("0")
    # Then: the EU order failed on the empty template, and after the retry stayed a draft, VAT not matching the account
    assert invoices["10422"]["Status"] == "Draft"
    orders = {order["order_number"]: order for order in result.orders if order["kind"] == "invoice"}
    assert (orders["10421"]["status"], orders["10423"]["status"]) == ("booked", "booked")
    assert orders["10422"]["status"] == "draft" and "VAT" in orders["10422"]["reason"]
    assert orders["10422"]["attempts"] == 2
    # Then: the records in the API are the ones the demo printed
    response = requests.get(
        f"{system.gateway_url}/integrations/{result.integration_id}/orders",
        headers={"Authorization": f"Bearer {system.merchant_token(MERCHANT)}"},
        timeout=10,
    )
    assert response.status_code == 200
    listed = response.json()["orders"]
    assert {o["order_number"]: o["status"] for o in listed if o["kind"] == "invoice"} == {
        number: order["status"] for number, order in orders.items()
    }


def test_demo_shows_a_paid_invoice_a_refunded_partial_return_and_a_cancelled_draft(system: LocalSystem) -> None:
    # Given: the embedded runtime with the Dinero sandbox
    assert system.sandbox is not None
    state = system.sandbox.state
    # When
    result = run_demo(system, say=lambda _: None)
    # Then: 10421's invoice is paid in full on QuickPay's clearing account
    paid = next(invoice for invoice in state.invoices(DEMO_PRO_ORG_ID) if invoice["ExternalReference"] == "10421")
    assert paid["PaymentStatus"] == "Paid"
    payment = next(o for o in result.orders if o["order_number"] == "10421" and o["kind"] == "payment")
    assert payment["payment"]["deposit_account"] == 55010 and Decimal(payment["payment"]["remaining_amount"]) == 0
    # Then: one of its T-shirts came back (the event twice): one booked credit note, refunded
    (credit_note,) = state.credit_notes(DEMO_PRO_ORG_ID)
    assert credit_note["CreditNoteFor"] == paid["Guid"] and credit_note["Status"] == "Booked"
    (refund,) = state.payments(DEMO_PRO_ORG_ID, credit_note["Guid"])
    assert Decimal(str(refund["Amount"])) == Decimal(str(credit_note["TotalInclVat"])) == Decimal("199.95")
    # Then: the cancelled order's draft invoice is gone, and its record says so
    cancellation = next(o for o in result.orders if o["kind"] == "cancellation")
    assert cancellation["order_number"] == "10429" and "deleted" in cancellation["reason"]
    assert "10429" not in {invoice["ExternalReference"] for invoice in state.invoices(DEMO_PRO_ORG_ID)}
