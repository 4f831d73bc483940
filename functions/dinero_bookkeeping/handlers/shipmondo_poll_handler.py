"""Scheduled (EventBridge) → the Shipmondo catch-up poll of every connected merchant, then one step of every running
backfill. Each merchant's failure is its own (recorded on its connection); the run itself does not fail for it."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count, logger, metrics, tracer
from dinero_bookkeeping.wiring import backfill_shipmondo_service, poll_shipmondo_service


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = poll_shipmondo_service().poll_all()
    backfills = backfill_shipmondo_service().run_due()
    for outcome in outcomes:
        if not outcome.advanced:
            count(Metric.SHIPMONDO_POLL_STALLED)
    enqueued = sum(outcome.count.enqueued for outcome in outcomes)
    stalled = sum(not outcome.advanced for outcome in outcomes)
    return {"merchants": len(outcomes), "enqueued": enqueued, "stalled": stalled, "backfills": len(backfills)}
