"""SQS → order worker. Each record is one "order handled" event; failures are reported per record."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.adapters.sqs_queue import OWNING_INTEGRATION_ATTRIBUTE
from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.retry_policy import retry_delay_seconds
from dinero_bookkeeping.observability import logger, metrics, tracer
from dinero_bookkeeping.settings import worker_settings
from dinero_bookkeeping.wiring import worker_adapters, worker_service


def record_handler(record: SQSRecord) -> None:
    logger.append_keys(message_id=record.message_id)
    receive_count = int(record.attributes.approximate_receive_count)
    owner = record.message_attributes[OWNING_INTEGRATION_ATTRIBUTE]  # None when absent
    try:
        outcome = worker_service().handle_message(
            record.body,
            record.message_id,
            owning_integration_id=owner.string_value if owner else None,
            final_attempt=receive_count >= worker_settings().ORDER_MAX_RECEIVES,
        )
    except RetryableError as error:
        # Raising marks the record failed; the delay decides when SQS offers it again (Retry-After, back-off).
        delay = retry_delay_seconds(error, receive_count, worker_settings().RETRY_BASE_DELAY_SECONDS)
        worker_adapters().queue.delay(record.receipt_handle, delay)
        metrics.add_metric(name="OrdersRetried", unit="Count", value=1)
        logger.info("order will be retried", reason=str(error), delay_s=delay)
        raise
    metrics.add_metric(name=f"Orders{outcome.value.capitalize()}", unit="Count", value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # One per invocation: it holds the batch's state, and the local runtime runs invocations in parallel threads.
    # A batch whose every order waits (for its turn in Dinero's budget, say) is reported like any partial failure,
    # not raised: it is no failure of the function.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
