"""What the two HTTP functions share: the resolver, the one mapping from our error kinds to HTTP statuses, and the
merchant, as the HTTP API's JWT authorizer established it (the token's `sub` claim)."""

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from dinero_bookkeeping.domain.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from dinero_bookkeeping.handlers.api_models import ErrorResponse
from dinero_bookkeeping.handlers.request_reading import BoundedRequestValidation, parse_json_body, routable
from dinero_bookkeeping.observability import logger

# The security scheme of the OpenAPI document; template.yaml's HttpApi authorizer is what enforces it.
MERCHANT_JWT = "MerchantJwt"
MERCHANT_AUTH: list[dict[str, list[str]]] = [{MERCHANT_JWT: []}]


class MissingMerchantError(Exception):
    """No merchant claim on the request: the route was reached without the JWT authorizer, or the token has no sub."""


class _HttpApi(APIGatewayHttpResolver):
    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        return super().resolve(routable(event), context)


def create_app() -> APIGatewayHttpResolver:
    app = _HttpApi(enable_validation=True, json_body_deserializer=parse_json_body)
    # Powertools takes the validation middleware from this attribute when it builds each route's middleware stack.
    app._request_validation_middleware = BoundedRequestValidation()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
    app.exception_handler_manager.update_exception_handlers(
        {
            RequestValidationError: invalid_request,
            RequestUnsupportedContentType: invalid_request,
            MissingMerchantError: _unauthorized,
            NotFoundError: _not_found,
            ConflictError: _conflict,
            InvalidRequestError: _invalid,
            PermanentError: _permanent,
            RetryableError: _unavailable,
        }
    )
    return app


def invalid_request(error: RequestValidationError | RequestUnsupportedContentType) -> Response[str]:
    """422 (415 for a body type no route reads) naming each field that is wrong (`loc`) and how (`type`), as
    Powertools answers; never the values."""
    unsupported = isinstance(error, RequestUnsupportedContentType)
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE if unsupported else HTTPStatus.UNPROCESSABLE_ENTITY
    detail = [{"loc": list(e["loc"]), "type": e["type"]} for e in error.errors()]
    return Response(status, content_types.APPLICATION_JSON, json.dumps({"statusCode": status, "detail": detail}))


def _unauthorized(_: MissingMerchantError) -> Response[str]:
    return error_response(HTTPStatus.UNAUTHORIZED, "Unauthorized")


def _not_found(error: NotFoundError) -> Response[str]:
    return error_response(HTTPStatus.NOT_FOUND, str(error))


def _conflict(error: ConflictError) -> Response[str]:
    return error_response(HTTPStatus.CONFLICT, str(error))


def _invalid(error: InvalidRequestError) -> Response[str]:
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))


def _permanent(error: PermanentError) -> Response[str]:
    # Dinero refused for a reason retrying will not fix (no Pro, consent revoked): the state is the problem.
    return error_response(HTTPStatus.CONFLICT, error.reason)


def _unavailable(error: RetryableError) -> Response[str]:
    logger.warning("request failed transiently", reason=str(error))
    retry_after = error.retry_after_seconds
    headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after is not None else None
    return error_response(HTTPStatus.SERVICE_UNAVAILABLE, "Dinero or AWS is unavailable; try again", headers)


def create_router() -> APIGatewayHttpRouter:
    """A group of routes for `app.include_router`."""
    return APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # Powertools leaves Router.__init__ unannotated


def error_response(status: HTTPStatus, message: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(ErrorResponse(message=message).model_dump()),
        headers=headers,
    )


def current_merchant(request: Request) -> str:
    event = request.resolved_event
    claims = event.request_context.authorizer.jwt_claim if isinstance(event, APIGatewayProxyEventV2) else {}
    # Exactly as issued: the identity provider's subject is an opaque string, and a trimmed one could be another's.
    merchant_id = str(claims.get("sub") or "")
    if not merchant_id:
        raise MissingMerchantError
    logger.append_keys(merchant_id=merchant_id)
    return merchant_id


# A route parameter of this type is the calling merchant's id.
Merchant = Annotated[str, Depends(current_merchant)]


def api_responses(success: HTTPStatus, *errors: HTTPStatus) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` of a route: the success status (its body is the route's return type) and its errors."""
    documented: dict[int, OpenAPIResponse] = {int(success): {"description": success.phrase}}
    if success is HTTPStatus.NO_CONTENT:
        documented[int(success)]["content"] = {}
    for status in errors:
        documented[int(status)] = {
            "description": status.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": ErrorResponse}},
        }
    return documented
