"""Shipmondo end to end over loopback: the sandbox's signed webhooks, the catch-up poll and backfills, through the
deployed routes, functions and queue, into the Dinero sandbox."""

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from infra.local.demo import ACCOUNTS, MERCHANT, MerchantApi, connect_dinero
from infra.local.demo_shipmondo import API_KEY, API_USER, WEBHOOK_KEY, WEBSHOP, connect_shipmondo, sandbox_orders
from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from infra.local.shipmondo_sandbox.delivery import signed_body
from infra.local.system import LocalSystem
from infra.operator_cli import Operator, Resources
from infra.operator_cli import main as operator_main


def _configured(system: LocalSystem) -> tuple[MerchantApi, str]:
    """The demo merchant with Dinero connected and configured, Shipmondo connected, its webshop linked."""
    api = MerchantApi(system.gateway_url, system.merchant_token(MERCHANT))
    handle = parse_qs(urlsplit(connect_dinero(api)).query)["handle"][0]
    api.call("POST", "/oauth/complete", {"handle": handle})
    integration = next(org for org in api.call("GET", "/integrations") if org["is_pro"])["integration_id"]
    api.call("POST", f"/integrations/{integration}/activate")
    layout = next(layout for layout in api.call("GET", f"/integrations/{integration}/choices/layouts"))
    invoice = {"layout_id": layout["id"], "payment_condition_type": "Netto", "payment_condition_days": 8}
    api.call("PUT", f"/integrations/{integration}/templates/invoice", invoice)
    for kind, number in {**ACCOUNTS, "product_eu": 1100}.items():
        api.call("PUT", f"/integrations/{integration}/templates/{kind}", {"account_number": number})
    api.call("PUT", f"/integrations/{integration}/book-automatically", {"enabled": True})
    connect_shipmondo(system, api)
    api.call("PUT", f"/integrations/{integration}/links/{WEBSHOP}")
    return api, integration


def _orders(api: MerchantApi, integration: str) -> list[dict[str, Any]]:
    return list(api.call("GET", f"/integrations/{integration}/orders?limit=100")["orders"])


def test_connecting_registers_the_webhooks_once_and_disconnecting_removes_them(system: LocalSystem) -> None:
    api, _ = _configured(system)
    account = system.shipmondo.state.accounts[API_USER]
    assert sorted(hook["action"] for hook in account.webhooks.values()) == [
        "create_fulfillment",
        "create_shipment",
        "payment_captured",
        "status_update",
    ]
    again = {"api_user": API_USER, "api_key": API_KEY, "webhook_key": WEBHOOK_KEY}
    api.call("PUT", "/shipmondo/connection", again)  # saving again keeps them
    assert len(account.webhooks) == 4
    shown = api.call("GET", "/shipmondo/connection")
    assert "api_key" not in json.dumps(shown) and "webhook_key" not in json.dumps(shown)
    assert api.call("DELETE", "/shipmondo/connection")["webhooks_removed"] == 4
    assert account.webhooks == {}
    api.call("GET", "/shipmondo/connection", expect=404)


def test_wrong_credentials_are_refused_on_save(system: LocalSystem) -> None:
    api = MerchantApi(system.gateway_url, system.merchant_token(MERCHANT))
    system.shipmondo.state.add_account("someone", "right-key", "Someone ApS")
    body = {"api_user": "someone", "api_key": "wrong-key"}
    assert "refused" in api.call("PUT", "/shipmondo/connection", body, expect=422)["message"]


def test_a_dropped_webhook_is_recovered_by_the_poll_and_duplicates_give_one_invoice(system: LocalSystem) -> None:
    api, integration = _configured(system)
    state = system.shipmondo.state
    first, second = (state.add_order(API_USER, order) for order in sandbox_orders()[:2])
    state.fulfil(API_USER, first["id"])
    state.drop_deliveries(1)
    state.fulfil(API_USER, second["id"])
    assert [delivery.dropped for delivery in state.deliveries] == [False, True]
    system.drain_orders()
    assert [order["order_number"] for order in _orders(api, integration)] == [first["order_id"]]

    system.run_schedules()  # the poll reads both; the first is recorded already, the second is enqueued
    system.drain_orders()
    system.run_schedules()  # nothing new
    system.drain_orders()
    orders = _orders(api, integration)
    assert sorted(order["order_number"] for order in orders) == sorted([first["order_id"], second["order_id"]])
    assert {order["status"] for order in orders} == {"booked"}
    assert system.sandbox is not None
    references = [invoice["ExternalReference"] for invoice in system.sandbox.state.invoices(DEMO_PRO_ORG_ID)]
    assert sorted(references) == sorted([first["order_id"], second["order_id"]])
    assert api.call("GET", "/shipmondo/connection")["last_poll_result"].startswith("Read 2 fulfilments")


def test_a_webhook_and_the_poll_enqueueing_the_same_fulfilment_give_one_invoice(system: LocalSystem) -> None:
    api, integration = _configured(system)
    state = system.shipmondo.state
    order = state.add_order(API_USER, sandbox_orders()[0])
    state.fulfil(API_USER, order["id"])  # the webhook enqueues it ...
    system.run_schedules()  # ... and the poll too, before the worker has recorded it
    assert system.session is not None and system.resources is not None
    attributes = system.session.client("sqs").get_queue_attributes(
        QueueUrl=system.resources.order_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "2"
    system.drain_orders()
    assert [(o["order_number"], o["status"]) for o in _orders(api, integration)] == [(order["order_id"], "booked")]
    assert system.sandbox is not None
    references = [invoice["ExternalReference"] for invoice in system.sandbox.state.invoices(DEMO_PRO_ORG_ID)]
    assert references == [order["order_id"]]


def test_a_paid_order_by_webhook_is_invoiced_and_paid_and_a_return_whose_webhook_was_lost_is_credited(
    system: LocalSystem,
) -> None:
    # Given payments registered on the bank
    api, integration = _configured(system)
    api.call(
        "PUT", f"/integrations/{integration}/payment-template", {"register_payments": True, "deposit_account": 55000}
    )
    state = system.shipmondo.state
    assert system.sandbox is not None
    dinero = system.sandbox.state
    (order,) = (state.add_order(API_USER, sales_order) for sales_order in sandbox_orders(("danish_private",)))
    # When the order is paid and fulfilled, each announced by its webhook
    state.capture_payment(API_USER, order["id"])
    state.fulfil(API_USER, order["id"])
    system.drain_orders()
    # Then its invoice is booked and paid in full, once
    (invoice,) = dinero.invoices(DEMO_PRO_ORG_ID)
    assert (invoice["Status"], invoice["PaymentStatus"]) == ("Booked", "Paid")
    (payment,) = dinero.payments(DEMO_PRO_ORG_ID, invoice["Guid"])
    assert payment["DepositAccountNumber"] == 55000 and payment["Amount"] == invoice["TotalInclVat"]

    # When one T-shirt comes back and the return's webhook is lost
    state.drop_deliveries(1)
    state.return_goods(API_USER, order["id"], {1101: "1.0"})
    system.drain_orders()
    assert dinero.credit_notes(DEMO_PRO_ORG_ID) == []
    # Then the poll brings the return (and nothing it already booked), and it is credited once
    system.run_schedules()
    system.drain_orders()
    system.run_schedules()
    system.drain_orders()
    (credit_note,) = dinero.credit_notes(DEMO_PRO_ORG_ID)
    assert (credit_note["CreditNoteFor"], credit_note["Status"]) == (invoice["Guid"], "Booked")
    assert [line["Quantity"] for line in credit_note["ProductLines"]] == [1]
    assert len(dinero.invoices(DEMO_PRO_ORG_ID)) == 1 and len(dinero.payments(DEMO_PRO_ORG_ID, invoice["Guid"])) == 1
    assert api.call("GET", "/shipmondo/connection")["last_poll_result"].endswith("enqueued 0")


def test_a_cancelled_order_by_webhook_credits_its_booked_invoice(system: LocalSystem) -> None:
    _configured(system)
    state = system.shipmondo.state
    assert system.sandbox is not None
    dinero = system.sandbox.state
    (order,) = (state.add_order(API_USER, sales_order) for sales_order in sandbox_orders(("danish_private",)))
    state.fulfil(API_USER, order["id"])
    system.drain_orders()
    (invoice,) = dinero.invoices(DEMO_PRO_ORG_ID)
    state.cancel(API_USER, order["id"])
    system.drain_orders()
    system.run_schedules()  # the poll reads the cancelled order too: its cancellation is recorded already
    system.drain_orders()
    (credit_note,) = dinero.credit_notes(DEMO_PRO_ORG_ID)
    assert credit_note["CreditNoteFor"] == invoice["Guid"] and credit_note["TotalInclVat"] == invoice["TotalInclVat"]


def _bad_webhook(system: LocalSystem, hook_url: str, body: str) -> requests.Response:
    return requests.post(hook_url, data=body, headers={"SMD-Action": "create_fulfillment"}, timeout=10)


def test_bad_webhooks_are_answered_4xx_and_kept_with_the_reason(system: LocalSystem) -> None:
    _configured(system)
    account = system.shipmondo.state.accounts[API_USER]
    hook_url = next(iter(account.webhooks.values()))["endpoint"]
    claims = {"webhook": {"action": "create_fulfillment"}, "data": {"id": 1}}
    forged = json.dumps({"data": jwt.encode(claims, "not-the-merchants-key-0123456789abcdef", algorithm="HS256")})
    assert _bad_webhook(system, hook_url, forged).status_code == 401
    assert _bad_webhook(system, hook_url, "not json").status_code == 400
    key = next(iter(account.webhooks.values()))["key"]
    not_an_order = json.dumps({"data": jwt.encode(claims, key, algorithm="HS256")})
    assert _bad_webhook(system, hook_url, not_an_order).status_code == 422
    assert _bad_webhook(system, hook_url.rsplit("/", 1)[0] + "/guessed", forged).status_code == 404
    assert system.resources is not None and system.session is not None
    operator = Operator(Resources(system.resources.table_name, system.resources.order_queue_url, ""), system.session)
    reasons = [event.reason for event in operator.records.rejected_events([datetime.now(UTC).date()])]
    assert len(reasons) == 4 and all(reason.startswith("Shipmondo webhook:") for reason in reasons)
    assert any("Not signed" in reason for reason in reasons)


def test_a_shipmondo_500_mid_page_loses_nothing(system: LocalSystem) -> None:
    api, _ = _configured(system)
    state = system.shipmondo.state
    template = sandbox_orders()[0]
    orders = []
    for number in range(51):  # two pages of 50
        order = copy.deepcopy(template) | {"id": 700_000 + number, "order_id": str(70_000 + number)}
        orders.append(state.add_order(API_USER, order))
    state.drop_deliveries(len(orders))
    for order in orders:
        state.fulfil(API_USER, order["id"])
    before = api.call("GET", "/shipmondo/connection")["poll_watermark"]
    state.fail("/sales_orders", 500, skip=1)  # page 1 answers, page 2 fails
    system.run_schedules()
    stalled = api.call("GET", "/shipmondo/connection")
    assert stalled["poll_watermark"] == before and stalled["last_poll_result"].startswith("Stopped, watermark kept")
    system.run_schedules()
    assert api.call("GET", "/shipmondo/connection")["poll_watermark"] > before
    assert system.session is not None and system.resources is not None
    sqs = system.session.client("sqs")
    event_ids: set[str] = set()
    while messages := sqs.receive_message(
        QueueUrl=system.resources.order_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
    ).get("Messages", []):
        event_ids |= {json.loads(message["Body"])["event_id"] for message in messages}
    stored = state.accounts[API_USER].orders
    expected = {f"shipmondo:{order['id']}:{stored[order['id']]['order_fulfillments'][0]['id']}" for order in orders}
    assert event_ids == expected


def test_backfill_enqueues_the_period_and_skips_invoiced_orders(system: LocalSystem) -> None:
    api, integration = _configured(system)
    state = system.shipmondo.state
    invoiced, missed = (state.add_order(API_USER, order) for order in sandbox_orders()[:2])
    state.fulfil(API_USER, invoiced["id"])  # arrives by webhook
    state.drop_deliveries(1)
    state.fulfil(API_USER, missed["id"])
    system.drain_orders()
    now = datetime.now(UTC)
    period = {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()}
    started = api.call("POST", "/shipmondo/backfills", period, expect=202)
    system.run_schedules()  # the poll takes one step of each running backfill
    system.drain_orders()
    progress = api.call("GET", f"/shipmondo/backfills/{started['backfill_id']}")
    assert progress["status"] == "done"
    assert progress["found"] == 2
    assert progress["already_invoiced"] + progress["enqueued"] == 2
    assert progress["invoiced"] == progress["enqueued"]
    assert sorted(order["order_number"] for order in _orders(api, integration)) == sorted(
        [invoiced["order_id"], missed["order_id"]]
    )


def test_operator_backfill_shows_progress_and_skips_invoiced_orders(
    system: LocalSystem, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert system.resources is not None
    monkeypatch.setenv("ORDER_DEAD_LETTER_QUEUE_URL", system.resources.order_dead_letter_queue_url)
    api, integration = _configured(system)
    state = system.shipmondo.state
    invoiced, missed = (state.add_order(API_USER, order) for order in sandbox_orders()[:2])
    state.fulfil(API_USER, invoiced["id"])
    state.drop_deliveries(1)
    state.fulfil(API_USER, missed["id"])
    system.drain_orders()
    system.start_pollers()  # the worker books in the background while the operator waits
    now = datetime.now(UTC)
    period = ["--from", (now - timedelta(hours=1)).isoformat(), "--to", (now + timedelta(minutes=1)).isoformat()]
    operator_main(["backfill", MERCHANT, *period, "--pause", "0", "--wait", "60"])
    output = capsys.readouterr().out
    assert "[##############################] page 1/1" in output
    assert "found 2  enqueued 1  already invoiced 1  unlinked 0  invoiced 1" in output
    assert output.rstrip().endswith("done")
    assert sorted(order["order_number"] for order in _orders(api, integration)) == sorted(
        [invoiced["order_id"], missed["order_id"]]
    )


def test_a_large_order_fits_the_webhook_route(system: LocalSystem) -> None:
    _configured(system)
    state = system.shipmondo.state
    order = sandbox_orders()[0]
    item = next(line for line in order["order_lines"] if line["line_type"] == "item")
    order["order_lines"] = [{**item, "id": 60_000 + number} for number in range(150)]
    state.add_order(API_USER, order)
    state.fulfil(API_USER, order["id"])
    hook = next(hook for hook in state.accounts[API_USER].webhooks.values() if hook["action"] == "create_fulfillment")
    body = signed_body(hook, state.accounts[API_USER].orders[order["id"]], WEBHOOK_KEY)
    assert len(body) > 64 * 1024  # above the configuration API's body bound
    assert state.deliveries[-1].status == 200
