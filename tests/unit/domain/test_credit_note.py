"""Credit notes for returns and cancellations, built from the invoices of realistic orders (tests/data/orders/)."""

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

import pytest

from dinero_bookkeeping.domain.credit_note import (
    CreditNoteDraft,
    InvoicedDocument,
    build_cancellation_credit_note,
    build_return_credit_note,
)
from dinero_bookkeeping.domain.errors import MalformedEventError, PermanentError
from dinero_bookkeeping.domain.invoice import build_invoice
from dinero_bookkeeping.domain.order_event import OrderHandledEvent, OrderReturnedEvent, SalesOrder
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.templates import TemplateSet

NAMESPACE = UUID("3f0e6a52-7d4c-4c55-b1a0-2f8e9d6c5b41")
CONTACT_GUID = UUID("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")
CANCELLED_AT = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)

DataLoader = Callable[[str], dict[str, Any]]
Row = tuple[str, Decimal, Decimal, int]


def guid(name: str) -> UUID:
    return uuid5(NAMESPACE, name)


def invoice_of(data: dict[str, Any], templates: TemplateSet, fulfillment_id: int | None) -> InvoicedDocument:
    """The order's invoice (the whole order, or one parcel) as the integration built it."""
    event = OrderHandledEvent.model_validate({**data, "fulfillment_id": fulfillment_id})
    return InvoicedDocument.from_draft(event, build_invoice(event, templates, guid(f"invoice-{fulfillment_id}")))


def with_return(data: dict[str, Any], return_id: int, lines: dict[int, str]) -> dict[str, Any]:
    """The order with one more return fulfilment (returned quantity per order line)."""
    changed: dict[str, Any] = json.loads(json.dumps(data))
    changed["sales_order"]["order_fulfillments"].append(
        {
            "id": return_id,
            "code": f"R{return_id}",
            "type": "return",
            "fulfillment_lines": [{"order_line_id": line, "quantity": qty} for line, qty in lines.items()],
        }
    )
    return changed


def returned(data: dict[str, Any], return_id: int) -> OrderReturnedEvent:
    return OrderReturnedEvent.model_validate({**data, "event_type": "order.returned", "fulfillment_id": return_id})


def rows(credit_note: CreditNoteDraft) -> list[Row]:
    return [
        (c.line.description, c.line.quantity, c.line.unit_price_incl_vat, c.line.account_number)
        for c in credit_note.lines
    ]


def test_partial_return_of_a_multi_line_order_credits_only_the_returned_quantity(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given the invoice of a parcel with 2 x 199.95, 1 x 89.00 and shipping 39.00, and 1 of the 2 T-shirts returned
    data = order_data("danish_private")
    invoice = invoice_of(data, templates, 88001)
    data = with_return(data, 88101, {1101: "1.0"})

    # When
    credit_note = build_return_credit_note(returned(data, 88101), [invoice], guid("credit"))

    # Then one T-shirt at the invoice's price and account, nothing else, crediting that invoice
    assert credit_note.credit_note_for == invoice.guid
    assert [(qty, price, account) for _, qty, price, account in rows(credit_note)] == [
        (Decimal(1), Decimal("199.95"), 1000)
    ]
    assert credit_note.lines[0].line.description == invoice.draft.lines[0].description
    assert (credit_note.expected_total_incl_vat, credit_note.expected_vat) == (Decimal("199.95"), Decimal("39.99"))
    body = credit_note.dinero_body(CONTACT_GUID)
    assert body["CreditNoteFor"] == str(invoice.guid) and body["Guid"] == str(guid("credit"))
    assert body["ShowLinesInclVat"] is True and body["Currency"] == "DKK"


def test_return_after_a_partial_fulfilment_credits_the_parcel_that_billed_it_with_its_rounding(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given filter papers (3 for 100.00) invoiced 1 on the first parcel (33.33) and 2 on the second (66.67)
    data = order_data("partial_fulfilment")
    first, second = invoice_of(data, templates, 90001), invoice_of(data, templates, 90002)
    invoices = [first, second]

    # When one comes back, then the other two
    data = with_return(data, 95001, {8103: "1.0"})
    one = build_return_credit_note(returned(data, 95001), invoices, guid("r1"))
    data = with_return(data, 95002, {8103: "2.0"})
    two = build_return_credit_note(returned(data, 95002), invoices, guid("r2"))

    # Then each credits its own parcel's invoice, as that invoice wrote the line, and together exactly the 100.00
    assert one.credit_note_for == first.guid and two.credit_note_for == second.guid
    assert rows(one) == [("Filterpapir [FLT-100]", Decimal(1), Decimal("33.33"), 1000)]
    assert rows(two) == [("2 \N{MULTIPLICATION SIGN} Filterpapir [FLT-100]", Decimal(1), Decimal("66.67"), 1000)]
    assert one.expected_total_incl_vat + two.expected_total_incl_vat == Decimal("100.00")


def test_a_return_of_more_than_was_invoiced_is_refused(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given only the first parcel invoiced (2 of the 3 coffee bags), and a return of all 3
    data = order_data("partial_fulfilment")
    first = invoice_of(data, templates, 90001)
    data = with_return(data, 95001, {8101: "3.0"})

    # When & Then
    with pytest.raises(PermanentError, match="returned more often than it was invoiced"):
        build_return_credit_note(returned(data, 95001), [first], guid("r1"))


def test_returns_never_credit_a_line_twice(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given a parcel of 2 T-shirts: one returned and credited, then a second return of 2 more
    data = order_data("danish_private")
    invoice = invoice_of(data, templates, 88001)
    data = with_return(with_return(data, 88101, {1101: "1.0"}), 88102, {1101: "2.0"})

    # When & Then the second return may credit only the 1 T-shirt left
    with pytest.raises(PermanentError, match="returned more often than it was invoiced"):
        build_return_credit_note(returned(data, 88102), [invoice], guid("r2"))


def test_a_return_spanning_two_invoices_is_refused_with_a_reason(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given coffee bags billed 2 on the first parcel and 1 on the second, and all 3 returned at once
    data = order_data("partial_fulfilment")
    invoices = [invoice_of(data, templates, 90001), invoice_of(data, templates, 90002)]
    data = with_return(data, 95001, {8101: "3.0"})

    # When & Then (a credit note credits one invoice)
    with pytest.raises(PermanentError, match="billed on 2 invoices"):
        build_return_credit_note(returned(data, 95001), invoices, guid("r1"))


def test_a_return_on_a_discounted_order_credits_the_discount_share_and_all_credits_add_up_to_the_invoice(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given an order of 899.00 + 2 x 75.00 with a discount of -104.90 and shipping 49.00 (invoice 993.10)
    data = order_data("with_discount")
    invoice = invoice_of(data, templates, None)

    # When one pair of socks comes back, then the rest, and then the order is cancelled
    data = with_return(data, 99001, {4102: "1.0"})
    first = build_return_credit_note(returned(data, 99001), [invoice], guid("r1"))
    data = with_return(data, 99002, {4101: "1.0", 4102: "1.0"})
    second = build_return_credit_note(returned(data, 99002), [invoice], guid("r2"))
    rest = build_cancellation_credit_note(
        SalesOrder.model_validate(data["sales_order"]), CANCELLED_AT, [invoice], invoice, guid("c")
    )

    # Then the first credits the socks less their share of the discount (75.00 of 1,049.00 in goods: 7.50)
    assert [(qty, price) for _, qty, price, _ in rows(first)] == [
        (Decimal(1), Decimal("75.00")),
        (Decimal(1), Decimal("-7.50")),
    ]
    assert (first.expected_total_incl_vat, first.expected_vat) == (Decimal("67.50"), Decimal("13.50"))
    # and the cancellation only what is left (shipping), so all three together are the invoice, to the øre
    assert rest is not None and [price for _, _, price, _ in rows(rest)] == [Decimal("49.00")]
    total = first.expected_total_incl_vat + second.expected_total_incl_vat + rest.expected_total_incl_vat
    assert total == invoice.draft.expected_total_incl_vat == Decimal("993.10")


def test_a_cancellation_credits_a_whole_invoice_and_nothing_once_returns_credited_all(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given an invoiced order with a payment fee and shipping
    data = order_data("with_payment_fee")
    invoice = invoice_of(data, templates, None)
    order = SalesOrder.model_validate(data["sales_order"])

    # When it is cancelled
    full = build_cancellation_credit_note(order, CANCELLED_AT, [invoice], invoice, guid("c"))

    # Then every line of the invoice is credited as it was billed
    assert full is not None
    assert rows(full) == [
        (line.description, line.quantity, line.unit_price_incl_vat, line.account_number) for line in invoice.draft.lines
    ]
    assert full.expected_total_incl_vat == invoice.draft.expected_total_incl_vat == Decimal("347.00")


def test_a_foreign_currency_return_is_credited_in_the_invoice_currency_and_language(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given an order invoiced in EUR
    data = order_data("eur_order")
    invoice = invoice_of(data, templates, None)
    data = with_return(data, 97001, {7101: "1.0"})

    # When its item comes back
    credit_note = build_return_credit_note(returned(data, 97001), [invoice], guid("r1"))

    # Then it is credited in EUR, in English, on the invoice's account, at the invoice's price
    assert (credit_note.currency, credit_note.language) == ("EUR", "en-GB")
    invoice_line = invoice.draft.lines[0]
    assert rows(credit_note) == [
        (invoice_line.description, Decimal(1), invoice_line.unit_price_incl_vat, invoice_line.account_number)
    ]
    assert credit_note.expected_total_incl_vat == Decimal("89.95")
    assert credit_note.description.startswith("Credit note") and "R97001" in credit_note.description


def test_an_outbound_fulfilment_is_not_a_return(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given an order.returned event naming a parcel that was sent out
    data = order_data("danish_private")
    invoice = invoice_of(data, templates, 88001)

    # When & Then
    with pytest.raises(MalformedEventError, match="not a return"):
        build_return_credit_note(returned(data, 88001), [invoice], guid("r1"))


# --- VAT as the invoice had it ---


def test_a_cancelled_oss_sale_is_credited_line_by_line_with_its_foreign_vat(
    order_data: DataLoader, templates: TemplateSet, oss: Callable[..., OssSettings]
) -> None:
    # Given a German consumer's order charged German VAT, invoiced through OSS (net lines, the VAT on 63100)
    data = order_data("eu_private_de_oss")
    event = OrderHandledEvent.model_validate(data)
    invoice = InvoicedDocument.from_draft(event, build_invoice(event, templates, guid("invoice-oss"), oss(DE=1160)))
    # When the order is cancelled
    credit_note = build_cancellation_credit_note(
        event.sales_order, CANCELLED_AT, [invoice], invoice, guid("credit-note-oss")
    )
    # Then every line of the invoice is credited as it was, the foreign VAT lines included, for the invoice's total
    assert credit_note is not None
    assert [credited.line for credited in credit_note.lines] == invoice.draft.lines
    assert {line.account_number for line in invoice.draft.lines if line.is_oss_vat} == {63100}
    assert credit_note.expected_total_incl_vat == invoice.draft.expected_total_incl_vat == Decimal("992.73")
    assert credit_note.expected_vat == 0


def test_a_partial_return_of_an_oss_sale_is_refused_with_a_reason(
    order_data: DataLoader, templates: TemplateSet, oss: Callable[..., OssSettings]
) -> None:
    # Given the OSS order invoiced, and its book (line 2322) returned
    data = with_return(order_data("eu_private_de_oss"), 103500, {2322: "1"})
    event = OrderHandledEvent.model_validate(data)
    invoice = InvoicedDocument.from_draft(event, build_invoice(event, templates, guid("invoice-oss"), oss(DE=1160)))
    # When & Then: its foreign VAT would have to be split by rate, so it is credited by hand
    with pytest.raises(PermanentError, match="OSS sale"):
        build_return_credit_note(returned(data, 103500), [invoice], guid("credit-note-oss"))


def test_a_return_of_an_exempt_intra_eu_supply_repeats_the_exemption_text(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a German business's order invoiced without VAT, with the exemption text
    data = with_return(order_data("eu_business_de_reverse_charge"), 103500, {2301: "1"})
    invoice = invoice_of(data, templates, None)
    # When one of the two items comes back
    credit_note = build_return_credit_note(returned(data, 103500), [invoice], guid("credit-note-b2b"))
    # Then the credit note carries the invoice's text, no VAT, and half of the 7.200,00 the two items cost
    assert invoice.draft.comment is not None and "Article 138" in invoice.draft.comment
    assert credit_note.dinero_body(CONTACT_GUID)["Comment"] == invoice.draft.comment
    assert credit_note.expected_vat == 0 and credit_note.expected_total_incl_vat == Decimal("3600.00")
