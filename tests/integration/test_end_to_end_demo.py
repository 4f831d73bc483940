"""The `make run` demo, driven exactly as a newcomer sees it, then checked in the sandbox and through the API."""

from decimal import Decimal

import requests

from infra.local.demo import MERCHANT, WEBSHOP, run_demo
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
    # The samples sent to the queue, then the Shipmondo orders (10425's webhook was dropped: the poll brought it).
    assert sorted(invoices) == [
        "10421",
        "10422",
        "10423",
        "10424",
        "10425",
        "10430",
        "10431",
        "10432",
        "10433",
        "10435",
    ]
    assert {invoices[number]["Status"] for number in ("10424", "10425", "10430")} == {"Booked"}
    status = {number: invoice["Status"] for number, invoice in invoices.items()}
    assert Decimal(str(invoices["10421"]["TotalInclVat"])) == Decimal("527.90")
    assert Decimal(str(invoices["10423"]["TotalVat"])) == Decimal("0")
    orders = {order["order_number"]: order for order in result.orders if order["kind"] == "invoice"}
    # Then: the German consumer at 25 % is booked with Danish VAT, on the Domestic accounts, and the record says so
    assert status["10422"] == "Booked" and Decimal(str(invoices["10422"]["TotalVat"])) == Decimal("168.80")
    assert "booked on Product (Domestic) 1000" in orders["10422"]["reason"]
    # Then: the German business failed on the empty Product (EU); after the retry it is booked with the exemption text
    assert status["10431"] == "Booked" and orders["10431"]["attempts"] == 2
    assert "Article 138" in invoices["10431"]["Comment"]
    # Then: without a VAT number it is a draft that says why
    assert (
        status["10432"] == "Draft" and "buyer's VAT number (bill_to.vat_number) is missing" in orders["10432"]["reason"]
    )
    # Then: the OSS order is booked through the OSS configuration, German VAT on the liability account
    assert status["10433"] == "Booked" and Decimal(str(invoices["10433"]["TotalVat"])) == Decimal("0")
    assert {line["AccountNumber"] for line in invoices["10433"]["ProductLines"]} == {1160, 63100}
    # Then: VAT finer than an øre is booked, the rounding noted
    assert status["10435"] == "Booked" and "rounding per line" in orders["10435"]["reason"]
    assert (status["10421"], status["10423"]) == ("Booked", "Booked")
    # Then: the records in the API are the ones the demo printed
    response = requests.get(
        f"{system.gateway_url}/integrations/{result.integration_id}/orders",
        headers={"Authorization": f"Bearer {system.merchant_token(MERCHANT)}"},
        timeout=10,
    )
    assert response.status_code == 200
    listed = response.json()["orders"]
    invoices_listed = [o for o in listed if o["kind"] == "invoice" and o["order_integration_id"] == WEBSHOP]
    assert {o["order_number"]: o["status"] for o in invoices_listed} == {
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
