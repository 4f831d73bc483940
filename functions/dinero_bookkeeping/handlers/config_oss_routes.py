"""Configuration API: the optional OSS configuration (EU consumer sales taxed in the buyer's country)."""

from http import HTTPStatus

from dinero_bookkeeping.handlers.api_models import OssRequest, OssResponse
from dinero_bookkeeping.handlers.config_integration_routes import IntegrationId
from dinero_bookkeeping.handlers.config_template_routes import FROM_DINERO, TemplatesService
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count

router = create_router()


@router.get(
    "/integrations/<integration_id>/oss",
    summary="The OSS configuration (off until a country is configured)",
    tags=["OSS"],
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def get_oss(integration_id: IntegrationId, merchant_id: Merchant, service: TemplatesService) -> OssResponse:
    return OssResponse.from_settings(service.get_oss(merchant_id, integration_id))


@router.put(
    "/integrations/<integration_id>/oss",
    summary="Configure OSS",
    description="An order charged another EU country's VAT is booked as its net amount on that country's sales "
    "account and the foreign VAT as a line on the liability account. Accounts are checked against Dinero's chart: "
    "each must exist and carry no VAT (422 otherwise). An empty body turns OSS off.",
    tags=["OSS"],
    security=MERCHANT_AUTH,
    responses=FROM_DINERO,
)
def put_oss(
    integration_id: IntegrationId, body: OssRequest, merchant_id: Merchant, service: TemplatesService
) -> OssResponse:
    settings = service.put_oss(
        merchant_id, integration_id, liability_account=body.liability_account_number, countries=body.countries
    )
    count(Metric.OSS_CONFIGURED)
    return OssResponse.from_settings(settings)
