"""What the books need after an order's invoice: its payment, credit notes for returns, undoing a cancellation."""

from dataclasses import dataclass

from dinero_bookkeeping.domain.integration import AccountingIntegration
from dinero_bookkeeping.domain.order_event import (
    OrderCancelledEvent,
    OrderHandledEvent,
    OrderPaidEvent,
    OrderReturnedEvent,
)
from dinero_bookkeeping.services.book_order import Outcome
from dinero_bookkeeping.services.book_payment import BookPaymentService
from dinero_bookkeeping.services.credit_order import CreditOrderService


@dataclass
class OrderFollowUps:
    payments: BookPaymentService
    credits: CreditOrderService

    def handle(
        self,
        integration: AccountingIntegration,
        event: OrderHandledEvent | OrderPaidEvent | OrderReturnedEvent | OrderCancelledEvent,
        *,
        final_attempt: bool,
    ) -> Outcome:
        """An order.handled event's invoice is made already: it may get its payment now, like an order.paid one."""
        if isinstance(event, OrderReturnedEvent):
            return self.credits.credit_return(integration, event, final_attempt=final_attempt)
        if isinstance(event, OrderCancelledEvent):
            return self.credits.cancel(integration, event, final_attempt=final_attempt)
        return self.payments.pay(integration, event, final_attempt=final_attempt) or Outcome.SKIPPED
