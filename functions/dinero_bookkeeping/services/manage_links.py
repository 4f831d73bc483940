"""Use cases: which webshops (order integrations) an accounting integration books orders for.

Many webshops may feed one accounting integration, but a webshop feeds at most one: its orders must land in
exactly one set of books. Links live in the merchant's own namespace: a merchant sees, links and unlinks only their
own, another merchant's use of the same webshop id is neither blocked nor revealed, and the order worker books an
event only through a link of the merchant the event names.
"""

from dataclasses import dataclass

from dinero_bookkeeping.domain.errors import ConflictError, NotFoundError
from dinero_bookkeeping.domain.integration import OrderIntegrationLink
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import Clock, IntegrationStore
from dinero_bookkeeping.services.ownership import owned_integration


@dataclass
class ManageLinksService:
    integrations: IntegrationStore
    clock: Clock

    def list_links(self, merchant_id: str, integration_id: str) -> list[OrderIntegrationLink]:
        owned_integration(self.integrations, merchant_id, integration_id)
        links = self.integrations.list_links(merchant_id, integration_id)
        return sorted(links, key=lambda link: link.order_integration_id)

    def link(self, merchant_id: str, integration_id: str, order_integration_id: str) -> OrderIntegrationLink:
        """Idempotent: linking a webshop to the integration it is already linked to returns that link."""
        owned_integration(self.integrations, merchant_id, integration_id)
        wanted = OrderIntegrationLink(
            order_integration_id=order_integration_id,
            integration_id=integration_id,
            merchant_id=merchant_id,
            linked_at=self.clock.now(),
        )
        link = self.integrations.add_link(wanted)
        if link.integration_id != integration_id:
            raise ConflictError(
                f"Webshop {order_integration_id} is already linked to another of your accounting integrations: "
                "unlink it there first"
            )
        logger.info("webshop linked", integration_id=integration_id, order_integration_id=order_integration_id)
        return link

    def unlink(self, merchant_id: str, integration_id: str, order_integration_id: str) -> None:
        owned_integration(self.integrations, merchant_id, integration_id)
        if not self.integrations.remove_link(merchant_id, order_integration_id, integration_id):
            raise NotFoundError(f"Webshop {order_integration_id} is not linked to this integration")
        logger.info("webshop unlinked", integration_id=integration_id, order_integration_id=order_integration_id)
