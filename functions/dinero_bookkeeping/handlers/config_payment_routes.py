"""Configuration API: the optional Payment template, and the organization's deposit accounts to fill it with."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends

from dinero_bookkeeping import wiring
from dinero_bookkeeping.handlers.api_models import (
    DepositAccountChoiceResponse,
    PaymentTemplateRequest,
    PaymentTemplateResponse,
)
from dinero_bookkeeping.handlers.config_integration_routes import IntegrationId
from dinero_bookkeeping.handlers.http_api import MERCHANT_AUTH, Merchant, api_responses, create_router
from dinero_bookkeeping.metric_names import Metric
from dinero_bookkeeping.observability import count
from dinero_bookkeeping.services.manage_payment_template import ManagePaymentTemplateService

router = create_router()

PaymentsService = Annotated[ManagePaymentTemplateService, Depends(wiring.payment_template_service)]
FROM_DINERO = api_responses(
    HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.SERVICE_UNAVAILABLE
)


@router.get(
    "/integrations/<integration_id>/payment-template",
    summary="The Payment template (payments off until it is saved)",
    tags=["Templates"],
    security=MERCHANT_AUTH,
    responses=api_responses(HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND),
)
def get_payment_template(
    integration_id: IntegrationId, merchant_id: Merchant, service: PaymentsService
) -> PaymentTemplateResponse:
    return PaymentTemplateResponse.from_template(service.get(merchant_id, integration_id))


@router.put(
    "/integrations/<integration_id>/payment-template",
    summary="Fill the Payment template",
    description="With register_payments on, a paid order's booked invoices get their payments in Dinero and refunded "
    "returns their refunds, on deposit_account or the payment method's own account. Accounts are checked against the "
    "organization's deposit accounts in Dinero (422 if it has no such account).",
    tags=["Templates"],
    security=MERCHANT_AUTH,
    responses=FROM_DINERO,
)
def put_payment_template(
    integration_id: IntegrationId, body: PaymentTemplateRequest, merchant_id: Merchant, service: PaymentsService
) -> PaymentTemplateResponse:
    template = service.put(
        merchant_id,
        integration_id,
        register_payments=body.register_payments,
        deposit_account=body.deposit_account,
        method_accounts=body.method_accounts,
    )
    count(Metric.TEMPLATE_SAVED)
    return PaymentTemplateResponse.from_template(template)


@router.get(
    "/integrations/<integration_id>/choices/deposit-accounts",
    summary="The organization's deposit accounts in Dinero (hidden ones left out)",
    tags=["Choices"],
    security=MERCHANT_AUTH,
    responses=FROM_DINERO,
)
def deposit_account_choices(
    integration_id: IntegrationId, merchant_id: Merchant, service: PaymentsService
) -> list[DepositAccountChoiceResponse]:
    choices = service.deposit_account_choices(merchant_id, integration_id)
    return [DepositAccountChoiceResponse.from_choice(choice) for choice in choices]
