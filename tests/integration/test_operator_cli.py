"""The operator console script against the embedded runtime (moto server), as an operator would use it."""

import json
from pathlib import Path

import pytest

from dinero_bookkeeping.adapters.sqs_queue import OWNING_INTEGRATION_ATTRIBUTE
from dinero_bookkeeping.domain.templates import Template, TemplateKind
from dinero_bookkeeping.wiring import worker_adapters
from infra.local.system import LocalSystem
from infra.operator_cli import main
from support.events import order_event
from support.seed import connect_merchant, order_records


@pytest.fixture
def operator_env(system: LocalSystem, monkeypatch: pytest.MonkeyPatch) -> LocalSystem:
    assert system.resources is not None
    monkeypatch.setenv("ORDER_DEAD_LETTER_QUEUE_URL", system.resources.order_dead_letter_queue_url)
    return system


def test_send_order_from_a_file_books_it_and_status_counts_it(
    operator_env: LocalSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given
    integration_id = connect_merchant(operator_env)
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(order_event("danish_private")))
    # When
    main(["send-order", str(order_file)])
    operator_env.drain_orders()
    main(["status", integration_id])
    # Then
    output = capsys.readouterr().out
    assert "sent order.handled of order 10421 of webshop webshop-1" in output
    assert "orders: booked 1" in output and "connection: connected" in output
    assert "Lene" not in output and "example.dk" not in output


def test_send_order_refuses_a_file_that_is_not_an_event(operator_env: LocalSystem, tmp_path: Path) -> None:
    # Given
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps({"event_type": "order.handled"}))
    # When / Then
    with pytest.raises(SystemExit, match=r"is not an order event .*sales_order"):
        main(["send-order", str(order_file)])


def test_failed_order_is_listed_and_retried_after_the_cause_is_fixed(
    operator_env: LocalSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: a VAT-free order to an EU business while Product (EU) has no account
    integration_id = connect_merchant(operator_env, product_eu=None)
    operator_env.send_order(order_event("eu_business_de_reverse_charge"))
    operator_env.drain_orders()
    (record,) = order_records(integration_id)
    # When
    main(["failed"])
    listed = capsys.readouterr().out
    worker_adapters().integrations.put_template(
        integration_id, Template(kind=TemplateKind.PRODUCT_EU, account_number=1100)
    )
    main(["retry", integration_id, str(record["invoice_guid"])])
    operator_env.drain_orders()
    # Then
    assert f"order {record['invoice_guid']} (order number 10431): Product (EU) has no account" in listed
    assert "1 failed order(s)" in listed
    assert order_records(integration_id)[0]["status"] in {"booked", "draft"}
    assert order_records(integration_id)[0]["attempts"] == 2


def test_redrive_moves_dead_letters_back_to_the_queue(
    operator_env: LocalSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: an order that exhausted its receives sits in the dead-letter queue
    assert operator_env.session is not None and operator_env.resources is not None
    integration_id = connect_merchant(operator_env)
    sqs = operator_env.session.client("sqs")
    sqs.send_message(
        QueueUrl=operator_env.resources.order_dead_letter_queue_url,
        MessageBody=json.dumps(order_event("danish_private")),
    )
    # When
    main(["redrive-dlq"])
    operator_env.drain_orders()
    # Then
    assert "moved 1 message(s)" in capsys.readouterr().out
    assert order_records(integration_id)[0]["status"] == "booked"


def test_redrive_keeps_the_owning_integration_of_a_retried_order(operator_env: LocalSystem) -> None:
    # Given: a retried order (its message names the integration that owns it) in the dead-letter queue
    assert operator_env.session is not None and operator_env.resources is not None
    sqs = operator_env.session.client("sqs")
    sqs.send_message(
        QueueUrl=operator_env.resources.order_dead_letter_queue_url,
        MessageBody=json.dumps(order_event("danish_private")),
        MessageAttributes={OWNING_INTEGRATION_ATTRIBUTE: {"DataType": "String", "StringValue": "integration-7"}},
    )
    # When
    main(["redrive-dlq"])
    # Then: back on the order queue with the same owner
    (message,) = sqs.receive_message(
        QueueUrl=operator_env.resources.order_queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1
    )["Messages"]
    assert message["MessageAttributes"][OWNING_INTEGRATION_ATTRIBUTE]["StringValue"] == "integration-7"
