"""Configuration API: the merchant's Shipmondo account (connect, status, disconnect), its webshops to link, and
backfills of a period."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.handlers.shipmondo_api_models import (
    BackfillRequest,
    BackfillResponse,
    ShipmondoConnectionResponse,
    ShipmondoConnectRequest,
    ShipmondoDisconnectResponse,
    WebshopResponse,
)
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.services.backfill_shipmondo import BackfillShipmondoService
from dinero_bookkeeping.services.connect_shipmondo import ConnectShipmondoService

router = create_router()

ConnectService = Annotated[ConnectShipmondoService, Depends(wiring.connect_shipmondo_service)]
BackfillService = Annotated[BackfillShipmondoService, Depends(wiring.backfill_shipmondo_service)]
BackfillId = Annotated[str, Path(min_length=1, max_length=64, description="The backfill's id.")]
TAGS = ["Shipmondo"]
_ERRORS = (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.SERVICE_UNAVAILABLE)


@router.put(
    "/shipmondo/connection",
    summary="Connect (or replace) the merchant's Shipmondo account",
    description="Checks the API user and key with Shipmondo (422 when refused), stores them and the webhook key "
    "encrypted, and registers our webhooks in the account. Secrets are never returned.",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(
        HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.SERVICE_UNAVAILABLE
    ),
)
def connect(
    body: ShipmondoConnectRequest, merchant_id: Merchant, service: ConnectService
) -> ShipmondoConnectionResponse:
    connection = service.connect(merchant_id, body.api_user, body.api_key, body.webhook_key)
    count(Metric.SHIPMONDO_CONNECTED)
    return ShipmondoConnectionResponse.from_connection(connection)


@router.get(
    "/shipmondo/connection",
    summary="The merchant's Shipmondo connection and how far the catch-up poll has read",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, *_ERRORS),
)
def get_connection(merchant_id: Merchant, service: ConnectService) -> ShipmondoConnectionResponse:
    return ShipmondoConnectionResponse.from_connection(service.get(merchant_id))


@router.delete(
    "/shipmondo/connection",
    summary="Disconnect Shipmondo: our webhooks are removed from the account, the credentials deleted",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, *_ERRORS),
)
def disconnect(merchant_id: Merchant, service: ConnectService) -> ShipmondoDisconnectResponse:
    result = service.disconnect(merchant_id)
    count(Metric.SHIPMONDO_DISCONNECTED)
    return ShipmondoDisconnectResponse(webhooks_removed=result.webhooks_removed, webhooks_left=result.webhooks_left)


@router.get(
    "/shipmondo/webshops",
    summary="The merchant's webshops in Shipmondo (order sources of the last 90 days), to link to an integration",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, *_ERRORS),
)
def list_webshops(merchant_id: Merchant, service: ConnectService) -> list[WebshopResponse]:
    return [WebshopResponse(order_integration_id=webshop) for webshop in service.webshops(merchant_id)]


@router.post(
    "/shipmondo/backfills",
    summary="Backfill a period: its handled orders are enqueued a few pages at a time, invoiced ones skipped",
    tags=TAGS,
    security=MERCHANT_AUTH,
    status_code=HTTPStatus.ACCEPTED,
    responses=api_responses(HTTPStatus.ACCEPTED, *_ERRORS, HTTPStatus.UNPROCESSABLE_ENTITY),
)
def start_backfill(body: BackfillRequest, merchant_id: Merchant, service: BackfillService) -> BackfillResponse:
    backfill = service.start(merchant_id, body.created_from, body.created_to)
    count(Metric.SHIPMONDO_BACKFILL_STARTED)
    return BackfillResponse.from_backfill(backfill, invoiced=0)


@router.get(
    "/shipmondo/backfills/<backfill_id>",
    summary="A backfill's progress: found, enqueued, skipped, invoiced",
    tags=TAGS,
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, *_ERRORS),
)
def get_backfill(backfill_id: BackfillId, merchant_id: Merchant, service: BackfillService) -> BackfillResponse:
    progress = service.progress(merchant_id, backfill_id)
    return BackfillResponse.from_backfill(progress.backfill, progress.invoiced)
