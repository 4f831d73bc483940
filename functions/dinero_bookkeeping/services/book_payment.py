"""Use case: a paid order's booked invoices get their payments in Dinero, exactly once each.

Each invoice's payment is a record of its own (the invoice's key + "#payment"), claimed like an invoice. Dinero
does not deduplicate payments, so a payment that may have reached Dinero (an earlier attempt of the record) is
looked up among the invoice's payments by its ExternalReference (the transaction id) before it is sent again.
A draft invoice gets no payment: the record says so, and retrying it once the invoice is booked registers it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus
from dinero_bookkeeping.domain.errors import PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import AccountingIntegration
from dinero_bookkeeping.domain.order_event import OrderHandledEvent, OrderPaidEvent
from dinero_bookkeeping.domain.order_record import (
    OrderRecord,
    OrderStatus,
    PaymentSummary,
    RecordKind,
    invoice_guid_for,
    order_key,
    payment_key,
)
from dinero_bookkeeping.domain.payment import (
    PaymentInstruction,
    PaymentsOverview,
    PaymentTemplate,
    dkk_amount,
    external_reference,
    invoice_payment_amount,
    is_paid,
    payment_date,
)
from dinero_bookkeeping.domain.rate_window import Place
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import DineroLedgerApi, PaymentTemplates
from dinero_bookkeeping.services.ledger_steps import INVOICED, LedgerSteps
from dinero_bookkeeping.services.order_steps import Outcome

# Read the invoice, read its DKK value (foreign currency), pay it, read what remains.
PAYMENT_CALLS = 4
DRAFT_REASON = "The invoice is a draft, and Dinero takes payments on booked invoices only: book it, then retry this"


@dataclass
class BookPaymentService:
    steps: LedgerSteps
    templates: PaymentTemplates

    def pay(
        self,
        integration: AccountingIntegration,
        event: OrderHandledEvent | OrderPaidEvent,
        place: Place | None,
        *,
        final_attempt: bool,
    ) -> Outcome | None:
        """Pay the event's invoice (order.handled) or each of the order's invoices (order.paid). None: nothing to do
        (payments off, the order not paid, or no invoice yet; the order's next event brings it). `place`: the
        message's place in the organization's line, for the first payment that reserves calls."""
        template = self.templates.get_payment_template(integration.integration_id)
        if not template.register_payments or not integration.active or not is_paid(event.sales_order):
            return None
        order = event.sales_order
        if isinstance(event, OrderHandledEvent):
            fulfilment_ids: list[int | None] = [event.fulfillment_id]
        else:
            fulfilment_ids = [None, *sorted(f.id for f in order.order_fulfillments if f.type == "outbound")]
        outcome: Outcome | None = None
        for fulfillment_id in fulfilment_ids:
            key = order_key(event.order_integration_id, order.id, fulfillment_id)
            invoice_record = self.steps.records.get_record(
                integration.integration_id, invoice_guid_for(integration.integration_id, key)
            )
            if invoice_record is None or invoice_record.status not in INVOICED:
                continue
            record = self.steps.new_record(
                integration,
                event,
                RecordKind.PAYMENT,
                payment_key(key),
                fulfillment_id=fulfillment_id,
                related_guid=invoice_record.invoice_guid,
            )
            step = self._step(event, template, whole_order=fulfillment_id is None)
            outcome = self.steps.run(
                integration, record, event.model_dump_json(), PAYMENT_CALLS, step, place, final_attempt=final_attempt
            )
            place = None  # used by the first payment's reservation
        if outcome is None:
            logger.info("paid order has no invoice in Dinero yet; its invoice's event registers the payment")
        return outcome

    def _step(
        self, event: OrderHandledEvent | OrderPaidEvent, template: PaymentTemplate, *, whole_order: bool
    ) -> Callable[[OrderRecord, DineroLedgerApi, bool], Outcome]:
        def step(record: OrderRecord, api: DineroLedgerApi, look_up_first: bool) -> Outcome:
            assert record.related_guid is not None  # a payment record always names its invoice
            invoice = api.get_invoice(record.related_guid)
            if invoice is None:
                raise PermanentError("The invoice is no longer in Dinero (deleted there?), so it cannot be paid")
            if invoice.status is not DineroInvoiceStatus.BOOKED:
                self.steps.records.finish(record, OrderStatus.SKIPPED, reason=DRAFT_REASON)
                return Outcome.SKIPPED
            order = event.sales_order
            amount = invoice_payment_amount(order, whole_order, invoice.total_incl_vat)
            instruction = PaymentInstruction(
                amount=amount,
                amount_dkk=_dkk(api, invoice, amount, order.order_id),
                currency=invoice.currency,
                deposit_account=template.account_for(
                    order.payment_details.payment_method if order.payment_details else None
                ),
                payment_date=payment_date(event.occurred_at),
                external_reference=external_reference(order),
                description=f"Order {order.order_id}",
            )
            overview = register_payment(
                instruction,
                invoice,
                look_up=api.list_invoice_payments,
                create=api.create_invoice_payment,
                look_up_first=look_up_first,
            )
            self.steps.records.finish(
                record,
                OrderStatus.BOOKED,
                reason=None,
                invoice_number=invoice.number,
                total_incl_vat=amount,
                currency=invoice.currency,
                payment=_summary(instruction, overview),
            )
            logger.info("payment registered", invoice_number=invoice.number)
            return Outcome.BOOKED

        return step


def register_payment(
    instruction: PaymentInstruction,
    voucher: DineroInvoice,
    *,
    look_up: Callable[[UUID], PaymentsOverview | None],
    create: Callable[[UUID, dict[str, Any]], None],
    look_up_first: bool,
) -> PaymentsOverview:
    """Send the payment unless Dinero has it already; answer the voucher's payments afterwards."""
    if look_up_first:
        earlier = look_up(voucher.guid)
        if earlier is not None and instruction.external_reference in earlier.external_references:
            return earlier
    # A slower earlier attempt that paid meanwhile changed the voucher's version: Dinero then refuses this one as
    # stale (a retryable error), and the next attempt finds the payment by its reference.
    create(voucher.guid, instruction.dinero_body(voucher.timestamp))
    overview = look_up(voucher.guid)
    if overview is None:
        raise RetryableError("Dinero did not list the payment it just took")
    return overview


def _dkk(api: DineroLedgerApi, invoice: DineroInvoice, amount: Decimal, order_number: str) -> Decimal:
    if invoice.currency == "DKK":
        return amount
    in_dkk = api.invoice_total_in_dkk(invoice.guid, order_number)
    return dkk_amount(amount, invoice.currency, invoice.total_incl_vat, in_dkk)


def _summary(instruction: PaymentInstruction, overview: PaymentsOverview) -> PaymentSummary:
    return PaymentSummary(
        amount=instruction.amount,
        currency=instruction.currency,
        deposit_account=instruction.deposit_account,
        payment_date=instruction.payment_date,
        remaining_amount=overview.remaining_amount,
    )
