"""After the invoice, over HTTP: payments, returns credited and refunded, cancellations, each exactly once."""

import copy
from decimal import Decimal
from typing import Any

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, FaultKind
from infra.local.system import LocalSystem
from support.events import order_event
from support.merchant_client import MerchantClient
from support.seed import MERCHANT, PAYMENTS, connect_merchant, order_records

ORG = DEMO_PRO_ORG_ID


def sandbox(system: LocalSystem) -> Any:
    assert system.sandbox is not None
    return system.sandbox


def invoices(system: LocalSystem) -> list[dict[str, Any]]:
    return list(sandbox(system).state.invoices(ORG))


def credit_notes(system: LocalSystem) -> list[dict[str, Any]]:
    return list(sandbox(system).state.credit_notes(ORG))


def payments(system: LocalSystem, voucher: dict[str, Any]) -> list[dict[str, Any]]:
    return list(sandbox(system).state.payments(ORG, voucher["Guid"]))


def records(integration_id: str, kind: str) -> list[dict[str, Any]]:
    return [record for record in order_records(integration_id) if record.get("kind", "invoice") == kind]


def cancelled(name: str) -> dict[str, Any]:
    """The order of tests/data/orders/<name>.json, cancelled."""
    event = order_event(name, event_type="order.cancelled", event_id=f"evt-{name}-cancelled")
    event.pop("fulfillment_id")
    return event


def returned(event: dict[str, Any], return_id: int, lines: dict[int, str], status: str) -> dict[str, Any]:
    """The order with one more return fulfilment, as its order.returned event."""
    changed = copy.deepcopy(event)
    order = changed["sales_order"]
    order["payment_status"] = status
    order["order_fulfillments"].append(
        {
            "id": return_id,
            "code": f"10421-R{return_id}",
            "type": "return",
            "fulfillment_lines": [{"order_line_id": line, "quantity": qty} for line, qty in lines.items()],
        }
    )
    return {
        **changed,
        "event_type": "order.returned",
        "event_id": f"evt-return-{return_id}",
        "fulfillment_id": return_id,
    }


def test_a_paid_order_gets_one_payment_even_when_dineros_answer_is_lost(system: LocalSystem) -> None:
    # Given payments on (QuickPay on its clearing account), and Dinero's answer to the payment lost on the way back
    integration_id = connect_merchant(system, payments=PAYMENTS)
    sandbox(system).faults.add("POST", f"/v1/{ORG}/invoices/*/payments", FaultKind.DROP_AFTER_COMMIT)
    # When the paid order is handled, and the same event comes twice
    event = order_event("danish_private")
    system.send_order(event)
    system.send_order(event)
    system.drain_orders()
    # Then the booked invoice is paid once, in full, on the clearing account, found again by its transaction id
    (invoice,) = invoices(system)
    assert invoice["Status"] == "Booked" and invoice["PaymentStatus"] == "Paid"
    (payment,) = payments(system, invoice)
    assert (payment["Amount"], payment["DepositAccountNumber"]) == (Decimal("527.90"), 55010)
    assert payment["ExternalReference"] == "512340177" and payment["PaymentDate"] == "2026-03-03"
    (record,) = records(integration_id, "payment")
    assert record["status"] == "booked" and record["related_guid"] == invoice["Guid"]
    assert Decimal(record["payment"]["remaining_amount"]) == 0 and record["payment"]["deposit_account"] == 55010


def test_a_draft_invoice_gets_no_payment_until_it_is_booked_and_retried(system: LocalSystem) -> None:
    # Given payments on but book automatically off
    integration_id = connect_merchant(system, book_automatically=False, payments=PAYMENTS)
    client = MerchantClient(system, MERCHANT)
    # When the paid order is handled
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then its draft gets no payment, and the payment record says why
    (invoice,) = invoices(system)
    assert invoice["Status"] == "Draft" and payments(system, invoice) == []
    (record,) = records(integration_id, "payment")
    assert record["status"] == "skipped" and "draft" in record["reason"]
    # When the merchant books the invoice in Dinero and retries the payment
    state = sandbox(system).state
    with state.lock:
        state.organizations[ORG].invoices[invoice["Guid"]] |= {"Status": "Booked", "PaymentStatus": "Booked"}
    retry = client.post(f"/integrations/{integration_id}/orders/{record['invoice_guid']}/retry")
    system.drain_orders()
    # Then it is paid
    assert retry.status_code == 202
    assert [p["Amount"] for p in payments(system, invoice)] == [Decimal("527.90")]
    assert records(integration_id, "payment")[0]["status"] == "booked"


def test_an_order_paid_after_it_was_handled_gets_its_payment_from_order_paid(system: LocalSystem) -> None:
    # Given an order handled before it was paid
    integration_id = connect_merchant(system, payments=PAYMENTS)
    handled = order_event("free_shipping")
    handled["sales_order"]["payment_status"] = "authorized"
    system.send_order(handled)
    system.drain_orders()
    (invoice,) = invoices(system)
    assert payments(system, invoice) == []
    # When it is paid (and the event comes twice)
    paid = order_event("order_paid")
    system.send_order(paid)
    system.send_order(paid)
    system.drain_orders()
    # Then the invoice has one payment, on QuickPay's clearing account
    assert [(p["Amount"], p["DepositAccountNumber"]) for p in payments(system, invoice)] == [(Decimal("349.00"), 55010)]
    assert len(records(integration_id, "payment")) == 1


def test_a_foreign_currency_invoice_is_paid_in_dkk_and_its_own_currency(system: LocalSystem) -> None:
    # Given payments on, and EU sales under the distance-selling threshold booked with Danish VAT
    connect_merchant(system, payments=PAYMENTS, product_eu=1000, shipping_eu=1350)
    # When an order paid in EUR is handled
    system.send_order(order_event("eur_order"))
    system.drain_orders()
    # Then Dinero gets the DKK amount at the invoice's rate and the EUR amount, on the default account (Stripe has
    # none of its own), and nothing remains
    (invoice,) = invoices(system)
    (payment,) = payments(system, invoice)
    assert payment["DepositAccountNumber"] == 55000
    assert payment["AmountInForeignCurrency"] == Decimal("102.45")
    assert payment["Amount"] == Decimal("764.28")  # 102.45 EUR at the sandbox's 7.46
    assert invoice["PaymentStatus"] == "Paid"


def test_a_return_becomes_one_refunded_credit_note_and_never_credits_more_than_was_invoiced(
    system: LocalSystem,
) -> None:
    # Given a paid, booked order with 2 T-shirts
    integration_id = connect_merchant(system, payments=PAYMENTS)
    handled = order_event("danish_private")
    system.send_order(handled)
    system.drain_orders()
    (invoice,) = invoices(system)
    # When one T-shirt comes back and is refunded (the event twice), and later a return of 2 more arrives
    first = order_event("returned_partial")
    system.send_order(first)
    system.send_order(first)
    system.drain_orders()
    too_many = returned(first, 88102, {1101: "2.0"}, "refunded")
    system.send_order(too_many)
    system.drain_orders()
    # Then one credit note credits the T-shirt on the invoice, booked, with its refund registered on it
    (credit_note,) = credit_notes(system)
    assert credit_note["CreditNoteFor"] == invoice["Guid"] and credit_note["Status"] == "Booked"
    assert credit_note["TotalInclVat"] == Decimal("199.95") and credit_note["TotalVat"] == Decimal("39.99")
    assert [(line["AccountNumber"], line["Quantity"]) for line in credit_note["ProductLines"]] == [(1000, 1)]
    (refund,) = payments(system, credit_note)
    assert (refund["Amount"], refund["DepositAccountNumber"]) == (Decimal("199.95"), 55010)
    credited, over = sorted(records(integration_id, "credit_note"), key=lambda r: int(r["fulfillment_id"]))
    assert credited["status"] == "booked" and credited["invoice_guid"] == credit_note["Guid"]
    assert Decimal(credited["payment"]["amount"]) == Decimal("199.95")
    assert Decimal(credited["payment"]["remaining_amount"]) == 0
    # and the second return, of more than is left, is a failure with its reason
    assert over["status"] == "failed" and "returned more often than it was invoiced" in over["reason"]


def test_a_credit_note_is_made_once_when_dineros_answer_to_creating_it_is_lost(system: LocalSystem) -> None:
    # Given a booked invoice, and Dinero's answer to creating the credit note lost
    integration_id = connect_merchant(system)
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    sandbox(system).faults.add("POST", f"/v1/{ORG}/sales/creditnotes", FaultKind.DROP_AFTER_COMMIT)
    # When the return is processed
    system.send_order(order_event("returned_partial"))
    system.drain_orders()
    # Then there is one credit note, booked; payments off, so no refund
    (credit_note,) = credit_notes(system)
    assert credit_note["Status"] == "Booked" and payments(system, credit_note) == []
    (record,) = records(integration_id, "credit_note")
    assert record["status"] == "booked" and record.get("payment") is None


def test_a_return_before_the_order_is_invoiced_is_a_failure_with_a_reason(system: LocalSystem) -> None:
    # Given nothing invoiced yet
    integration_id = connect_merchant(system)
    # When a return arrives
    system.send_order(order_event("returned_partial"))
    system.drain_orders()
    # Then no credit note, and the record says why
    assert credit_notes(system) == []
    (record,) = records(integration_id, "credit_note")
    assert record["status"] == "failed" and "not yet invoiced" in record["reason"]


def test_a_cancelled_order_with_a_draft_invoice_has_the_draft_deleted(system: LocalSystem) -> None:
    # Given an order whose invoice stayed a draft (it has a gift card line)
    integration_id = connect_merchant(system)
    system.send_order(order_event("with_gift_card"))
    system.drain_orders()
    assert [invoice["Status"] for invoice in invoices(system)] == ["Draft"]
    # When it is cancelled (the event twice)
    event = order_event("cancelled_order")
    system.send_order(event)
    system.send_order(event)
    system.drain_orders()
    # Then the draft is gone from Dinero, nothing was credited, and one record says so
    assert invoices(system) == [] and credit_notes(system) == []
    (record,) = records(integration_id, "cancellation")
    assert record["status"] == "booked" and "deleted" in record["reason"]


def test_a_cancelled_order_with_a_booked_invoice_is_credited_in_full(system: LocalSystem) -> None:
    # Given a booked invoice of 527.90
    integration_id = connect_merchant(system)
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    (invoice,) = invoices(system)
    # When the order is cancelled (the event twice)
    event = cancelled("danish_private")
    system.send_order(event)
    system.send_order(event)
    system.drain_orders()
    # Then one booked credit note credits all of it, line by line
    (credit_note,) = credit_notes(system)
    assert credit_note["CreditNoteFor"] == invoice["Guid"] and credit_note["Status"] == "Booked"
    assert credit_note["TotalInclVat"] == invoice["TotalInclVat"] == Decimal("527.90")
    assert [line["AccountNumber"] for line in credit_note["ProductLines"]] == [1000, 1000, 1350]
    (record,) = records(integration_id, "cancellation")
    assert record["status"] == "booked" and "credited in full" in record["reason"]


def test_a_cancelled_oss_sale_is_credited_with_its_foreign_vat_on_the_liability_account(system: LocalSystem) -> None:
    # Given a German consumer's order booked through OSS (net on 1160, German VAT on 63100)
    integration_id = connect_merchant(system)
    oss = {"liability_account_number": 63100, "countries": {"DE": 1160}}
    assert MerchantClient(system, MERCHANT).put(f"/integrations/{integration_id}/oss", json=oss).status_code == 200
    system.send_order(order_event("eu_private_de_oss"))
    system.drain_orders()
    (invoice,) = invoices(system)
    assert invoice["Status"] == "Booked"
    # When the order is cancelled
    system.send_order(cancelled("eu_private_de_oss"))
    system.drain_orders()
    # Then one booked credit note credits every line as the invoice had it, the foreign VAT included
    (credit_note,) = credit_notes(system)
    assert credit_note["CreditNoteFor"] == invoice["Guid"] and credit_note["Status"] == "Booked"
    assert credit_note["TotalInclVat"] == invoice["TotalInclVat"] and credit_note["TotalVat"] == 0
    assert [line["AccountNumber"] for line in credit_note["ProductLines"]] == [
        line["AccountNumber"] for line in invoice["ProductLines"]
    ]
    assert 63100 in {line["AccountNumber"] for line in credit_note["ProductLines"]}
    (record,) = records(integration_id, "cancellation")
    assert record["status"] == "booked"


def test_a_cancelled_order_never_invoiced_is_skipped(system: LocalSystem) -> None:
    # Given nothing invoiced
    integration_id = connect_merchant(system)
    # When
    system.send_order(cancelled("free_shipping"))
    system.drain_orders()
    # Then
    (record,) = records(integration_id, "cancellation")
    assert record["status"] == "skipped" and "before it was invoiced" in record["reason"]


def test_the_orders_view_shows_invoice_payment_and_credit_note_per_order(system: LocalSystem) -> None:
    # Given a paid order, partly returned and refunded
    integration_id = connect_merchant(system, payments=PAYMENTS)
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    system.send_order(order_event("returned_partial"))
    system.drain_orders()
    # When the merchant lists the orders
    response = MerchantClient(system, MERCHANT).get(f"/integrations/{integration_id}/orders")
    # Then each document of the order is there with its status, the payment and refund with their amounts
    assert response.status_code == 200
    by_kind = {order["kind"]: order for order in response.json()["orders"]}
    assert set(by_kind) == {"invoice", "payment", "credit_note"}
    assert all(order["order_number"] == "10421" for order in by_kind.values())
    invoice_id = by_kind["invoice"]["order_id"]
    assert by_kind["payment"]["related_order_id"] == invoice_id
    assert by_kind["payment"]["payment"] == {
        "amount": "527.90",
        "currency": "DKK",
        "deposit_account": 55010,
        "payment_date": "2026-03-03",
        "remaining_amount": "0.00",
    }
    assert by_kind["credit_note"]["related_order_id"] == invoice_id
    assert by_kind["credit_note"]["total_incl_vat"] == "199.95"
    assert by_kind["credit_note"]["payment"]["amount"] == "199.95"
