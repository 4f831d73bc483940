"""The Shipmondo sandbox (shapes from Shipmondo's spec, paging, faults, signed deliveries) and our Shipmondo client
against it over loopback (pacing, 429 honoured, refused credentials)."""

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from dinero_bookkeeping.adapters.shipmondo_client import ShipmondoHttp
from dinero_bookkeeping.domain.errors import InvalidRequestError, RetryableError
from dinero_bookkeeping.domain.shipmondo_connection import ShipmondoCredentials
from dinero_bookkeeping.domain.shipmondo_webhook import verify_message
from infra.local.shipmondo_sandbox import ShipmondoSandbox
from infra.local.shipmondo_sandbox.delivery import signed_body
from infra.local.shipmondo_sandbox.state import SpecViolation
from support.events import order_event

USER, KEY = "user", "secret"
CREDENTIALS = ShipmondoCredentials(api_user=USER, api_key=SecretStr(KEY), webhook_key=SecretStr("w" * 40))


@pytest.fixture
def shipmondo() -> Iterator[ShipmondoSandbox]:
    sandbox = ShipmondoSandbox()
    sandbox.state.add_account(USER, KEY, "Nordlys Design ApS")
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _order(number: int) -> dict[str, Any]:
    order: dict[str, Any] = copy.deepcopy(order_event("danish_private")["sales_order"])
    return order | {"id": number, "order_id": str(number)}


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def _client(sandbox: ShipmondoSandbox, sleeps: Sleeps, min_interval: float = 0.0) -> Any:
    http = ShipmondoHttp(
        requests.Session(), sandbox.url, 5.0, min_interval=min_interval, sleep=sleeps.sleep, monotonic=sleeps.monotonic
    )
    return http.for_account(CREDENTIALS)


def test_sales_orders_are_paged_and_filtered_by_update_time_with_shipmondos_headers(
    shipmondo: ShipmondoSandbox,
) -> None:
    for number in range(1, 4):
        shipmondo.state.add_order(USER, _order(number))
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    response = requests.get(
        f"{shipmondo.url}/sales_orders",
        params={"updated_at_min": since, "per_page": "2", "page": "2"},
        auth=(USER, KEY),
        timeout=5,
    )
    assert response.status_code == 200
    assert [order["id"] for order in response.json()] == [3]
    assert (response.headers["X-Total-Pages"], response.headers["X-Total-Count"]) == ("2", "3")
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert (
        requests.get(
            f"{shipmondo.url}/sales_orders", params={"updated_at_min": later}, auth=(USER, KEY), timeout=5
        ).json()
        == []
    )
    unknown = requests.get(f"{shipmondo.url}/sales_orders", params={"status": "x"}, auth=(USER, KEY), timeout=5)
    assert unknown.status_code == 422


def test_fulfilling_changes_the_order_and_sends_a_webhook_signed_as_shipmondo_does(shipmondo: ShipmondoSandbox) -> None:
    order = shipmondo.state.add_order(USER, _order(1))
    assert order["order_fulfillments"] == [] and order["fulfillment_status"] == "unfulfilled"
    webhook = {"name": "n", "endpoint": "http://127.0.0.1:9/hook", "key": "k" * 40, "action": "create_fulfillment"}
    created = requests.post(
        f"{shipmondo.url}/webhooks", json={**webhook, "resource_name": "Orders"}, auth=(USER, KEY), timeout=5
    )
    assert created.status_code == 200 and "key" not in created.json()[0]
    shipmondo.state.drop_deliveries(1)
    fulfilment = shipmondo.state.fulfil(USER, 1)
    assert fulfilment["type"] == "outbound" and shipmondo.state.deliveries[0].dropped
    hook = {**created.json()[0], "endpoint": webhook["endpoint"]}
    body = signed_body(hook, shipmondo.state.accounts[USER].orders[1], "k" * 40)
    message = verify_message(body, "k" * 40, {"SMD-Action": "create_fulfillment"}, datetime.now(UTC))
    assert message.resource["order_fulfillments"][0]["id"] == fulfilment["id"]


def test_the_sandbox_refuses_what_shipmondos_spec_does_not_allow(shipmondo: ShipmondoSandbox) -> None:
    with pytest.raises(SpecViolation):
        shipmondo.state.add_order(USER, _order(1) | {"id": "not a number"})
    refunded = {"name": "n", "endpoint": "e", "key": "k", "action": "payment_refunded", "resource_name": "Orders"}
    response = requests.post(f"{shipmondo.url}/webhooks", json=refunded, auth=(USER, KEY), timeout=5)
    assert response.status_code == 422  # absent from WebhookCreate's enum
    assert requests.get(f"{shipmondo.url}/account", auth=(USER, "wrong"), timeout=5).status_code == 401


def test_the_client_waits_out_a_short_429_and_gives_a_long_one_back(shipmondo: ShipmondoSandbox) -> None:
    sleeps = Sleeps()
    client = _client(shipmondo, sleeps)
    shipmondo.state.fail("/account", 429, retry_after=2)
    assert client.account_name() == "Nordlys Design ApS" and sleeps.slept == [2.0]
    shipmondo.state.fail("/account", 429, retry_after=120)
    with pytest.raises(RetryableError) as raised:
        client.account_name()
    assert raised.value.retry_after_seconds == 120


def test_the_client_spaces_an_accounts_requests_and_maps_errors(shipmondo: ShipmondoSandbox) -> None:
    sleeps = Sleeps()
    client = _client(shipmondo, sleeps, min_interval=0.5)
    for _ in range(3):
        client.sales_orders({}, 1)
    assert sleeps.slept == [0.5, 0.5]
    shipmondo.state.fail("/sales_orders", 500)
    with pytest.raises(RetryableError):
        client.sales_orders({}, 1)
    refused = ShipmondoHttp(requests.Session(), shipmondo.url, 5.0).for_account(
        ShipmondoCredentials(api_user=USER, api_key=SecretStr("wrong"), webhook_key=SecretStr("w" * 40))
    )
    with pytest.raises(InvalidRequestError, match="refused"):
        refused.account_name()
