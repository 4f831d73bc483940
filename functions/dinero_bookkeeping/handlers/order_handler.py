"""SQS → order worker. Each record is one order event; failures are reported per record."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from dinero_bookkeeping.adapters.sqs_queue import OWNING_INTEGRATION_ATTRIBUTE, PLACE_ATTRIBUTE, decode_place
from dinero_bookkeeping.domain.errors import RetryableError
from dinero_bookkeeping.domain.order_record import RecordKind
from dinero_bookkeeping.domain.rate_window import Place, WaitForBudget
from dinero_bookkeeping.domain.retry_policy import Requeue, how_to_wait, retry_delay_seconds
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import begin_order_record, count, logger, metrics, tracer
from dinero_bookkeeping.services.order_steps import Outcome, StepOutcome
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
# After the invoice: the outcomes that say something of their own. The others (a duplicate, a rejected event, a
# skipped cancellation of an order never invoiced) count like an order's.
FOLLOW_UP_METRICS = {
    RecordKind.PAYMENT: {
        Outcome.BOOKED: Metric.PAYMENTS_REGISTERED,
        Outcome.SKIPPED: Metric.PAYMENTS_SKIPPED,
        Outcome.FAILED: Metric.PAYMENTS_FAILED,
    },
    RecordKind.CREDIT_NOTE: {
        Outcome.BOOKED: Metric.CREDIT_NOTES_BOOKED,
        Outcome.DRAFT: Metric.CREDIT_NOTES_DRAFT,
        Outcome.FAILED: Metric.CREDIT_NOTES_FAILED,
    },
    RecordKind.CANCELLATION: {
        Outcome.BOOKED: Metric.ORDERS_CANCELLED,
        Outcome.DRAFT: Metric.CREDIT_NOTES_DRAFT,
        Outcome.FAILED: Metric.CREDIT_NOTES_FAILED,
    },
}


# A subsegment per record, so each order's trace annotations are its own. Errors are left out of the trace: a
# message may quote personal data, and the order record and the logs say what happened.
@tracer.capture_method(capture_response=False, capture_error=False)
def record_handler(record: SQSRecord) -> None:
    begin_order_record(record.message_id)
    place_attribute = record.message_attributes[PLACE_ATTRIBUTE]
    place = decode_place(place_attribute.string_value if place_attribute else None)
    owner_attribute = record.message_attributes[OWNING_INTEGRATION_ATTRIBUTE]
    owner = owner_attribute.string_value if owner_attribute else None
    receive_count = int(record.attributes.approximate_receive_count)
    try:
        if place is not None and not place.is_due(worker_adapters().clock.now()):
            raise WaitForBudget(place, worker_adapters().clock.now())  # early: nothing to look at before its place
        steps = worker_service().handle_message(
            record.body,
            record.message_id,
            place,
            owning_integration_id=owner,
            final_attempt=receive_count >= worker_settings().ORDER_MAX_RECEIVES,
        )
    except WaitForBudget as waiting:
        _wait(record, waiting.place, receive_count, carries_place=place is not None, owner=owner)
        count(Metric.ORDERS_WAITING)
        return
    except RetryableError as error:
        # Raising marks the record failed; the delay decides when SQS offers it again (Retry-After, back-off).
        delay = retry_delay_seconds(error, receive_count, worker_settings().RETRY_BASE_DELAY_SECONDS)
        worker_adapters().queue.delay(record.receipt_handle, delay)
        count(Metric.ORDERS_RETRIED)
        logger.info("order will be retried", reason=str(error), delay_s=delay)
        raise
    except Exception as error:
        # The type only: a message may quote personal data. SQS retries it; in the end the dead-letter queue keeps it.
        logger.error("order attempt failed unexpectedly", error_type=type(error).__name__)
        raise
    for step in steps:
        count(_metric(step))


def _metric(step: StepOutcome) -> Metric:
    return FOLLOW_UP_METRICS.get(step.kind, {}).get(step.outcome) or OUTCOME_METRICS[step.outcome]


def _wait(record: SQSRecord, place: Place, receive_count: int, *, carries_place: bool, owner: str | None) -> None:
    """Waiting for the organization's budget is no failure: a fresh copy carries the order's place (and this message
    is done) or this message is hidden until then (see how_to_wait: waiting never dead-letters an order)."""
    queue = worker_adapters().queue
    action = how_to_wait(place, worker_adapters().clock.now(), receive_count=receive_count, carries_place=carries_place)
    if isinstance(action, Requeue):
        try:
            queue.send_waiting(record.body, action.place, action.delay_s, integration_id=owner)
        except (ClientError, BotoCoreError) as error:
            queue.delay(record.receipt_handle, action.delay_s)
            raise RetryableError("Could not requeue the waiting order; it comes back at its place") from error
        logger.info("order waits for its place in Dinero's budget", delay_s=action.delay_s, requeued=True)
        return
    queue.delay(record.receipt_handle, action.delay_s)
    logger.info("order waits for its place in Dinero's budget", delay_s=action.delay_s, requeued=False)
    raise RetryableError("Waiting for its place in Dinero's budget")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # One per invocation: it holds the batch's state, and the local runtime runs invocations in parallel threads.
    # A batch whose every order is hidden for its place in Dinero's budget is reported like any partial failure,
    # not raised: it is no failure of the function.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
