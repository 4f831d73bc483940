"""Configuration API: what became of each order, and retrying one that failed or was skipped."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.api_models import OrderPageResponse, OrderResponse
from dinero_bookkeeping.handlers.config_integration_routes import IntegrationId
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.services.order_history import OrderHistoryService

router = create_router()

HistoryService = Annotated[OrderHistoryService, Depends(wiring.order_history_service)]
OrderId = Annotated[UUID, Path(description="An order record's id (the Dinero invoice's Guid).")]
PageSize = Annotated[int, Query(ge=1, le=100, description="How many orders a page holds.")]
Cursor = Annotated[
    str | None, Query(min_length=1, max_length=512, description="The `next_cursor` of the previous page.")
]
TAGS = ["Orders"]


@router.get(
    "/integrations/<integration_id>/orders",
    summary="Orders and their invoices, newest first, a page at a time",
    description="Pass a page's `next_cursor` as `cursor` for the next page; the last page's is null.",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(
        HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY
    ),
)
def list_orders(
    integration_id: IntegrationId,
    merchant_id: Merchant,
    service: HistoryService,
    limit: PageSize = 25,
    cursor: Cursor = None,
) -> OrderPageResponse:
    page = service.list_orders(merchant_id, integration_id, limit=limit, cursor=cursor)
    return OrderPageResponse(
        orders=[OrderResponse.from_record(record) for record in page.records], next_cursor=page.next_cursor
    )


@router.post(
    "/integrations/<integration_id>/orders/<order_id>/retry",
    summary="Retry a failed or skipped order (after fixing its reason)",
    description="Queues the order's event again for this integration (wherever the webshop is linked by now); the "
    "order is then processed as if it had just arrived. Refused (409) when the integration is not active or the "
    "order's event has expired.",
    tags=TAGS,
    security=MERCHANT_AUTH,
    status_code=HTTPStatus.ACCEPTED,
    responses=api_responses(HTTPStatus.ACCEPTED, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
)
def retry_order(
    integration_id: IntegrationId, order_id: OrderId, merchant_id: Merchant, service: HistoryService
) -> OrderResponse:
    queued = service.retry(merchant_id, integration_id, order_id)
    count(Metric.ORDER_RETRY_REQUESTED)
    return OrderResponse.from_record(queued)
