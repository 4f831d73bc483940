"""VAT follows the order: each line's account from the VAT the customer was charged and where the goods go.

Realistic orders from tests/data/orders/, templates as the configuration API stores them (with VAT codes recorded).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from dinero_bookkeeping.domain.dinero_invoice_body import InvoiceDraft
from dinero_bookkeeping.domain.invoice import build_invoice
from dinero_bookkeeping.domain.order_event import OrderHandledEvent
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.templates import Template, TemplateKind, TemplateSet
from dinero_bookkeeping.domain.vat_rules import exemption_text

INVOICE_GUID = UUID("9e1d3c5a-7b2f-4e6d-8a0c-1b2d3e4f5a6b")
EventLoader = Callable[[str], OrderHandledEvent]
DataLoader = Callable[[str], dict[str, Any]]


AccountsChanger = Callable[..., TemplateSet]
OssFactory = Callable[..., OssSettings]


def build(event: OrderHandledEvent, templates: TemplateSet, settings: OssSettings | None = None) -> InvoiceDraft:
    return build_invoice(event, templates, INVOICE_GUID, settings)


def accounts(draft: InvoiceDraft) -> list[int]:
    return [line.account_number for line in draft.lines]


def booked_total(draft: InvoiceDraft) -> Decimal:
    return sum(
        (line.quantity * line.unit_price_incl_vat for line in draft.lines if line.line_type == "Product"), Decimal(0)
    )


# --- Danish VAT ---


def test_danish_order_at_25_percent_is_booked_on_the_domestic_accounts(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given
    event = order_event("danish_private")
    # When
    draft = build(event, templates)
    # Then
    assert accounts(draft) == [1000, 1000, 1350]
    assert draft.vat_reasons == [] and draft.notes == [] and draft.comment is None
    assert draft.expected_vat == Decimal("105.58") and draft.vat_lines == 3


def test_eu_consumer_at_danish_vat_goes_to_an_eu_account_that_carries_danish_vat(
    order_event: EventLoader, templates: TemplateSet, with_accounts: AccountsChanger
) -> None:
    # Given: Product (EU) on a 25 % account for EU consumer sales, Shipping (EU) still the VAT-free EU freight account
    event = order_event("eu_private_de")
    chosen = with_accounts(product_eu=1010)
    # When
    draft = build(event, chosen)
    # Then: goods on the EU account, freight (not on a 25 % EU account) on the Domestic freight account
    assert accounts(draft) == [1010, 1350]
    assert draft.vat_reasons == []
    assert draft.notes == [
        "Danish VAT on a delivery to DE (a distance sale below the EU threshold): booked on Product (EU) 1010, "
        "Shipping (Domestic) 1350"
    ]


def test_eu_template_whose_vat_was_not_recorded_leaves_danish_vat_on_the_domestic_accounts(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given: Product (EU) saved before VAT codes were recorded
    legacy = Template(kind=TemplateKind.PRODUCT_EU, account_number=1010)
    chosen = TemplateSet(templates={**templates.templates, TemplateKind.PRODUCT_EU: legacy})
    # When
    draft = build(order_event("eu_private_de"), chosen)
    # Then
    assert accounts(draft) == [1000, 1350]


def test_a_line_charged_a_rate_its_account_does_not_carry_is_named_before_dinero_is_called(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given: a Danish order with a mixed rate: one item charged no VAT
    data = order_data("danish_private")
    line = data["sales_order"]["order_lines"][1]
    line.update(vat_percent="0.0", vat_amount="0.0", amount_excluding_vat=line["amount_including_vat"])
    data["sales_order"]["payment_details"] = None
    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)
    # Then: exactly that line is named, with its rate and the account's code
    assert draft.vat_reasons == [
        f'Line "{line["item_name"]}" is charged 0 % VAT, but Product (Domestic) account 1000 has VAT code U25 (25 %): '
        "Dinero would book 25 %; choose an account with 0 % VAT"
    ]


# --- Intra-EU supply to a business (reverse charge) ---


def test_zero_vat_to_an_eu_business_with_vat_number_is_exempt_on_the_eu_accounts(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given
    event = order_event("eu_business_de_reverse_charge")
    # When
    draft = build(event, templates)
    # Then: EU accounts, a company contact with the VAT number, the exemption text in the invoice's language
    assert accounts(draft) == [1100, 1360]
    assert draft.vat_reasons == []
    assert draft.contact.is_person is False and draft.contact.vat_number == "DE123456789"
    assert draft.contact.lookup_key == "vat:DE123456789"
    assert draft.comment == exemption_text("DE123456789", "en-GB")
    assert draft.dinero_body(INVOICE_GUID)["Comment"] == draft.comment
    assert draft.expected_vat == 0 and booked_total(draft) == Decimal("7650.00")


def test_exemption_text_cites_the_law_and_the_buyers_vat_number_in_danish_and_english() -> None:
    # Given
    number = "SE556677889901"
    # When
    danish, english = exemption_text(number, "da-DK"), exemption_text(number, "en-GB")
    # Then
    assert "momslovens § 34, stk. 1, nr. 1" in danish and "artikel 138" in danish
    assert danish.endswith("Køberens momsnummer: SE556677889901.")
    assert "section 34(1)(1)" in english and "Article 138 of Directive 2006/112/EC" in english
    assert english.endswith("Buyer's VAT number: SE556677889901.")


def test_zero_vat_to_an_eu_business_without_vat_number_needs_review(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given
    event = order_event("eu_business_de_without_vat_number")
    # When
    draft = build(event, templates)
    # Then
    assert len(draft.vat_reasons) == 1
    assert draft.vat_reasons[0].startswith(
        "The order charges no VAT on a delivery to DE, but the buyer's VAT number (bill_to.vat_number) is missing"
    )
    assert draft.comment is None and draft.contact.is_person is True


def test_a_danish_vat_number_does_not_make_an_eu_delivery_exempt(
    order_data: DataLoader, templates: TemplateSet
) -> None:
    # Given
    data = order_data("eu_business_de_reverse_charge")
    data["sales_order"]["bill_to"]["vat_number"] = "DK12345678"
    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)
    # Then
    assert draft.vat_reasons == [
        "The order charges no VAT on a delivery to DE, but the buyer's VAT number DK12345678 is not one of another EU "
        "country: a VAT-free intra-EU supply needs one (ML § 34, stk. 1, nr. 1)"
    ]
    assert draft.comment is None


def test_reverse_charge_with_a_25_percent_eu_account_is_named_as_a_mismatch(
    order_event: EventLoader, templates: TemplateSet, with_accounts: AccountsChanger
) -> None:
    # Given: Product (EU) chosen for consumer sales with Danish VAT
    chosen = with_accounts(product_eu=1010)
    # When
    draft = build(order_event("eu_business_de_reverse_charge"), chosen)
    # Then
    assert draft.vat_reasons == [
        'Line "Egetræsbord" is charged 0 % VAT, but Product (EU) account 1010 has VAT code U25 (25 %): Dinero would '
        "book 25 %; choose an account with 0 % VAT"
    ]


# --- OSS ---


def test_oss_order_is_booked_net_per_country_with_the_foreign_vat_per_rate_on_the_liability_account(
    order_event: EventLoader, templates: TemplateSet, oss: OssFactory
) -> None:
    # Given: a German consumer charged German VAT (19 % and 7 % for a book), OSS configured for DE
    event = order_event("eu_private_de_oss")
    # When
    draft = build(event, templates, oss(DE=1160))
    # Then
    assert [(line.description, line.unit_price_incl_vat, line.account_number) for line in draft.lines] == [
        ("Uldplaid (Grey) [BLK-200]", Decimal("629.41"), 1160),
        ("Strikkebog [BOOK-7]", Decimal("139.00"), 1160),
        ("DHL Europe", Decimal("79.83"), 1160),
        ("VAT DE 7 % (OSS)", Decimal("9.73"), 63100),
        ("VAT DE 19 % (OSS)", Decimal("134.76"), 63100),
    ]
    assert booked_total(draft) == draft.expected_total_incl_vat == Decimal("992.73")
    assert draft.expected_vat == 0 and draft.vat_reasons == []


def test_oss_net_lines_finer_than_an_ore_still_add_up_to_what_the_customer_paid(
    order_data: DataLoader, templates: TemplateSet, oss: OssFactory
) -> None:
    # Given: two lines at 19,99 incl. 19 % (net 16,798..., VAT 3,191...), in the order's unrounded amounts
    data = order_data("eu_private_de_oss")
    net, vat = "16.798319", "3.191681"
    lines = data["sales_order"]["order_lines"][:1]
    lines[0].update(amount_including_vat="19.99", amount_excluding_vat=net, vat_amount=vat, quantity="1.0")
    second = {**lines[0], "id": 2399, "item_name": "Grydelap", "item_sku": "POT-1"}
    data["sales_order"]["order_lines"] = [lines[0], second]
    data["sales_order"]["payment_details"] = None
    # When
    draft = build(OrderHandledEvent.model_validate(data), templates, oss(DE=1160))
    # Then: nets are sent to the øre and the VAT line takes the rest
    amounts = [line.unit_price_incl_vat for line in draft.lines]
    assert amounts == [Decimal("16.80"), Decimal("16.80"), Decimal("6.38")]
    assert booked_total(draft) == Decimal("39.98")


def test_swedish_25_percent_is_swedish_vat_once_oss_is_configured_for_sweden_and_danish_vat_before(
    order_data: DataLoader, templates: TemplateSet, oss: OssFactory
) -> None:
    # Given: the German consumer order delivered to Stockholm at 25 %
    data = order_data("eu_private_de")
    for address in (data["sales_order"]["ship_to"], data["sales_order"]["bill_to"]):
        address.update(country_code="SE", zipcode="111 22", city="Stockholm")
    event = OrderHandledEvent.model_validate(data)
    # When
    without_oss = build(event, templates)
    with_oss = build(event, templates, oss(SE=1165))
    # Then
    assert accounts(without_oss) == [1000, 1350]
    assert accounts(with_oss) == [1165, 1165, 63100]


def test_foreign_vat_without_oss_names_country_rate_and_amount_per_rate(
    order_event: EventLoader, templates: TemplateSet, oss: OssFactory
) -> None:
    # Given: OSS configured, but for France only
    event = order_event("eu_private_de_oss")
    # When
    draft = build(event, templates, oss(FR=1165))
    # Then
    assert [reason.split(", another")[0] for reason in draft.vat_reasons] == [
        "The order charges DE VAT at 7 % (148,73 DKK incl. 9,73 DKK VAT)",
        "The order charges DE VAT at 19 % (844,00 DKK incl. 134,76 DKK VAT)",
    ]
    assert all("configure OSS for DE (PUT /integrations/{id}/oss" in reason for reason in draft.vat_reasons)


# --- Exports and special territories ---


def test_export_to_norway_uses_the_outside_eu_accounts(order_event: EventLoader, templates: TemplateSet) -> None:
    # Given
    event = order_event("norway_export")
    # When
    draft = build(event, templates)
    # Then
    assert set(accounts(draft)) <= {1255, 1300}
    assert draft.vat_reasons == [] and draft.notes == []


def test_canary_islands_are_an_export_although_spain_is_in_the_eu(
    order_event: EventLoader, templates: TemplateSet
) -> None:
    # Given
    event = order_event("canary_islands_export")
    # When
    draft = build(event, templates)
    # Then
    assert accounts(draft) == [1255, 1300]
    assert draft.vat_reasons == []
    assert draft.notes == ["Canary Islands (ES) is outside the EU VAT area: booked as an export"]


def test_danish_vat_charged_on_an_export_is_named_as_a_mismatch(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given: Danish VAT charged on the delivery to the Canary Islands
    data = order_data("canary_islands_export")
    item = data["sales_order"]["order_lines"][0]
    item.update(vat_percent="0.25", vat_amount="149.8", amount_including_vat="749.0")
    data["sales_order"]["payment_details"] = None
    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)
    # Then
    assert draft.vat_reasons == [
        'Line "Uldplaid" is charged 25 % VAT, but Product (Outside EU) account 1255 has VAT code UVV (0 %): Dinero '
        "would book 0 %; choose an account with 25 % VAT"
    ]


# --- Shipping follows the goods ---


def test_free_shipping_follows_the_goods_treatment(order_data: DataLoader, templates: TemplateSet) -> None:
    # Given: the reverse-charge order with free shipping recorded at 25 % and 0,00
    data = order_data("eu_business_de_reverse_charge")
    shipping = data["sales_order"]["order_lines"][1]
    shipping.update(amount_including_vat="0.0", amount_excluding_vat="0.0", vat_amount="0.0", vat_percent="0.25")
    data["sales_order"]["payment_details"] = None
    # When
    draft = build(OrderHandledEvent.model_validate(data), templates)
    # Then: on the EU freight account, with no reason about its rate
    assert accounts(draft) == [1100, 1360]
    assert draft.vat_reasons == []


@pytest.mark.parametrize(("name", "shipping_account"), [("eu_private_de_oss", 1160), ("canary_islands_export", 1300)])
def test_shipping_takes_the_account_of_its_goods_treatment(
    name: str, shipping_account: int, order_event: EventLoader, templates: TemplateSet, oss: OssFactory
) -> None:
    # Given
    event = order_event(name)
    # When
    draft = build(event, templates, oss(DE=1160))
    # Then
    shipping = next(line for line in draft.lines if line.unit == "shipment")
    assert shipping.account_number == shipping_account


def test_an_oss_account_whose_recorded_code_carries_vat_is_named(
    order_event: EventLoader, templates: TemplateSet, oss: OssFactory
) -> None:
    # Given: an OSS configuration whose German account was recorded with Danish VAT (stored before a check existed)
    configured = oss(DE=1160)
    german = configured.countries["DE"].model_copy(update={"vat_code": "U25", "vat_rate": Decimal("0.25")})
    settings = configured.model_copy(update={"countries": {"DE": german}})
    # When
    draft = build(order_event("eu_private_de_oss"), templates, settings)
    # Then
    assert draft.vat_reasons[0] == (
        'Line "Uldplaid" is charged 19 % VAT, but OSS DE account 1160 has VAT code U25 (25 %): Dinero would book '
        "25 %; choose an account with 0 % VAT"
    )
