"""The configuration function through API Gateway v2 events: routes, bodies, status codes and the error mapping."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from dinero_bookkeeping.domain.errors import OrganizationNotProError, RetryableError
from dinero_bookkeeping.domain.integration import integration_id_for
from dinero_bookkeeping.domain.order_record import OrderRecord, OrderStatus, invoice_guid_for, order_key
from support.events import order_event
from support.gateway_api import Api, template_routes
from support.merchant_world import MERCHANT, NON_PRO_ORG, OTHER_MERCHANT, PRO_ORG, STANDARD_LAYOUT, MerchantWorld

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

PRO = integration_id_for(MERCHANT, PRO_ORG.id)
NON_PRO = integration_id_for(MERCHANT, NON_PRO_ORG.id)


def failed_order(world: MerchantWorld, integration_id: str) -> OrderRecord:
    key = order_key("webshop-1", 5123401, None)
    now = world.clock.now()
    record = OrderRecord(
        integration_id=integration_id,
        order_key=key,
        order_integration_id="webshop-1",
        sales_order_id=5123401,
        order_number="10421",
        fulfillment_id=None,
        status=OrderStatus.FAILED,
        invoice_guid=invoice_guid_for(integration_id, key),
        total_incl_vat=None,
        reason="Product (EU) has no account",
        attempts=1,
        created_at=now,
        updated_at=now,
    )
    world.records.records[record.invoice_guid] = record
    world.records.events[record.invoice_guid] = json.dumps(order_event("danish_private"))
    return record


def test_every_route_in_the_template_reaches_a_handler_route(api: Api, world: MerchantWorld) -> None:
    # Given: every route of template.yaml, with made-up path parameters
    routes = template_routes()
    # When
    answers = {
        f"{route.method} {route.path}": api.call(
            route.method,
            route.path.replace("{integration_id}", "nope")
            .replace("{kind}", "invoice")
            .replace("{order_integration_id}", "webshop-1")
            .replace("{order_id}", "00000000-0000-4000-8000-000000000000")
            .replace("{name}", "app.js"),
            merchant=MERCHANT,
        )
        for route in routes
    }
    # Then: each is answered by our code (our 404 says what is missing), none by the resolver's catch-all 404
    assert len(answers) == 35
    unrouted = {key: a.json() for key, a in answers.items() if a.status == 404 and "statusCode" in a.json()}
    assert unrouted == {}
    assert all(answer.status < 500 for answer in answers.values())


def test_list_integrations_shows_what_the_merchant_must_see(api: Api, world: MerchantWorld) -> None:
    # Given
    world.connected()
    # When
    response = api.call("GET", "/integrations", merchant=MERCHANT)
    # Then
    assert response.status == 200
    pro = next(item for item in response.json() if item["is_pro"])
    assert pro == {
        "integration_id": PRO,
        "organization_id": 1001,
        "organization_name": "Nordlys Webshop ApS",
        "is_pro": True,
        "connected": True,
        "connection_status_reason": None,
        "active": False,
        "book_automatically": False,
        "incomplete_templates": [
            "Invoice",
            "Product (Domestic)",
            "Product (EU)",
            "Product (Outside EU)",
            "Shipping (Domestic)",
            "Shipping (EU)",
            "Shipping (Outside EU)",
        ],
    }


def test_activating_a_non_pro_integration_is_a_409_with_the_reason(api: Api, world: MerchantWorld) -> None:
    # Given
    world.connected()
    # When
    response = api.call("POST", f"/integrations/{NON_PRO}/activate", merchant=MERCHANT)
    # Then
    assert response.status == 409
    assert "Hobbyværkstedet has no Dinero Pro subscription" in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/integrations/{id}"),
        ("POST", "/integrations/{id}/activate"),
        ("GET", "/integrations/{id}/templates/invoice"),
        ("PUT", "/integrations/{id}/links/webshop-1"),
        ("GET", "/integrations/{id}/orders"),
        ("GET", "/integrations/{id}/choices/accounts"),
    ],
)
def test_another_merchants_integration_is_a_404(api: Api, world: MerchantWorld, method: str, path: str) -> None:
    # Given
    theirs = world.activated(OTHER_MERCHANT)
    world.connected(MERCHANT)
    # When
    response = api.call(method, path.format(id=theirs), merchant=MERCHANT)
    # Then
    assert response.status == 404
    assert response.json() == {"message": f"Integration {theirs} not found"}
    assert world.integrations.get_link(MERCHANT, "webshop-1") is None
    assert world.integrations.get_link(OTHER_MERCHANT, "webshop-1") is None


def test_template_body_with_an_unknown_field_is_a_422_naming_it(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call(
        "PUT", f"/integrations/{PRO}/templates/product_eu", merchant=MERCHANT, json_body={"acount_number": 1100}
    )
    # Then
    assert response.status == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "acount_number"]]


def test_template_body_with_a_wrong_type_is_a_422_naming_the_field(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call(
        "PUT", f"/integrations/{PRO}/templates/product_eu", merchant=MERCHANT, json_body={"account_number": "many"}
    )
    # Then
    assert response.status == 422
    assert response.json()["detail"][0]["loc"] == ["body", "account_number"]


def test_unknown_template_kind_is_a_422(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call("GET", f"/integrations/{PRO}/templates/product_mars", merchant=MERCHANT)
    # Then
    assert response.status == 422
    assert response.json()["detail"][0]["loc"] == ["path", "kind"]


def test_template_with_an_account_dinero_does_not_have_is_a_422_with_the_reason(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call(
        "PUT", f"/integrations/{PRO}/templates/product_domestic", merchant=MERCHANT, json_body={"account_number": 9999}
    )
    # Then
    assert response.status == 422
    assert response.json() == {"message": "account_number: account 9999 does not exist in Dinero's chart of accounts"}


def test_saved_template_answers_with_its_vat_code_and_warnings(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When: a 25 % account for Product (Outside EU)
    response = api.call(
        "PUT",
        f"/integrations/{PRO}/templates/product_outside_eu",
        merchant=MERCHANT,
        json_body={"account_number": 1000},
    )
    # Then
    assert response.status == 200
    body = response.json()
    assert body["account_number"] == 1000 and body["label"] == "Product (Outside EU)" and body["missing"] == []
    assert (body["vat_code"], body["vat_rate"]) == ("U25", "0.25")
    assert body["warnings"] == [
        "Product (Outside EU): account 1000 has VAT code U25 (25 %), but exports are VAT-free "
        "(ML § 34, stk. 1, nr. 5): lines would get 25 %"
    ]


def test_oss_configuration_round_trips_and_refuses_an_account_with_vat(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    good = {"liability_account_number": 63100, "countries": {"de": 1160}}
    bad = {"liability_account_number": 63100, "countries": {"DE": 1000}}
    # When
    saved = api.call("PUT", f"/integrations/{PRO}/oss", merchant=MERCHANT, json_body=good)
    refused = api.call("PUT", f"/integrations/{PRO}/oss", merchant=MERCHANT, json_body=bad)
    read = api.call("GET", f"/integrations/{PRO}/oss", merchant=MERCHANT)
    # Then
    none = {"vat_code": "none", "vat_rate": "0"}
    assert saved.status == 200
    assert (
        read.json()
        == saved.json()
        == {
            "enabled": True,
            "liability_account": {"account_number": 63100, **none},
            "countries": {"DE": {"account_number": 1160, **none}},
        }
    )
    assert refused.status == 422
    assert refused.json() == {
        "message": "countries.DE: account 1000 has VAT code U25 (25 %); OSS needs an account without VAT "
        "(VAT code none)"
    }


def test_invoice_template_round_trips_through_get(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    body = {"layout_id": STANDARD_LAYOUT, "payment_condition_type": "Netto", "payment_condition_days": 8}
    api.call("PUT", f"/integrations/{PRO}/templates/invoice", merchant=MERCHANT, json_body=body)
    # When
    response = api.call("GET", f"/integrations/{PRO}/templates/invoice", merchant=MERCHANT)
    # Then
    assert response.status == 200
    assert response.json() == {
        "kind": "invoice",
        "label": "Invoice",
        "account_number": None,
        "vat_code": None,
        "vat_rate": None,
        "layout_id": STANDARD_LAYOUT,
        "payment_condition_type": "Netto",
        "payment_condition_days": 8,
        "missing": [],
    }


def test_choices_answer_with_dineros_accounts_layouts_and_terms(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    accounts = api.call("GET", f"/integrations/{PRO}/choices/accounts", merchant=MERCHANT)
    layouts = api.call("GET", f"/integrations/{PRO}/choices/layouts", merchant=MERCHANT)
    terms = api.call("GET", f"/integrations/{PRO}/choices/payment-conditions", merchant=MERCHANT)
    # Then
    assert accounts.json()[0] == {
        "number": 1000,
        "name": "Salg af varer/ydelser m/moms",
        "vat_code": "U25",
        "vat_rate": "0.25",
    }
    assert 1090 not in [account["number"] for account in accounts.json()]
    assert layouts.json()[0] == {"id": STANDARD_LAYOUT, "name": "Standard", "is_default": True}
    assert {"type": "NettoCash", "takes_days": False} in terms.json()


def test_payment_template_is_off_until_saved_and_then_as_saved(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    before = api.call("GET", f"/integrations/{PRO}/payment-template", merchant=MERCHANT)
    # When
    body = {"register_payments": True, "deposit_account": 55000, "method_accounts": {"QuickPay": 55010}}
    saved = api.call("PUT", f"/integrations/{PRO}/payment-template", json_body=body, merchant=MERCHANT)
    after = api.call("GET", f"/integrations/{PRO}/payment-template", merchant=MERCHANT)
    # Then payment methods are kept in lower case, as Shipmondo's payment_method is matched
    assert before.json() == {"register_payments": False, "deposit_account": None, "method_accounts": {}}
    expected = {"register_payments": True, "deposit_account": 55000, "method_accounts": {"quickpay": 55010}}
    assert saved.status == 200 and saved.json() == expected
    assert after.json() == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"register_payments": True}, "Registering payments needs a deposit_account"),
        ({"register_payments": True, "deposit_account": 1000}, "account 1000 is not a deposit account in Dinero"),
        ({"register_payments": True, "deposit_account": 55090}, "deposit account 55090 is hidden in Dinero"),
    ],
)
def test_payment_template_refuses_what_dinero_cannot_take(
    api: Api, world: MerchantWorld, body: dict[str, object], message: str
) -> None:
    # Given
    world.activated()
    # When
    response = api.call("PUT", f"/integrations/{PRO}/payment-template", json_body=body, merchant=MERCHANT)
    # Then nothing is stored
    assert response.status == 422 and message in response.json()["message"]
    assert world.payment_templates.templates == {}


def test_deposit_account_choices_leave_hidden_accounts_out(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call("GET", f"/integrations/{PRO}/choices/deposit-accounts", merchant=MERCHANT)
    # Then
    assert response.status == 200
    assert response.json() == [
        {"number": 55000, "name": "Bank", "is_default": True},
        {"number": 55010, "name": "Kortindløser (clearing)", "is_default": False},
    ]


def test_payment_template_of_another_merchant_is_a_404(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call("GET", f"/integrations/{PRO}/payment-template", merchant=OTHER_MERCHANT)
    # Then
    assert response.status == 404


def test_dinero_refusing_the_organization_is_a_409_with_its_reason(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    world.dinero.failure = OrganizationNotProError("The organization has no Dinero Pro subscription")
    # When
    response = api.call("GET", f"/integrations/{PRO}/choices/accounts", merchant=MERCHANT)
    # Then
    assert response.status == 409
    assert response.json() == {"message": "The organization has no Dinero Pro subscription"}


def test_dinero_rate_limit_is_a_503_with_retry_after(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    world.dinero.failure = RetryableError("Dinero's rate limit was reached", retry_after_seconds=42)
    # When
    response = api.call("GET", f"/integrations/{PRO}/choices/layouts", merchant=MERCHANT)
    # Then
    assert response.status == 503
    assert response.header("Retry-After") == "42"


def test_book_automatically_takes_only_a_boolean(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    path = f"/integrations/{PRO}/book-automatically"
    # When
    refused = api.call("PUT", path, merchant=MERCHANT, json_body={"enabled": "yes"})
    accepted = api.call("PUT", path, merchant=MERCHANT, json_body={"enabled": True})
    # Then
    assert refused.status == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "enabled"]
    assert accepted.status == 200 and accepted.json()["book_automatically"] is True


def test_linking_a_webshop_linked_to_another_of_the_merchants_integrations_is_a_409(
    api: Api, world: MerchantWorld
) -> None:
    # Given
    world.activated(MERCHANT)
    world.links.link(MERCHANT, world.second_integration(), "webshop-1")
    # When
    response = api.call("PUT", f"/integrations/{PRO}/links/webshop-1", merchant=MERCHANT)
    # Then
    assert response.status == 409
    assert "already linked to another of your accounting integrations" in response.json()["message"]


def test_link_then_unlink_answers_the_link_then_no_content(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    linked = api.call("PUT", f"/integrations/{PRO}/links/webshop-1", merchant=MERCHANT)
    # When
    unlinked = api.call("DELETE", f"/integrations/{PRO}/links/webshop-1", merchant=MERCHANT)
    # Then
    assert linked.status == 200
    assert linked.json()["order_integration_id"] == "webshop-1" and linked.json()["integration_id"] == PRO
    assert unlinked.status == 204 and unlinked.body == b""
    assert api.call("GET", f"/integrations/{PRO}/links", merchant=MERCHANT).json() == []


def test_retrying_a_failed_order_is_accepted_and_answers_the_queued_order(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    record = failed_order(world, PRO)
    # When
    response = api.call("POST", f"/integrations/{PRO}/orders/{record.invoice_guid}/retry", merchant=MERCHANT)
    # Then
    assert response.status == 202
    body = response.json()
    assert body["order_id"] == str(record.invoice_guid)
    assert body["status"] == "queued" and body["order_number"] == "10421"
    assert world.queue.sent == [world.records.events[record.invoice_guid]]


def test_retrying_with_an_order_id_that_is_not_a_uuid_is_a_422(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call("POST", f"/integrations/{PRO}/orders/10421/retry", merchant=MERCHANT)
    # Then
    assert response.status == 422
    assert response.json()["detail"][0]["loc"] == ["path", "order_id"]


def test_orders_are_listed_with_money_as_decimal_strings(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    record = failed_order(world, PRO)
    booked = record.model_copy(
        update={"status": OrderStatus.BOOKED, "reason": None, "invoice_number": 7, "total_incl_vat": Decimal("527.9")}
    )
    world.records.records[record.invoice_guid] = booked
    world.clock.advance(timedelta(minutes=1).total_seconds())
    # When
    response = api.call("GET", f"/integrations/{PRO}/orders", merchant=MERCHANT)
    # Then
    (order,) = response.json()["orders"]
    assert response.json()["next_cursor"] is None
    assert order["total_incl_vat"] == "527.90"
    assert order["status"] == "booked" and order["invoice_number"] == 7


def test_disconnecting_revokes_the_grant_and_integrations_show_it(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call("DELETE", "/connection", merchant=MERCHANT)
    # Then
    assert response.status == 200
    assert response.json() == {"result": "disconnected", "revocation": "revoked"}
    assert world.visma.revoked == [world.visma.issued[0].refresh_token.get_secret_value()]
    (pro,) = [i for i in api.call("GET", "/integrations", merchant=MERCHANT).json() if i["is_pro"]]
    assert pro["connected"] is False and pro["active"] is False
    assert pro["connection_status_reason"] == "Disconnected by the merchant"


def test_disconnecting_while_visma_connect_is_down_still_disconnects_and_says_the_revocation_failed(
    api: Api, world: MerchantWorld
) -> None:
    # Given
    world.activated()
    world.visma.revoke_failure = RetryableError("Visma Connect answered 503 to the revocation")
    # When
    response = api.call("DELETE", "/connection", merchant=MERCHANT)
    # Then
    assert response.status == 200
    assert response.json() == {"result": "disconnected", "revocation": "failed"}
    (pro,) = [i for i in api.call("GET", "/integrations", merchant=MERCHANT).json() if i["is_pro"]]
    assert pro["connected"] is False and pro["active"] is False


def test_disconnecting_when_never_connected_is_a_404(api: Api, world: MerchantWorld) -> None:
    # Given
    merchant = "merchant-without-dinero"
    # When
    response = api.call("DELETE", "/connection", merchant=merchant)
    # Then
    assert response.status == 404
    assert response.json() == {"message": "Dinero is not connected"}


def test_config_route_without_a_merchant_claim_is_a_401_from_the_handler(
    api_without_authorizer: Api, world: MerchantWorld
) -> None:
    # Given: the route reached without the JWT authorizer, so the event has no claims
    world.activated()
    # When
    response = api_without_authorizer.call("POST", f"/integrations/{PRO}/deactivate")
    # Then
    assert response.status == 401
    assert world.integrations.integrations[PRO].active


def test_config_route_with_a_bad_token_is_a_401_from_the_authorizer(api: Api, world: MerchantWorld) -> None:
    # Given
    world.activated()
    # When
    response = api.call("GET", "/integrations", headers={"Authorization": "Bearer forged.token.value"})
    # Then
    assert response.status == 401
    assert response.json() == {"message": "Unauthorized"}


def test_overlong_integration_id_is_a_422_not_a_lookup(api: Api, world: MerchantWorld) -> None:
    # Given
    integration_id = "x" * 65
    # When
    response = api.call("GET", f"/integrations/{integration_id}", merchant=MERCHANT)
    # Then
    assert response.status == 422
    assert response.json()["detail"][0]["loc"] == ["path", "integration_id"]


@pytest.mark.parametrize(
    ("name", "value"), [("limit", "0"), ("limit", "101"), ("limit", "ten"), ("cursor", ""), ("cursor", "x" * 600)]
)
def test_orders_page_outside_the_bounds_is_a_422_naming_the_parameter(
    api: Api, world: MerchantWorld, name: str, value: str
) -> None:
    # Given
    world.activated()
    # When
    response = api.call("GET", f"/integrations/{PRO}/orders", merchant=MERCHANT, query={name: value})
    # Then
    assert response.status == 422
    assert response.json()["detail"][0]["loc"] == ["query", name]
