"""HTTP API → OAuth function: start connecting Dinero and complete it (authenticated), Visma Connect's callback
(public) in between.

Visma Connect answers through a browser: a GET with the result in the query, or with response_mode=form_post (what
we ask for) a POST of a form. Either way the browser is sent back to the app with a one-time handle, which the app
then completes under the merchant's JWT.
"""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Form, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.api_models import (
    CompleteConnectionRequest,
    CompleteConnectionResponse,
    ConnectResponse,
)
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_app, invalid_request
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count, logger, metrics, tracer
from dinero_bookkeeping.services.connect_dinero import CallbackOutcome, ConnectDineroService

app = create_app()

CALLBACK_PATH = "/oauth/callback"
ConnectService = Annotated[ConnectDineroService, Depends(wiring.connect_service)]
_CALLBACK_RESPONSES: dict[int, OpenAPIResponse] = {
    HTTPStatus.FOUND: {
        "description": "Back to the app: APP_URL with dinero=complete (and handle, for POST /oauth/complete), "
        "denied, or error (and reason).",
        "headers": {"Location": {"description": "APP_URL with the outcome", "schema": {"type": "string"}}},
        "content": {},
    }
}


@app.post(
    "/oauth/connect",
    summary="Start connecting Dinero",
    description="A single-use state (10 minutes) with PKCE; send the browser to `authorize_url`.",
    tags=["Connection"],
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED),
)
def connect(merchant_id: Merchant, service: ConnectService) -> ConnectResponse:
    started = service.start_connect(merchant_id)
    count(Metric.DINERO_CONNECT_STARTED)
    return ConnectResponse(authorize_url=started.url, expires_at=started.expires_at)


@app.post(
    "/oauth/complete",
    summary="Complete connecting Dinero",
    description="Exchanges the consent the callback parked under `handle` (one use, 10 minutes), only for the "
    "merchant who started connecting, and creates or refreshes one integration per organization. Any other "
    "handle (unknown, used, expired or another merchant's) is a 404 that connects nothing.",
    tags=["Connection"],
    security=MERCHANT_AUTH,
    responses=api_responses(
        HTTPStatus.OK,
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
        HTTPStatus.SERVICE_UNAVAILABLE,
    ),
)
def complete(
    body: CompleteConnectionRequest, merchant_id: Merchant, service: ConnectService
) -> CompleteConnectionResponse:
    organizations = service.complete_connection(merchant_id, body.handle)
    count(Metric.DINERO_CONNECTED)
    return CompleteConnectionResponse(result="connected", organizations=organizations)


@app.get(
    CALLBACK_PATH,
    summary="Visma Connect's answer (query)",
    tags=["Connection"],
    responses=_CALLBACK_RESPONSES,
)
def callback_query(
    service: ConnectService,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response[None]:
    return _back_to_app(service.complete_callback(state=state, code=code, error=error))


@app.post(
    CALLBACK_PATH,
    summary="Visma Connect's answer (response_mode=form_post)",
    tags=["Connection"],
    responses=_CALLBACK_RESPONSES,
)
def callback_form(
    service: ConnectService,
    code: Annotated[str | None, Form()] = None,
    state: Annotated[str | None, Form()] = None,
    error: Annotated[str | None, Form()] = None,
) -> Response[None]:
    return _back_to_app(service.complete_callback(state=state, code=code, error=error))


CALLBACK_METRICS = {
    "complete": Metric.DINERO_CALLBACK_COMPLETE,
    "denied": Metric.DINERO_CALLBACK_DENIED,
    "error": Metric.DINERO_CALLBACK_ERROR,
}


def _unreadable_request(error: RequestValidationError | RequestUnsupportedContentType) -> Response[Any]:
    """The callback is a browser's landing page, so even a body that cannot be read sends it back to the app, as a
    callback without any answer (no state, so nothing is consumed); the other routes answer 422 like every route."""
    if app.current_event.path != CALLBACK_PATH:
        return invalid_request(error)
    service = app.dependency_overrides.get(wiring.connect_service, wiring.connect_service)()
    return _back_to_app(service.complete_callback(state=None, code=None, error=None))


app.exception_handler_manager.update_exception_handlers(
    {RequestValidationError: _unreadable_request, RequestUnsupportedContentType: _unreadable_request}
)


def _back_to_app(outcome: CallbackOutcome) -> Response[None]:
    count(CALLBACK_METRICS[outcome.result])
    # no-store: the request carried a one-time code, and its answer must not be replayed from a cache.
    headers = {"Location": outcome.redirect_url, "Cache-Control": "no-store"}
    return Response(status_code=HTTPStatus.FOUND, headers=headers)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
