"""Public route POST /shipmondo/webhooks/{hook_id} → Shipmondo webhook ingest. Answers within Shipmondo's 3 seconds:
200 once the events are on the queue, 4xx for anything unusable (kept as a rejected event), 503 when AWS fails
(the catch-up poll brings the order then). Never a 500."""

import json
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.api_models import ErrorResponse
from dinero_bookkeeping.handlers.http_api import api_responses, create_app
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count, logger, metrics, tracer
from dinero_bookkeeping.services.ingest_shipmondo import IngestShipmondoService

# The body is read by verify_message (bounded at 1 MB there), never as JSON parameters by the resolver.
app = create_app(bounded_bodies=False)

IngestService = Annotated[IngestShipmondoService, Depends(wiring.ingest_shipmondo_service)]
HookId = Annotated[str, Path(min_length=1, max_length=100, description="The merchant's opaque webhook id.")]


@app.post(
    "/shipmondo/webhooks/<hook_id>",
    summary="Shipmondo webhook delivery (public; the body is a JWT signed with the merchant's webhook key)",
    description='Body `{"data": "<JWT>"}` (HS256). 200: taken in (its orders are on the queue). 400: not a JWT '
    "envelope; 401: not signed with the merchant's key, or expired; 404: no connection has this URL; 422: not a "
    "sales order. Every refusal is kept as a rejected event with its reason. 503: try again (AWS unavailable).",
    tags=["Shipmondo"],
    security=[],
    responses=api_responses(
        HTTPStatus.OK,
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        HTTPStatus.SERVICE_UNAVAILABLE,
    ),
)
def receive(hook_id: HookId, service: IngestService) -> Response[str]:
    event = app.current_event
    body = event.decoded_body or ""
    delivery_id = f"shipmondo-webhook:{event.request_context.request_id}"
    outcome = service.receive(hook_id, body, dict(event.headers or {}), delivery_id)
    count(Metric.SHIPMONDO_WEBHOOK_ACCEPTED if outcome.status is HTTPStatus.OK else Metric.SHIPMONDO_WEBHOOK_REJECTED)
    return Response(
        status_code=outcome.status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(ErrorResponse(message=outcome.message).model_dump()),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
