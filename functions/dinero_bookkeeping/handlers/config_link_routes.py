"""Configuration API: the webshops (order integrations) whose handled orders an accounting integration books."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.api_models import LinkResponse
from dinero_bookkeeping.handlers.config_integration_routes import IntegrationId
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.services.manage_links import ManageLinksService

router = create_router()

LinksService = Annotated[ManageLinksService, Depends(wiring.links_service)]
# As long as the order event's own field allows.
OrderIntegrationId = Annotated[str, Path(min_length=1, max_length=200, description="The webshop's id.")]
TAGS = ["Links"]


@router.get(
    "/integrations/<integration_id>/links",
    summary="The webshops linked to the integration",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def list_links(integration_id: IntegrationId, merchant_id: Merchant, service: LinksService) -> list[LinkResponse]:
    return [LinkResponse.from_link(link) for link in service.list_links(merchant_id, integration_id)]


@router.put(
    "/integrations/<integration_id>/links/<order_integration_id>",
    summary="Link a webshop: its handled orders become invoices of this integration",
    description="A webshop links to at most one integration: linking one that is linked elsewhere is a 409.",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
)
def link(
    integration_id: IntegrationId,
    order_integration_id: OrderIntegrationId,
    merchant_id: Merchant,
    service: LinksService,
) -> LinkResponse:
    linked = service.link(merchant_id, integration_id, order_integration_id)
    count(Metric.WEBSHOP_LINKED)
    return LinkResponse.from_link(linked)


@router.delete(
    "/integrations/<integration_id>/links/<order_integration_id>",
    summary="Unlink a webshop",
    tags=TAGS,
    security=MERCHANT_AUTH,
    status_code=HTTPStatus.NO_CONTENT,
    responses=api_responses(HTTPStatus.NO_CONTENT, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def unlink(
    integration_id: IntegrationId,
    order_integration_id: OrderIntegrationId,
    merchant_id: Merchant,
    service: LinksService,
) -> Response[None]:
    service.unlink(merchant_id, integration_id, order_integration_id)
    count(Metric.WEBSHOP_UNLINKED)
    return Response(status_code=HTTPStatus.NO_CONTENT)
