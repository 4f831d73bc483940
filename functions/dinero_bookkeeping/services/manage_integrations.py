"""Use cases: a merchant's accounting integrations (list, activate, book automatically) and disconnecting Dinero."""

from dataclasses import dataclass
from typing import Literal

from dinero_bookkeeping.domain.errors import ConflictError, NotFoundError, PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import (
    AccountingIntegration,
    Connection,
    ConnectionStatus,
    connection_id_for,
)
from dinero_bookkeeping.domain.templates import TemplateKind, TemplateSet
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Clock, ConnectionStore, GrantRevoker, IntegrationStore
from dinero_bookkeeping.services.ownership import owned_integration

DISCONNECTED_BY_MERCHANT = "Disconnected by the merchant"
# What happened to the grant at Visma Connect when the merchant disconnected.
Revocation = Literal["revoked", "nothing_to_revoke", "failed"]


@dataclass(frozen=True)
class IntegrationOverview:
    """An integration with what the merchant needs to see next to it: connected or not, templates left to fill."""

    integration: AccountingIntegration
    connection: Connection | None
    incomplete_templates: list[TemplateKind]

    @property
    def connected(self) -> bool:
        return self.connection is not None and self.connection.status is ConnectionStatus.CONNECTED


@dataclass
class ManageIntegrationsService:
    integrations: IntegrationStore
    connections: ConnectionStore
    revoker: GrantRevoker
    clock: Clock

    def list_integrations(self, merchant_id: str) -> list[IntegrationOverview]:
        integrations = sorted(self.integrations.list_integrations(merchant_id), key=lambda i: i.organization_name)
        # A merchant has one connection; read it once, not once per integration.
        connections = {i.connection_id: self.connections.get_connection(i.connection_id) for i in integrations}
        return [self._overview(i, connections[i.connection_id]) for i in integrations]

    def get_integration(self, merchant_id: str, integration_id: str) -> IntegrationOverview:
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        return self._overview(integration, self.connections.get_connection(integration.connection_id))

    def activate(self, merchant_id: str, integration_id: str) -> IntegrationOverview:
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        if not integration.is_pro:
            raise ConflictError(
                f"{integration.organization_name} has no Dinero Pro subscription, which Dinero's API requires, "
                "so it cannot be activated"
            )
        connection = self.connections.get_connection(integration.connection_id)
        if connection is None or connection.status is not ConnectionStatus.CONNECTED:
            raise ConflictError("Dinero is disconnected: connect Dinero again, then activate the integration")
        # Only missing templates are created, so activating again never resets what the merchant chose.
        self.integrations.create_templates(integration_id, TemplateSet.empty())
        activated = self.integrations.update_settings(integration_id, self.clock.now(), active=True)
        logger.info("integration activated", integration_id=integration_id)
        return self._overview(activated, connection)

    def deactivate(self, merchant_id: str, integration_id: str) -> IntegrationOverview:
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        deactivated = self.integrations.update_settings(integration_id, self.clock.now(), active=False)
        return self._overview(deactivated, self.connections.get_connection(integration.connection_id))

    def set_book_automatically(self, merchant_id: str, integration_id: str, enabled: bool) -> IntegrationOverview:
        integration = owned_integration(self.integrations, merchant_id, integration_id)
        updated = self.integrations.update_settings(integration_id, self.clock.now(), book_automatically=enabled)
        return self._overview(updated, self.connections.get_connection(integration.connection_id))

    def disconnect(self, merchant_id: str) -> Revocation:
        """Grant revoked at Visma Connect, tokens deleted, every integration deactivated; integrations, templates,
        links and history are kept.

        The merchant's decision takes effect here whatever Visma Connect does: when revoking fails (down, refusing,
        or KMS unable to decrypt the token to revoke), our copy is deleted all the same and the failure is reported,
        so nothing of ours can use the grant again; it then ends when it expires or the merchant removes the app in
        Visma Connect. Failing the whole request instead would keep the tokens usable for as long as Visma is down.
        """
        connection_id = connection_id_for(merchant_id)
        if self.connections.get_connection(connection_id) is None:
            raise NotFoundError("Dinero is not connected")
        revocation = self._revoke(connection_id)
        now = self.clock.now()
        self.connections.mark_disconnected(connection_id, DISCONNECTED_BY_MERCHANT, now)
        for integration in self.integrations.list_integrations(merchant_id):
            if integration.active:
                self.integrations.update_settings(integration.integration_id, now, active=False)
        logger.info("dinero disconnected by the merchant", merchant_id=merchant_id, revocation=revocation)
        return revocation

    def _revoke(self, connection_id: str) -> Revocation:
        try:
            stored = self.connections.load_tokens(connection_id)
            if stored is None:
                return "nothing_to_revoke"
            self.revoker.revoke(stored.tokens.refresh_token)
        except (RetryableError, PermanentError) as failure:
            # The messages name the service and status only, never a token.
            logger.warning("dinero grant revocation failed", connection_id=connection_id, reason=str(failure))
            return "failed"
        return "revoked"

    def _overview(self, integration: AccountingIntegration, connection: Connection | None) -> IntegrationOverview:
        templates = self.integrations.get_templates(integration.integration_id)
        return IntegrationOverview(integration, connection, templates.incomplete)
