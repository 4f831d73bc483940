import base64
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto.server import ThreadedMotoServer

from infra.local.sqs_poller import BatchResult, SqsPoller

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
FUNCTION_NAME = "order-worker"


@dataclass
class Queues:
    url: str
    arn: str
    dlq_url: str


@dataclass
class RecordingHandler:
    """A Lambda handler that remembers each event and answers with `respond(event)`."""

    respond: Callable[[dict[str, Any]], dict[str, Any] | None]
    events: list[dict[str, Any]] = field(default_factory=list)
    contexts: list[LambdaContext] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
        self.events.append(event)
        self.contexts.append(context)
        return self.respond(event)

    def bodies_seen(self) -> list[str]:
        return [record["body"] for event in self.events for record in event["Records"]]


@pytest.fixture(scope="module")
def sqs() -> Iterator["SQSClient"]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield boto3.client(
            "sqs",
            endpoint_url=f"http://{host}:{port}",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    finally:
        server.stop()


@pytest.fixture
def queues(sqs: "SQSClient") -> Queues:
    """A fresh queue (redelivering at once, to the DLQ after 2 receives) per test, so tests share no state."""
    name = f"orders-{uuid.uuid4().hex[:12]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive_policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
    attributes: dict[QueueAttributeNameType, str] = {"VisibilityTimeout": "0", "RedrivePolicy": redrive_policy}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queues(url=url, arn=arn, dlq_url=dlq_url)


def _send(sqs: "SQSClient", queue_url: str, *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)


def _poller(sqs: "SQSClient", queues: Queues, handler: RecordingHandler, **options: Any) -> SqsPoller:
    return SqsPoller(sqs, queues.url, handler, function_name=FUNCTION_NAME, wait_time_s=0, **options)


def _fail_bodies(*bodies: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def respond(event: dict[str, Any]) -> dict[str, Any]:
        failed = [record["messageId"] for record in event["Records"] if record["body"] in bodies]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    return respond


def _remaining_bodies(sqs: "SQSClient", queue_url: str) -> list[str]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def test_poll_once_handler_succeeds_deletes_every_message(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "a", "b", "c")
    handler = RecordingHandler(respond=lambda event: {"batchItemFailures": []})

    # When
    result = _poller(sqs, queues, handler).poll_once()

    # Then
    assert result == BatchResult(received=3, succeeded=3, failed=0)
    assert sorted(handler.bodies_seen()) == ["a", "b", "c"]
    assert _remaining_bodies(sqs, queues.url) == []


def test_poll_once_partial_failure_keeps_only_failed_message(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "good-1", "bad", "good-2")
    handler = RecordingHandler(respond=_fail_bodies("bad"))

    # When
    result = _poller(sqs, queues, handler).poll_once()

    # Then
    assert result == BatchResult(received=3, succeeded=2, failed=1)
    assert _remaining_bodies(sqs, queues.url) == ["bad"]


def test_poll_once_handler_raises_keeps_whole_batch(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "a", "b")

    def explode(event: dict[str, Any]) -> None:
        raise RuntimeError("downstream unavailable")

    handler = RecordingHandler(respond=explode)

    # When
    result = _poller(sqs, queues, handler).poll_once()

    # Then
    assert result == BatchResult(received=2, succeeded=0, failed=2)
    assert _remaining_bodies(sqs, queues.url) == ["a", "b"]


def test_poll_once_unknown_item_identifier_fails_whole_batch(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "a", "b")
    handler = RecordingHandler(respond=lambda event: {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]})

    # When
    result = _poller(sqs, queues, handler).poll_once()

    # Then
    assert result == BatchResult(received=2, succeeded=0, failed=2)
    assert _remaining_bodies(sqs, queues.url) == ["a", "b"]


def test_poll_once_failure_without_item_identifier_fails_whole_batch(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "a", "b")
    handler = RecordingHandler(respond=lambda event: {"batchItemFailures": [{"id": event["Records"][0]["messageId"]}]})

    # When
    result = _poller(sqs, queues, handler).poll_once()

    # Then
    assert result == BatchResult(received=2, succeeded=0, failed=2)
    assert _remaining_bodies(sqs, queues.url) == ["a", "b"]


def test_poll_once_unserializable_response_fails_whole_batch(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "a")
    handler = RecordingHandler(respond=lambda event: {"batchItemFailures": [], "extra": object()})

    # When
    result = _poller(sqs, queues, handler).poll_once()

    # Then
    assert result == BatchResult(received=1, succeeded=0, failed=1)
    assert _remaining_bodies(sqs, queues.url) == ["a"]


def test_poll_once_without_report_batch_item_failures_ignores_response_and_deletes_all(
    sqs: "SQSClient", queues: Queues
) -> None:
    # Given
    _send(sqs, queues.url, "good", "bad")
    handler = RecordingHandler(respond=_fail_bodies("bad"))

    # When
    result = _poller(sqs, queues, handler, report_batch_item_failures=False).poll_once()

    # Then
    assert result == BatchResult(received=2, succeeded=2, failed=0)
    assert _remaining_bodies(sqs, queues.url) == []


def test_poll_once_handler_overrunning_function_timeout_fails_whole_batch(sqs: "SQSClient", queues: Queues) -> None:
    # Given a handler that is still running when its (zero-second) timeout has passed
    _send(sqs, queues.url, "slow")

    def slow(event: dict[str, Any]) -> None:
        time.sleep(0.01)

    handler = RecordingHandler(respond=slow)

    # When
    result = _poller(sqs, queues, handler, function_timeout_s=0).poll_once()

    # Then
    assert result == BatchResult(received=1, succeeded=0, failed=1)
    assert _remaining_bodies(sqs, queues.url) == ["slow"]


def test_poll_once_empty_queue_skips_handler(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    handler = RecordingHandler(respond=lambda event: None)

    # When
    result = _poller(sqs, queues, handler).poll_once()

    # Then
    assert result == BatchResult(received=0, succeeded=0, failed=0)
    assert handler.events == []


def test_drain_always_failing_message_lands_in_dlq_after_max_receive_count(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "poison", "fine")
    handler = RecordingHandler(respond=_fail_bodies("poison"))

    # When
    results = _poller(sqs, queues, handler).drain(max_batches=10)

    # Then
    assert results == [BatchResult(received=2, succeeded=1, failed=1), BatchResult(received=1, succeeded=0, failed=1)]
    assert handler.bodies_seen().count("poison") == 2
    assert _remaining_bodies(sqs, queues.url) == []
    assert _remaining_bodies(sqs, queues.dlq_url) == ["poison"]


def test_drain_stops_after_max_batches(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    _send(sqs, queues.url, "a", "b", "c")
    handler = RecordingHandler(respond=lambda event: None)

    # When
    results = _poller(sqs, queues, handler, batch_size=1).drain(max_batches=2)

    # Then
    assert results == [BatchResult(received=1, succeeded=1, failed=0)] * 2
    assert len(_remaining_bodies(sqs, queues.url)) == 1


def test_poll_once_record_has_lambda_sqs_event_shape(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    sqs.send_message(
        QueueUrl=queues.url,
        MessageBody='{"order_id": "1001"}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order-handled"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    handler = RecordingHandler(respond=lambda event: None)

    # When
    _poller(sqs, queues, handler, function_timeout_s=15).poll_once()

    # Then
    (record,) = handler.events[0]["Records"]
    assert record["body"] == '{"order_id": "1001"}'
    assert record["md5OfBody"] == hashlib.md5(b'{"order_id": "1001"}').hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queues.arn
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= record["attributes"].keys()
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "order-handled",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == base64.b64encode(b"\x00\x01").decode()
    context = handler.contexts[0]
    assert context.function_name == FUNCTION_NAME
    assert 0 < context.get_remaining_time_in_millis() <= 15_000


def test_poll_once_powertools_batch_processor_reports_failed_record(sqs: "SQSClient", queues: Queues) -> None:
    # Given a worker written the way the product's is: BatchProcessor validating each record with pydantic
    _send(sqs, queues.url, "ok-1", "fail", "ok-2")
    processor = BatchProcessor(event_type=EventType.SQS, model=SqsRecordModel)
    handled: list[str] = []

    def record_handler(record: SqsRecordModel) -> None:
        if record.body == "fail":
            raise ValueError("cannot book this order")
        handled.append(str(record.body))

    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(process_partial_response(event, record_handler, processor, context))

    # When
    result = SqsPoller(sqs, queues.url, lambda_handler, function_name=FUNCTION_NAME, wait_time_s=0).poll_once()

    # Then
    assert result == BatchResult(received=3, succeeded=2, failed=1)
    assert sorted(handled) == ["ok-1", "ok-2"]
    assert _remaining_bodies(sqs, queues.url) == ["fail"]


def test_poll_once_powertools_batch_processor_all_failed_keeps_whole_batch(sqs: "SQSClient", queues: Queues) -> None:
    # Given a batch where every record fails, so process_partial_response raises BatchProcessingError
    _send(sqs, queues.url, "fail-1", "fail-2")
    processor = BatchProcessor(event_type=EventType.SQS, model=SqsRecordModel)

    def record_handler(record: SqsRecordModel) -> None:
        raise ValueError("cannot book this order")

    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(process_partial_response(event, record_handler, processor, context))

    # When
    result = SqsPoller(sqs, queues.url, lambda_handler, function_name=FUNCTION_NAME, wait_time_s=0).poll_once()

    # Then
    assert result == BatchResult(received=2, succeeded=0, failed=2)
    assert _remaining_bodies(sqs, queues.url) == ["fail-1", "fail-2"]


def test_start_background_thread_delivers_messages_until_stopped(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    delivered = threading.Event()

    def respond(event: dict[str, Any]) -> None:
        delivered.set()

    handler = RecordingHandler(respond=respond)
    poller = SqsPoller(sqs, queues.url, handler, function_name=FUNCTION_NAME, wait_time_s=1)
    poller.start()

    # When
    _send(sqs, queues.url, "background")
    was_delivered = delivered.wait(timeout=30)
    poller.stop()

    # Then
    assert was_delivered
    assert handler.bodies_seen() == ["background"]
    assert _remaining_bodies(sqs, queues.url) == []


def test_sqs_poller_batch_over_ten_without_batching_window_raises_value_error(sqs: "SQSClient", queues: Queues) -> None:
    # Given
    handler = RecordingHandler(respond=lambda event: None)

    # When
    with pytest.raises(ValueError) as raised:
        SqsPoller(sqs, queues.url, handler, function_name=FUNCTION_NAME, batch_size=11)

    # Then
    assert "batch_size" in str(raised.value)


def test_poll_once_batching_window_gathers_more_than_one_receive_into_one_batch(sqs: "SQSClient") -> None:
    # Given more messages than one receive returns, on a queue that hides received messages (no re-receives)
    queue_url = sqs.create_queue(QueueName=f"window-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    bodies = [f"m{index:02d}" for index in range(12)]
    _send(sqs, queue_url, *bodies)
    handler = RecordingHandler(respond=lambda event: None)
    poller = SqsPoller(
        sqs, queue_url, handler, function_name=FUNCTION_NAME, wait_time_s=0, batch_size=12, max_batching_window_s=5
    )

    # When
    result = poller.poll_once()

    # Then
    assert result == BatchResult(received=12, succeeded=12, failed=0)
    assert len(handler.events) == 1
    assert sorted(handler.bodies_seen()) == bodies


def test_poll_once_logs_counts_but_never_message_bodies(
    sqs: "SQSClient", queues: Queues, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a handler whose error text quotes the body, as validation errors do
    _send(sqs, queues.url, "customer-email@example.com")

    def reject(event: dict[str, Any]) -> None:
        raise ValueError(f"invalid order: {event['Records'][0]['body']}")

    handler = RecordingHandler(respond=reject)
    caplog.set_level(logging.INFO, logger="infra.local.sqs_poller")

    # When
    _poller(sqs, queues, handler).poll_once()

    # Then
    assert "received=1 succeeded=0 failed=1" in caplog.text
    assert "customer-email@example.com" not in caplog.text
