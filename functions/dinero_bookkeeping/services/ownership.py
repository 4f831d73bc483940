"""The one rule every configuration use case starts with: a merchant only reaches their own integrations."""

from dinero_bookkeeping.domain.errors import NotFoundError
from dinero_bookkeeping.domain.integration import AccountingIntegration
from dinero_bookkeeping.ports import IntegrationRepository


def owned_integration(
    integrations: IntegrationRepository, merchant_id: str, integration_id: str
) -> AccountingIntegration:
    """The integration if it is the merchant's. Another merchant's looks exactly like a missing one."""
    integration = integrations.get_integration(integration_id)
    if integration is None or integration.merchant_id != merchant_id:
        raise NotFoundError(f"Integration {integration_id} not found")
    return integration
