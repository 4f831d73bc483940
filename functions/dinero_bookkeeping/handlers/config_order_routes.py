"""Configuration API: what became of each order, and retrying one that failed or was skipped."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.api_models import OrderResponse
from dinero_bookkeeping.handlers.config_integration_routes import IntegrationId
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.services.order_history import OrderHistoryService

router = create_router()

HistoryService = Annotated[OrderHistoryService, Depends(wiring.order_history_service)]
OrderId = Annotated[UUID, Path(description="An order record's id (the Dinero invoice's Guid).")]
TAGS = ["Orders"]


@router.get(
    "/integrations/<integration_id>/orders",
    summary="Orders and their invoices, newest first",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def list_orders(integration_id: IntegrationId, merchant_id: Merchant, service: HistoryService) -> list[OrderResponse]:
    return [OrderResponse.from_record(record) for record in service.list_orders(merchant_id, integration_id)]


@router.post(
    "/integrations/<integration_id>/orders/<order_id>/retry",
    summary="Retry a failed or skipped order (after fixing its reason)",
    description="Queues the order's event again; the order is then processed as if it had just arrived.",
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
