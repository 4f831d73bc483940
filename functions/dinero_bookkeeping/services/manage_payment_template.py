"""Use cases: the integration's optional Payment template, and the organization's deposit accounts that fill it.

Reading the deposit accounts is one Dinero call, counted against the organization's budget like the other choices.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from dinero_bookkeeping.domain.errors import ConflictError, InvalidRequestError
from dinero_bookkeeping.domain.integration import AccountingIntegration, ConnectionStatus
from dinero_bookkeeping.domain.payment import DepositAccountChoice, PaymentTemplate, unusable_accounts
from dinero_bookkeeping.domain.rate_window import CallBudget
from dinero_bookkeeping.ports import (
    Clock,
    ConnectionRepository,
    DineroChoicesGateway,
    IntegrationRepository,
    PaymentTemplateStore,
    RateLimiter,
)
from dinero_bookkeeping.services.manage_templates import reserve_for_merchant
from dinero_bookkeeping.services.ownership import owned_integration

DEPOSIT_ACCOUNT_CALLS = 1


@dataclass
class ManagePaymentTemplateService:
    integrations: IntegrationRepository
    templates: PaymentTemplateStore
    connections: ConnectionRepository
    dinero: DineroChoicesGateway
    clock: Clock
    rate_limiter: RateLimiter
    sleep: Callable[[float], None] = time.sleep

    def get(self, merchant_id: str, integration_id: str) -> PaymentTemplate:
        owned_integration(self.integrations, merchant_id, integration_id)
        return self.templates.get_payment_template(integration_id)

    def put(
        self,
        merchant_id: str,
        integration_id: str,
        *,
        register_payments: bool,
        deposit_account: int | None,
        method_accounts: dict[str, int],
    ) -> PaymentTemplate:
        """Replaces the template. Every account must be a visible deposit account of the organization in Dinero."""
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        try:
            template = PaymentTemplate(
                register_payments=register_payments,
                deposit_account=deposit_account,
                method_accounts={method.strip().lower(): account for method, account in method_accounts.items()},
            )
        except ValidationError as error:
            first = error.errors(include_input=False)[0]
            raise InvalidRequestError(str(first["msg"]).removeprefix("Value error, ")) from error
        if template.accounts:
            problems = unusable_accounts(template, self._deposit_accounts(integration))
            if problems:
                raise InvalidRequestError("; ".join(problems))
        self.templates.put_payment_template(integration_id, template)
        return template

    def deposit_account_choices(self, merchant_id: str, integration_id: str) -> list[DepositAccountChoice]:
        """Visible deposit accounts only: Dinero marks the ones that should not be used as hidden."""
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        return [choice for choice in self._deposit_accounts(integration) if not choice.is_hidden]

    def _deposit_accounts(self, integration: AccountingIntegration) -> list[DepositAccountChoice]:
        if not integration.is_pro:
            raise ConflictError(f"{integration.organization_name} has no Dinero Pro subscription, which the API needs")
        connection = self.connections.get_connection(integration.connection_id)
        if connection is None or connection.status is not ConnectionStatus.CONNECTED:
            raise ConflictError("Dinero is disconnected: connect Dinero again")
        budget = CallBudget(
            reserve_for_merchant(
                self.rate_limiter, integration.organization_id, DEPOSIT_ACCOUNT_CALLS, self.clock, self.sleep
            )
        )
        api = self.dinero.for_organization(
            integration.connection_id, integration.organization_id, lambda: budget.spend(self.clock.now())
        )
        try:
            return [DepositAccountChoice.from_dinero(item) for item in api.list_deposit_accounts()]
        finally:
            self.rate_limiter.settle(budget.reservation, budget.used, budget.last_call_at)
