"""Every defect of an order event is a validation error naming the field, so it is refused on its first delivery;
whatever passes can be computed with, stored and sent to Dinero."""

import json
from typing import Any

import pytest
from pydantic import ValidationError

from dinero_bookkeeping.domain.order_event import MAX_ORDER_LINES, OrderHandledEvent
from support.events import order_event
from support.large_orders import many_line_order


def with_line(**fields: Any) -> dict[str, Any]:
    event = order_event("danish_private")
    event["sales_order"]["order_lines"][0].update(fields)
    return event


def with_order(**fields: Any) -> dict[str, Any]:
    event = order_event("danish_private")
    event["sales_order"].update(fields)
    return event


def refused_fields(body: str | bytes) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        OrderHandledEvent.model_validate_json(body)
    return [".".join(str(part) for part in error["loc"]) for error in refused.value.errors()]


LINE = "sales_order.order_lines.0"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (with_line(amount_including_vat="1234567890123456.78"), f"{LINE}.amount_including_vat"),  # 18 digits
        (with_line(amount_including_vat="1E+400"), f"{LINE}.amount_including_vat"),
        (with_line(amount_including_vat="9" * 5000), f"{LINE}.amount_including_vat"),
        (with_line(amount_including_vat="NaN"), f"{LINE}.amount_including_vat"),
        (with_line(vat_amount="-Infinity"), f"{LINE}.vat_amount"),
        (with_line(amount_excluding_vat="0.0000001"), f"{LINE}.amount_excluding_vat"),  # finer than 6 decimals
        (with_line(quantity="1E+30"), f"{LINE}.quantity"),
        (with_line(quantity="0"), f"{LINE}.quantity"),
        (with_line(quantity=[None, None, None]), f"{LINE}.quantity"),
        (with_line(vat_percent="0.123456"), f"{LINE}.vat_percent"),
        (with_line(id=10**40), f"{LINE}.id"),
        (with_line(id=0), f"{LINE}.id"),
        (with_line(item_name="x" * 501), f"{LINE}.item_name"),
        (with_line(currency_code="D1K"), f"{LINE}.currency_code"),
        (with_order(id=10**40), "sales_order.id"),
        (with_order(id=-1), "sales_order.id"),
        (with_order(ordered_at="9999-12-31T23:59:59+00:00"), "sales_order.ordered_at"),
        (order_event("danish_private", fulfillment_id=2**63), "fulfillment_id"),
        (order_event("danish_private", occurred_at="9999-12-31T23:59:59+00:00"), "occurred_at"),
        (order_event("danish_private", occurred_at="1999-12-31T23:59:59+00:00"), "occurred_at"),
        (order_event("danish_private", order_integration_id="w" * 201), "order_integration_id"),
    ],
    ids=[
        "amount-18-significant-digits",
        "amount-1E+400",
        "amount-5000-digits",
        "amount-NaN",
        "vat-minus-infinity",
        "amount-5-decimals",
        "quantity-1E+30",
        "quantity-0",
        "quantity-an-array",
        "vat-percent-6-decimals",
        "line-id-10^40",
        "line-id-0",
        "item-name-501-chars",
        "currency-not-letters",
        "order-id-10^40",
        "order-id-negative",
        "ordered-year-9999",
        "fulfilment-id-2^63",
        "occurred-year-9999",
        "occurred-year-1999",
        "webshop-id-201-chars",
    ],
)
def test_a_defective_event_is_refused_naming_the_field(event: dict[str, Any], field: str) -> None:
    # Given a sample event with one defect, as the queue delivers it
    body = json.dumps(event)

    # When & Then
    assert refused_fields(body) == [field]


def test_an_id_as_a_5000_digit_json_number_is_refused() -> None:
    # Given
    body = json.dumps(order_event("danish_private")).replace('"id": 5123401', '"id": ' + "9" * 5000)

    # When & Then: the parser itself refuses a number that long (the body as a whole)
    assert refused_fields(body) == [""]


def test_json_nested_10000_deep_is_refused() -> None:
    # Given
    body = '{"sales_order": ' + "[" * 10_000 + "]" * 10_000 + "}"

    # When & Then: refused as a whole (the parser stops at its depth limit), not by a RecursionError
    assert refused_fields(body) == [""]


def test_a_body_that_is_not_utf8_is_refused() -> None:
    # Given
    body = json.dumps(order_event("danish_private")).encode().replace(b"Lene", b"\xff\xfeLene")

    # When & Then
    assert refused_fields(body) == [""]


def test_an_order_with_more_lines_than_the_bound_is_refused_naming_the_lines() -> None:
    # Given
    body = json.dumps(many_line_order(MAX_ORDER_LINES + 1))

    # When & Then
    assert refused_fields(body) == ["sales_order.order_lines"]


@pytest.mark.parametrize("lines", [1_500, MAX_ORDER_LINES])
def test_a_large_legal_order_parses(lines: int) -> None:
    # Given a sale-day order with thousands of lines
    body = json.dumps(many_line_order(lines))

    # When
    event = OrderHandledEvent.model_validate_json(body)

    # Then
    assert len(event.sales_order.order_lines) == lines


def test_the_largest_values_allowed_still_parse() -> None:
    # Given the edges of every bound
    event = with_line(
        amount_including_vat="99999999999.9999", quantity="9999999.9999", vat_percent="0.2555", id=2**63 - 1
    )
    event["occurred_at"] = "2100-12-31T23:59:59+00:00"

    # When
    parsed = OrderHandledEvent.model_validate_json(json.dumps(event))

    # Then
    assert parsed.sales_order.order_lines[0].id == 2**63 - 1
