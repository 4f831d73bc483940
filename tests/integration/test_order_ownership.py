"""Order streams bound to their owner, over HTTP against the local system: a webshop id means something only within
its merchant's namespace, an event is booked only through a link of the merchant it names, and a retry stays with
the integration that owns the order."""

from typing import Any

import pytest

from dinero_bookkeeping.domain.templates import TemplateKind
from infra.local.dinero_sandbox import (
    DEMO_NON_PRO_ORG_ID,
    DEMO_OTHER_ORG_ID,
    DEMO_OTHER_USER,
    DEMO_PRO_ORG_ID,
)
from infra.local.seeding import seed_configured_merchant
from infra.local.system import LocalSystem
from support.events import order_event
from support.merchant_client import MerchantClient
from support.seed import rejected_events

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

OWNER, STRANGER = "merchant-1", "merchant-2"


def configured(system: LocalSystem, merchant_id: str, *, user: str, organization_id: int, **options: Any) -> str:
    assert system.sandbox is not None
    return seed_configured_merchant(
        system.sandbox,
        merchant_id=merchant_id,
        webshop_id="webshop-1",
        organization_id=organization_id,
        user=user,
        **options,
    )


def orders(client: MerchantClient, integration_id: str) -> list[dict[str, Any]]:
    page = client.get(f"/integrations/{integration_id}/orders").json()
    assert page["next_cursor"] is None
    result: list[dict[str, Any]] = page["orders"]
    return result


def test_a_stranger_linking_the_same_webshop_id_learns_nothing_and_receives_none_of_its_orders(
    system: LocalSystem,
) -> None:
    # Given: merchant-1 linked webshop-1; merchant-2 has an integration of their own with nothing linked
    assert system.sandbox is not None
    mine = configured(system, OWNER, user="demo-user", organization_id=DEMO_PRO_ORG_ID)
    theirs = configured(system, STRANGER, user=DEMO_OTHER_USER, organization_id=DEMO_OTHER_ORG_ID)
    stranger = MerchantClient(system, STRANGER)
    assert stranger.delete(f"/integrations/{theirs}/links/webshop-1").status_code == 204
    # When: merchant-2 links a webshop of the same id (no 409 tells them it is in use), and merchant-1's order comes
    linked = stranger.put(f"/integrations/{theirs}/links/webshop-1")
    system.send_order(order_event("danish_private", merchant_id=OWNER))
    system.drain_orders()
    # Then: the order is booked in merchant-1's Dinero only; merchant-2 sees no order and no invoice
    assert linked.status_code == 200 and linked.json()["integration_id"] == theirs
    assert [order["status"] for order in orders(MerchantClient(system, OWNER), mine)] == ["booked"]
    assert orders(stranger, theirs) == []
    assert len(system.sandbox.state.invoices(DEMO_PRO_ORG_ID)) == 1
    assert system.sandbox.state.invoices(DEMO_OTHER_ORG_ID) == []


def test_an_event_whose_merchant_did_not_link_the_webshop_is_rejected_and_reaches_no_dinero(
    system: LocalSystem,
) -> None:
    # Given: webshop-1 linked by merchant-1 only
    assert system.sandbox is not None
    configured(system, OWNER, user="demo-user", organization_id=DEMO_PRO_ORG_ID)
    # When: an event for webshop-1 names merchant-2
    system.send_order(order_event("danish_private", merchant_id=STRANGER, event_id="evt-foreign"))
    system.drain_orders()
    # Then: kept as a rejected event with the reason; no invoice anywhere
    (rejected,) = rejected_events()
    assert rejected.reason == "Webshop webshop-1 is not linked to an accounting integration of merchant merchant-2"
    assert '"event_id":"evt-foreign"' in rejected.body
    assert system.sandbox.state.invoices(DEMO_PRO_ORG_ID) == []
    assert system.sandbox.state.invoices(DEMO_OTHER_ORG_ID) == []


def test_a_retry_after_a_relink_stays_with_the_integration_that_owns_the_order(system: LocalSystem) -> None:
    # Given: merchant-1's order failed on an empty Product (Domestic) template, then webshop-1 was relinked to the
    # merchant's other organization
    assert system.sandbox is not None
    first = configured(
        system, OWNER, user="demo-user", organization_id=DEMO_PRO_ORG_ID, accounts={TemplateKind.PRODUCT_DOMESTIC: None}
    )
    owner = MerchantClient(system, OWNER)
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    (failed,) = orders(owner, first)
    assert failed["status"] == "failed"
    second = configured(system, OWNER, user="demo-user", organization_id=DEMO_NON_PRO_ORG_ID)
    assert owner.delete(f"/integrations/{first}/links/webshop-1").status_code == 204
    assert owner.put(f"/integrations/{second}/links/webshop-1").status_code == 200
    assert owner.put(f"/integrations/{first}/templates/product_domestic", json={"account_number": 1000}).ok
    # When: the failed order is retried
    retried = owner.post(f"/integrations/{first}/orders/{failed['order_id']}/retry")
    system.drain_orders()
    # Then: booked in the first organization's books; the second has no record and no invoice
    assert retried.status_code == 202
    assert [order["status"] for order in orders(owner, first)] == ["booked"]
    assert orders(owner, second) == []
    assert len(system.sandbox.state.invoices(DEMO_PRO_ORG_ID)) == 1
    assert system.sandbox.state.invoices(DEMO_NON_PRO_ORG_ID) == []
