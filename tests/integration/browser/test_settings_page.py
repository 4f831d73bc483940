"""The settings page in headless Chromium against the whole local system: the merchant's journey clicked through,
and the ways it can go wrong. Each test saves a screenshot of every screen it passes (build/screenshots/)."""

import re

from playwright.sync_api import expect

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from support.events import order_event
from support.merchant_client import MerchantClient
from support.settings_page import SettingsPage

PRO_ORG = "Nordlys Webshop ApS"
NON_PRO_ORG = "Hobbyværkstedet"
WEBSHOP = "webshop-1"
# Dinero's standard chart: goods with VAT, EU goods without VAT, export, freight with VAT, freight without VAT.
ACCOUNTS = {
    "product_domestic": 1000,
    "product_eu": 1100,
    "product_outside_eu": 1255,
    "shipping_domestic": 1350,
    "shipping_eu": 1300,
    "shipping_outside_eu": 1300,
}


def _api(settings: SettingsPage) -> MerchantClient:
    return MerchantClient(settings.system, settings.merchant_id)


def _pro_integration_id(settings: SettingsPage) -> str:
    integrations = _api(settings).get("/integrations").json()
    return str(next(integration["integration_id"] for integration in integrations if integration["is_pro"]))


def _configure_through_api(settings: SettingsPage, *, skip: tuple[str, ...] = ()) -> str:
    """Activated, templates filled (but `skip`), book automatically on, webshop linked: set-up for the focused tests."""
    client, integration_id = _api(settings), _pro_integration_id(settings)
    base = f"/integrations/{integration_id}"
    assert client.post(f"{base}/activate").status_code == 200
    layout = next(layout["id"] for layout in client.get(f"{base}/choices/layouts").json() if layout["is_default"])
    invoice = {"layout_id": layout, "payment_condition_type": "Netto", "payment_condition_days": 8}
    assert client.put(f"{base}/templates/invoice", json=invoice).status_code == 200
    for kind, number in ACCOUNTS.items():
        if kind not in skip:
            assert client.put(f"{base}/templates/{kind}", json={"account_number": number}).status_code == 200
    assert client.put(f"{base}/book-automatically", json={"enabled": True}).status_code == 200
    assert client.put(f"{base}/links/{WEBSHOP}").status_code == 200
    return integration_id


def _send_orders(settings: SettingsPage, *names: str) -> None:
    for name in names:
        settings.system.send_order(order_event(name, merchant_id=settings.merchant_id, order_integration_id=WEBSHOP))
    settings.system.drain_orders()


def test_merchant_journey_from_connecting_dinero_to_booked_orders(settings_page: SettingsPage) -> None:
    page = settings_page.page
    # Given: the page as the host app opens it, the token handed over in the fragment
    settings_page.open()
    assert "token" not in page.url, "the token must leave the address bar at once"
    expect(page.get_by_role("heading", name="1. Forbind Dinero")).to_be_visible()
    expect(page.get_by_text("Ingen organisationer endnu. Forbind Dinero først.")).to_be_visible()
    settings_page.screenshot("start")

    # When: Connect Dinero → Visma Connect's consent page → Accept
    settings_page.connect_dinero(screenshot="consent")

    # Then: back on the page, connected, one integration per organization, the outcome consumed from the URL
    expect(settings_page.notice).to_have_text("Dinero er forbundet: 2 organisationer fundet.")
    assert page.url == f"{settings_page.system.gateway_url}/app"
    pro, non_pro = settings_page.organization(PRO_ORG), settings_page.organization(NON_PRO_ORG)
    expect(pro).to_contain_text("Dinero Pro")
    expect(pro).to_contain_text("Inaktiv")
    expect(non_pro).to_contain_text("Uden Dinero Pro")
    settings_page.screenshot("organizations")

    # When: the Pro organization is activated
    settings_page.activate(PRO_ORG)

    # Then: its seven templates, all marked incomplete, with dropdowns from the organization's chart in Dinero
    forms = page.locator("form.template")
    expect(forms).to_have_count(7)
    expect(page.locator("form.template legend").get_by_text("Mangler")).to_have_count(7)
    options = settings_page.template("product_domestic").get_by_label("Konto").locator("option")
    expect(options.filter(has_text="1000 · Salg af varer/ydelser m/moms · moms: U25")).to_have_count(1)
    expect(options.filter(has_text="1090")).to_have_count(0)  # hidden in Dinero: not offered
    settings_page.screenshot("activated")

    # When: the templates are filled, the exported products first with a Danish-VAT account
    settings_page.fill_invoice(layout="Standard (standard)", terms="Netto (antal dage)", days="8")
    expect(settings_page.template("invoice").get_by_role("status")).to_have_text("Faktura er gemt.")
    settings_page.fill_account("product_outside_eu", 1000)

    # Then: saved, with the VAT warning inline at that template
    warning = settings_page.template("product_outside_eu").locator(".warnings")
    expect(warning).to_contain_text("exports are VAT-free")
    settings_page.screenshot("vat-warning")

    # When: the right accounts are chosen everywhere
    for kind, number in ACCOUNTS.items():
        settings_page.fill_account(kind, number)

    # Then: nothing is incomplete any more, and the warning is gone
    expect(page.locator("form.template legend").get_by_text("Mangler")).to_have_count(0)
    expect(warning).to_have_count(0)
    expect(settings_page.organization(PRO_ORG)).not_to_contain_text("Mangler at udfylde")

    # When: book automatically is switched on with the keyboard, and a webshop is linked
    toggle = page.get_by_role("switch", name="Bogfør fakturaer automatisk")
    toggle.focus()
    page.keyboard.press("Space")
    expect(page.locator("#book-status")).to_have_text("Fakturaer bogføres nu automatisk.")
    expect(toggle).to_be_checked()
    page.get_by_label("Webshop-id").fill(WEBSHOP)
    page.get_by_role("button", name="Tilknyt").click()
    expect(page.locator("ul.links")).to_contain_text(WEBSHOP)
    settings_page.screenshot("configured")

    # When: the webshop handles three orders, and the merchant refreshes the orders
    _send_orders(settings_page, "danish_private", "norway_export", "eu_private_de")
    settings_page.refresh_orders()

    # Then: newest first, each with its status, Dinero's invoice number and total, nothing to retry
    expect(page.locator("table.orders tbody tr")).to_have_count(3)
    assert settings_page.order_numbers() == ["10422", "10423", "10421"]
    assert settings_page.system.sandbox is not None
    invoices = {i["ExternalReference"]: i for i in settings_page.system.sandbox.state.invoices(DEMO_PRO_ORG_ID)}
    danish = settings_page.order_row("10421")
    expect(danish.get_by_text("Bogført")).to_be_visible()
    expect(danish.locator("td").nth(1)).to_have_text(str(invoices["10421"]["Number"]))
    expect(danish.locator("td.number")).to_have_text("527,90 DKK")
    expect(page.get_by_role("button", name=re.compile("^Prøv ordre"))).to_have_count(0)
    settings_page.screenshot("orders")

    # When: the merchant switches to English
    page.get_by_role("button", name="English").click()

    # Then: the same screens in English, and the choice is remembered
    expect(page.get_by_role("heading", name="6. Orders")).to_be_visible()
    expect(danish.get_by_text("Booked")).to_be_visible()
    expect(danish.locator("td.number")).to_have_text("527.90 DKK")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.reload()
    settings_page.wait_until_ready()
    expect(page.get_by_role("heading", name="6. Orders")).to_be_visible()
    settings_page.screenshot("english")
    assert settings_page.problems == []


def test_consent_denied_in_visma_connect_connects_nothing(settings_page: SettingsPage) -> None:
    # Given
    settings_page.open()

    # When: the merchant cancels on Visma Connect's consent page
    settings_page.connect_dinero(consent=False)

    # Then: told so, still not connected, no organizations, and the outcome is gone from the URL
    expect(settings_page.notice).to_have_text("Du afviste adgangen i Visma Connect. Intet er forbundet.")
    expect(settings_page.page.get_by_text("Ingen organisationer endnu. Forbind Dinero først.")).to_be_visible()
    expect(settings_page.page.get_by_role("button", name="Forbind Dinero")).to_be_enabled()
    assert settings_page.page.url == f"{settings_page.system.gateway_url}/app"
    assert _api(settings_page).get("/integrations").json() == []
    settings_page.screenshot("denied")
    assert settings_page.problems == []


def test_failed_or_unfinished_connection_is_explained_in_the_merchants_words(settings_page: SettingsPage) -> None:
    # Given / When: the callback sent the browser back with an error (the consent took too long)
    settings_page.open("dinero=error&reason=expired_state")

    # Then
    expect(settings_page.notice).to_have_text(
        "Forbindelsen til Dinero mislykkedes: det tog for lang tid at give adgang. Prøv igen."
    )
    assert settings_page.page.url == f"{settings_page.system.gateway_url}/app"
    settings_page.screenshot("error")

    # When: the page is sent back to finish with a handle the API does not know (used, expired or forged)
    settings_page.open("dinero=complete&handle=unknown-handle")

    # Then: nothing connected, and the merchant knows to connect again
    expect(settings_page.notice).to_have_text(
        "Forbindelsen kunne ikke gøres færdig, fordi linket er udløbet eller allerede brugt. Forbind igen."
    )
    expect(settings_page.page.get_by_role("button", name="Forbind Dinero")).to_be_visible()
    assert _api(settings_page).get("/integrations").json() == []
    assert settings_page.problems == []


def test_organization_without_dinero_pro_is_shown_but_cannot_be_activated(settings_page: SettingsPage) -> None:
    # Given: connected
    settings_page.open()
    settings_page.connect_dinero()

    # When: the merchant looks at the organization without Dinero Pro
    card = settings_page.organization(NON_PRO_ORG)

    # Then: marked, its activate button disabled and described by the reason
    expect(card).to_contain_text("Uden Dinero Pro")
    activate = card.get_by_role("button", name=f"Aktivér {NON_PRO_ORG}")
    expect(activate).to_be_disabled()
    reason = "Kan ikke aktiveres: Dineros API kræver et Dinero Pro-abonnement."
    expect(activate).to_have_accessible_description(reason)
    expect(settings_page.organization(PRO_ORG).get_by_role("button", name=f"Aktivér {PRO_ORG}")).to_be_enabled()
    settings_page.screenshot("not-pro")
    assert settings_page.problems == []


def test_template_validation_error_is_shown_at_the_field_it_names(settings_page: SettingsPage) -> None:
    # Given: connected and activated
    settings_page.open()
    settings_page.connect_dinero()
    settings_page.activate(PRO_ORG)

    # When: the invoice template is saved with more days than Dinero allows
    settings_page.fill_invoice(layout="Standard (standard)", terms="Netto (antal dage)", days="400")

    # Then: the API's refusal at the days field, which is marked invalid and has the focus; nothing was saved
    days = settings_page.template("invoice").get_by_label("Antal dage")
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(days).to_have_accessible_description("Værdien er for stor.")
    expect(days).to_be_focused()
    expect(settings_page.page.locator("#invoice-layout-error")).to_be_hidden()
    settings_page.screenshot("validation-error")
    invoice = _api(settings_page).get(f"/integrations/{_pro_integration_id(settings_page)}/templates/invoice").json()
    assert invoice["payment_condition_days"] is None

    # When: corrected
    days.fill("30")
    settings_page.template("invoice").get_by_role("button", name="Gem").click()

    # Then: saved, the error gone
    expect(settings_page.template("invoice").get_by_role("status")).to_have_text("Faktura er gemt.")
    expect(settings_page.template("invoice").get_by_label("Antal dage")).not_to_have_attribute("aria-invalid", "true")
    assert settings_page.problems == []


def test_failed_order_is_retried_after_its_template_is_fixed(settings_page: SettingsPage) -> None:
    # Given: configured but Product (Outside EU) left empty, and a Norwegian order that failed on it
    settings_page.open()
    settings_page.connect_dinero()
    _configure_through_api(settings_page, skip=("product_outside_eu",))
    _send_orders(settings_page, "norway_export")
    settings_page.page.reload()
    settings_page.wait_until_ready()

    # Then: the failure with its reason and a retry button; the template marked incomplete
    row = settings_page.order_row("10423")
    expect(row.get_by_text("Fejlet")).to_be_visible()
    expect(row).to_contain_text("Product (Outside EU) has no account")
    expect(settings_page.template("product_outside_eu").get_by_text("Mangler")).to_be_visible()
    settings_page.screenshot("failed-order")

    # When: the merchant fills Product (Outside EU) and retries the order
    settings_page.fill_account("product_outside_eu", ACCOUNTS["product_outside_eu"])
    row.get_by_role("button", name="Prøv ordre 10423 igen").click()

    # Then: queued again; once processed, an invoice exists and there is nothing left to retry
    expect(row.get_by_text("I kø")).to_be_visible()
    expect(settings_page.page.locator("#orders-status")).to_have_text("Ordre 10423 er sat i kø igen.")
    settings_page.system.drain_orders()
    settings_page.refresh_orders()
    expect(row).to_have_attribute("data-status", re.compile("^(booked|draft)$"))
    expect(row.get_by_role("button", name="Prøv ordre 10423 igen")).to_have_count(0)
    assert settings_page.system.sandbox is not None
    assert [i["ExternalReference"] for i in settings_page.system.sandbox.state.invoices(DEMO_PRO_ORG_ID)] == ["10423"]
    settings_page.screenshot("retried")
    assert settings_page.problems == []


def test_disconnect_asks_for_confirmation_then_deactivates_everything(settings_page: SettingsPage) -> None:
    # Given: connected and configured
    page = settings_page.page
    settings_page.open()
    settings_page.connect_dinero()
    integration_id = _configure_through_api(settings_page)
    page.reload()
    settings_page.wait_until_ready()
    disconnect = page.get_by_role("button", name="Afbryd forbindelsen …")

    # When: the merchant starts to disconnect, then changes their mind with Escape
    disconnect.click()
    dialog = page.get_by_role("dialog", name="Afbryd forbindelsen til Dinero?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Annuller")).to_be_focused()
    settings_page.screenshot("confirm")
    page.keyboard.press("Escape")

    # Then: nothing happened
    expect(dialog).to_have_count(0)
    expect(disconnect).to_be_focused()
    assert _api(settings_page).get(f"/integrations/{integration_id}").json()["connected"] is True

    # When: confirmed
    disconnect.click()
    dialog.get_by_role("button", name="Afbryd forbindelsen").click()

    # Then: disconnected and deactivated, the settings closed, history kept, and connecting again offered
    expect(settings_page.notice).to_have_text("Forbindelsen til Dinero er afbrudt.")
    expect(page.get_by_role("button", name="Forbind Dinero")).to_be_focused()
    expect(settings_page.organization(PRO_ORG)).to_contain_text("Inaktiv")
    expect(settings_page.organization(PRO_ORG)).to_contain_text("Ikke forbundet")
    expect(page.locator("#detail")).to_be_hidden()
    expect(page.get_by_role("button", name="Afbryd forbindelsen …")).to_have_count(0)
    overview = _api(settings_page).get(f"/integrations/{integration_id}").json()
    assert (overview["connected"], overview["active"]) == (False, False)
    settings_page.screenshot("disconnected")
    assert settings_page.problems == []


def test_orders_beyond_the_first_page_are_loaded_on_request(settings_page: SettingsPage) -> None:
    # Given: more handled orders than one page of the list holds (20)
    settings_page.open()
    settings_page.connect_dinero()
    _configure_through_api(settings_page)
    numbers = [f"T{number}" for number in range(1, 23)]
    for number in numbers:
        event = order_event("danish_private", merchant_id=settings_page.merchant_id, event_id=f"evt-{number}")
        event["sales_order"]["id"] = 9_000_000 + int(number[1:])
        event["sales_order"]["order_id"] = number
        settings_page.system.send_order(event)
    settings_page.system.drain_orders()

    # When: the page is opened, and "Show more" followed for as long as the list offers it
    settings_page.page.reload()
    settings_page.wait_until_ready()
    rows = settings_page.page.locator("table.orders tbody tr")
    expect(rows.first).to_be_visible()
    more = settings_page.page.get_by_role("button", name="Vis flere")
    while more.count():
        shown = rows.count()
        more.click()
        # The keyboard user goes on at the first order that was added.
        expect(rows.nth(shown).get_by_role("rowheader")).to_be_focused()

    # Then: every order exactly once
    listed = settings_page.order_numbers()
    assert sorted(listed) == sorted(numbers)
    settings_page.screenshot("all-orders")
    assert settings_page.problems == []
