"""Which share of each order line one invoice covers: the whole order, or one parcel (fulfilment) of it."""

from dataclasses import dataclass
from decimal import Decimal

from dinero_bookkeeping.domain.errors import MalformedEventError
from dinero_bookkeeping.domain.money import round_ore
from dinero_bookkeeping.domain.order_event import Fulfillment, OrderHandledEvent, OrderLine, SalesOrder


@dataclass(frozen=True)
class InvoicedPart:
    """The share of an order line this invoice covers, with its gross and VAT amounts (the order's, unrounded)."""

    line: OrderLine
    quantity: Decimal
    gross: Decimal
    vat: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.vat

    @property
    def charged(self) -> bool:
        """False for a line of nothing (free shipping): it shows, but says nothing about VAT."""
        return self.gross != 0 or self.vat != 0


def find_fulfillment(order: SalesOrder, fulfillment_id: int) -> Fulfillment:
    for fulfillment in order.order_fulfillments:
        if fulfillment.id == fulfillment_id:
            return fulfillment
    raise MalformedEventError(f"Fulfilment {fulfillment_id} is not a fulfilment of order {order.order_id}")


def invoiced_parts(event: OrderHandledEvent) -> list[InvoicedPart]:
    """Without a fulfilment the whole order is invoiced. With one, its item lines only for the quantities it ships.

    An order-level discount is spread over the parcels in proportion to the goods each ships, so no parcel's invoice
    goes negative. Shipping, fees and gift cards go whole on the first parcel, so a two-parcel order charges shipping
    once; a fulfilment line pointing at a non-item line is therefore ignored.
    """
    order = event.sales_order
    if event.fulfillment_id is None:
        return [_whole(line) for line in order.order_lines]
    fulfillment = find_fulfillment(order, event.fulfillment_id)
    shipped = _shipped_quantities(order, fulfillment)
    before = _shipped_before(order, fulfillment)
    through = {line_id: before.get(line_id, Decimal(0)) + shipped.get(line_id, Decimal(0)) for line_id in shipped}
    through |= {line_id: quantity for line_id, quantity in before.items() if line_id not in through}
    carries_non_items = fulfillment.id == _first_outbound_fulfillment_id(order)
    parts = []
    for line in order.order_lines:
        if line.line_type == "discount":
            share = _discount_share(order, line, before, through) if any(through.values()) else None
            if share is None and carries_non_items:
                share = _whole(line)  # an order of goods worth nothing: nothing to weigh the discount by
            if share is not None and share.charged:
                parts.append(share)
        elif line.line_type != "item":
            if carries_non_items:
                parts.append(_whole(line))
        elif shipped.get(line.id):
            parts.append(_share(line, shipped[line.id], before.get(line.id, Decimal(0))))
    return parts


def plain(quantity: Decimal) -> str:
    """A quantity as people write it: "2.0" is 2, "1.50" is 1.5, and 100 never becomes 1E+2."""
    return format(quantity.normalize(), "f")


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
                f"Fulfilment {fulfillment.id} ships {plain(quantity)} of order line {line_id}, "
                f"which has {plain(lines[line_id].quantity)}"
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


def _whole(line: OrderLine) -> InvoicedPart:
    return InvoicedPart(line, line.quantity, line.amount_including_vat, line.vat_amount)


def _running_share(amount: Decimal, before: Decimal, through: Decimal, whole: Decimal) -> Decimal:
    """The share of `amount` for the part from `before` to `through` of `whole`: rounding the running total, not each
    part, makes the parts add up to the amount exactly."""
    return round_ore(amount * through / whole) - round_ore(amount * before / whole)


def _share(line: OrderLine, quantity: Decimal, shipped_before: Decimal) -> InvoicedPart:
    """Quantity q of a line (quantity Q), after p shipped earlier, carries round(A·(p+q)/Q) - round(A·p/Q) of each
    amount A."""
    through = shipped_before + quantity
    gross = _running_share(line.amount_including_vat, shipped_before, through, line.quantity)
    vat = _running_share(line.vat_amount, shipped_before, through, line.quantity)
    return InvoicedPart(line, quantity, gross, vat)


def _discount_share(
    order: SalesOrder, line: OrderLine, before: dict[int, Decimal], through: dict[int, Decimal]
) -> InvoicedPart | None:
    """The discount in proportion to the goods (gross) shipped up to and through this parcel, of all the order's goods;
    None when the order's goods are worth nothing."""
    items = [item for item in order.order_lines if item.line_type == "item"]
    goods = sum((item.amount_including_vat for item in items), Decimal(0))
    if goods == 0:
        return None

    def shipped_goods(quantities: dict[int, Decimal]) -> Decimal:
        return sum(
            (
                round_ore(item.amount_including_vat * quantities.get(item.id, Decimal(0)) / item.quantity)
                for item in items
            ),
            Decimal(0),
        )

    done, now = shipped_goods(before), shipped_goods(through)
    gross = _running_share(line.amount_including_vat, done, now, goods)
    vat = _running_share(line.vat_amount, done, now, goods)
    return InvoicedPart(line, line.quantity, gross, vat)
