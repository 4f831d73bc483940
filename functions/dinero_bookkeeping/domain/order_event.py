"""The order events on the queue: a Shipmondo v3 SalesOrder plus what happened to it (`event_type`).

`order.handled` (optionally for one fulfilment) is invoiced; `order.paid` registers a payment on the order's booked
invoices; `order.returned` (the fulfilment id of a `type: return` fulfilment) is credited; `order.cancelled` deletes
a draft invoice or credits a booked one.

Only the fields the invoice needs are modelled; everything else in a Shipmondo payload is ignored, so a
real webhook's decoded `data` can be forwarded unchanged. Amounts arrive as decimal strings.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

LineType = Literal["item", "shipping", "discount", "gift_card", "payment_fee"]


class _Lenient(BaseModel):
    """Shipmondo adds fields over time; unknown ones are ignored, ids may come as numbers or strings."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


class Address(_Lenient):
    name: str | None = None
    attention: str | None = None
    address1: str | None = None
    address2: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country_code: str | None = Field(default=None, min_length=2, max_length=2)
    email: str | None = None
    mobile: str | None = None
    telephone: str | None = None


class OrderLine(_Lenient):
    id: int
    line_type: LineType = "item"
    item_name: str | None = None
    item_sku: str | None = None
    item_variant_code: str | None = None
    quantity: Decimal = Field(gt=0)
    unit_price_excluding_vat: Decimal | None = None
    discount_amount_excluding_vat: Decimal = Decimal("0")
    amount_excluding_vat: Decimal
    amount_including_vat: Decimal
    vat_amount: Decimal
    vat_percent: Decimal = Field(ge=0, le=1, description="A fraction: 0.25 is 25 %.")
    currency_code: str | None = Field(default=None, min_length=3, max_length=3)


class FulfillmentLine(_Lenient):
    order_line_id: int
    shipped_quantity: Decimal | None = Field(default=None, ge=0)
    quantity: Decimal | None = Field(default=None, ge=0)

    @property
    def invoiced_quantity(self) -> Decimal:
        """Shipmondo's order view says `shipped_quantity`, its fulfilment view says `quantity`."""
        if self.shipped_quantity is not None and self.shipped_quantity > 0:
            return self.shipped_quantity
        return self.quantity or Decimal("0")


class Fulfillment(_Lenient):
    id: int
    code: str | None = None  # Shipmondo's parcel code, e.g. "27000-1"
    type: Literal["outbound", "return"] = "outbound"
    cancelled: bool = False
    fulfillment_lines: list[FulfillmentLine] = []


class PaymentDetails(_Lenient):
    amount_including_vat: Decimal | None = None
    vat_amount: Decimal | None = None
    currency_code: str | None = Field(default=None, min_length=3, max_length=3)
    payment_method: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(default=None, max_length=128)


class SalesOrder(_Lenient):
    id: int
    order_id: str = Field(min_length=1, max_length=128)
    ordered_at: datetime | None = None
    ship_to: Address | None = None
    bill_to: Address | None = None
    payment_details: PaymentDetails | None = None
    payment_status: str | None = Field(default=None, max_length=64)  # paid, marked_as_paid, refunded, ...
    order_lines: list[OrderLine] = Field(min_length=1)
    order_fulfillments: list[Fulfillment] = []


class OrderEventBase(_Lenient):
    """What every order event carries."""

    event_id: str = Field(min_length=1, max_length=200)
    occurred_at: AwareDatetime
    # The order platform's account that owns the webshop: the same identity as the merchant's JWT `sub`. An event is
    # booked only through a link this merchant made, so one merchant's orders never reach another's books.
    merchant_id: str = Field(min_length=1, max_length=200)
    order_integration_id: str = Field(min_length=1, max_length=200)
    sales_order: SalesOrder


class OrderHandledEvent(OrderEventBase):
    event_type: Literal["order.handled"]
    fulfillment_id: int | None = None


class OrderPaidEvent(OrderEventBase):
    """The order was paid after it was handled: its booked invoices get their payments."""

    event_type: Literal["order.paid"]


class OrderReturnedEvent(OrderEventBase):
    """Goods came back: `fulfillment_id` names the order's fulfilment of `type: return`."""

    event_type: Literal["order.returned"]
    fulfillment_id: int


class OrderCancelledEvent(OrderEventBase):
    event_type: Literal["order.cancelled"]


OrderEvent = Annotated[
    OrderHandledEvent | OrderPaidEvent | OrderReturnedEvent | OrderCancelledEvent, Field(discriminator="event_type")
]
_ORDER_EVENT: TypeAdapter[OrderEvent] = TypeAdapter(OrderEvent)


def parse_order_event(body: str) -> OrderEvent:
    """Any of the order events, by its event_type. Raises pydantic's ValidationError."""
    return _ORDER_EVENT.validate_json(body)
