"""Lambda's SQS event source mapping, in-process: receive a batch, invoke the handler, delete what succeeded.

Failed messages are left alone: they reappear after the queue's visibility timeout, and SQS itself moves them to
the dead-letter queue after `maxReceiveCount` receives (RedrivePolicy), exactly as with a deployed function.
"""

import base64
import json
import logging
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from infra.local.lambda_context import LambdaHandler, new_context

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

logger = logging.getLogger(__name__)

SQS_MAX_MESSAGES_PER_RECEIVE = 10
# Lambda's limits for standard queues: more than 10 per batch needs a batching window.
MAX_BATCH_SIZE = 10_000
MAX_BATCHING_WINDOW_S = 300.0
# Pause between receives while a batching window is open and the queue is empty, and after a failed receive.
WINDOW_POLL_INTERVAL_S = 0.05
ERROR_BACKOFF_S = 1.0


@dataclass(frozen=True)
class BatchResult:
    received: int
    succeeded: int
    failed: int


class SqsPoller:
    def __init__(
        self,
        sqs_client: "SQSClient",
        queue_url: str,
        handler: LambdaHandler,
        *,
        function_name: str,
        batch_size: int = 10,
        max_batching_window_s: float = 0.0,
        report_batch_item_failures: bool = True,
        function_timeout_s: float = 30,
        wait_time_s: int = 1,
    ) -> None:
        if not 0 <= max_batching_window_s <= MAX_BATCHING_WINDOW_S:
            raise ValueError(f"max_batching_window_s must be between 0 and {MAX_BATCHING_WINDOW_S}")
        batch_limit = MAX_BATCH_SIZE if max_batching_window_s > 0 else SQS_MAX_MESSAGES_PER_RECEIVE
        if not 1 <= batch_size <= batch_limit:
            raise ValueError(f"batch_size must be between 1 and {batch_limit} with this batching window")
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._handler = handler
        self._function_name = function_name
        self._batch_size = batch_size
        self._max_batching_window_s = max_batching_window_s
        self._report_batch_item_failures = report_batch_item_failures
        self._function_timeout_s = function_timeout_s
        self._wait_time_s = wait_time_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("poller already started")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"sqs-poller-{self._function_name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the batch in hand, then stop; may wait up to one long poll (`wait_time_s`)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def poll_once(self) -> BatchResult:
        """Receive one batch and process it synchronously (an empty receive gives all-zero counts)."""
        messages = self._receive_batch()
        if not messages:
            return BatchResult(received=0, succeeded=0, failed=0)
        failed_ids = self._invoke(messages)
        succeeded = [message for message in messages if message["MessageId"] not in failed_ids]
        self._delete(succeeded)
        result = BatchResult(received=len(messages), succeeded=len(succeeded), failed=len(messages) - len(succeeded))
        logger.info(
            "sqs batch processed: function=%s queue=%s received=%d succeeded=%d failed=%d",
            self._function_name,
            self._queue_name,
            result.received,
            result.succeeded,
            result.failed,
        )
        return result

    def drain(self, max_batches: int, idle_polls: int = 1) -> list[BatchResult]:
        """Process batches until `idle_polls` receives in a row come back empty or `max_batches` were processed.

        Returns the non-empty batches. The cap matters with short visibility timeouts, where failing messages
        come straight back until the redrive policy moves them away.
        """
        results: list[BatchResult] = []
        idle = 0
        while len(results) < max_batches and idle < idle_polls:
            result = self.poll_once()
            if result.received:
                results.append(result)
                idle = 0
            else:
                idle += 1
        return results

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                # Like the event source mapping, keep polling through transient errors (queue endpoint down...).
                logger.exception("sqs poll failed: function=%s queue=%s", self._function_name, self._queue_name)
                self._stopping.wait(ERROR_BACKOFF_S)

    def _receive_batch(self) -> list["MessageTypeDef"]:
        messages = self._receive(self._wait_time_s, self._batch_size)
        if not messages or self._max_batching_window_s == 0:
            return messages
        # Batching window: keep gathering until the batch is full or the window closes, as Lambda does.
        deadline = time.monotonic() + self._max_batching_window_s
        while len(messages) < self._batch_size and time.monotonic() < deadline:
            more = self._receive(0, self._batch_size - len(messages))
            messages.extend(more)
            if not more:
                time.sleep(min(WINDOW_POLL_INTERVAL_S, max(0.0, deadline - time.monotonic())))
        return messages

    def _receive(self, wait_time_s: int, max_messages: int) -> list["MessageTypeDef"]:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(max_messages, SQS_MAX_MESSAGES_PER_RECEIVE),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=wait_time_s,
        )
        return list(response.get("Messages", []))

    def _invoke(self, messages: list["MessageTypeDef"]) -> set[str]:
        """Run the handler on one batch; return the ids of the messages that failed."""
        all_ids = {message["MessageId"] for message in messages}
        event = {"Records": [self._record(message) for message in messages]}
        context = new_context(self._function_name, self._function_timeout_s, region=self._region)
        started = time.monotonic()
        try:
            raw_response = self._handler(event, context)
            # Lambda serializes the return value; one that cannot be serialized fails the invocation.
            response = json.loads(json.dumps(raw_response))
        except Exception as exc:
            # Exception texts can quote message bodies (validation errors do), so the traceback is debug-only.
            logger.error(
                "handler failed (%s), whole batch will be retried: function=%s", type(exc).__name__, self._function_name
            )
            logger.debug("handler traceback", exc_info=True)
            return all_ids
        if time.monotonic() - started > self._function_timeout_s:
            # A real invocation would have been killed at the timeout; its batch counts as failed.
            logger.error("handler exceeded its %ss timeout: function=%s", self._function_timeout_s, self._function_name)
            return all_ids
        if not self._report_batch_item_failures:
            return set()
        return _failed_ids(response, all_ids)

    def _record(self, message: "MessageTypeDef") -> dict[str, Any]:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _lambda_message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._queue_arn,
            "awsRegion": self._region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record

    def _delete(self, messages: list["MessageTypeDef"]) -> None:
        for start in range(0, len(messages), SQS_MAX_MESSAGES_PER_RECEIVE):
            chunk = messages[start : start + SQS_MAX_MESSAGES_PER_RECEIVE]
            response = self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(chunk)],
            )
            if response.get("Failed"):
                # The message stays on the queue and comes back: a duplicate delivery, as with Lambda.
                logger.warning(
                    "could not delete %d processed message(s): queue=%s", len(response["Failed"]), self._queue_name
                )

    @cached_property
    def _queue_arn(self) -> str:
        attributes = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    @property
    def _queue_name(self) -> str:
        return self._queue_url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def _region(self) -> str:
        return self._sqs.meta.region_name


def _failed_ids(response: Any, all_ids: set[str]) -> set[str]:
    """Read a partial batch response the way Lambda does (see "Success and failure conditions" in the SQS docs).

    Complete success: a null response or a null/empty `batchItemFailures`. Complete failure: anything malformed,
    or an `itemIdentifier` that is missing, empty, or not a message of this batch.
    """
    if response is None:
        return set()
    if not isinstance(response, dict):
        logger.error("invalid batch response, whole batch will be retried")
        return all_ids
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        logger.error("invalid batchItemFailures, whole batch will be retried")
        return all_ids
    failed: set[str] = set()
    for failure in failures:
        item_id = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(item_id, str) or item_id not in all_ids:
            logger.error("unknown itemIdentifier in batchItemFailures, whole batch will be retried")
            return all_ids
        failed.add(item_id)
    return failed


def _lambda_message_attribute(value: "MessageAttributeValueOutputTypeDef") -> dict[str, Any]:
    """SQS API casing (StringValue, DataType...) to the event's (stringValue, dataType...); binary as base64 text."""
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [base64.b64encode(item).decode("ascii") for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return attribute
