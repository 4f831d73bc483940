"""The order queue: delaying a message's next delivery, and putting an event (back) on it."""

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dinero_bookkeeping.observability import logger

# A retried order names the integration that owns its record, so a relinked webshop cannot move it to other books.
OWNING_INTEGRATION_ATTRIBUTE = "owning_integration_id"

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef


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
        attributes: dict[str, MessageAttributeValueTypeDef] = {}
        if integration_id is not None:
            attributes[OWNING_INTEGRATION_ATTRIBUTE] = {"DataType": "String", "StringValue": integration_id}
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=body, MessageAttributes=attributes)
