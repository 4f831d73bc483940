"""The merchant's settings page in a real browser, used the way a merchant uses it: by what it shows (labels,
buttons, headings in Danish, its default language), never by calling its code."""

import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from infra.local.system import LocalSystem

MERCHANT = "browser-merchant"


class SettingsPage:
    def __init__(self, page: Page, system: LocalSystem, screenshots: Path, merchant_id: str = MERCHANT) -> None:
        self.page = page
        self.system = system
        self.merchant_id = merchant_id
        self._screenshots = screenshots
        self._taken = 0
        # Uncaught script errors and Content-Security-Policy violations: a page that works has none.
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"uncaught error: {error}"))
        page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(message.text)

    # --- navigation -------------------------------------------------------------------------------------------

    def open(self, query: str = "") -> None:
        """The page as the host app opens it: the merchant's token in the URL fragment (and `query`, if any)."""
        base, _, fragment = self.system.settings_page_url(self.merchant_id).partition("#")
        self.page.goto(f"{base}?{query}#{fragment}" if query else f"{base}#{fragment}")
        self.wait_until_ready()

    def wait_until_ready(self) -> None:
        self.page.locator("body[data-ready='true']").wait_for()

    def screenshot(self, screen: str) -> Path:
        self._taken += 1
        path = self._screenshots / f"{self._taken:02d}-{screen}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def connect_dinero(self, *, consent: bool = True, screenshot: str | None = None) -> None:
        """Connect Dinero → Visma Connect's consent page → Accept (or Cancel) → back on this page."""
        self.page.get_by_role("button", name=re.compile("^(Forbind Dinero|Forbind igen)$")).click()
        self.page.wait_for_url(re.compile(r"/connect/authorize\?"))
        expect(self.page.get_by_role("heading", name="Allow the application to use Dinero?")).to_be_visible()
        if screenshot:
            self.screenshot(screenshot)
        self.page.get_by_role("button", name="Accept" if consent else "Cancel").click()
        self.page.wait_for_url(re.compile(re.escape(self.system.gateway_url) + r"/app(\?|$)"))
        self.wait_until_ready()

    # --- what the page shows ----------------------------------------------------------------------------------

    @property
    def notice(self) -> Locator:
        return self.page.locator("#notice")

    def organization(self, name: str) -> Locator:
        return self.page.locator("li.integration").filter(has=self.page.get_by_role("heading", name=name, exact=True))

    def template(self, kind: str) -> Locator:
        return self.page.locator(f"#template-{kind}")

    def order_row(self, order_number: str) -> Locator:
        return self.page.locator("table.orders tbody tr").filter(
            has=self.page.get_by_role("rowheader", name=re.compile(f"^{re.escape(order_number)}"))
        )

    def order_numbers(self) -> list[str]:
        """The orders listed, top to bottom."""
        return [text.split()[0] for text in self.page.locator("table.orders tbody th").all_inner_texts()]

    # --- what the merchant does -------------------------------------------------------------------------------

    def activate(self, organization_name: str) -> None:
        self.page.get_by_role("button", name=f"Aktivér {organization_name}").click()
        expect(self.page.get_by_role("heading", name=f"Indstillinger for {organization_name}")).to_be_focused()

    def fill_invoice(self, *, layout: str, terms: str, days: str | None) -> None:
        form = self.template("invoice")
        form.get_by_label("Fakturalayout").select_option(label=layout)
        form.get_by_label("Betalingsbetingelser").select_option(label=terms)
        if days is not None:
            form.get_by_label("Antal dage").fill(days)
        form.get_by_role("button", name="Gem").click()

    def fill_account(self, kind: str, account_number: int) -> None:
        form = self.template(kind)
        form.get_by_label("Konto").select_option(value=str(account_number))
        form.get_by_role("button", name="Gem").click()
        expect(form.get_by_role("status")).to_have_text(re.compile("er gemt"))

    def refresh_orders(self) -> None:
        self.page.get_by_role("button", name="Opdater").click()
