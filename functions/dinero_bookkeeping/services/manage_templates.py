"""Use cases: an integration's templates and OSS configuration, and the organization's choices in Dinero that fill
them.

A template is checked against what the organization really has in Dinero before it is stored, and its account's VAT
code and rate are stored with it (so the order worker checks each line's rate without a call). Those choices are
read through the merchant's connection and kept for a minute, so filling 7 templates in a row costs Dinero (and
its rate limit) three calls, not twenty-one. Those calls count against the organization's shared budget like the
orders' (the merchant is waiting, so they go ahead of any line of orders, for which the line leaves room).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from pydantic import ValidationError

from dinero_bookkeeping.domain.dinero_choices import AccountChoice, DineroChoices, LayoutChoice, VatTypeChoice
from dinero_bookkeeping.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from dinero_bookkeeping.domain.integration import AccountingIntegration, ConnectionStatus
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.rate_window import CallBudget, Reservation, WaitForBudget
from dinero_bookkeeping.domain.templates import AccountVat, PaymentConditionType, Template, TemplateKind
from dinero_bookkeeping.ports import Clock, ConnectionRepository, DineroChoicesGateway, IntegrationStore, RateLimiter
from dinero_bookkeeping.services.ownership import owned_integration

CHOICES_TTL = timedelta(seconds=60)
# The three reads of the choices (accounts, layouts, VAT types). A repeat after a 401 goes beyond them: the merchant
# is asked to try again (503), and the next try has the refreshed token.
CHOICES_CALLS = 3
# How long a merchant's request may wait for room in the budget before it answers 503 with Retry-After.
MAX_BUDGET_WAIT_S = 5.0


@dataclass(frozen=True)
class SavedTemplate:
    template: Template
    warnings: list[str]


@dataclass
class ManageTemplatesService:
    integrations: IntegrationStore
    connections: ConnectionRepository
    dinero: DineroChoicesGateway
    clock: Clock
    rate_limiter: RateLimiter
    choices_ttl: timedelta = CHOICES_TTL
    sleep: Callable[[float], None] = time.sleep
    _choices_cache: dict[str, tuple[datetime, DineroChoices]] = field(default_factory=dict, init=False, repr=False)

    def list_templates(self, merchant_id: str, integration_id: str) -> list[Template]:
        """In TemplateKind order; empty until the integration is activated."""
        owned_integration(self.integrations, merchant_id, integration_id)
        templates = self.integrations.get_templates(integration_id).templates
        return [templates[kind] for kind in TemplateKind if kind in templates]

    def get_template(self, merchant_id: str, integration_id: str, kind: TemplateKind) -> Template:
        owned_integration(self.integrations, merchant_id, integration_id)
        template = self.integrations.get_templates(integration_id).templates.get(kind)
        if template is None:
            raise NotFoundError(f"{kind.label} template does not exist: activate the integration first")
        return template

    def put_template(
        self,
        merchant_id: str,
        integration_id: str,
        kind: TemplateKind,
        *,
        account_number: int | None = None,
        layout_id: UUID | None = None,
        payment_condition_type: PaymentConditionType | None = None,
        payment_condition_days: int | None = None,
    ) -> SavedTemplate:
        """Replaces the template. Unknown or hidden accounts and unknown layouts are refused; poor VAT fits warned."""
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        if kind not in self.integrations.get_templates(integration_id).templates:
            raise ConflictError(f"{kind.label} template does not exist: activate the integration first")
        try:
            template = Template(
                kind=kind,
                account_number=account_number,
                layout_id=layout_id,
                payment_condition_type=payment_condition_type,
                payment_condition_days=payment_condition_days,
            )
        except ValidationError as error:
            raise InvalidRequestError(_first_message(error)) from error
        needs_dinero = template.account_number is not None or template.layout_id is not None
        warnings: list[str] = []
        if needs_dinero:
            saved = self.integrations.get_templates(integration_id)
            template, warnings = self._choices(integration).check(template, saved)
        self.integrations.put_template(integration_id, template)
        return SavedTemplate(template, warnings)

    def get_oss(self, merchant_id: str, integration_id: str) -> OssSettings:
        """The OSS configuration; without one, OSS is off (no countries)."""
        owned_integration(self.integrations, merchant_id, integration_id)
        return self.integrations.get_oss_settings(integration_id) or OssSettings()

    def put_oss(
        self, merchant_id: str, integration_id: str, *, liability_account: int | None, countries: dict[str, int]
    ) -> OssSettings:
        """Replaces the OSS configuration. Each account must exist in Dinero and carry no VAT; none: OSS is off."""
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        if liability_account is None and not countries:
            settings = OssSettings()
        else:
            choices = self._choices(integration)
            try:
                settings = OssSettings(
                    liability=choices.oss_account(liability_account, "liability_account_number")
                    if liability_account is not None
                    else None,
                    countries={
                        code.upper(): choices.oss_account(number, f"countries.{code.upper()}")
                        for code, number in countries.items()
                    },
                )
            except ValidationError as error:
                raise InvalidRequestError(_first_message(error)) from error
        self.integrations.put_oss_settings(integration_id, settings)
        return settings

    def account_choices(self, merchant_id: str, integration_id: str) -> list[tuple[AccountChoice, AccountVat]]:
        """The visible accounts, each with its VAT code's rate (from Dinero's VAT types)."""
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        choices = self._choices(integration)
        return [(account, choices.vat_of(account)) for account in choices.visible_accounts]

    def layout_choices(self, merchant_id: str, integration_id: str) -> list[LayoutChoice]:
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        return self._choices(integration).layouts

    def payment_condition_choices(self, merchant_id: str, integration_id: str) -> list[PaymentConditionType]:
        """Dinero's payment terms are the same for every organization."""
        owned_integration(self.integrations, merchant_id, integration_id)
        return list(PaymentConditionType)

    def _choices(self, integration: AccountingIntegration) -> DineroChoices:
        now = self.clock.now()
        cached = self._choices_cache.get(integration.integration_id)
        if cached is not None and now - cached[0] < self.choices_ttl:
            return cached[1]
        self._require_reachable(integration)
        budget = CallBudget(
            reserve_for_merchant(self.rate_limiter, integration.organization_id, CHOICES_CALLS, self.clock, self.sleep)
        )
        api = self.dinero.for_organization(
            integration.connection_id, integration.organization_id, lambda: budget.spend(self.clock.now())
        )
        try:
            choices = DineroChoices(
                accounts=[AccountChoice.from_dinero(item) for item in api.list_entry_accounts()],
                layouts=[LayoutChoice.from_dinero(item) for item in api.list_invoice_layouts()],
                vat_types=[VatTypeChoice.from_dinero(item) for item in api.list_vat_types()],
            )
        finally:
            self.rate_limiter.settle(budget.reservation, budget.used, budget.last_call_at)
        self._choices_cache[integration.integration_id] = (now, choices)
        return choices

    def _require_reachable(self, integration: AccountingIntegration) -> None:
        """Dinero would refuse anyway; saying why up front spares a call and gives the merchant the real reason."""
        if not integration.is_pro:
            raise ConflictError(f"{integration.organization_name} has no Dinero Pro subscription, which the API needs")
        connection = self.connections.get_connection(integration.connection_id)
        if connection is None or connection.status is not ConnectionStatus.CONNECTED:
            raise ConflictError("Dinero is disconnected: connect Dinero again")


def reserve_for_merchant(
    rate_limiter: RateLimiter, organization_id: int, calls: int, clock: Clock, sleep: Callable[[float], None]
) -> Reservation:
    """Room for a merchant's calls now, or in a few seconds; else WaitForBudget (503 with Retry-After)."""
    try:
        return rate_limiter.reserve_now(organization_id, calls, clock.now())
    except WaitForBudget as waiting:
        if (waiting.retry_after_seconds or 0) > MAX_BUDGET_WAIT_S:
            raise
        sleep(waiting.retry_after_seconds or 0)
    return rate_limiter.reserve_now(organization_id, calls, clock.now())


def _first_message(error: ValidationError) -> str:
    """The template's own rule that failed, without pydantic's "Value error, " prefix or the input."""
    first = error.errors(include_input=False)[0]
    return str(first["msg"]).removeprefix("Value error, ")
