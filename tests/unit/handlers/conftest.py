"""The HTTP handlers behind the local gateway, without a socket (support.gateway_api), with their services wired to
in-memory fakes (MerchantWorld) through the resolvers' dependency overrides."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers import config_handler, oauth_handler, shipmondo_webhook_handler
from support.gateway_api import Api, build_api
from support.merchant_world import MerchantWorld
from support.shipmondo_fakes import ShipmondoWorld


@pytest.fixture
def world() -> Iterator[MerchantWorld]:
    world = MerchantWorld()
    overrides: dict[Callable[..., Any], Callable[..., Any]] = {
        wiring.connect_service: lambda: world.connect,
        wiring.integrations_service: lambda: world.manage,
        wiring.templates_service: lambda: world.templates,
        wiring.payment_template_service: lambda: world.payments,
        wiring.links_service: lambda: world.links,
        wiring.order_history_service: lambda: world.history,
        **ShipmondoWorld(world.integrations, world.records, world.queue, world.clock).overrides(),
    }
    apps = (oauth_handler.app, config_handler.app, shipmondo_webhook_handler.app)
    for app in apps:
        app.dependency_overrides.update(overrides)
    yield world
    for app in apps:
        app.dependency_overrides.clear()


@pytest.fixture
def api(world: MerchantWorld, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The HTTP API as deployed: routes from template.yaml, JWT-authorized where the template says so."""
    _quiet_powertools(monkeypatch)
    return build_api(authorizer=True)


@pytest.fixture
def api_without_authorizer(world: MerchantWorld, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The same routes with the authorizer left out, as if it were misconfigured: events carry no claims."""
    _quiet_powertools(monkeypatch)
    return build_api(authorizer=False)


def _quiet_powertools(monkeypatch: pytest.MonkeyPatch) -> None:
    """No EMF metrics on stdout and no X-Ray segments: there is no CloudWatch or X-Ray daemon here."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
