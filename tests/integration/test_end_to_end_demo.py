"""The `make run` demo, driven exactly as a newcomer sees it, then checked in the sandbox and through the API."""

from decimal import Decimal

import requests

from infra.local.demo import MERCHANT, WEBSHOP, run_demo
from infra.local.dinero_sandbox import DEMO_NON_PRO_ORG_ID, DEMO_PRO_ORG_ID
from infra.local.system import LocalSystem


def test_demo_connects_configures_and_books_the_sample_orders(system: LocalSystem) -> None:
    # Given: the embedded runtime with the Dinero sandbox
    assert system.sandbox is not None
    # When
    result = run_demo(system, say=lambda _: None)
    # Then: both organizations appeared, the Pro one was configured
    assert {org["organization_id"]: org["is_pro"] for org in result.organizations} == {
        DEMO_PRO_ORG_ID: True,
        DEMO_NON_PRO_ORG_ID: False,
    }
    # Then: one invoice per order, the duplicate delivery made none
    invoices = {invoice["ExternalReference"]: invoice for invoice in system.sandbox.state.invoices(DEMO_PRO_ORG_ID)}
    # The samples sent to the queue, then the Shipmondo orders (10425's webhook was dropped: the poll brought it).
    assert sorted(invoices) == ["10421", "10422", "10423", "10424", "10425", "10430"]
    assert {invoices[number]["Status"] for number in ("10424", "10425", "10430")} == {"Booked"}
    assert (invoices["10421"]["Status"], invoices["10423"]["Status"]) == ("Booked", "Booked")
    assert Decimal(str(invoices["10421"]["TotalInclVat"])) == Decimal("527.90")
    assert Decimal(str(invoices["10423"]["TotalVat"])) == Decimal("0")
    # Then: the EU order failed on the empty template, and after the retry stayed a draft, VAT not matching the account
    assert invoices["10422"]["Status"] == "Draft"
    orders = {order["order_number"]: order for order in result.orders}
    assert (orders["10421"]["status"], orders["10423"]["status"]) == ("booked", "booked")
    assert orders["10422"]["status"] == "draft" and "VAT" in orders["10422"]["reason"]
    assert orders["10422"]["attempts"] == 2
    # Then: the records in the API are the ones the demo printed
    response = requests.get(
        f"{system.gateway_url}/integrations/{result.integration_id}/orders",
        headers={"Authorization": f"Bearer {system.merchant_token(MERCHANT)}"},
        timeout=10,
    )
    assert response.status_code == 200
    listed = response.json()["orders"]
    assert {order["order_number"]: order["status"] for order in listed if order["order_integration_id"] == WEBSHOP} == {
        number: order["status"] for number, order in orders.items()
    }
