"""Which share of each order line a parcel's invoice covers: an order-level discount is spread over the parcels."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from dinero_bookkeeping.domain.invoice_lines import invoiced_parts
from dinero_bookkeeping.domain.order_event import OrderHandledEvent

DataLoader = Callable[[str], dict[str, Any]]
PARCELS = (90001, 90002)


def with_discount(data: dict[str, Any], amount: str, vat: str) -> dict[str, Any]:
    """The partially fulfilled coffee order (999,00 of goods in two parcels) with an order-level discount."""
    discount = {
        "id": 8105,
        "line_type": "discount",
        "item_name": "Rabatkode KAFFE10",
        "quantity": "1.0",
        "amount_excluding_vat": str(Decimal(amount) - Decimal(vat)),
        "amount_including_vat": amount,
        "vat_amount": vat,
        "vat_percent": "0.25",
    }
    data["sales_order"]["order_lines"].append(discount)
    return data


def parcel_parts(data: dict[str, Any], fulfillment_id: int) -> dict[str, tuple[Decimal, Decimal]]:
    event = OrderHandledEvent.model_validate({**data, "fulfillment_id": fulfillment_id})
    return {part.line.line_type + str(part.line.id): (part.gross, part.vat) for part in invoiced_parts(event)}


def test_discount_is_spread_over_the_parcels_in_proportion_to_their_goods(order_data: DataLoader) -> None:
    # Given: parcel 1 ships 200,00 + 599,00 + 33,33 of goods, parcel 2 the remaining 100,00 + 66,67 (of 999,00)
    data = with_discount(order_data("partial_fulfilment"), "-99.90", "-19.98")
    # When
    first, second = (parcel_parts(data, parcel) for parcel in PARCELS)
    # Then: each parcel carries its share; together they are the whole discount, to the øre
    assert first["discount8105"] == (Decimal("-83.23"), Decimal("-16.65"))
    assert second["discount8105"] == (Decimal("-16.67"), Decimal("-3.33"))
    assert first["discount8105"][0] + second["discount8105"][0] == Decimal("-99.90")
    assert first["discount8105"][1] + second["discount8105"][1] == Decimal("-19.98")


def test_no_parcel_goes_negative_even_when_the_discount_exceeds_a_small_parcels_goods(
    order_data: DataLoader,
) -> None:
    # Given: a discount of 400,00, more than the second parcel's 166,67 of goods
    data = with_discount(order_data("partial_fulfilment"), "-400.0", "-80.0")
    # When
    totals = [sum((gross for gross, _ in parcel_parts(data, parcel).values()), Decimal(0)) for parcel in PARCELS]
    # Then
    assert all(total > 0 for total in totals)
    assert sum(totals, Decimal(0)) == Decimal("999.00") + Decimal("45.00") - Decimal("400.00")


def test_shipping_stays_whole_on_the_first_parcel(order_data: DataLoader) -> None:
    # Given
    data = with_discount(order_data("partial_fulfilment"), "-99.90", "-19.98")
    # When
    first, second = (parcel_parts(data, parcel) for parcel in PARCELS)
    # Then
    assert first["shipping8104"] == (Decimal("45.00"), Decimal("9.00"))
    assert "shipping8104" not in second
