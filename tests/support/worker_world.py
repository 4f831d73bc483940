"""The order worker (BookOrderService, with its steps after the invoice) over in-memory fakes: one merchant, one active
Pro integration with the standard templates, booking automatically, payments off, linked to webshop-1."""

from decimal import Decimal

from dinero_bookkeeping.domain.integration import AccountingIntegration, Connection, OrderIntegrationLink
from dinero_bookkeeping.services.book_order import BookOrderService
from dinero_bookkeeping.services.book_payment import BookPaymentService
from dinero_bookkeeping.services.credit_order import CreditOrderService
from dinero_bookkeeping.services.ledger_steps import LedgerSteps
from dinero_bookkeeping.services.order_follow_ups import OrderFollowUps
from support.events import standard_templates
from support.fakes import (
    FakeDinero,
    FakeDineroPayments,
    FixedClock,
    InMemoryConnections,
    InMemoryIntegrations,
    InMemoryOrderHistory,
    InMemoryPaymentTemplates,
)

MERCHANT = "merchant-1"
WEBSHOP = "webshop-1"
INTEGRATION_ID = "integration-1"
VAT_RATES = {1000: Decimal("0.25"), 1350: Decimal("0.25"), 1100: Decimal("0"), 1255: Decimal("0"), 1300: Decimal("0")}


class WorkerWorld:
    def __init__(self) -> None:
        self.clock = FixedClock()
        now = self.clock.now()
        self.integrations = InMemoryIntegrations()
        self.integrations.integrations[INTEGRATION_ID] = AccountingIntegration(
            integration_id=INTEGRATION_ID,
            merchant_id=MERCHANT,
            connection_id="connection-1",
            organization_id=1001,
            organization_name="Nordlys Webshop ApS",
            is_pro=True,
            active=True,
            book_automatically=True,
            created_at=now,
            updated_at=now,
        )
        self.integrations.templates[INTEGRATION_ID] = standard_templates()
        self.integrations.link(
            OrderIntegrationLink(
                order_integration_id=WEBSHOP, integration_id=INTEGRATION_ID, merchant_id=MERCHANT, linked_at=now
            )
        )
        self.connections = InMemoryConnections(
            {"connection-1": Connection(connection_id="connection-1", merchant_id=MERCHANT, updated_at=now)}
        )
        self.records = InMemoryOrderHistory()
        self.dinero = FakeDinero(vat_rates=dict(VAT_RATES))
        steps = LedgerSteps(self.integrations, self.connections, self.records, FakeDineroPayments(), self.clock)
        templates = InMemoryPaymentTemplates()
        self.service = BookOrderService(
            integrations=self.integrations,
            connections=self.connections,
            contacts=self.integrations,
            records=self.records,
            dinero=self.dinero,
            clock=self.clock,
            follow_ups=OrderFollowUps(BookPaymentService(steps, templates), CreditOrderService(steps, templates)),
        )
