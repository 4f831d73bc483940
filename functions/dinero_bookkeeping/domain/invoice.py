"""Turning a handled order, or one fulfilment of it, into a Dinero invoice draft. These rules are the product."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from dinero_bookkeeping.domain.errors import MalformedEventError, PermanentError
from dinero_bookkeeping.domain.money import decimal_to_json_number, format_amount, is_whole_ore, round_ore
from dinero_bookkeeping.domain.order_event import Fulfillment, LineType, OrderHandledEvent, OrderLine, SalesOrder
from dinero_bookkeeping.domain.regions import Region, region_for_country
from dinero_bookkeeping.domain.templates import PaymentConditionType, TemplateKind, TemplateSet

Language = Literal["da-DK", "en-GB"]

DANISH_TIME = ZoneInfo("Europe/Copenhagen")

# Spelled by name: they read as "x" and "-" in code, but the customer sees the real signs.
TIMES = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"

RETURN_SKIP_REASON = "A return fulfilment is credited by its order.returned event, not invoiced"

_WORDS: dict[Language, dict[LineType | Literal["order", "delivery"], str]] = {
    "da-DK": {
        "item": "Vare",
        "shipping": "Fragt",
        "discount": "Rabat",
        "payment_fee": "Gebyr",
        "gift_card": "Gavekort",
        "order": "Ordre",
        "delivery": "levering",
    },
    "en-GB": {
        "item": "Item",
        "shipping": "Shipping",
        "discount": "Discount",
        "payment_fee": "Fee",
        "gift_card": "Gift card",
        "order": "Order",
        "delivery": "delivery",
    },
}


class ContactDetails(BaseModel):
    """The customer as a Dinero contact. Personal fields stay out of repr, so a logged draft shows none of them."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, repr=False)
    email: str | None = Field(default=None, repr=False)
    country_code: str = Field(min_length=2, max_length=2)
    street: str | None = Field(default=None, repr=False)
    zip_code: str | None = Field(default=None, repr=False)
    city: str | None = Field(default=None, repr=False)
    phone: str | None = Field(default=None, repr=False)
    is_person: bool = True

    @property
    def lookup_key(self) -> str:
        """Customers are recognised by e-mail; guests without one by name, as Dinero advises for private persons."""
        return f"email:{self.email}" if self.email else f"name:{self.name.lower()}"


class InvoiceLine(BaseModel):
    """One invoice line. `account_number` is set on Text lines too, because Dinero's line schema requires it."""

    model_config = ConfigDict(frozen=True)

    description: str
    quantity: Decimal
    unit_price_incl_vat: Decimal
    account_number: int
    unit: Literal["parts", "shipment"] | None
    line_type: Literal["Product", "Text"]
    order_line_id: int | None = None  # the order line it bills, so a credit note can credit it (not sent to Dinero)

    def dinero_body(self) -> dict[str, Any]:
        """An InvoiceLinesCreateModel. Discount is always 0: order amounts are already net of discounts."""
        body: dict[str, Any] = {
            "Description": self.description,
            "Quantity": decimal_to_json_number(self.quantity),
            "BaseAmountValue": decimal_to_json_number(self.unit_price_incl_vat),
            "AccountNumber": self.account_number,
            "Discount": 0,
            "LineType": self.line_type,
        }
        if self.unit is not None:
            body["Unit"] = self.unit
        return body


class InvoiceDraft(BaseModel):
    """Everything Dinero needs for the invoice, plus what its totals must come to and why it may need review."""

    model_config = ConfigDict(frozen=True)

    guid: UUID
    region: Region
    contact: ContactDetails
    date: dt.date
    currency: str
    language: Language
    external_reference: str
    description: str
    layout_id: UUID | None
    payment_condition_type: PaymentConditionType | None
    payment_condition_days: int | None
    lines: list[InvoiceLine]
    expected_total_incl_vat: Decimal
    expected_vat: Decimal
    review_reasons: list[str]

    def dinero_body(self, contact_guid: UUID) -> dict[str, Any]:
        """The InvoiceCreateModel body. Lines are incl. VAT (ShowLinesInclVat), as the webshop priced them."""
        condition = self.payment_condition_type
        return {
            "Guid": str(self.guid),
            "ContactGuid": str(contact_guid),
            "Date": self.date.isoformat(),
            "Currency": self.currency,
            "Language": self.language,
            "ExternalReference": self.external_reference,
            "Description": self.description,
            "ShowLinesInclVat": True,
            "InvoiceTemplateId": str(self.layout_id) if self.layout_id else None,
            "PaymentConditionType": condition.value if condition else None,
            "PaymentConditionNumberOfDays": self.payment_condition_days if condition and condition.takes_days else None,
            "ProductLines": [line.dinero_body() for line in self.lines],
        }


def contact_body(contact: ContactDetails, contact_guid: UUID) -> dict[str, Any]:
    """A ContactCreateModel. Shipmondo orders carry no VAT number, so the contact is a person and CVR is not used."""
    return {
        "ContactGuid": str(contact_guid),
        "Name": contact.name,
        "Email": contact.email,
        "Street": contact.street,
        "ZipCode": contact.zip_code,
        "City": contact.city,
        "Phone": contact.phone,
        "CountryKey": contact.country_code,
        "IsPerson": contact.is_person,
        "IsMember": False,
        "UseCvr": False,
    }


@dataclass(frozen=True)
class _InvoicedPart:
    """The share of an order line this invoice covers, with its gross and VAT amounts."""

    line: OrderLine
    quantity: Decimal
    gross: Decimal
    vat: Decimal


def skip_reason(event: OrderHandledEvent) -> str | None:
    """Why this event gets no invoice, or None. Raises MalformedEventError if it names an unknown fulfilment."""
    if event.fulfillment_id is None:
        return None
    fulfillment = _fulfillment(event.sales_order, event.fulfillment_id)
    if fulfillment.type == "return":
        return RETURN_SKIP_REASON
    if fulfillment.cancelled:
        return f"Fulfilment {fulfillment.id} is cancelled"
    if not _invoiced_parts(event):
        # Dinero refuses an invoice without lines; a later parcel without items has nothing left to charge.
        return f"Fulfilment {fulfillment.id} has nothing to invoice"
    return None


def build_invoice(event: OrderHandledEvent, templates: TemplateSet, invoice_guid: UUID) -> InvoiceDraft:
    """The invoice for the event. Call skip_reason first: a skipped event is refused here, never invoiced."""
    reason = skip_reason(event)
    if reason is not None:
        raise PermanentError(reason)
    order = event.sales_order
    region = _region(order)
    currency = _currency(order)
    language: Language = "da-DK" if region is Region.DOMESTIC else "en-GB"
    invoice_template = templates.require(TemplateKind.INVOICE)
    parts = _invoiced_parts(event)
    revenue = [part for part in parts if part.line.line_type != "gift_card"]
    return InvoiceDraft(
        guid=invoice_guid,
        region=region,
        contact=_contact(order),
        date=_booking_date(event.occurred_at),
        currency=currency,
        language=language,
        external_reference=order.order_id,
        description=_invoice_description(order, event.fulfillment_id, language),
        layout_id=invoice_template.layout_id,
        payment_condition_type=invoice_template.payment_condition_type,
        payment_condition_days=invoice_template.payment_condition_days,
        lines=[_invoice_line(part, region, templates, language, currency) for part in parts],
        expected_total_incl_vat=sum((part.gross for part in revenue), Decimal(0)),
        expected_vat=sum((part.vat for part in revenue), Decimal(0)),
        review_reasons=_review_reasons(event, parts, currency),
    )


def _fulfillment(order: SalesOrder, fulfillment_id: int) -> Fulfillment:
    for fulfillment in order.order_fulfillments:
        if fulfillment.id == fulfillment_id:
            return fulfillment
    raise MalformedEventError(f"Fulfilment {fulfillment_id} is not a fulfilment of order {order.order_id}")


def _region(order: SalesOrder) -> Region:
    """Goods are taxed where they are delivered: ship_to's country decides, bill_to's if there is no delivery one."""
    for address in (order.ship_to, order.bill_to):
        if address is not None and address.country_code:
            return region_for_country(address.country_code)
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


def _invoiced_parts(event: OrderHandledEvent) -> list[_InvoicedPart]:
    """Without a fulfilment the whole order is invoiced. With one, its item lines only for the quantities it ships.

    The non-item lines (shipping, discount, fee, gift card) go whole on the first fulfilment, so a two-parcel order
    charges shipping once; a fulfilment line pointing at a non-item line is therefore ignored.
    """
    order = event.sales_order
    if event.fulfillment_id is None:
        return [_whole(line) for line in order.order_lines]
    fulfillment = _fulfillment(order, event.fulfillment_id)
    shipped = _shipped_quantities(order, fulfillment)
    before = _shipped_before(order, fulfillment)
    carries_non_items = fulfillment.id == _first_outbound_fulfillment_id(order)
    parts = []
    for line in order.order_lines:
        if line.line_type != "item":
            if carries_non_items:
                parts.append(_whole(line))
        elif shipped.get(line.id):
            parts.append(_share(line, shipped[line.id], before.get(line.id, Decimal(0))))
    return parts


def _shipped_quantities(order: SalesOrder, fulfillment: Fulfillment) -> dict[int, Decimal]:
    """Quantity shipped per order line; several fulfilment lines for one order line add up."""
    lines = {line.id: line for line in order.order_lines}
    shipped: dict[int, Decimal] = {}
    for fulfillment_line in fulfillment.fulfillment_lines:
        line_id = fulfillment_line.order_line_id
        if line_id not in lines:
            raise MalformedEventError(
                f"Fulfilment {fulfillment.id} ships order line {line_id}, which is not in order {order.order_id}"
            )
        shipped[line_id] = shipped.get(line_id, Decimal(0)) + fulfillment_line.invoiced_quantity
    for line_id, quantity in shipped.items():
        if quantity > lines[line_id].quantity:
            raise MalformedEventError(
                f"Fulfilment {fulfillment.id} ships {_plain(quantity)} of order line {line_id}, "
                f"which has {_plain(lines[line_id].quantity)}"
            )
    return shipped


def _shipped_before(order: SalesOrder, fulfillment: Fulfillment) -> dict[int, Decimal]:
    """What earlier parcels (lower ids, outbound, not cancelled) shipped of each line: their invoices' share."""
    before: dict[int, Decimal] = {}
    for earlier in order.order_fulfillments:
        if earlier.id < fulfillment.id and earlier.type == "outbound" and not earlier.cancelled:
            for line_id, quantity in _shipped_quantities(order, earlier).items():
                before[line_id] = before.get(line_id, Decimal(0)) + quantity
    return before


def _first_outbound_fulfillment_id(order: SalesOrder) -> int | None:
    """Fulfilment ids grow over time, so the lowest outbound, non-cancelled one is the first parcel."""
    ids = [f.id for f in order.order_fulfillments if f.type == "outbound" and not f.cancelled]
    return min(ids, default=None)


def _whole(line: OrderLine) -> _InvoicedPart:
    return _InvoicedPart(line, line.quantity, line.amount_including_vat, line.vat_amount)


def _share(line: OrderLine, quantity: Decimal, shipped_before: Decimal) -> _InvoicedPart:
    """Quantity q of a line (quantity Q), after p shipped earlier, carries round(A·(p+q)/Q) - round(A·p/Q) of each
    amount A: rounding the running total, not each parcel, makes the parcels' invoices add up to the line exactly."""

    def portion(amount: Decimal) -> Decimal:
        return round_ore(amount * (shipped_before + quantity) / line.quantity) - round_ore(
            amount * shipped_before / line.quantity
        )

    return _InvoicedPart(line, quantity, portion(line.amount_including_vat), portion(line.vat_amount))


def _invoice_line(
    part: _InvoicedPart, region: Region, templates: TemplateSet, language: Language, currency: str
) -> InvoiceLine:
    """Shipping goes to the region's Shipping account; goods, discounts and payment fees to its Product account.

    A discount stays negative on the goods' account: it reduces that revenue. A fee charged to the customer is
    revenue with the goods' VAT treatment. A gift card is a payment or a liability, not revenue: it becomes a Text
    line (no accounting effect) that shows its amount.
    """
    line_type = part.line.line_type
    kind = TemplateKind.shipping(region) if line_type == "shipping" else TemplateKind.product(region)
    account = templates.account(kind)
    description = _line_description(part.line, language)
    if line_type == "gift_card":
        return InvoiceLine(
            description=f"{description}: {format_amount(part.gross, currency)}",
            quantity=Decimal(0),
            unit_price_incl_vat=Decimal(0),
            account_number=account,
            unit=None,
            line_type="Text",
            order_line_id=part.line.id,
        )
    description, quantity, unit_price = _priced(part, description)
    return InvoiceLine(
        description=description,
        quantity=quantity,
        unit_price_incl_vat=unit_price,
        account_number=account,
        unit="shipment" if line_type == "shipping" else "parts",
        line_type="Product",
        order_line_id=part.line.id,
    )


def _priced(part: _InvoicedPart, description: str) -> tuple[str, Decimal, Decimal]:
    """Description, quantity and unit price incl. VAT (as the webshop priced it).

    Dinero multiplies unit price by quantity, so the unit price must be a whole øre for the line total to stay
    exact. When it is not (100.00 for 3), the line is sent as quantity 1 at the line's total, with the real quantity
    written before the description.
    """
    unit_price = part.gross / part.quantity
    if is_whole_ore(unit_price) and unit_price * part.quantity == part.gross:
        return description, Decimal(_plain(part.quantity)), round_ore(unit_price)
    return f"{_plain(part.quantity)} {TIMES} {description}", Decimal(1), part.gross


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
        parcel = _fulfillment(order, fulfillment_id)
        description += f" {DASH} {words['delivery']} {parcel.code or parcel.id}"
    return description


def _review_reasons(event: OrderHandledEvent, parts: list[_InvoicedPart], currency: str) -> list[str]:
    """Why the invoice must stay a draft even with "book automatically".

    Gift cards need booking by hand, and a whole-order invoice whose lines do not add up to the order's total would
    book the wrong amount. (The service adds a reason of its own when Dinero's totals differ from the expected ones.)
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
        if lines_total != order_total:
            reasons.append(
                f"Order lines add up to {format_amount(lines_total, currency)} "
                f"but the order total is {format_amount(order_total, currency)}"
            )
    return reasons


def _contact(order: SalesOrder) -> ContactDetails:
    """The billing party is the customer; the delivery address stands in for what billing lacks.

    The postal address is taken whole from one of them, so street and country never come from different addresses.
    """
    addresses = [address for address in (order.bill_to, order.ship_to) if address is not None]
    postal = next(address for address in addresses if address.country_code)  # _region() has ensured one exists
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
        is_person=True,
    )


def _first_text(values: Iterable[str | None]) -> str | None:
    """The first value that is not blank, stripped."""
    return next((value.strip() for value in values if value and value.strip()), None)


def _plain(quantity: Decimal) -> str:
    """A quantity as people write it: "2.0" is 2, "1.50" is 1.5, and 100 never becomes 1E+2."""
    return format(quantity.normalize(), "f")
