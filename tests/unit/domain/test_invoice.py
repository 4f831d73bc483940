"""Building Dinero invoices from realistic Shipmondo orders (tests/data/orders/)."""

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from dinero_bookkeeping.domain.dinero_invoice_body import ContactDetails, InvoiceDraft, contact_body
from dinero_bookkeeping.domain.errors import MalformedEventError, PermanentError, TemplateIncompleteError
from dinero_bookkeeping.domain.invoice import RETURN_SKIP_REASON, build_invoice, skip_reason
from dinero_bookkeeping.domain.order_event import OrderHandledEvent
from dinero_bookkeeping.domain.regions import Region
from dinero_bookkeeping.domain.templates import PaymentConditionType, Template, TemplateKind, TemplateSet

INVOICE_GUID = UUID("5d0c8f5e-2b7a-4c1e-8f3d-9a6b1c2d3e4f")
CONTACT_GUID = UUID("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")

EventLoader = Callable[[str], OrderHandledEvent]
DataLoader = Callable[[str], dict[str, Any]]
Row = tuple[str, Decimal, Decimal, int, str | None, str]

ALL_ORDERS = [
    "danish_private",
    "eu_private_de",
    "norway_export",
    "with_discount",
    "free_shipping",
    "rounding_33_33",
    "eur_order",
    "partial_fulfilment",
    "with_gift_card",
    "with_payment_fee",
]


def rows(draft: InvoiceDraft) -> list[Row]:
    """The lines as (description, quantity, unit price incl. VAT, account, unit, line type), for compact asserts."""
    return [
        (line.description, line.quantity, line.unit_price_incl_vat, line.account_number, line.unit, line.line_type)
        for line in draft.lines
    ]


def build(event: OrderHandledEvent, templates: TemplateSet) -> InvoiceDraft:
    return build_invoice(event, templates, INVOICE_GUID)


def test_build_invoice_danish_private_order_books_goods_and_shipping_on_domestic_accounts(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given a Danish customer's order shipped in one parcel
    event = order_event("danish_private")

    # When
    draft = build(event, templates)

    # Then goods go to Product (Domestic), freight to Shipping (Domestic), at the webshop's prices incl. VAT
    assert draft.region is Region.DOMESTIC
    assert rows(draft) == [
        ("T-Shirt (White) [TS001-WH]", Decimal("2"), Decimal("199.95"), 1000, "parts", "Product"),
        ("Kaffekop [MUG-01]", Decimal("1"), Decimal("89.00"), 1000, "parts", "Product"),
        ("GLS Pakkeshop", Decimal("1"), Decimal("39.00"), 1350, "shipment", "Product"),
    ]
    assert draft.expected_total_incl_vat == Decimal("527.90")
    assert draft.expected_vat == Decimal("105.58")
    assert draft.review_reasons == []


def test_build_invoice_danish_order_fills_invoice_fields_in_danish(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given a Danish order whose event names its fulfilment
    event = order_event("danish_private")

    # When
    draft = build(event, templates)

    # Then the invoice is in Danish, references the order number, and takes layout and terms from the template
    invoice_template = templates.require(TemplateKind.INVOICE)
    assert draft.guid == INVOICE_GUID
    assert draft.language == "da-DK"
    assert draft.currency == "DKK"
    assert draft.external_reference == "10421"
    assert draft.description == "Ordre 10421 \N{EN DASH} levering 10421-1"
    assert draft.date == dt.date(2026, 3, 3)
    assert draft.layout_id == invoice_template.layout_id
    assert draft.payment_condition_type is PaymentConditionType.NETTO
    assert draft.payment_condition_days == 8


def test_build_invoice_danish_order_takes_contact_from_billing_address(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given a Danish order with the same billing and delivery address
    event = order_event("danish_private")

    # When
    draft = build(event, templates)

    # Then the customer becomes a private-person contact found again by e-mail
    assert draft.contact == ContactDetails(
        name="Lene Hansen",
        email="lene.hansen@example.dk",
        country_code="DK",
        street="Skibhusvej 52, 2. tv",
        zip_code="5000",
        city="Odense C",
        phone="12345678",
        is_person=True,
    )
    assert draft.contact.lookup_key == "email:lene.hansen@example.dk"


def test_build_invoice_german_consumer_at_danish_vat_uses_domestic_accounts_in_english(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given a private customer in Germany charged 25 % Danish VAT, whole order; Product (EU) is the VAT-free 1100
    event = order_event("eu_private_de")

    # When
    draft = build(event, templates)

    # Then the Domestic accounts carry the Danish VAT, the invoice is in English, the mixed-case e-mail is normalised
    assert draft.region is Region.EU
    assert draft.language == "en-GB"
    assert draft.description == "Order 10422"
    assert rows(draft) == [
        ("Uldplaid (Grey) [BLK-200]", Decimal("1"), Decimal("749.00"), 1000, "parts", "Product"),
        ("DHL Europe", Decimal("1"), Decimal("95.00"), 1350, "shipment", "Product"),
    ]
    assert draft.vat_reasons == []
    assert draft.notes == [
        "Danish VAT on a delivery to DE (a distance sale below the EU threshold): booked on Product (Domestic) 1000, "
        "Shipping (Domestic) 1350"
    ]
    assert draft.expected_total_incl_vat == Decimal("844.00")
    assert draft.contact.email == "jonas.mueller@example.de"
    assert draft.contact.country_code == "DE"


def test_build_invoice_norwegian_export_uses_outside_eu_accounts_without_vat(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given an export to Norway with 0 % VAT on every line
    event = order_event("norway_export")

    # When
    draft = build(event, templates)

    # Then the export accounts are used and no VAT is expected
    assert draft.region is Region.OUTSIDE_EU
    assert draft.language == "en-GB"
    assert rows(draft) == [
        ("Regnjakke (Navy / M) [RJ-300]", Decimal("1"), Decimal("639.20"), 1255, "parts", "Product"),
        ("PostNord Norge", Decimal("1"), Decimal("120.00"), 1300, "shipment", "Product"),
    ]
    assert draft.expected_total_incl_vat == Decimal("759.20")
    assert draft.expected_vat == Decimal("0")


def test_build_invoice_discount_line_stays_negative_on_product_account(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given an order with a discount code line
    event = order_event("with_discount")

    # When
    draft = build(event, templates)

    # Then the discount reduces revenue on the goods' account, and totals are net of it
    assert rows(draft) == [
        ("Sneakers (42) [SNK-42]", Decimal("1"), Decimal("899.00"), 1000, "parts", "Product"),
        ("Strømper 3-pak [SOCK-3]", Decimal("2"), Decimal("75.00"), 1000, "parts", "Product"),
        ("Rabatkode FORÅR10", Decimal("1"), Decimal("-104.90"), 1000, "parts", "Product"),
        ("Bring Home", Decimal("1"), Decimal("49.00"), 1350, "shipment", "Product"),
    ]
    assert draft.expected_total_incl_vat == Decimal("993.10")
    assert draft.expected_vat == Decimal("198.62")


def test_build_invoice_free_shipping_keeps_zero_line_named_in_invoice_language(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given an order whose shipping line is free and has no name
    event = order_event("free_shipping")

    # When
    draft = build(event, templates)

    # Then the customer still sees "Fragt 0,00" on the Shipping account
    assert rows(draft)[-1] == ("Fragt", Decimal("1"), Decimal("0.00"), 1350, "shipment", "Product")
    assert draft.expected_total_incl_vat == Decimal("349.00")


def test_build_invoice_unit_price_in_whole_ore_keeps_quantity(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given 3 items for 99.99, which is exactly 3 x 33.33
    event = order_event("rounding_33_33")

    # When
    draft = build(event, templates)

    # Then the line keeps its quantity and unit price
    assert rows(draft)[0] == ("Te-smagekasse [TEA-3]", Decimal("3"), Decimal("33.33"), 1000, "parts", "Product")


def test_build_invoice_unit_price_with_fraction_of_ore_becomes_one_line_total(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given 3 items for 100.00, whose unit price 33.333... no øre amount can express
    event = order_event("rounding_33_33")

    # When
    draft = build(event, templates)

    # Then the line is sent as 1 x 100.00 with the quantity written in its description
    assert rows(draft)[1] == (
        "3 \N{MULTIPLICATION SIGN} Strømper [SOCK-1]",
        Decimal("1"),
        Decimal("100.00"),
        1000,
        "parts",
        "Product",
    )


def test_build_invoice_small_amounts_add_up_exactly(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given lines of 0.10 and 0.20 (which binary floats would add up to 0.30000000000000004)
    event = order_event("rounding_33_33")

    # When
    draft = build(event, templates)

    # Then the expected totals are exact to the øre
    assert [line.unit_price_incl_vat for line in draft.lines[2:]] == [Decimal("0.10"), Decimal("0.20")]
    assert draft.expected_total_incl_vat == Decimal("200.29")
    assert draft.expected_vat == Decimal("40.06")


@pytest.mark.parametrize("name", ALL_ORDERS)
def test_build_invoice_any_order_product_lines_multiply_out_to_expected_total(
    name: str, order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given any of the realistic orders
    event = order_event(name)

    # When
    draft = build(event, templates)

    # Then quantity times unit price over the accounting lines, as Dinero computes it, is the order's total to the øre
    products = [line for line in draft.lines if line.line_type == "Product"]
    assert sum((line.quantity * line.unit_price_incl_vat for line in products), Decimal(0)) == (
        draft.expected_total_incl_vat
    )


def test_build_invoice_eur_order_keeps_order_currency(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given an order paid in euro and delivered in France
    event = order_event("eur_order")

    # When
    draft = build(event, templates)

    # Then the invoice is in EUR at the order's euro amounts, its Danish VAT on the Domestic accounts
    assert draft.currency == "EUR"
    assert draft.region is Region.EU
    assert rows(draft) == [
        ("Linen shirt (Blue / L) [LS-01]", Decimal("1"), Decimal("89.95"), 1000, "parts", "Product"),
        ("DHL Europe", Decimal("1"), Decimal("12.50"), 1350, "shipment", "Product"),
    ]
    assert draft.expected_total_incl_vat == Decimal("102.45")
    assert draft.dinero_body(CONTACT_GUID)["Currency"] == "EUR"


def test_build_invoice_currency_missing_on_payment_falls_back_to_lines(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a euro order whose payment details name no currency
    data = order_data("eur_order")
    data["sales_order"]["payment_details"]["currency_code"] = None

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then the lines' currency is used
    assert draft.currency == "EUR"


def test_build_invoice_no_currency_anywhere_defaults_to_dkk(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given an order that names no currency at all
    data = order_data("with_discount")
    data["sales_order"]["payment_details"] = None
    for line in data["sales_order"]["order_lines"]:
        line["currency_code"] = None

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then
    assert draft.currency == "DKK"


def test_build_invoice_lines_in_another_currency_raise_permanent_error(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a DKK order with one line in euro
    data = order_data("danish_private")
    data["sales_order"]["order_lines"][1]["currency_code"] = "EUR"
    event = OrderHandledEvent.model_validate(data)

    # When & Then
    with pytest.raises(PermanentError, match="Order 10421 is in DKK but has lines in EUR"):
        build(event, templates)


def test_build_invoice_first_fulfilment_invoices_shipped_quantities_and_shipping(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given the first of two parcels: 2 of 3 coffee bags (as two fulfilment lines), the grinder, 1 of 3 filters
    event = order_event("partial_fulfilment")

    # When
    draft = build(event, templates)

    # Then only shipped quantities are invoiced, pro-rated to the øre, and shipping is charged on this parcel
    assert rows(draft) == [
        ("Kaffebønner 1 kg (Mørk ristet) [COF-1K]", Decimal("2"), Decimal("100.00"), 1000, "parts", "Product"),
        ("Kaffekværn [GRD-01]", Decimal("1"), Decimal("599.00"), 1000, "parts", "Product"),
        ("Filterpapir [FLT-100]", Decimal("1"), Decimal("33.33"), 1000, "parts", "Product"),
        ("PostNord MyPack Home", Decimal("1"), Decimal("45.00"), 1350, "shipment", "Product"),
    ]
    assert draft.expected_total_incl_vat == Decimal("877.33")
    assert draft.expected_vat == Decimal("175.47")
    assert draft.description == "Ordre 10428 \N{EN DASH} levering 10428-1"


def test_build_invoice_second_fulfilment_has_no_shipping(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given the second parcel: the last coffee bag and 2 of 3 filters
    data = order_data("partial_fulfilment")
    data["fulfillment_id"] = 90002

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then shipping is not charged again, and 2 filters for 66.67 (33.335 each) become one line total
    assert rows(draft) == [
        ("Kaffebønner 1 kg (Mørk ristet) [COF-1K]", Decimal("1"), Decimal("100.00"), 1000, "parts", "Product"),
        ("2 \N{MULTIPLICATION SIGN} Filterpapir [FLT-100]", Decimal("1"), Decimal("66.67"), 1000, "parts", "Product"),
    ]
    assert draft.expected_total_incl_vat == Decimal("166.67")
    assert draft.expected_vat == Decimal("33.33")


def test_build_invoice_both_fulfilments_add_up_to_order_total(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given the two parcels of one order
    first = order_data("partial_fulfilment")
    second = order_data("partial_fulfilment")
    second["fulfillment_id"] = 90002

    # When
    drafts = [build(OrderHandledEvent.model_validate(data), templates) for data in (first, second)]

    # Then together they invoice exactly what the customer paid
    assert sum(draft.expected_total_incl_vat for draft in drafts) == Decimal(
        first["sales_order"]["payment_details"]["amount_including_vat"]
    )


def test_build_invoice_first_fulfilment_cancelled_moves_shipping_to_next(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given an order whose first parcel was cancelled
    data = order_data("partial_fulfilment")
    data["sales_order"]["order_fulfillments"][0]["cancelled"] = True
    data["fulfillment_id"] = 90002

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then the remaining parcel carries the shipping
    assert ("PostNord MyPack Home", Decimal("1"), Decimal("45.00"), 1350, "shipment", "Product") in rows(draft)


def test_build_invoice_fulfilment_view_quantity_is_invoiced(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given fulfilment lines as Shipmondo's fulfilment endpoint sends them: `quantity`, no `shipped_quantity`
    data = order_data("partial_fulfilment")
    for fulfillment_line in data["sales_order"]["order_fulfillments"][1]["fulfillment_lines"]:
        fulfillment_line["quantity"] = fulfillment_line.pop("shipped_quantity")
    data["fulfillment_id"] = 90002

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then the same quantities are invoiced
    assert [line.description for line in draft.lines] == [
        "Kaffebønner 1 kg (Mørk ristet) [COF-1K]",
        "2 \N{MULTIPLICATION SIGN} Filterpapir [FLT-100]",
    ]


def test_build_invoice_fulfilment_line_for_unknown_order_line_raises_malformed_event(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a fulfilment that ships an order line the order does not have
    data = order_data("partial_fulfilment")
    data["sales_order"]["order_fulfillments"][0]["fulfillment_lines"][0]["order_line_id"] = 4242
    event = OrderHandledEvent.model_validate(data)

    # When & Then
    with pytest.raises(MalformedEventError, match="ships order line 4242, which is not in order 10428"):
        build(event, templates)


def test_build_invoice_fulfilment_shipping_more_than_ordered_raises_malformed_event(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a fulfilment that ships 4 of a line ordered 3 times
    data = order_data("partial_fulfilment")
    data["sales_order"]["order_fulfillments"][0]["fulfillment_lines"][0]["shipped_quantity"] = "3.0"
    event = OrderHandledEvent.model_validate(data)

    # When & Then
    with pytest.raises(MalformedEventError, match="Fulfilment 90001 ships 4 of order line 8101, which has 3"):
        build(event, templates)


def test_build_invoice_gift_card_becomes_text_line_and_review_reason(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given an order partly paid with a gift card
    event = order_event("with_gift_card")

    # When
    draft = build(event, templates)

    # Then the gift card is shown without accounting effect, left out of the totals, and holds the invoice as draft
    assert rows(draft)[-1] == ("Gavekort GC-7731: -300,00 DKK", Decimal("0"), Decimal("0"), 1000, None, "Text")
    assert draft.expected_total_incl_vat == Decimal("1239.00")
    assert draft.expected_vat == Decimal("247.80")
    assert draft.review_reasons == [
        "Order 10429 contains a gift card line of -300,00 DKK; book it by hand, then book the invoice"
    ]


def test_build_invoice_payment_fee_goes_to_product_account(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given an order with an unnamed payment fee line
    event = order_event("with_payment_fee")

    # When
    draft = build(event, templates)

    # Then the fee is revenue on the goods' account, named in Danish
    assert rows(draft)[1] == ("Gebyr", Decimal("1"), Decimal("29.00"), 1000, "parts", "Product")
    assert draft.expected_total_incl_vat == Decimal("347.00")
    assert draft.expected_vat == Decimal("69.40")


def test_build_invoice_order_total_differs_from_lines_adds_review_reason(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a whole-order event whose stated total is not the sum of its lines
    data = order_data("eu_private_de")
    data["sales_order"]["payment_details"]["amount_including_vat"] = "800.0"

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then the invoice must be reviewed before booking
    assert draft.review_reasons == ["Order lines add up to 844,00 DKK but the order total is 800,00 DKK"]


def test_build_invoice_fulfilment_invoice_ignores_order_total(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given a partial fulfilment, whose lines are only part of the order total
    event = order_event("partial_fulfilment")

    # When
    draft = build(event, templates)

    # Then that is not a reason for review
    assert draft.review_reasons == []


def test_build_invoice_product_account_missing_raises_template_incomplete(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given an integration whose Product (Outside EU) template has no account yet, and an export to Norway
    kind = TemplateKind.PRODUCT_OUTSIDE_EU
    incomplete = TemplateSet(templates={**templates.templates, kind: Template(kind=kind)})
    event = order_event("norway_export")

    # When & Then
    with pytest.raises(TemplateIncompleteError) as raised:
        build(event, incomplete)
    assert raised.value.reason == "Product (Outside EU) has no account"


def test_build_invoice_no_country_raises_permanent_error(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given an order with neither a delivery nor a billing country
    data = order_data("danish_private")
    data["sales_order"]["ship_to"]["country_code"] = None
    data["sales_order"]["bill_to"] = None
    event = OrderHandledEvent.model_validate(data)

    # When & Then
    with pytest.raises(PermanentError) as raised:
        build(event, templates)
    assert raised.value.reason == "Order 10421 has no delivery or billing country"


def test_build_invoice_delivery_country_decides_region_over_billing(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a Danish billing address and delivery to Norway
    data = order_data("danish_private")
    data["sales_order"]["ship_to"]["country_code"] = "NO"

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then VAT follows the goods: Outside EU; the contact keeps the billing country
    assert draft.region is Region.OUTSIDE_EU
    assert draft.contact.country_code == "DK"


def test_build_invoice_without_delivery_address_uses_billing_address(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given an order with only a billing address, in Sweden
    data = order_data("danish_private")
    data["sales_order"]["ship_to"] = None
    data["sales_order"]["bill_to"]["country_code"] = "SE"

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then
    assert draft.region is Region.EU
    assert draft.contact.country_code == "SE"


def test_build_invoice_guest_without_name_or_email_gets_placeholder_contact(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given a guest order with blank name and e-mail and no billing address
    data = order_data("danish_private")
    data["sales_order"]["bill_to"] = None
    data["sales_order"]["ship_to"].update(name="  ", email="", mobile=None, telephone="87654321")

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then the contact is named after the order and found again by that name
    assert draft.contact.name == "Webshop customer 10421"
    assert draft.contact.email is None
    assert draft.contact.phone == "87654321"
    assert draft.contact.lookup_key == "name:webshop customer 10421"


def test_build_invoice_contact_keeps_personal_data_out_of_repr(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given
    event = order_event("danish_private")

    # When a draft is written to a log
    text = repr(build(event, templates))

    # Then it shows no name, e-mail, address or phone
    for personal in ("Lene", "lene.hansen@example.dk", "Skibhusvej", "Odense", "12345678"):
        assert personal not in text


def test_build_invoice_occurred_late_on_new_years_eve_utc_is_dated_new_year(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given an order handled at 23:30 UTC on 31 December, which is 00:30 on 1 January in Denmark
    data = order_data("danish_private")
    data["occurred_at"] = "2025-12-31T23:30:00Z"

    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)

    # Then the Danish booking date is used
    assert draft.date == dt.date(2026, 1, 1)


def test_skip_reason_outbound_fulfilment_is_none(order_event: EventLoader) -> None:
    # Given an ordinary shipped parcel
    event = order_event("danish_private")

    # When & Then
    assert skip_reason(event) is None


def test_skip_reason_whole_order_is_none(order_event: EventLoader) -> None:
    # Given an event with no fulfilment
    event = order_event("eu_private_de")

    # When & Then
    assert skip_reason(event) is None


def test_skip_reason_return_fulfilment_is_credit_note_reason(order_data: DataLoader) -> None:
    # Given an event for a return
    data = order_data("danish_private")
    data["sales_order"]["order_fulfillments"][0]["type"] = "return"

    # When
    reason = skip_reason(OrderHandledEvent.model_validate(data))

    # Then
    assert reason == RETURN_SKIP_REASON
    assert reason == "A return fulfilment is credited by its order.returned event, not invoiced"


def test_skip_reason_cancelled_fulfilment_names_it(order_data: DataLoader) -> None:
    # Given an event for a cancelled parcel
    data = order_data("danish_private")
    data["sales_order"]["order_fulfillments"][0]["cancelled"] = True

    # When & Then
    assert skip_reason(OrderHandledEvent.model_validate(data)) == "Fulfilment 88001 is cancelled"


def test_skip_reason_later_fulfilment_without_items_has_nothing_to_invoice(order_data: DataLoader) -> None:
    # Given a second parcel that ships no order lines (the first one already carried the shipping)
    data = order_data("partial_fulfilment")
    data["sales_order"]["order_fulfillments"][1]["fulfillment_lines"] = []
    data["fulfillment_id"] = 90002

    # When & Then
    assert skip_reason(OrderHandledEvent.model_validate(data)) == "Fulfilment 90002 has nothing to invoice"


def test_skip_reason_unknown_fulfilment_raises_malformed_event(order_data: DataLoader) -> None:
    # Given an event naming a fulfilment the order does not have
    data = order_data("danish_private")
    data["fulfillment_id"] = 99999
    event = OrderHandledEvent.model_validate(data)

    # When & Then
    with pytest.raises(MalformedEventError, match="Fulfilment 99999 is not a fulfilment of order 10421"):
        skip_reason(event)


def test_build_invoice_return_fulfilment_is_refused(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given an event for a return, built without checking skip_reason first
    data = order_data("danish_private")
    data["sales_order"]["order_fulfillments"][0]["type"] = "return"
    event = OrderHandledEvent.model_validate(data)

    # When & Then no sales invoice is made of it
    with pytest.raises(PermanentError, match=r"order\.returned"):
        build(event, templates)


def test_dinero_body_danish_order_is_invoice_create_model(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given
    draft = build(order_event("danish_private"), templates)

    # When
    body = draft.dinero_body(CONTACT_GUID)

    # Then the body is Dinero's InvoiceCreateModel with lines incl. VAT
    assert body == {
        "Guid": str(INVOICE_GUID),
        "ContactGuid": str(CONTACT_GUID),
        "Date": "2026-03-03",
        "Currency": "DKK",
        "Language": "da-DK",
        "ExternalReference": "10421",
        "Description": "Ordre 10421 \N{EN DASH} levering 10421-1",
        "ShowLinesInclVat": True,
        "InvoiceTemplateId": str(templates.require(TemplateKind.INVOICE).layout_id),
        "PaymentConditionType": "Netto",
        "PaymentConditionNumberOfDays": 8,
        "ProductLines": [
            {
                "Description": "T-Shirt (White) [TS001-WH]",
                "Quantity": 2.0,
                "BaseAmountValue": 199.95,
                "AccountNumber": 1000,
                "Discount": 0,
                "Unit": "parts",
                "LineType": "Product",
            },
            {
                "Description": "Kaffekop [MUG-01]",
                "Quantity": 1.0,
                "BaseAmountValue": 89.0,
                "AccountNumber": 1000,
                "Discount": 0,
                "Unit": "parts",
                "LineType": "Product",
            },
            {
                "Description": "GLS Pakkeshop",
                "Quantity": 1.0,
                "BaseAmountValue": 39.0,
                "AccountNumber": 1350,
                "Discount": 0,
                "Unit": "shipment",
                "LineType": "Product",
            },
        ],
    }


def test_dinero_body_written_as_json_keeps_amounts_exact(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given an invoice with awkward amounts
    draft = build(order_event("rounding_33_33"), templates)

    # When the body is serialised
    text = json.dumps(draft.dinero_body(CONTACT_GUID))

    # Then each amount appears as its exact decimal
    amounts = [line["BaseAmountValue"] for line in json.loads(text)["ProductLines"]]
    assert [Decimal(str(amount)) for amount in amounts] == [
        Decimal("33.33"),
        Decimal("100.00"),
        Decimal("0.10"),
        Decimal("0.20"),
    ]
    assert '"BaseAmountValue": 33.33,' in text


def test_dinero_body_gift_card_text_line_carries_only_required_fields(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given
    draft = build(order_event("with_gift_card"), templates)

    # When
    text_line = draft.dinero_body(CONTACT_GUID)["ProductLines"][-1]

    # Then it has the description, zeros where Dinero requires numbers, and no unit
    assert text_line == {
        "Description": "Gavekort GC-7731: -300,00 DKK",
        "Quantity": 0.0,
        "BaseAmountValue": 0.0,
        "AccountNumber": 1000,
        "Discount": 0,
        "LineType": "Text",
    }


def test_dinero_body_payment_terms_without_days_send_null_days(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given an invoice template with cash terms, which take no number of days
    invoice = templates.require(TemplateKind.INVOICE)
    cash = invoice.model_copy(
        update={"payment_condition_type": PaymentConditionType.NETTO_CASH, "payment_condition_days": None}
    )
    with_cash = TemplateSet(templates={**templates.templates, TemplateKind.INVOICE: cash})
    draft = build(order_event("danish_private"), with_cash)

    # When
    body = draft.dinero_body(CONTACT_GUID)

    # Then
    assert body["PaymentConditionType"] == "NettoCash"
    assert body["PaymentConditionNumberOfDays"] is None


def test_contact_body_is_contact_create_model(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given
    contact = build(order_event("danish_private"), templates).contact

    # When
    body = contact_body(contact, CONTACT_GUID)

    # Then
    assert body == {
        "ContactGuid": str(CONTACT_GUID),
        "Name": "Lene Hansen",
        "Email": "lene.hansen@example.dk",
        "Street": "Skibhusvej 52, 2. tv",
        "ZipCode": "5000",
        "City": "Odense C",
        "Phone": "12345678",
        "CountryKey": "DK",
        "IsPerson": True,
        "IsMember": False,
        "UseCvr": False,
        "VatNumber": None,
        "AttPerson": None,
    }


def test_build_invoice_three_parcels_of_one_line_add_up_to_the_line_to_the_ore(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given: 3 units for 100.00 (a third is not a whole øre), shipped one per parcel
    data = order_data("partial_fulfilment")
    fulfillments = data["sales_order"]["order_fulfillments"]
    fulfillments[1]["fulfillment_lines"] = [{"id": 1, "order_line_id": 8103, "shipped_quantity": "1.0"}]
    third = {**fulfillments[1], "id": 90003, "code": "10428-3"}
    fulfillments.append(third)
    events = [OrderHandledEvent.model_validate({**data, "fulfillment_id": fid}) for fid in (90001, 90002, 90003)]

    # When
    drafts = [build(event, templates) for event in events]

    # Then: the running total is rounded, so the three invoices carry 33.33 + 33.34 + 33.33 of line 8103
    shares = [next(line for line in draft.lines if "Filterpapir" in line.description) for draft in drafts]
    amounts = [line.unit_price_incl_vat * line.quantity for line in shares]
    assert amounts == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")]
