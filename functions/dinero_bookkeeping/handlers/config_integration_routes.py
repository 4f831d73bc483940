"""Configuration API: the merchant's accounting integrations, activation, book automatically, and disconnecting."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.api_models import BookAutomaticallyRequest, DisconnectResponse, IntegrationResponse
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.services.manage_integrations import ManageIntegrationsService

router = create_router()

IntegrationsService = Annotated[ManageIntegrationsService, Depends(wiring.integrations_service)]
IntegrationId = Annotated[
    str, Path(min_length=1, max_length=64, description="An accounting integration (one per Dinero organization).")
]
TAGS = ["Integrations"]
NOT_FOUND = api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND)


@router.get(
    "/integrations",
    summary="The merchant's accounting integrations",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED),
)
def list_integrations(merchant_id: Merchant, service: IntegrationsService) -> list[IntegrationResponse]:
    return [IntegrationResponse.from_overview(overview) for overview in service.list_integrations(merchant_id)]


@router.get(
    "/integrations/<integration_id>",
    summary="One accounting integration",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=NOT_FOUND,
)
def get_integration(
    integration_id: IntegrationId, merchant_id: Merchant, service: IntegrationsService
) -> IntegrationResponse:
    return IntegrationResponse.from_overview(service.get_integration(merchant_id, integration_id))


@router.post(
    "/integrations/<integration_id>/activate",
    summary="Activate: creates the 7 templates (once), all accounts still empty",
    description="Refused (409) for an organization without Dinero Pro, or while Dinero is disconnected.",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
)
def activate(integration_id: IntegrationId, merchant_id: Merchant, service: IntegrationsService) -> IntegrationResponse:
    overview = service.activate(merchant_id, integration_id)
    count(Metric.INTEGRATION_ACTIVATED)
    return IntegrationResponse.from_overview(overview)


@router.post(
    "/integrations/<integration_id>/deactivate",
    summary="Deactivate: orders of linked webshops are recorded as skipped, not invoiced",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=NOT_FOUND,
)
def deactivate(
    integration_id: IntegrationId, merchant_id: Merchant, service: IntegrationsService
) -> IntegrationResponse:
    overview = service.deactivate(merchant_id, integration_id)
    count(Metric.INTEGRATION_DEACTIVATED)
    return IntegrationResponse.from_overview(overview)


@router.put(
    "/integrations/<integration_id>/book-automatically",
    summary="Book invoices automatically (on) or leave them as drafts for review (off, the default)",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=NOT_FOUND,
)
def set_book_automatically(
    integration_id: IntegrationId, body: BookAutomaticallyRequest, merchant_id: Merchant, service: IntegrationsService
) -> IntegrationResponse:
    overview = service.set_book_automatically(merchant_id, integration_id, body.enabled)
    count(Metric.BOOK_AUTOMATICALLY_CHANGED)
    return IntegrationResponse.from_overview(overview)


@router.delete(
    "/connection",
    summary="Disconnect Dinero",
    description="Revokes the grant at Visma Connect, deletes the tokens and deactivates every integration; "
    "integrations, templates and history stay. The tokens are deleted even when the revocation fails.",
    tags=["Connection"],
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def disconnect(merchant_id: Merchant, service: IntegrationsService) -> DisconnectResponse:
    revocation = service.disconnect(merchant_id)
    count(Metric.DINERO_DISCONNECTED)
    if revocation == "failed":
        count(Metric.GRANT_REVOCATION_FAILED)
    return DisconnectResponse(result="disconnected", revocation=revocation)
