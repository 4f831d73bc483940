"""Public route POST /shipmondo/webhooks/{hook_id} → Shipmondo webhook ingest. Answers within Shipmondo's 3 seconds:
200 once the events are on the queue, 4xx for anything unusable (kept as a rejected event), 503 when AWS fails
(the catch-up poll brings the order then). Never a 500."""

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.domain.errors import BookkeepingError
from dinero_bookkeeping.observability import logger, metrics, tracer
from dinero_bookkeeping.wiring import ingest_shipmondo_service


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = APIGatewayProxyEventV2(event)
    hook_id = (request.path_parameters or {}).get("hook_id", "")
    delivery_id = f"shipmondo-webhook:{request.request_context.request_id}"
    try:
        body = _body(request)
    except (binascii.Error, UnicodeDecodeError):
        body = None
    if body is None:
        return _answer(HTTPStatus.BAD_REQUEST, "The body is not text")
    try:
        outcome = ingest_shipmondo_service().receive(hook_id, body, dict(request.headers or {}), delivery_id)
    except BookkeepingError as error:  # DynamoDB, KMS or SQS failed transiently
        logger.warning("webhook not taken in", reason=str(error))
        metrics.add_metric(name="ShipmondoWebhooksFailed", unit="Count", value=1)
        return _answer(HTTPStatus.SERVICE_UNAVAILABLE, "Try again later")
    name = "ShipmondoWebhooksAccepted" if outcome.status is HTTPStatus.OK else "ShipmondoWebhooksRejected"
    metrics.add_metric(name=name, unit="Count", value=1)
    return _answer(outcome.status, outcome.message)


def _body(request: APIGatewayProxyEventV2) -> str:
    raw = request.body or ""
    return base64.b64decode(raw).decode("utf-8") if request.is_base64_encoded else raw


def _answer(status: HTTPStatus, message: str) -> dict[str, Any]:
    return {
        "statusCode": int(status),
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": message}),
    }
