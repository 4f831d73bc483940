"""The Shipmondo part of the demo: the merchant connects their (sandbox) Shipmondo account, links its webshop, and its
orders arrive by webhook as they are fulfilled; one webhook is dropped, and the catch-up poll brings that order."""

import json
from collections.abc import Callable
from typing import Any

from infra.local.system import REPO_ROOT, LocalSystem

SAMPLE_ORDERS = REPO_ROOT / "tests" / "data" / "orders"
API_USER = "demo-shipmondo-user"
API_KEY = "demo-shipmondo-key"
WEBHOOK_KEY = "demo-webhook-key-0123456789abcdefghijklmnop"
ACCOUNT_NAME = "Nordlys Design ApS"
WEBSHOP = "nordlys-design-webshop"  # the samples' source_name, "Nordlys Design webshop"
DEMO_ORDERS = ("with_discount", "free_shipping", "with_payment_fee")


def sandbox_orders(names: tuple[str, ...] = DEMO_ORDERS) -> list[dict[str, Any]]:
    """Sample sales orders as Shipmondo holds them before they are fulfilled."""
    orders = []
    for name in names:
        order: dict[str, Any] = json.loads((SAMPLE_ORDERS / f"{name}.json").read_text())["sales_order"]
        orders.append(order)
    return orders


def connect_shipmondo(system: LocalSystem, api: Any) -> dict[str, Any]:
    system.shipmondo.state.add_account(API_USER, API_KEY, ACCOUNT_NAME)
    body = {"api_user": API_USER, "api_key": API_KEY, "webhook_key": WEBHOOK_KEY}
    connection: dict[str, Any] = api.call("PUT", "/shipmondo/connection", body)
    return connection


def run_shipmondo_demo(
    system: LocalSystem, api: Any, integration_id: str, say: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    say("9. The merchant connects Shipmondo (API user and key, webhook key): checked, stored encrypted")
    connection = connect_shipmondo(system, api)
    say(f"   account {connection['account_name']}: {connection['webhooks']} webhooks registered in Shipmondo")
    state = system.shipmondo.state
    orders = [state.add_order(API_USER, order) for order in sandbox_orders()]
    webshops = [shop["order_integration_id"] for shop in api.call("GET", "/shipmondo/webshops")]
    say(f"   webshops in the Shipmondo account: {', '.join(webshops)}; linking {WEBSHOP}")
    api.call("PUT", f"/integrations/{integration_id}/links/{WEBSHOP}")

    say("10. Orders are fulfilled in Shipmondo; its webhooks bring them (the second one's webhook is lost)")
    for index, order in enumerate(orders):
        if index == 1:
            state.drop_deliveries(1)
        state.fulfil(API_USER, order["id"])
    for delivery in state.deliveries:
        outcome = "dropped" if delivery.dropped else f"answered {delivery.status}"
        say(f"   - webhook {delivery.action} for sales order {delivery.sales_order_id}: {outcome}")
    system.drain_orders()
    say("11. The catch-up poll reads the orders updated since its watermark and enqueues what is missing")
    system.run_schedules()
    system.drain_orders()
    shown = api.call("GET", f"/integrations/{integration_id}/orders")["orders"]
    ours = [order for order in shown if order["order_integration_id"] == WEBSHOP]
    for order in sorted(ours, key=lambda o: o["order_number"]):
        say(f"   - order {order['order_number']}: {order['status']:<7} invoice {order['invoice_number']}")
    return ours
