"""The order queue: delaying a message's next delivery, and putting an event (back) on it.

A message waiting for its place in Dinero's budget carries the place as a message attribute (PLACE_ATTRIBUTE,
"<epoch milliseconds>/<1 if an attempt may have reached Dinero, else 0>").
"""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dinero_bookkeeping.domain.rate_window import Place
from dinero_bookkeeping.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

PLACE_ATTRIBUTE = "budget_place"
# A retried order names the integration that owns its record, so a relinked webshop cannot move it to other books.
OWNING_INTEGRATION_ATTRIBUTE = "owning_integration_id"


def encode_place(place: Place) -> str:
    return f"{round(place.at.timestamp() * 1000)}/{int(place.reached_dinero)}"


def decode_place(value: str | None) -> Place | None:
    """The place a message carries (its PLACE_ATTRIBUTE); None without one, or with a malformed one."""
    at, _, reached = (value or "").partition("/")
    if not at.isdigit() or reached not in ("0", "1"):
        return None
    return Place(datetime.fromtimestamp(int(at) / 1000, UTC), reached_dinero=reached == "1")


class SqsOrderQueue:
    def __init__(self, sqs: "SQSClient", queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def delay(self, receipt_handle: str, seconds: int) -> None:
        """Best effort: if this fails, the queue's own visibility timeout still brings the message back."""
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
            )
        except (ClientError, BotoCoreError):
            logger.warning("could not delay message; the visibility timeout applies", delay_s=seconds)

    def send(self, body: str, *, integration_id: str | None = None) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url, MessageBody=body, MessageAttributes=self._owner(integration_id)
        )

    def send_waiting(self, body: str, place: Place, delay_s: int, *, integration_id: str | None = None) -> None:
        """A copy of an order's message that waits for its place (raises if SQS refuses it); a retry's copy keeps
        the integration that owns the order."""
        attributes = self._owner(integration_id)
        attributes[PLACE_ATTRIBUTE] = {"DataType": "String", "StringValue": encode_place(place)}
        self._sqs.send_message(
            QueueUrl=self._queue_url, MessageBody=body, DelaySeconds=delay_s, MessageAttributes=attributes
        )

    @staticmethod
    def _owner(integration_id: str | None) -> "dict[str, MessageAttributeValueTypeDef]":
        if integration_id is None:
            return {}
        return {OWNING_INTEGRATION_ATTRIBUTE: {"DataType": "String", "StringValue": integration_id}}
