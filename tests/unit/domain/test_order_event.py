"""The "order handled" event model: real Shipmondo payloads parse, bad ones are refused."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dinero_bookkeeping.domain.order_event import (
    FulfillmentLine,
    OrderCancelledEvent,
    OrderHandledEvent,
    OrderPaidEvent,
    OrderReturnedEvent,
    parse_order_event,
)

ORDERS_DIR = Path(__file__).parents[2] / "data" / "orders"

# The SalesOrder example of Shipmondo's public API v3 spec (components.schemas.SalesOrder.example in openapi.yaml,
# https://app.shipmondo.com/api/public/v3), copied unchanged, extra fields and all.
SHIPMONDO_SALES_ORDER_EXAMPLE: dict[str, Any] = {
    "bill_to": {
        "zipcode": "5000",
        "country_code": "DK",
        "address2": "address2",
        "city": "Odense C",
        "address1": "Skibhusvej 52",
        "name": "Lene Hansen",
        "mobile": "12345678",
        "attention": "attention",
        "telephone": "12345678",
        "email": "lene@email.dk",
    },
    "fulfillment_status": "authorized",
    "payment_details": {
        "transaction_id": "123456789",
        "vat_amount": "400.0",
        "vat_percent": "0.25",
        "amount_including_vat": "2000.0",
        "authorized_amount": "2000.0",
        "amount_excluding_vat": "1600.0",
        "currency_code": "DKK",
        "payment_method": "quickpay",
        "payment_gateway_id": "4012",
    },
    "created_at": "2018-06-16T06:25:44.557Z",
    "enable_customs": False,
    "shipment_template_id": 710,
    "reference": "DK3400",
    "order_note": "Note",
    "order_status": "open",
    "archived": False,
    "bookkeeping_integration_id": 241,
    "updated_at": "2018-06-16T06:25:44.557Z",
    "assigned_staff_account_id": 12,
    "fulfilled_percent": 33,
    "return_shipment_template_id": 710,
    "id": 11227,
    "source_name": "Testcompany ApS",
    "service_point": {
        "zipcode": "5000",
        "country_code": "DK",
        "address2": "address2",
        "city": "Odense C",
        "address1": "Paaskeløkkevej 11",
        "name": "Påskeløkkens Købmand",
        "id": "95558",
    },
    "shipped_percent": 0,
    "ordered_at": "2017-06-16T06:25:44.557Z",
    "payment_status": "unfulfilled",
    "sender": {
        "zipcode": "5240",
        "country_code": "DK",
        "address2": "address2",
        "city": "Odense NØ",
        "address1": "Strandvejen 6B",
        "name": "Min Virksomhed ApS",
        "mobile": "70400407",
        "attention": "Lene Hansen",
        "telephone": "70400407",
        "email": "info@minvirksomhed.dk",
    },
    "order_lines": [
        {
            "quantity": "2.0",
            "item_sku": "TS001-WH",
            "discount_amount_excluding_vat": "0.0",
            "image_url": "http://example.com/image",
            "amount_including_vat": "2000.0",
            "item_name": "T-Shirt",
            "currency_code": "DKK",
            "item_bin": "AB-001",
            "customs_commodity_code": "123456",
            "shipped_quantity": "0.0",
            "vat_amount": "400.0",
            "line_type": "item",
            "vat_percent": "0.25",
            "customs_description": "Example contents",
            "id": 1234,
            "country_code_of_origin": "DK",
            "item_barcode": "12345678",
            "unit_weight": 2000,
            "item_variant_code": "White",
            "unit_price_excluding_vat": "800.0",
            "amount_excluding_vat": "1600.0",
            "cost_price": "50.0",
        },
        {
            "quantity": "2.0",
            "item_sku": "TS001-WH",
            "discount_amount_excluding_vat": "0.0",
            "image_url": "http://example.com/image",
            "amount_including_vat": "2000.0",
            "item_name": "T-Shirt",
            "currency_code": "DKK",
            "item_bin": "AB-001",
            "customs_commodity_code": "123456",
            "shipped_quantity": "0.0",
            "vat_amount": "400.0",
            "line_type": "item",
            "vat_percent": "0.25",
            "customs_description": "Example contents",
            "id": 1234,
            "country_code_of_origin": "DK",
            "item_barcode": "12345678",
            "unit_weight": 2000,
            "item_variant_code": "White",
            "unit_price_excluding_vat": "800.0",
            "amount_excluding_vat": "1600.0",
            "cost_price": "50.0",
        },
    ],
    "order_id": "27000",
    "ship_to": {
        "zipcode": "5000",
        "country_code": "DK",
        "address2": "address2",
        "city": "Odense C",
        "address1": "Skibhusvej 52",
        "instruction": "Place on the front porch.",
        "name": "Lene Hansen",
        "mobile": "12345678",
        "attention": "attention",
        "telephone": "12345678",
        "email": "lene@email.dk",
    },
    "sales_order_packaging_id": 11242,
    "order_fulfillments": [
        {
            "code": "27000-1",
            "updated_at": "2017-06-16T06:25:44.557Z",
            "fulfilled_by_third_party": False,
            "fulfillment_lines": [
                {"shipped_quantity": "1.0", "order_line_id": 45891, "id": 3242},
                {"shipped_quantity": "1.0", "order_line_id": 45891, "id": 3242},
            ],
            "cancelled": False,
            "created_at": "2017-06-16T06:25:44.557Z",
            "id": 6684,
            "type": "outbound",
            "shipment_id": 14500,
            "order_packaging_id": 16,
        },
        {
            "code": "27000-1",
            "updated_at": "2017-06-16T06:25:44.557Z",
            "fulfilled_by_third_party": False,
            "fulfillment_lines": [
                {"shipped_quantity": "1.0", "order_line_id": 45891, "id": 3242},
                {"shipped_quantity": "1.0", "order_line_id": 45891, "id": 3242},
            ],
            "cancelled": False,
            "created_at": "2017-06-16T06:25:44.557Z",
            "id": 6684,
            "type": "outbound",
            "shipment_id": 14500,
            "order_packaging_id": 16,
        },
    ],
}


def event_with(sales_order: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "event_type": "order.handled",
        "event_id": "evt-11227-order",
        "occurred_at": "2018-06-16T08:00:00+02:00",
        "merchant_id": "merchant-1",
        "order_integration_id": "webshop-1",
        "sales_order": sales_order,
        "fulfillment_id": None,
        **fields,
    }


def test_order_handled_event_shipmondo_example_parses() -> None:
    # Given Shipmondo's own example order, wrapped in an event
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE)

    # When
    event = OrderHandledEvent.model_validate(data)

    # Then the fields the invoice needs are read, and the rest is ignored
    order = event.sales_order
    assert order.order_id == "27000"
    assert order.ship_to is not None
    assert order.ship_to.country_code == "DK"
    assert [line.item_name for line in order.order_lines] == ["T-Shirt", "T-Shirt"]
    assert order.order_fulfillments[0].fulfillment_lines[0].invoiced_quantity == Decimal("1.0")


def test_order_handled_event_amounts_are_decimal_not_float() -> None:
    # Given Shipmondo's amounts as decimal strings
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE)

    # When
    line = OrderHandledEvent.model_validate(data).sales_order.order_lines[0]

    # Then they keep their exact decimal value, and vat_percent is a fraction
    assert isinstance(line.amount_including_vat, Decimal)
    assert line.amount_including_vat == Decimal("2000.0")
    assert line.vat_amount == Decimal("400.0")
    assert line.vat_percent == Decimal("0.25")
    assert line.quantity == Decimal("2.0")


def test_order_handled_event_numeric_order_id_becomes_string() -> None:
    # Given a webshop that sends the order number as a JSON number
    data = event_with({**SHIPMONDO_SALES_ORDER_EXAMPLE, "order_id": 27000})

    # When & Then
    assert OrderHandledEvent.model_validate(data).sales_order.order_id == "27000"


@pytest.mark.parametrize("path", sorted(ORDERS_DIR.glob("*.json")), ids=lambda path: path.stem)
def test_order_event_fixture_files_parse(path: Path) -> None:
    # Given a shared event fixture, When parsed as whichever order event it is
    event = parse_order_event(path.read_text(encoding="utf-8"))

    # Then it is a complete event for the test webshop whose fulfilment, if named, is in the order
    assert event.order_integration_id == "webshop-1" and event.merchant_id == "merchant-1"
    fulfillment_ids = [fulfillment.id for fulfillment in event.sales_order.order_fulfillments]
    fulfillment_id = getattr(event, "fulfillment_id", None)
    assert fulfillment_id is None or fulfillment_id in fulfillment_ids


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("danish_private", OrderHandledEvent),
        ("order_paid", OrderPaidEvent),
        ("returned_partial", OrderReturnedEvent),
        ("cancelled_order", OrderCancelledEvent),
    ],
)
def test_parse_order_event_picks_the_event_by_its_type(name: str, kind: type) -> None:
    # Given a sample of each event type, When parsed
    event = parse_order_event((ORDERS_DIR / f"{name}.json").read_text(encoding="utf-8"))

    # Then it is that event
    assert type(event) is kind


def test_parse_order_event_unknown_event_type_raises_validation_error() -> None:
    # Given an event type outside the contract
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE, event_type="order.created")

    # When & Then
    with pytest.raises(ValidationError, match="event_type"):
        parse_order_event(json.dumps(data))


def test_order_returned_event_without_fulfillment_id_raises_validation_error() -> None:
    # Given a return that does not say which fulfilment came back
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE, event_type="order.returned")
    data.pop("fulfillment_id", None)

    # When & Then
    with pytest.raises(ValidationError, match="fulfillment_id"):
        parse_order_event(json.dumps(data))


def test_order_handled_event_wrong_event_type_raises_validation_error() -> None:
    # Given an event that is not "order.handled"
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE, event_type="order.created")

    # When & Then
    with pytest.raises(ValidationError, match="event_type"):
        OrderHandledEvent.model_validate(data)


def test_order_handled_event_without_sales_order_raises_validation_error() -> None:
    # Given an event without its order
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE)
    del data["sales_order"]

    # When & Then
    with pytest.raises(ValidationError, match="sales_order"):
        OrderHandledEvent.model_validate(data)


@pytest.mark.parametrize("amount", ["12,50", "abc", ""])
def test_order_handled_event_non_numeric_amount_raises_validation_error(amount: str) -> None:
    # Given an order line whose amount is not a number
    line = {**SHIPMONDO_SALES_ORDER_EXAMPLE["order_lines"][0], "amount_including_vat": amount}
    data = event_with({**SHIPMONDO_SALES_ORDER_EXAMPLE, "order_lines": [line]})

    # When & Then
    with pytest.raises(ValidationError, match="amount_including_vat"):
        OrderHandledEvent.model_validate(data)


def test_order_handled_event_vat_given_as_percent_raises_validation_error() -> None:
    # Given 25 where Shipmondo sends the fraction 0.25
    line = {**SHIPMONDO_SALES_ORDER_EXAMPLE["order_lines"][0], "vat_percent": "25"}
    data = event_with({**SHIPMONDO_SALES_ORDER_EXAMPLE, "order_lines": [line]})

    # When & Then
    with pytest.raises(ValidationError, match="vat_percent"):
        OrderHandledEvent.model_validate(data)


def test_order_handled_event_without_time_zone_raises_validation_error() -> None:
    # Given a time without an offset, which could be UTC or Danish time
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE, occurred_at="2018-06-16T08:00:00")

    # When & Then
    with pytest.raises(ValidationError, match="occurred_at"):
        OrderHandledEvent.model_validate(data)


def test_order_handled_event_order_without_lines_raises_validation_error() -> None:
    # Given an order with nothing on it
    data = event_with({**SHIPMONDO_SALES_ORDER_EXAMPLE, "order_lines": []})

    # When & Then
    with pytest.raises(ValidationError, match="order_lines"):
        OrderHandledEvent.model_validate(data)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"shipped_quantity": "2.0", "quantity": "5.0"}, Decimal("2.0")),
        ({"shipped_quantity": "0.0", "quantity": "3.0"}, Decimal("3.0")),
        ({"quantity": "1.0"}, Decimal("1.0")),
        ({}, Decimal("0")),
    ],
)
def test_fulfillment_line_invoiced_quantity_prefers_shipped_then_quantity(
    fields: dict[str, str], expected: Decimal
) -> None:
    # Given a fulfilment line from Shipmondo's order view (shipped_quantity) or fulfilment view (quantity)
    line = FulfillmentLine.model_validate({"order_line_id": 1234, **fields})

    # When & Then
    assert line.invoiced_quantity == expected


def test_order_handled_event_parsed_from_queue_body_keeps_amounts_exact() -> None:
    # Given the event as the SQS message body text
    body = json.dumps(event_with(SHIPMONDO_SALES_ORDER_EXAMPLE))

    # When
    event = OrderHandledEvent.model_validate_json(body)

    # Then the amounts are the same exact decimals as from a dict
    assert event.sales_order.payment_details is not None
    assert event.sales_order.payment_details.amount_including_vat == Decimal("2000.0")


def test_order_handled_event_bill_to_may_carry_the_buyers_vat_number() -> None:
    # Given a business order whose platform supplies the buyer's EU VAT number
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE)
    data["sales_order"]["bill_to"] = {**(data["sales_order"].get("bill_to") or {}), "vat_number": "DE123456789"}

    # When
    event = OrderHandledEvent.model_validate(data)

    # Then
    assert event.sales_order.bill_to is not None and event.sales_order.bill_to.vat_number == "DE123456789"


@pytest.mark.parametrize("vat_number", ["DE", "DE1234567890123456789"])
def test_order_handled_event_vat_number_of_impossible_length_raises_validation_error(vat_number: str) -> None:
    # Given
    data = event_with(SHIPMONDO_SALES_ORDER_EXAMPLE)
    data["sales_order"]["bill_to"] = {"name": "Holzwerk Müller GmbH", "vat_number": vat_number}

    # When & Then
    with pytest.raises(ValidationError, match="vat_number"):
        OrderHandledEvent.model_validate(data)
