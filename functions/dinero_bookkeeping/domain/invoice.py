"""Turning a handled order, or one fulfilment of it, into a Dinero invoice draft. These rules are the product."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from dinero_bookkeeping.domain.dinero_invoice_body import ContactDetails, InvoiceDraft, InvoiceLine, Language
from dinero_bookkeeping.domain.errors import PermanentError
from dinero_bookkeeping.domain.invoice_lines import InvoicedPart, find_fulfillment, invoiced_parts, plain
from dinero_bookkeeping.domain.money import format_amount, is_whole_ore, round_ore
from dinero_bookkeeping.domain.order_event import Address, LineType, OrderHandledEvent, OrderLine, SalesOrder
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.regions import Region, region_for_address, special_territory
from dinero_bookkeeping.domain.templates import TemplateKind, TemplateSet, percent
from dinero_bookkeeping.domain.vat_rules import Delivery, OssVatLine, PlannedLine, exemption_text, plan_vat

DANISH_TIME = ZoneInfo("Europe/Copenhagen")

# Spelled by name: they read as "x" and "-" in code, but the customer sees the real signs.
TIMES = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"

RETURN_SKIP_REASON = "A return fulfilment is credited by its order.returned event, not invoiced"

_WORDS: dict[Language, dict[LineType | Literal["order", "delivery", "vat"], str]] = {
    "da-DK": {
        "item": "Vare",
        "shipping": "Fragt",
        "discount": "Rabat",
        "payment_fee": "Gebyr",
        "gift_card": "Gavekort",
        "order": "Ordre",
        "delivery": "levering",
        "vat": "Moms",
    },
    "en-GB": {
        "item": "Item",
        "shipping": "Shipping",
        "discount": "Discount",
        "payment_fee": "Fee",
        "gift_card": "Gift card",
        "order": "Order",
        "delivery": "delivery",
        "vat": "VAT",
    },
}


def skip_reason(event: OrderHandledEvent) -> str | None:
    """Why this event gets no invoice, or None. Raises MalformedEventError if it names an unknown fulfilment."""
    if event.fulfillment_id is None:
        return None
    fulfillment = find_fulfillment(event.sales_order, event.fulfillment_id)
    if fulfillment.type == "return":
        return RETURN_SKIP_REASON
    if fulfillment.cancelled:
        return f"Fulfilment {fulfillment.id} is cancelled"
    if not invoiced_parts(event):
        # Dinero refuses an invoice without lines; a later parcel without items has nothing left to charge.
        return f"Fulfilment {fulfillment.id} has nothing to invoice"
    return None


def needs_oss_settings(event: OrderHandledEvent) -> bool:
    """Only an EU delivery charged VAT can be an OSS sale, so only such an order needs the OSS configuration read."""
    return delivery_of(event.sales_order).region is Region.EU and any(
        line.vat_percent > 0 for line in event.sales_order.order_lines
    )


def build_invoice(
    event: OrderHandledEvent, templates: TemplateSet, invoice_guid: UUID, oss: OssSettings | None = None
) -> InvoiceDraft:
    """The invoice for the event. Call skip_reason first: a skipped event is refused here, never invoiced."""
    reason = skip_reason(event)
    if reason is not None:
        raise PermanentError(reason)
    order = event.sales_order
    delivery = delivery_of(order)
    currency = _currency(order)
    language: Language = "da-DK" if delivery.region is Region.DOMESTIC else "en-GB"
    invoice_template = templates.require(TemplateKind.INVOICE)
    parts = invoiced_parts(event)
    plan = plan_vat(parts, delivery, templates, oss, currency)
    revenue = [part for part in parts if part.line.line_type != "gift_card"]
    planned = iter(plan.lines)
    lines = [
        _gift_card_line(part, delivery.region, templates, language, currency)
        if part.line.line_type == "gift_card"
        else _invoice_line(next(planned), language)
        for part in parts
    ]
    lines += [_oss_vat_line(vat_line, language) for vat_line in plan.oss_vat]
    danish = plan.danish_vat_lines
    return InvoiceDraft(
        guid=invoice_guid,
        region=delivery.region,
        contact=_contact(order, delivery),
        date=_booking_date(event.occurred_at),
        currency=currency,
        language=language,
        external_reference=order.order_id,
        description=_invoice_description(order, event.fulfillment_id, language),
        comment=exemption_text(str(delivery.vat_number), language) if plan.exempt_intra_eu else None,
        layout_id=invoice_template.layout_id,
        payment_condition_type=invoice_template.payment_condition_type,
        payment_condition_days=invoice_template.payment_condition_days,
        lines=lines,
        expected_total_incl_vat=round_ore(sum((part.gross for part in revenue), Decimal(0))),
        expected_vat=sum((line.part.vat for line in danish), Decimal(0)),
        vat_lines=sum(1 for line in danish if line.part.vat != 0),
        review_reasons=_review_reasons(event, parts, currency),
        vat_reasons=plan.reasons,
        notes=plan.notes,
    )


def delivery_of(order: SalesOrder) -> Delivery:
    """Goods are taxed where they are delivered: ship_to's place decides, bill_to's if there is no delivery one. The
    VAT number is the billed party's."""
    address = _postal_address(order)
    country = str(address.country_code).upper()
    vat_number = order.bill_to.vat_number if order.bill_to else None
    return Delivery(
        country_code=country,
        region=region_for_address(country, address.zipcode, address.city),
        territory=special_territory(country, address.zipcode, address.city),
        vat_number="".join(ch for ch in vat_number.upper() if ch.isalnum()) if vat_number else None,
    )


def _postal_address(order: SalesOrder) -> Address:
    for address in (order.ship_to, order.bill_to):
        if address is not None and address.country_code:
            return address
    raise PermanentError(f"Order {order.order_id} has no delivery or billing country")


def _currency(order: SalesOrder) -> str:
    """The payment's currency, else the lines', else DKK. A Dinero invoice has one currency, so lines must agree."""
    line_currencies = sorted({line.currency_code.upper() for line in order.order_lines if line.currency_code})
    declared = order.payment_details.currency_code if order.payment_details else None
    currency = declared.upper() if declared else (line_currencies[0] if line_currencies else "DKK")
    others = [code for code in line_currencies if code != currency]
    if others:
        raise PermanentError(f"Order {order.order_id} is in {currency} but has lines in {', '.join(others)}")
    return currency


def _booking_date(occurred_at: dt.datetime) -> dt.date:
    """The Danish calendar date of the event, not the UTC one: 23:30 UTC on 31 December is 1 January in Denmark."""
    return occurred_at.astimezone(DANISH_TIME).date()


def _gift_card_line(
    part: InvoicedPart, region: Region, templates: TemplateSet, language: Language, currency: str
) -> InvoiceLine:
    """A gift card is a payment or a liability, not revenue: a Text line (no accounting effect) shows its amount."""
    return InvoiceLine(
        description=f"{_line_description(part.line, language)}: {format_amount(part.gross, currency)}",
        quantity=Decimal(0),
        unit_price_incl_vat=Decimal(0),
        account_number=templates.account(TemplateKind.product(region)),
        unit=None,
        line_type="Text",
        order_line_id=part.line.id,
    )


def _invoice_line(planned: PlannedLine, language: Language) -> InvoiceLine:
    """A discount stays negative on the goods' account: it reduces that revenue. A fee charged to the customer is
    revenue with the goods' VAT treatment. An OSS line goes net: its foreign VAT is a line of its own."""
    part = planned.part
    amount = part.net if planned.booked_net else part.gross
    description, quantity, unit_price = _priced(part.quantity, amount, _line_description(part.line, language))
    return InvoiceLine(
        description=description,
        quantity=quantity,
        unit_price_incl_vat=unit_price,
        account_number=planned.account_number,
        unit="shipment" if part.line.line_type == "shipping" else "parts",
        line_type="Product",
        order_line_id=part.line.id,
    )


def _oss_vat_line(vat_line: OssVatLine, language: Language) -> InvoiceLine:
    description = f"{_WORDS[language]['vat']} {vat_line.country_code} {percent(vat_line.rate)} (OSS)"
    description, quantity, unit_price = _priced(Decimal(1), vat_line.vat, description)
    return InvoiceLine(
        description=description,
        quantity=quantity,
        unit_price_incl_vat=unit_price,
        account_number=vat_line.account_number,
        unit="parts",
        line_type="Product",
    )


def _priced(quantity: Decimal, amount: Decimal, description: str) -> tuple[str, Decimal, Decimal]:
    """Description, quantity and unit price incl. VAT (as the webshop priced it).

    Dinero multiplies unit price by quantity, so the unit price must be a whole øre for the line total to stay
    exact. When it is not (100.00 for 3), the line is sent as quantity 1 at the line's total, with the real quantity
    written before the description. An amount finer than øre (an OSS net of 15.992) is sent rounded to the øre.
    """
    unit_price = amount / quantity
    if is_whole_ore(unit_price) and unit_price * quantity == amount:
        return description, Decimal(plain(quantity)), round_ore(unit_price)
    if quantity == 1:
        return description, Decimal(1), round_ore(amount)
    return f"{plain(quantity)} {TIMES} {description}", Decimal(1), round_ore(amount)


def _line_description(line: OrderLine, language: Language) -> str:
    """The item name (or a word for the line type), then " (variant)" and " [SKU]" when the order has them."""
    description = _first_text([line.item_name]) or _WORDS[language][line.line_type]
    if variant := _first_text([line.item_variant_code]):
        description += f" ({variant})"
    if sku := _first_text([line.item_sku]):
        description += f" [{sku}]"
    return description


def _invoice_description(order: SalesOrder, fulfillment_id: int | None, language: Language) -> str:
    words = _WORDS[language]
    description = f"{words['order']} {order.order_id}"
    if fulfillment_id is not None:
        parcel = find_fulfillment(order, fulfillment_id)
        description += f" {DASH} {words['delivery']} {parcel.code or parcel.id}"
    return description


def _review_reasons(event: OrderHandledEvent, parts: list[InvoicedPart], currency: str) -> list[str]:
    """Why the invoice must stay a draft even with "book automatically".

    Gift cards need booking by hand, and a whole-order invoice whose lines do not add up to the order's total would
    book the wrong amount. (VAT reasons come from the VAT rules; the service adds one when Dinero's totals differ.)
    """
    order = event.sales_order
    reasons = [
        f"Order {order.order_id} contains a gift card line of {format_amount(part.gross, currency)}; "
        "book it by hand, then book the invoice"
        for part in parts
        if part.line.line_type == "gift_card"
    ]
    order_total = order.payment_details.amount_including_vat if order.payment_details else None
    if event.fulfillment_id is None and order_total is not None:
        lines_total = sum((line.amount_including_vat for line in order.order_lines), Decimal(0))
        if round_ore(lines_total) != round_ore(order_total):
            reasons.append(
                f"Order lines add up to {format_amount(lines_total, currency)} "
                f"but the order total is {format_amount(order_total, currency)}"
            )
    return reasons


def _contact(order: SalesOrder, delivery: Delivery) -> ContactDetails:
    """The billing party is the customer; the delivery address stands in for what billing lacks. A buyer with a VAT
    number is a company.

    The postal address is taken whole from one of them, so street and country never come from different addresses.
    """
    addresses = [address for address in (order.bill_to, order.ship_to) if address is not None]
    postal = next(address for address in addresses if address.country_code)  # delivery_of() has ensured one exists
    email = _first_text(address.email for address in addresses)
    street = ", ".join(part for part in (_first_text([postal.address1]), _first_text([postal.address2])) if part)
    return ContactDetails(
        name=_first_text(address.name for address in addresses) or f"Webshop customer {order.order_id}",
        email=email.lower() if email else None,
        country_code=str(postal.country_code).upper(),
        street=street or None,
        zip_code=_first_text([postal.zipcode]),
        city=_first_text([postal.city]),
        phone=_first_text(number for address in addresses for number in (address.mobile, address.telephone)),
        is_person=delivery.vat_number is None,
        vat_number=delivery.vat_number,
        attention=_first_text(address.attention for address in addresses),
    )


def _first_text(values: Iterable[str | None]) -> str | None:
    """The first value that is not blank, stripped."""
    return next((value.strip() for value in values if value and value.strip()), None)
