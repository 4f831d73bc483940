"""SQS → order worker. Each record is one "order handled" event; failures are reported per record."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.adapters.sqs_queue import OWNING_INTEGRATION_ATTRIBUTE
from dinero_bookkeeping.domain.errors import BudgetWaitError, RetryableError
from dinero_bookkeeping.domain.retry_policy import retry_delay_seconds
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import begin_order_record, count, logger, metrics, tracer
from dinero_bookkeeping.services.book_order import Outcome
from dinero_bookkeeping.settings import worker_settings
from dinero_bookkeeping.wiring import worker_adapters, worker_service

OUTCOME_METRICS = {
    Outcome.BOOKED: Metric.ORDERS_BOOKED,
    Outcome.DRAFT: Metric.ORDERS_DRAFT,
    Outcome.FAILED: Metric.ORDERS_FAILED,
    Outcome.SKIPPED: Metric.ORDERS_SKIPPED,
    Outcome.DUPLICATE: Metric.ORDERS_DUPLICATE,
    Outcome.REJECTED: Metric.ORDERS_REJECTED,
}


# A subsegment per record, so each order's trace annotations are its own. Errors are left out of the trace: a
# message may quote personal data, and the order record and the logs say what happened.
@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord) -> None:
    begin_order_record(record.message_id)
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
        count(Metric.ORDERS_WAITING if isinstance(error, BudgetWaitError) else Metric.ORDERS_RETRIED)
        logger.info("order will be retried", reason=str(error), delay_s=delay)
        raise
    except Exception as error:
        # The type only: a message may quote personal data. SQS retries it; in the end the dead-letter queue keeps it.
        logger.error("order attempt failed unexpectedly", error_type=type(error).__name__)
        raise
    count(OUTCOME_METRICS[outcome])


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # One per invocation: it holds the batch's state, and the local runtime runs invocations in parallel threads.
    # A batch whose every order waits (for its turn in Dinero's budget, say) is reported like any partial failure,
    # not raised: it is no failure of the function.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
