"""Bad input on the queue: every defect of an event is a permanent outcome on its first delivery, never a retry,
a dead letter or a record left `processing`; a large legal order is invoiced."""

import json
from decimal import Decimal
from typing import Any

import pytest

from dinero_bookkeeping.domain.order_record import OrderStatus
from dinero_bookkeeping.domain.templates import TemplateKind, TemplateSet
from dinero_bookkeeping.services.order_steps import Outcome
from support.events import order_event
from support.large_orders import many_line_order
from support.worker_world import INTEGRATION_ID, WorkerWorld


def with_line(**fields: Any) -> str:
    event = order_event("danish_private")
    event["sales_order"]["order_lines"][0].update(fields)
    return json.dumps(event)


DEFECTIVE_MESSAGES = {
    "amount-18-significant-digits": (with_line(amount_including_vat="1234567890123456.78"), "amount_including_vat"),
    "amount-1E+400": (with_line(amount_including_vat="1E+400"), "amount_including_vat"),
    "amount-5000-digits": (with_line(amount_including_vat="9" * 5000), "amount_including_vat"),
    "occurred-year-9999": (
        json.dumps(order_event("danish_private", occurred_at="9999-12-31T23:00:00Z")),
        "occurred_at",
    ),
    "order-id-10^40": (json.dumps(order_event("danish_private")).replace("5123401", "1" + "0" * 40), "sales_order.id"),
    "nested-10000-deep": ('{"event_type": ' + "[" * 10_000 + "]" * 10_000 + "}", "recursion limit"),
    "number-5000-digits": ('{"fulfillment_id": ' + "9" * 5000 + "}", "number out of range"),
    "not-utf8": ("\udcff" + json.dumps(order_event("danish_private")), "unicode"),
}


@pytest.mark.parametrize(("body", "field"), DEFECTIVE_MESSAGES.values(), ids=DEFECTIVE_MESSAGES.keys())
def test_a_defective_event_is_rejected_on_its_first_delivery_with_a_reason_naming_the_field(
    body: str, field: str
) -> None:
    # Given the merchant's webshop is linked, and a message with one defect
    world = WorkerWorld()

    # When it is delivered once
    (step,) = world.service.handle_message(body, "m-1")

    # Then it is kept as a rejected event whose reason names what is wrong; nothing was claimed or sent to Dinero
    assert step.outcome is Outcome.REJECTED
    (rejected,) = world.records.rejected
    assert field in rejected["reason"]
    assert world.records.records == {}
    assert world.dinero.calls.total() == 0


def test_a_1500_line_order_is_invoiced_and_booked() -> None:
    # Given a sale-day order of 1,500 lines built from a sample
    world = WorkerWorld()
    body = json.dumps(many_line_order(1_500))

    # When
    (step,) = world.service.handle_message(body, "m-1")

    # Then one invoice with every line, booked because Dinero's totals agree with the order's
    assert step.outcome is Outcome.BOOKED
    (invoice,) = world.dinero.invoices.values()
    assert len(invoice["body"]["ProductLines"]) == 1_500
    record = world.records.only()
    assert record.status is OrderStatus.BOOKED
    assert record.total_incl_vat == Decimal("399.90") * 1_500


class _BrokenTemplates(TemplateSet):
    """Templates whose lookup fails the way a bug in building the invoice would: the same on every delivery."""

    def account(self, kind: TemplateKind) -> int:
        raise ZeroDivisionError("a bug")


def test_an_invoice_that_cannot_be_built_fails_the_order_permanently_instead_of_retrying() -> None:
    # Given building this order's invoice raises something unexpected
    world = WorkerWorld()
    world.integrations.templates[INTEGRATION_ID] = _BrokenTemplates(
        templates=world.integrations.templates[INTEGRATION_ID].templates
    )

    # When
    (step,) = world.service.handle_message(json.dumps(order_event("danish_private")), "m-1")

    # Then the order is failed with a reason (the error's type only), not left `processing` for retries
    assert step.outcome is Outcome.FAILED
    record = world.records.only()
    assert record.status is OrderStatus.FAILED
    assert record.reason == "Order 10421 cannot be turned into an invoice (ZeroDivisionError)"
    assert world.dinero.calls.total() == 0
