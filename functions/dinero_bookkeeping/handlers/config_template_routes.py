"""Configuration API: an integration's templates, and the organization's choices in Dinero to fill them with."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from dinero_bookkeeping import wiring
from dinero_bookkeeping.domain.templates import TemplateKind
from dinero_bookkeeping.handlers.api_models import (
    AccountChoiceResponse,
    LayoutChoiceResponse,
    PaymentConditionChoiceResponse,
    SavedTemplateResponse,
    TemplateRequest,
    TemplateResponse,
)
from dinero_bookkeeping.handlers.config_integration_routes import IntegrationId
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.services.manage_templates import ManageTemplatesService

router = create_router()

TemplatesService = Annotated[ManageTemplatesService, Depends(wiring.templates_service)]
Kind = Annotated[TemplateKind, Path(description="Which of the 7 templates.")]
# Reading the choices goes through Dinero: no Pro or no connection is a 409, Dinero being down a 503.
FROM_DINERO = api_responses(
    HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.SERVICE_UNAVAILABLE
)


@router.get(
    "/integrations/<integration_id>/templates",
    summary="The integration's templates (none until it is activated)",
    tags=["Templates"],
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def list_templates(
    integration_id: IntegrationId, merchant_id: Merchant, service: TemplatesService
) -> list[TemplateResponse]:
    return [TemplateResponse.from_template(t) for t in service.list_templates(merchant_id, integration_id)]


@router.get(
    "/integrations/<integration_id>/templates/<kind>",
    summary="One template",
    tags=["Templates"],
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def get_template(
    integration_id: IntegrationId, kind: Kind, merchant_id: Merchant, service: TemplatesService
) -> TemplateResponse:
    return TemplateResponse.from_template(service.get_template(merchant_id, integration_id, kind))


@router.put(
    "/integrations/<integration_id>/templates/<kind>",
    summary="Fill a template",
    description="Values are checked against the organization's accounts and layouts in Dinero (422 if it has no "
    "such account or layout). The account's VAT code is stored with it; one that does not suit the region (or, for "
    "Shipping, differs from the Product account's) is stored with a warning.",
    tags=["Templates"],
    security=MERCHANT_AUTH,
    responses=FROM_DINERO,
)
def put_template(
    integration_id: IntegrationId, kind: Kind, body: TemplateRequest, merchant_id: Merchant, service: TemplatesService
) -> SavedTemplateResponse:
    saved = service.put_template(
        merchant_id,
        integration_id,
        kind,
        account_number=body.account_number,
        layout_id=body.layout_id,
        payment_condition_type=body.payment_condition_type,
        payment_condition_days=body.payment_condition_days,
    )
    count(Metric.TEMPLATE_SAVED)
    return SavedTemplateResponse.from_saved(saved.template, saved.warnings)


@router.get(
    "/integrations/<integration_id>/choices/accounts",
    summary="The organization's accounts in Dinero (hidden ones left out)",
    tags=["Choices"],
    security=MERCHANT_AUTH,
    responses=FROM_DINERO,
)
def account_choices(
    integration_id: IntegrationId, merchant_id: Merchant, service: TemplatesService
) -> list[AccountChoiceResponse]:
    choices = service.account_choices(merchant_id, integration_id)
    return [AccountChoiceResponse.from_choice(account, vat) for account, vat in choices]


@router.get(
    "/integrations/<integration_id>/choices/layouts",
    summary="The organization's invoice layouts in Dinero",
    tags=["Choices"],
    security=MERCHANT_AUTH,
    responses=FROM_DINERO,
)
def layout_choices(
    integration_id: IntegrationId, merchant_id: Merchant, service: TemplatesService
) -> list[LayoutChoiceResponse]:
    return [LayoutChoiceResponse.from_choice(lt) for lt in service.layout_choices(merchant_id, integration_id)]


@router.get(
    "/integrations/<integration_id>/choices/payment-conditions",
    summary="Dinero's payment terms",
    tags=["Choices"],
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def payment_condition_choices(
    integration_id: IntegrationId, merchant_id: Merchant, service: TemplatesService
) -> list[PaymentConditionChoiceResponse]:
    conditions = service.payment_condition_choices(merchant_id, integration_id)
    return [PaymentConditionChoiceResponse(type=c, takes_days=c.takes_days) for c in conditions]
