"""Connecting Shipmondo: credentials checked before anything is stored, webhooks registered once, secrets kept."""

import pytest
from pydantic import SecretStr

from dinero_bookkeeping.domain.errors import InvalidRequestError, NotFoundError
from dinero_bookkeeping.services.connect_shipmondo import WEBHOOK_ACTIONS, ConnectShipmondoService
from support.fakes import FixedClock
from support.shipmondo_fakes import FakeShipmondo, FakeShipmondoAccount, InMemoryShipmondoStore

BASE = "https://api.example/shipmondo/webhooks"
KEY = SecretStr("k" * 40)


def _service() -> tuple[ConnectShipmondoService, InMemoryShipmondoStore, FakeShipmondoAccount]:
    account = FakeShipmondoAccount(api_key="right")
    store = InMemoryShipmondoStore()
    service = ConnectShipmondoService(
        store=store, shipmondo=FakeShipmondo({"user": account}), clock=FixedClock(), webhook_base_url=BASE
    )
    return service, store, account


def test_refused_credentials_store_nothing() -> None:
    service, store, account = _service()
    with pytest.raises(InvalidRequestError):
        service.connect("m", "user", SecretStr("wrong"), KEY)
    assert store.connections == {} and account.hooks == {}


def test_connecting_registers_one_webhook_per_action_at_an_opaque_url_and_again_changes_nothing() -> None:
    service, store, account = _service()
    connection = service.connect("m", "user", SecretStr("right"), KEY)
    assert sorted(hook["action"] for hook in account.hooks.values()) == sorted(WEBHOOK_ACTIONS)
    urls = {hook["endpoint"] for hook in account.hooks.values()}
    assert urls == {f"{BASE}/{connection.hook_id}"} and len(connection.hook_id) >= 32  # random, not the merchant
    assert {hook["key"] for hook in account.hooks.values()} == {KEY.get_secret_value()}
    ids = set(account.hooks)
    again = service.connect("m", "user", SecretStr("right"), None)  # the stored webhook key is kept
    assert set(account.hooks) == ids and again.hook_id == connection.hook_id
    assert store.credentials["m"].webhook_key == KEY


def test_a_new_webhook_key_replaces_the_webhooks_and_disconnecting_removes_them() -> None:
    service, store, account = _service()
    service.connect("m", "user", SecretStr("right"), KEY)
    old = set(account.hooks)
    service.connect("m", "user", SecretStr("right"), SecretStr("n" * 40))
    assert not old & set(account.hooks) and len(account.hooks) == len(WEBHOOK_ACTIONS)
    assert {hook["key"] for hook in account.hooks.values()} == {"n" * 40}
    result = service.disconnect("m")
    assert (result.webhooks_removed, result.webhooks_left) == (len(WEBHOOK_ACTIONS), 0)
    assert account.hooks == {} and store.connections == {}
    with pytest.raises(NotFoundError):
        service.get("m")


def test_webshops_are_the_order_sources_of_the_merchants_own_account() -> None:
    service, _, account = _service()
    service.connect("m", "user", SecretStr("right"), KEY)
    stamp = FixedClock().now().isoformat()
    account.orders = [
        {"id": 1, "source_name": "Nordlys Design webshop", "created_at": stamp},
        {"id": 2, "source_name": None, "created_at": stamp},
    ]
    assert service.webshops("m") == ["nordlys-design-webshop", "shipmondo-manual"]
    with pytest.raises(NotFoundError):
        service.webshops("another-merchant")
