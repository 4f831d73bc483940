"""The merchant's journey over HTTP: connect Dinero, configure, link a webshop, and see orders become invoices.

Everything runs as deployed: the handlers behind the local HTTP API, DynamoDB/SQS/KMS in moto's server, and the
Dinero sandbox for Visma Connect and Dinero.
"""

from decimal import Decimal
from typing import Any

import pytest
import requests

from dinero_bookkeeping.domain.integration import connection_id_for
from dinero_bookkeeping.wiring import api_adapters
from infra.local.dinero_sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PRO_ORG_ID, DEMO_USER
from infra.local.system import LocalSystem
from support.events import order_event
from support.merchant_client import MerchantClient, redirect_outcome

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

MERCHANT = "merchant-1"
# Dinero's standard chart as the sandbox has it: sales with VAT, EU goods, exports, taxable freight; freight follows
# the goods, so EU freight on the webshop's UEUV freight account and export freight on the export account.
STANDARD_ACCOUNTS = {
    "product_domestic": 1000,
    "product_eu": 1100,
    "product_outside_eu": 1255,
    "shipping_domestic": 1350,
    "shipping_eu": 1110,
    "shipping_outside_eu": 1255,
}


def integrations_by_pro(client: MerchantClient) -> dict[bool, dict[str, Any]]:
    response = client.get("/integrations")
    assert response.status_code == 200, response.text
    return {integration["is_pro"]: integration for integration in response.json()}


def fill_templates(client: MerchantClient, integration_id: str, accounts: dict[str, int]) -> list[str]:
    """Fill the invoice template with the default layout and 8 days net, and the account templates; the warnings."""
    base = f"/integrations/{integration_id}"
    layouts = client.get(f"{base}/choices/layouts").json()
    conditions = {c["type"]: c["takes_days"] for c in client.get(f"{base}/choices/payment-conditions").json()}
    assert conditions["Netto"] is True
    default_layout = next(layout["id"] for layout in layouts if layout["is_default"])
    invoice = {"layout_id": default_layout, "payment_condition_type": "Netto", "payment_condition_days": 8}
    assert client.put(f"{base}/templates/invoice", json=invoice).status_code == 200
    warnings: list[str] = []
    for kind, number in accounts.items():
        response = client.put(f"{base}/templates/{kind}", json={"account_number": number})
        assert response.status_code == 200, response.text
        warnings += response.json()["warnings"]
    return warnings


def connected_pro_integration(client: MerchantClient) -> str:
    """Connect Dinero, activate the Pro organization's integration and link webshop-1; its id."""
    assert client.connect_dinero() == {"result": "connected", "organizations": 2}
    integration_id: str = integrations_by_pro(client)[True]["integration_id"]
    assert client.post(f"/integrations/{integration_id}/activate").status_code == 200
    assert client.put(f"/integrations/{integration_id}/book-automatically", json={"enabled": True}).status_code == 200
    assert client.put(f"/integrations/{integration_id}/links/webshop-1").status_code == 200
    return integration_id


def orders(client: MerchantClient, integration_id: str) -> list[dict[str, Any]]:
    """Every order, page by page (two a page, so the paging itself is exercised)."""
    result: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 2}
    while True:
        response = client.get(f"/integrations/{integration_id}/orders", params=query)
        assert response.status_code == 200, response.text
        result += response.json()["orders"]
        if response.json()["next_cursor"] is None:
            return result
        query["cursor"] = response.json()["next_cursor"]


def test_merchant_connects_configures_links_and_a_handled_order_becomes_a_booked_invoice(system: LocalSystem) -> None:
    # Given a merchant who clicks "Connect Dinero" and accepts in Dinero (response_mode=form_post)
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    form = client.consent(client.start_connect())
    assert set(form.fields) >= {"code", "state"}
    callback = client.submit(form)
    outcome = redirect_outcome(callback)
    assert outcome == {"dinero": "complete", "handle": outcome["handle"]}
    assert callback.headers["Location"].startswith(f"{system.gateway_url}/app?")
    # ... and the app, back with the handle, completes the connection with the merchant's token
    completed = client.complete(outcome["handle"])
    assert completed.status_code == 200 and completed.json() == {"result": "connected", "organizations": 2}
    # ... sees both organizations, and can activate only the Pro one
    integrations = integrations_by_pro(client)
    assert integrations[False]["organization_name"] == "Hobbyværkstedet"
    assert all(not i["active"] and i["connected"] for i in integrations.values())
    pro, non_pro = integrations[True]["integration_id"], integrations[False]["integration_id"]
    refused = client.post(f"/integrations/{non_pro}/activate")
    assert refused.status_code == 409 and "Dinero Pro" in refused.json()["message"]
    activated = client.post(f"/integrations/{pro}/activate")
    assert activated.status_code == 200 and len(activated.json()["incomplete_templates"]) == 7
    # ... fills the templates from the organization's own choices
    numbers = {account["number"] for account in client.get(f"/integrations/{pro}/choices/accounts").json()}
    assert set(STANDARD_ACCOUNTS.values()) <= numbers and 1090 not in numbers
    assert fill_templates(client, pro, STANDARD_ACCOUNTS) == []
    assert client.get(f"/integrations/{pro}").json()["incomplete_templates"] == []
    # ... turns on book automatically and links webshop-1
    assert client.put(f"/integrations/{pro}/book-automatically", json={"enabled": True}).json()["book_automatically"]
    assert client.put(f"/integrations/{pro}/links/webshop-1").status_code == 200
    assert [link["order_integration_id"] for link in client.get(f"/integrations/{pro}/links").json()] == ["webshop-1"]
    # When webshop-1 reports a handled order
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then Dinero has the booked invoice, and the merchant sees it in the order history
    (invoice,) = system.sandbox.state.invoices(DEMO_PRO_ORG_ID)
    assert invoice["Status"] == "Booked" and invoice["ExternalReference"] == "10421"
    assert Decimal(str(invoice["TotalInclVat"])) == Decimal("527.90")
    (order,) = orders(client, pro)
    assert order["status"] == "booked" and order["reason"] is None
    assert order["invoice_number"] == invoice["Number"] and order["order_id"] == invoice["Guid"]
    assert order["total_incl_vat"] == "527.90" and order["currency"] == "DKK"
    assert order["order_number"] == "10421" and order["fulfillment_id"] == 88001 and order["attempts"] == 1


def test_order_needing_an_unfilled_template_fails_naming_it_and_retrying_after_filling_it_invoices(
    system: LocalSystem,
) -> None:
    # Given a merchant who filled only the domestic templates
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    integration_id = connected_pro_integration(client)
    fill_templates(client, integration_id, {"product_domestic": 1000, "shipping_domestic": 1350})
    system.send_order(order_event("eu_business_de_reverse_charge"))
    system.drain_orders()
    (failed,) = orders(client, integration_id)
    assert failed["status"] == "failed" and failed["reason"] == "Product (EU) has no account"
    assert system.sandbox.state.invoices(DEMO_PRO_ORG_ID) == []
    # ... who then fills the EU templates (VAT-free sales to EU businesses, freight with the goods' code)
    warnings = fill_templates(client, integration_id, {"product_eu": 1100, "shipping_eu": 1110})
    assert warnings == []
    # When the merchant retries the order
    retried = client.post(f"/integrations/{integration_id}/orders/{failed['order_id']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "queued"
    system.drain_orders()
    # Then the invoice is created and booked, and the record says so
    (invoice,) = system.sandbox.state.invoices(DEMO_PRO_ORG_ID)
    assert invoice["ExternalReference"] == "10431" and invoice["Status"] == "Booked"
    (booked,) = orders(client, integration_id)
    assert booked["status"] == "booked" and booked["attempts"] == 2
    assert booked["reason"] == (
        "VAT-exempt supply to a business in the EU (DE123456789): booked on the EU accounts with the exemption text"
    )
    again = client.post(f"/integrations/{integration_id}/orders/{failed['order_id']}/retry")
    assert again.status_code == 409


def test_connecting_again_updates_tokens_and_never_duplicates_integrations(system: LocalSystem) -> None:
    # Given a configured merchant
    client = MerchantClient(system, MERCHANT)
    integration_id = connected_pro_integration(client)
    connections = api_adapters().connections
    before = connections.load_tokens(connection_id_for(MERCHANT))
    # When the merchant connects Dinero again
    completion = client.connect_dinero()
    # Then the token set is new, the integrations are the same two, and the settings are kept
    assert completion == {"result": "connected", "organizations": 2}
    after = connections.load_tokens(connection_id_for(MERCHANT))
    assert before is not None and after is not None
    assert after.tokens.refresh_token != before.tokens.refresh_token and after.version > before.version
    listed = client.get("/integrations").json()
    assert len(listed) == 2
    pro = next(i for i in listed if i["integration_id"] == integration_id)
    assert pro["active"] and pro["book_automatically"]


def test_merchant_who_denies_consent_is_sent_back_denied_with_nothing_created(system: LocalSystem) -> None:
    # Given
    client = MerchantClient(system, MERCHANT)
    # When
    response = client.callback(sandbox_consent="deny")
    # Then
    assert redirect_outcome(response) == {"dinero": "denied"}
    assert client.get("/integrations").json() == []


def test_revoked_consent_shows_the_integrations_as_disconnected(system: LocalSystem) -> None:
    # Given a configured merchant whose consent Dinero withdraws, with the access token expired
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    integration_id = connected_pro_integration(client)
    fill_templates(client, integration_id, STANDARD_ACCOUNTS)
    system.sandbox.state.revoke_consent(DEMO_USER)
    system.sandbox.state.expire_access_tokens()
    # When an order needs a token refresh, which Visma Connect refuses with invalid_grant
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    # Then the merchant sees the integration disconnected and the order failed with what to do
    integration = client.get(f"/integrations/{integration_id}").json()
    assert integration["connected"] is False
    assert "connect Dinero again" in integration["connection_status_reason"]
    (order,) = orders(client, integration_id)
    assert order["status"] == "failed" and "connect Dinero again" in order["reason"]


def test_disconnecting_revokes_the_grant_deletes_the_tokens_deactivates_and_keeps_the_history(
    system: LocalSystem,
) -> None:
    # Given a configured merchant with one booked order
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    integration_id = connected_pro_integration(client)
    fill_templates(client, integration_id, STANDARD_ACCOUNTS)
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    stored = api_adapters().connections.load_tokens(connection_id_for(MERCHANT))
    assert stored is not None
    # When
    response = client.delete("/connection")
    # Then the grant is gone at Visma Connect: its refresh token gets invalid_grant, its access token 401
    assert response.status_code == 200
    assert response.json() == {"result": "disconnected", "revocation": "revoked"}
    refused = requests.post(
        f"{system.sandbox.url}/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": stored.tokens.refresh_token.get_secret_value(),
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
        timeout=30,
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    organizations = requests.get(
        f"{system.sandbox.url}/v1/organizations",
        headers={"Authorization": f"Bearer {stored.tokens.access_token.get_secret_value()}"},
        timeout=30,
    )
    assert organizations.status_code == 401
    # ... and locally the tokens are deleted, the integrations inactive, the history kept
    assert api_adapters().connections.load_tokens(connection_id_for(MERCHANT)) is None
    integration = client.get(f"/integrations/{integration_id}").json()
    assert integration["connected"] is False and integration["active"] is False
    assert integration["connection_status_reason"] == "Disconnected by the merchant"
    assert integration["incomplete_templates"] == []
    assert [order["status"] for order in orders(client, integration_id)] == ["booked"]


def test_disconnecting_while_visma_connect_is_down_still_disconnects_and_says_the_grant_was_not_revoked(
    system: LocalSystem,
) -> None:
    # Given a connected merchant, and Visma Connect's revocation endpoint failing
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    integration_id = connected_pro_integration(client)
    system.sandbox.faults.add("POST", "/connect/revocation", kind="status", status=503)
    # When
    response = client.delete("/connection")
    # Then our copy is gone all the same, and the merchant is told the grant still lives at Visma Connect
    assert response.status_code == 200
    assert response.json() == {"result": "disconnected", "revocation": "failed"}
    assert api_adapters().connections.load_tokens(connection_id_for(MERCHANT)) is None
    integration = client.get(f"/integrations/{integration_id}").json()
    assert integration["connected"] is False and integration["active"] is False
    assert system.sandbox.state.counters.get("tokens_revoked", 0) == 0
