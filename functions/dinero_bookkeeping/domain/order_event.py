"""The order events on the queue: a Shipmondo v3 SalesOrder plus what happened to it (`event_type`).

`order.handled` (optionally for one fulfilment) is invoiced; `order.paid` registers a payment on the order's booked
invoices; `order.returned` (the fulfilment id of a `type: return` fulfilment) is credited; `order.cancelled` deletes
a draft invoice or credits a booked one.

Only the fields the invoice needs are modelled; everything else in a Shipmondo payload is ignored, so a
real webhook's decoded `data` can be forwarded unchanged. Amounts arrive as decimal strings.

Every value is bounded here, so a defect of the event is a validation error naming the field on its first
delivery, and whatever passes can be computed with, stored in DynamoDB and sent to Dinero without failing later.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

LineType = Literal["item", "shipping", "discount", "gift_card", "payment_fee"]

# Enough for a sale-day order of thousands of lines (the SQS message, at most 1 MiB, ends it before this does).
MAX_ORDER_LINES = 5_000
MAX_FULFILLMENTS = 500
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _number_or_text(value: object) -> object:
    # Pydantic hands a JSON array to Decimal's tuple constructor, which fails with a bare ValueError, not a field error.
    if not isinstance(value, str | int | float | Decimal):
        raise ValueError("a decimal number, or a string holding one, is required")
    return value


# A JSON number is exact up to 15 significant digits (money.decimal_to_json_number). Webshops state amounts excl. VAT
# finer than the øre (19,99 incl. 19 % is 16,798319 + 3,191681), so up to 6 decimals; with 9 before the point an
# amount stays below a billion, exact in Dinero's JSON and in every sum and share of it.
Amount = Annotated[Decimal, BeforeValidator(_number_or_text), Field(max_digits=15, decimal_places=6)]
Quantity = Annotated[Decimal, BeforeValidator(_number_or_text), Field(max_digits=11, decimal_places=4)]
Fraction = Annotated[Decimal, BeforeValidator(_number_or_text), Field(ge=0, le=1, decimal_places=4)]
# Positive and within a signed 64-bit integer: what Shipmondo issues, and always a valid DynamoDB number.
Id = Annotated[int, Field(gt=0, lt=2**63)]
Text = Annotated[str, Field(max_length=500)]


def _sane_year(value: datetime) -> datetime:
    # Beyond these, converting to Danish time can overflow (year 9999) and nothing real happens then anyway.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_sane_year)]
CountryCode = Annotated[str, Field(pattern="^[A-Za-z]{2}$")]
CurrencyCode = Annotated[str, Field(pattern="^[A-Za-z]{3}$")]


class _Lenient(BaseModel):
    """Shipmondo adds fields over time; unknown ones are ignored, ids may come as numbers or strings."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


class Address(_Lenient):
    name: Text | None = None
    attention: Text | None = None
    address1: Text | None = None
    address2: Text | None = None
    zipcode: Text | None = None
    city: Text | None = None
    country_code: CountryCode | None = None
    email: Text | None = None
    mobile: Text | None = None
    telephone: Text | None = None
    # The buyer's EU VAT number with its country prefix ("DE123456789"), on bill_to only. Shipmondo has no such field
    # yet; other platforms or a mapping supply it. With it, a 0 % EU order is an intra-EU supply to a business.
    vat_number: str | None = Field(default=None, min_length=4, max_length=20)


class OrderLine(_Lenient):
    id: Id
    line_type: LineType = "item"
    item_name: Text | None = None
    item_sku: Text | None = None
    item_variant_code: Text | None = None
    quantity: Quantity = Field(gt=0)
    unit_price_excluding_vat: Amount | None = None
    discount_amount_excluding_vat: Amount = Decimal("0")
    amount_excluding_vat: Amount
    amount_including_vat: Amount
    vat_amount: Amount
    vat_percent: Fraction = Field(description="A fraction: 0.25 is 25 %.")
    currency_code: CurrencyCode | None = None


class FulfillmentLine(_Lenient):
    order_line_id: Id
    shipped_quantity: Quantity | None = Field(default=None, ge=0)
    quantity: Quantity | None = Field(default=None, ge=0)

    @property
    def invoiced_quantity(self) -> Decimal:
        """Shipmondo's order view says `shipped_quantity`, its fulfilment view says `quantity`."""
        if self.shipped_quantity is not None and self.shipped_quantity > 0:
            return self.shipped_quantity
        return self.quantity or Decimal("0")


class Fulfillment(_Lenient):
    id: Id
    code: Text | None = None  # Shipmondo's parcel code, e.g. "27000-1"
    type: Literal["outbound", "return"] = "outbound"
    cancelled: bool = False
    fulfillment_lines: list[FulfillmentLine] = Field(default=[], max_length=MAX_ORDER_LINES)


class PaymentDetails(_Lenient):
    amount_including_vat: Amount | None = None
    vat_amount: Amount | None = None
    currency_code: CurrencyCode | None = None
    payment_method: Text | None = Field(default=None, max_length=64)
    transaction_id: Text | None = Field(default=None, max_length=128)


class SalesOrder(_Lenient):
    id: Id
    order_id: str = Field(min_length=1, max_length=128)
    ordered_at: Annotated[datetime, AfterValidator(_sane_year)] | None = None
    ship_to: Address | None = None
    bill_to: Address | None = None
    payment_details: PaymentDetails | None = None
    payment_status: Text | None = Field(default=None, max_length=64)  # paid, marked_as_paid, refunded, ...
    order_lines: list[OrderLine] = Field(min_length=1, max_length=MAX_ORDER_LINES)
    order_fulfillments: list[Fulfillment] = Field(default=[], max_length=MAX_FULFILLMENTS)


class OrderEventBase(_Lenient):
    """What every order event carries."""

    event_id: str = Field(min_length=1, max_length=200)
    occurred_at: Timestamp
    # The order platform's account that owns the webshop: the same identity as the merchant's JWT `sub`. An event is
    # booked only through a link this merchant made, so one merchant's orders never reach another's books.
    merchant_id: str = Field(min_length=1, max_length=200)
    order_integration_id: str = Field(min_length=1, max_length=200)
    sales_order: SalesOrder


class OrderHandledEvent(OrderEventBase):
    event_type: Literal["order.handled"]
    fulfillment_id: Id | None = None


class OrderPaidEvent(OrderEventBase):
    """The order was paid after it was handled: its booked invoices get their payments."""

    event_type: Literal["order.paid"]


class OrderReturnedEvent(OrderEventBase):
    """Goods came back: `fulfillment_id` names the order's fulfilment of `type: return`."""

    event_type: Literal["order.returned"]
    fulfillment_id: Id


class OrderCancelledEvent(OrderEventBase):
    event_type: Literal["order.cancelled"]


OrderEvent = Annotated[
    OrderHandledEvent | OrderPaidEvent | OrderReturnedEvent | OrderCancelledEvent, Field(discriminator="event_type")
]
_ORDER_EVENT: TypeAdapter[OrderEvent] = TypeAdapter(OrderEvent)


def parse_order_event(body: str) -> OrderEvent:
    """Any of the order events, by its event_type. Raises pydantic's ValidationError."""
    return _ORDER_EVENT.validate_json(body)
