"""Orders larger than any sample: many lines built from one sample's item line, with totals that add up."""

import copy
from decimal import Decimal
from typing import Any

from support.events import order_event


def many_line_order(lines: int, name: str = "danish_private", **overrides: Any) -> dict[str, Any]:
    """The sample with its first item line repeated `lines` times (fresh ids), invoiced whole (no fulfilment)."""
    event = order_event(name, fulfillment_id=None, **overrides)
    order = event["sales_order"]
    template = order["order_lines"][0]
    order["order_lines"] = [{**copy.deepcopy(template), "id": 700_000 + number} for number in range(lines)]
    order["order_fulfillments"] = []
    details = order["payment_details"]
    details["amount_including_vat"] = str(Decimal(template["amount_including_vat"]) * lines)
    details["vat_amount"] = str(Decimal(template["vat_amount"]) * lines)
    return event
