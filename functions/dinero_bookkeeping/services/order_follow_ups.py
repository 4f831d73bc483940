"""What the books need after an order's invoice: its payment, credit notes for returns, undoing a cancellation."""

from dataclasses import dataclass

from dinero_bookkeeping.domain.integration import AccountingIntegration
from dinero_bookkeeping.domain.order_event import (
    OrderCancelledEvent,
    OrderHandledEvent,
    OrderPaidEvent,
    OrderReturnedEvent,
)
from dinero_bookkeeping.domain.order_record import RecordKind
from dinero_bookkeeping.domain.rate_window import Place
from dinero_bookkeeping.services.book_payment import BookPaymentService
from dinero_bookkeeping.services.credit_order import CreditOrderService
from dinero_bookkeeping.services.order_steps import Outcome, StepOutcome


@dataclass
class OrderFollowUps:
    payments: BookPaymentService
    credits: CreditOrderService

    def handle(
        self,
        integration: AccountingIntegration,
        event: OrderHandledEvent | OrderPaidEvent | OrderReturnedEvent | OrderCancelledEvent,
        place: Place | None,
        *,
        final_attempt: bool,
    ) -> list[StepOutcome]:
        """An order.handled event's invoice is made already: it may get its payment now, like an order.paid one.
        `place`: the message's place in the organization's line, when no step of this delivery used it yet."""
        if isinstance(event, OrderReturnedEvent):
            outcome = self.credits.credit_return(integration, event, place, final_attempt=final_attempt)
            return [StepOutcome(RecordKind.CREDIT_NOTE, outcome)]
        if isinstance(event, OrderCancelledEvent):
            outcome = self.credits.cancel(integration, event, place, final_attempt=final_attempt)
            return [StepOutcome(RecordKind.CANCELLATION, outcome)]
        paid = self.payments.pay(integration, event, place, final_attempt=final_attempt)
        if paid is None:
            # Nothing to pay: for an order.paid event that is its outcome; an invoice's event just has no payment.
            return [] if isinstance(event, OrderHandledEvent) else [StepOutcome(RecordKind.PAYMENT, Outcome.SKIPPED)]
        return [StepOutcome(RecordKind.PAYMENT, paid)]
