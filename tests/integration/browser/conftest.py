"""Browser fixtures: one headless Chromium per session (Playwright), a fresh browser context per test.

The local system comes from the integration conftest (a fresh LocalSystem per test). Screenshots go to
build/screenshots/ (ignored by git), one per screen, named after the test.
"""

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from infra.local.system import LocalSystem
from support.settings_page import SettingsPage

SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


def system_chromium() -> str | None:
    """Debian's Chromium, which `make browser` installs; None lets Playwright use its own download."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=system_chromium())
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def settings_page(browser: Browser, system: LocalSystem, request: pytest.FixtureRequest) -> Iterator[SettingsPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    # Wide enough for a slow shared machine; a page that works answers in milliseconds.
    context.set_default_timeout(15_000)
    test_name = re.sub(r"^test_", "", request.node.name)
    try:
        yield SettingsPage(context.new_page(), system, SCREENSHOTS / test_name)
    finally:
        context.close()
