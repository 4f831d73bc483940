"""Security over HTTP: authentication, one merchant never reaching another's data, the OAuth state, bad input,
and tokens and client secrets never leaving the system (not in a response, not in a log line, not in plain text
in the table)."""

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr

from dinero_bookkeeping.adapters.dynamodb_oauth_states import state_key
from dinero_bookkeeping.adapters.dynamodb_pending_connections import handle_key
from dinero_bookkeeping.domain.integration import connection_id_for
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.wiring import api_adapters
from infra.local.dev_jwt import issue_token
from infra.local.dinero_sandbox import DEMO_CLIENT_SECRET, DEMO_OTHER_USER, DEMO_PRO_ORG_ID
from infra.local.system import DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, LocalSystem
from support.events import order_event
from support.gateway_api import template_routes
from support.merchant_client import MerchantClient, redirect_outcome

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

MERCHANT, OTHER_MERCHANT = "merchant-1", "merchant-2"
ACCOUNTS = {"product_domestic": 1000, "shipping_domestic": 1350}


def configured(client: MerchantClient, webshop: str | None = "webshop-1", **sandbox_options: str) -> str:
    """Connected, the Pro integration activated with the domestic templates, book automatically, webshop linked."""
    assert client.connect_dinero(**sandbox_options)["result"] == "connected"
    integration_id: str = next(i["integration_id"] for i in client.get("/integrations").json() if i["is_pro"])
    base = f"/integrations/{integration_id}"
    assert client.post(f"{base}/activate").status_code == 200
    layout = next(lt["id"] for lt in client.get(f"{base}/choices/layouts").json() if lt["is_default"])
    invoice = {"layout_id": layout, "payment_condition_type": "Netto", "payment_condition_days": 8}
    assert client.put(f"{base}/templates/invoice", json=invoice).status_code == 200
    for kind, number in ACCOUNTS.items():
        assert client.put(f"{base}/templates/{kind}", json={"account_number": number}).status_code == 200
    assert client.put(f"{base}/book-automatically", json={"enabled": True}).status_code == 200
    if webshop is not None:
        assert client.put(f"{base}/links/{webshop}").status_code == 200
    return integration_id


def concrete(path: str, integration_id: str, order_id: str = "00000000-0000-4000-8000-000000000000") -> str:
    return (
        path.replace("{integration_id}", integration_id)
        .replace("{kind}", "product_domestic")
        .replace("{order_integration_id}", "webshop-1")
        .replace("{order_id}", order_id)
    )


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the process at DEBUG: the package's own logger (which does not propagate) and all others."""
    stream = io.StringIO()
    ours = logging.StreamHandler(stream)
    ours.setFormatter(logger.registered_formatter)
    everything_else = logging.StreamHandler(stream)
    loggers = {logging.getLogger(logger.name): ours, logging.getLogger(): everything_else}
    levels = {std_logger: std_logger.level for std_logger in loggers}
    for std_logger, handler in loggers.items():
        std_logger.addHandler(handler)
        std_logger.setLevel(logging.DEBUG)
    yield stream
    for std_logger, handler in loggers.items():
        std_logger.removeHandler(handler)
        std_logger.setLevel(levels[std_logger])


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic bWVyY2hhbnQtMTpwdw=="])
def test_every_authenticated_route_refuses_a_missing_or_bad_token(
    system: LocalSystem, authorization: str | None
) -> None:
    # Given
    routes = [route for route in template_routes() if route.requires_auth]
    headers = {"Authorization": authorization} if authorization else {}
    session = MerchantClient(system, MERCHANT).session
    # When
    statuses = {
        f"{route.method} {route.path}": session.request(
            route.method, system.gateway_url + concrete(route.path, "any"), headers=headers, timeout=30
        ).status_code
        for route in routes
    }
    # Then
    assert len(statuses) == 30
    assert set(statuses.values()) == {401}


def test_token_signed_by_someone_else_is_refused(system: LocalSystem) -> None:
    # Given a well-formed token for merchant-1, with the right issuer and audience but the wrong key
    forged = issue_token("not-the-issuers-key", subject=MERCHANT, issuer=DEV_JWT_ISSUER, audience=DEV_JWT_AUDIENCE)
    # When
    response = MerchantClient(system, MERCHANT).session.get(
        f"{system.gateway_url}/integrations", headers={"Authorization": f"Bearer {forged}"}, timeout=30
    )
    # Then
    assert response.status_code == 401


def test_another_merchant_can_neither_see_nor_change_anything(system: LocalSystem) -> None:
    # Given merchant-1, configured, with one booked order; and merchant-2, connected to another Dinero user
    assert system.sandbox is not None
    owner = MerchantClient(system, MERCHANT)
    integration_id = configured(owner)
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    (order,) = owner.get(f"/integrations/{integration_id}/orders").json()["orders"]
    intruder = MerchantClient(system, OTHER_MERCHANT)
    assert intruder.connect_dinero(sandbox_user=DEMO_OTHER_USER)["result"] == "connected"
    before = owner.get(f"/integrations/{integration_id}").json()
    # When merchant-2 calls every route that names merchant-1's integration
    answers = {
        f"{route.method} {route.path}": intruder.call(
            route.method,
            concrete(route.path, integration_id, order["order_id"]),
            json={"enabled": False} if route.path.endswith("book-automatically") else {},
        )
        for route in template_routes()
        if "{integration_id}" in route.path
    }
    # Then each is a 404 that reveals nothing, and nothing of merchant-1's changed
    assert len(answers) == 20
    assert {key: answer.status_code for key, answer in answers.items() if answer.status_code != 404} == {}
    assert {answer.json()["message"] for answer in answers.values()} == {f"Integration {integration_id} not found"}
    assert owner.get(f"/integrations/{integration_id}").json() == before
    assert [link["order_integration_id"] for link in owner.get(f"/integrations/{integration_id}/links").json()] == [
        "webshop-1"
    ]
    assert [i["organization_name"] for i in intruder.get("/integrations").json()] == ["Andet Firma ApS"]


def test_replayed_callback_is_rejected_with_nothing_created(system: LocalSystem) -> None:
    # Given a callback that has been used once, and its connection completed and then disconnected
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    form = client.consent(client.start_connect())
    outcome = redirect_outcome(client.submit(form))
    assert client.complete(outcome["handle"]).status_code == 200
    client.delete("/connection")
    exchanges = system.sandbox.state.counters.get("tokens_issued", 0)
    # When the same form is posted again
    replayed = client.submit(form)
    # Then
    assert redirect_outcome(replayed) == {"dinero": "error", "reason": "invalid_state"}
    assert system.sandbox.state.counters.get("tokens_issued", 0) == exchanges
    assert api_adapters().connections.load_tokens(connection_id_for(MERCHANT)) is None


def test_expired_state_is_rejected_with_nothing_created(system: LocalSystem) -> None:
    # Given a consent given after the state's 10 minutes ran out (DynamoDB's TTL has not removed it yet)
    client = MerchantClient(system, MERCHANT)
    form = client.consent(client.start_connect())
    api_adapters().table.update_item(
        Key=state_key(form.fields["state"]),
        UpdateExpression="SET expires_at = expires_at - :ten_minutes",
        ExpressionAttributeValues={":ten_minutes": 600},
    )
    # When
    response = client.submit(form)
    # Then
    assert redirect_outcome(response) == {"dinero": "error", "reason": "expired_state"}
    assert client.get("/integrations").json() == []


def test_made_up_state_is_rejected_with_nothing_created(system: LocalSystem) -> None:
    # Given
    client = MerchantClient(system, MERCHANT)
    form = client.consent(client.start_connect())
    # When
    response = client.submit(form.__class__(form.action, {**form.fields, "state": "guessed-state"}))
    # Then
    assert redirect_outcome(response) == {"dinero": "error", "reason": "invalid_state"}
    assert client.get("/integrations").json() == []


def test_the_callback_never_exchanges_a_code(system: LocalSystem) -> None:
    # Given a merchant who consented
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    form = client.consent(client.start_connect())
    # When Visma Connect's answer reaches the public callback
    outcome = redirect_outcome(client.submit(form))
    # Then nothing asked Visma Connect for tokens, and nothing is connected until the app completes
    assert outcome["dinero"] == "complete"
    assert [entry.path for entry in system.sandbox.state.request_log if entry.path.startswith("/connect/")] == [
        "/connect/authorize"
    ]
    assert system.sandbox.state.counters.get("tokens_issued", 0) == 0
    assert client.get("/integrations").json() == []
    assert api_adapters().connections.get_connection(connection_id_for(MERCHANT)) is None


def test_merchant_b_finishing_merchant_as_flow_connects_nothing_and_reveals_nothing(system: LocalSystem) -> None:
    # Given merchant-1 (the attacker) starts connecting and gets merchant-2 (the victim) to open the authorize link;
    # merchant-2 consents with their own Visma user and their browser comes back to the app with a handle
    assert system.sandbox is not None
    attacker, victim = MerchantClient(system, MERCHANT), MerchantClient(system, OTHER_MERCHANT)
    attackers_link = attacker.start_connect()
    outcome = redirect_outcome(victim.submit(victim.consent(attackers_link, sandbox_user=DEMO_OTHER_USER)))
    assert outcome["dinero"] == "complete"
    # When merchant-2's app completes it with merchant-2's token
    response = victim.complete(outcome["handle"])
    # Then a 404 like any unknown handle, which names nobody; no code was exchanged, nobody is connected
    assert response.status_code == 404
    assert response.json() == victim.complete("made-up-handle").json()
    assert MERCHANT not in response.text and "Andet Firma" not in response.text
    assert system.sandbox.state.counters.get("tokens_issued", 0) == 0
    assert attacker.get("/integrations").json() == [] and victim.get("/integrations").json() == []
    # ... and the handle is used up: not even the merchant who started the attempt can complete it now
    assert attacker.complete(outcome["handle"]).status_code == 404
    assert attacker.get("/integrations").json() == []


def test_replayed_handle_is_refused_with_nothing_exchanged_again(system: LocalSystem) -> None:
    # Given a connection completed with its handle
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    outcome = redirect_outcome(client.callback())
    assert client.complete(outcome["handle"]).status_code == 200
    # When the same handle is posted again
    replayed = client.complete(outcome["handle"])
    # Then
    assert replayed.status_code == 404
    assert system.sandbox.state.counters["tokens_issued"] == 1


def test_expired_handle_is_refused_with_nothing_created(system: LocalSystem) -> None:
    # Given a handle older than its 10 minutes (DynamoDB's TTL has not removed it yet)
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    outcome = redirect_outcome(client.callback())
    api_adapters().table.update_item(
        Key=handle_key(outcome["handle"]),
        UpdateExpression="SET expires_at = expires_at - :ten_minutes",
        ExpressionAttributeValues={":ten_minutes": 600},
    )
    # When
    response = client.complete(outcome["handle"])
    # Then
    assert response.status_code == 404
    assert system.sandbox.state.counters.get("tokens_issued", 0) == 0
    assert client.get("/integrations").json() == []


def test_code_from_one_merchants_consent_cannot_connect_another_merchant(system: LocalSystem) -> None:
    # Given merchant-2's state, and a code merchant-1's browser got for merchant-1's own authorize request
    victim = MerchantClient(system, OTHER_MERCHANT)
    victims_form = victim.consent(victim.start_connect())
    attacker = MerchantClient(system, MERCHANT)
    attackers_form = attacker.consent(attacker.start_connect())
    # When merchant-1's code is posted with merchant-2's state (the PKCE verifier belongs to merchant-2's attempt)
    injected = attacker.submit(
        attackers_form.__class__(victims_form.action, {**attackers_form.fields, "state": victims_form.fields["state"]})
    )
    # ... and merchant-2's app is lured to the handle of that callback
    refused = victim.complete(redirect_outcome(injected)["handle"])
    # Then Visma Connect refuses the exchange (PKCE) and merchant-2 gets no connection
    assert refused.status_code == 409 and "connect Dinero again" in refused.json()["message"]
    assert victim.get("/integrations").json() == []


def test_malformed_bodies_are_422_naming_the_field(system: LocalSystem) -> None:
    # Given
    client = MerchantClient(system, MERCHANT)
    integration_id = configured(client)
    base = f"/integrations/{integration_id}"
    # When
    unknown_field = client.put(f"{base}/templates/product_eu", json={"account": 1100})
    not_json = client.put(
        f"{base}/book-automatically", data="enabled=yes", headers={"Content-Type": "application/json"}
    )
    wrong_type = client.put(f"{base}/templates/invoice", json={"payment_condition_days": "eight"})
    # Then
    assert unknown_field.status_code == 422 and unknown_field.json()["detail"][0]["loc"] == ["body", "account"]
    assert not_json.status_code == 422
    assert wrong_type.status_code == 422
    assert wrong_type.json()["detail"][0]["loc"] == ["body", "payment_condition_days"]


def test_tokens_and_client_secret_appear_in_no_response_no_log_line_and_not_in_plain_text_at_rest(
    system: LocalSystem, captured_logs: io.StringIO
) -> None:
    # Given the whole flow: connect, callback, configure, an order that needs a token refresh, and the history
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    integration_id = configured(client)
    connections = api_adapters().connections
    first = connections.load_tokens(connection_id_for(MERCHANT))
    system.sandbox.state.expire_access_tokens()
    system.send_order(order_event("danish_private"))
    system.drain_orders()
    history = client.get(f"/integrations/{integration_id}/orders").json()["orders"]
    second = connections.load_tokens(connection_id_for(MERCHANT))
    assert first is not None and second is not None and second.version > first.version
    assert [order["status"] for order in history] == ["booked"]
    assert system.sandbox.state.invoices(DEMO_PRO_ORG_ID)
    secrets = {
        DEMO_CLIENT_SECRET,
        *(stored.tokens.access_token.get_secret_value() for stored in (first, second)),
        *(stored.tokens.refresh_token.get_secret_value() for stored in (first, second)),
    }
    # When
    logs = captured_logs.getvalue()
    responses = [f"{r.url} {r.status_code} {dict(r.headers)} {r.text}" for r in client.responses]
    table_text = _table_text(connection_id_for(MERCHANT))
    # Then
    assert "dinero connected" in logs and "invoice booked" in logs  # the capture saw the flow
    assert len(responses) >= 12
    assert [secret for secret in secrets if secret in logs] == []
    assert [secret for secret in secrets if any(secret in response for response in responses)] == []
    assert [secret for secret in secrets if secret in table_text] == []


def _table_text(connection_id: str) -> str:
    items: list[dict[str, Any]] = api_adapters().table.scan(FilterExpression=Attr("pk").exists())["Items"]
    assert any(item["pk"] == f"CONNECTION#{connection_id}" and "token_ciphertext" in item for item in items)
    return repr(items)


def test_a_failed_revocation_is_logged_without_the_token_and_the_token_is_deleted_anyway(
    system: LocalSystem, captured_logs: io.StringIO
) -> None:
    # Given a connected merchant, and Visma Connect refusing the revocation for good
    assert system.sandbox is not None
    client = MerchantClient(system, MERCHANT)
    client.connect_dinero()
    stored = api_adapters().connections.load_tokens(connection_id_for(MERCHANT))
    assert stored is not None
    system.sandbox.faults.add("POST", "/connect/revocation", kind="status", status=400)
    # When
    response = client.delete("/connection")
    # Then
    assert response.json() == {"result": "disconnected", "revocation": "failed"}
    logs = captured_logs.getvalue()
    assert "dinero grant revocation failed" in logs
    secrets = [stored.tokens.refresh_token.get_secret_value(), stored.tokens.access_token.get_secret_value()]
    assert [secret for secret in secrets if secret in logs or secret in response.text] == []
    items = api_adapters().table.scan(FilterExpression=Attr("pk").exists())["Items"]
    assert [item["pk"] for item in items if "token_ciphertext" in item] == []
