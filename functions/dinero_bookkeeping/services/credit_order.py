"""Use cases: a returned fulfilment becomes one credit note (with its refund); a cancelled order is undone in Dinero.

- order.returned: exactly one credit note per (integration, order, return fulfilment). Its record and Guid are
  derived from the return like an invoice's from its order, so duplicates and concurrent workers end with one, and
  an attempt that may have created it looks it up first. It credits the invoice that billed the returned lines
  (domain/credit_note.py), is booked when "book automatically" is on and its totals check out (else left as a draft
  with a reason), and when the order was refunded and payments are registered, the refund is registered on it.
- order.cancelled: per invoice of the order, a draft is deleted and a booked one credited in full (less what returns
  credited already); an order never invoiced is recorded as skipped. One record per order (…#cancelled).
"""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from dinero_bookkeeping.domain.credit_note import (
    CreditNoteDraft,
    InvoicedDocument,
    build_cancellation_credit_note,
    build_return_credit_note,
)
from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus, compare_totals
from dinero_bookkeeping.domain.errors import DineroValidationError, PermanentError, RetryableError
from dinero_bookkeeping.domain.integration import AccountingIntegration
from dinero_bookkeeping.domain.money import format_amount, round_ore
from dinero_bookkeeping.domain.order_event import OrderCancelledEvent, OrderEventBase, OrderReturnedEvent
from dinero_bookkeeping.domain.order_record import (
    OrderRecord,
    OrderStatus,
    PaymentSummary,
    RecordKind,
    cancellation_credit_note_guid,
    cancellation_key,
    return_key,
)
from dinero_bookkeeping.domain.payment import (
    PaymentInstruction,
    PaymentTemplate,
    dkk_amount,
    external_reference,
    is_refunded,
    payment_date,
)
from dinero_bookkeeping.domain.rate_window import Place
from dinero_bookkeeping.observability import logger
from dinero_bookkeeping.ports import DineroLedgerApi, PaymentTemplates
from dinero_bookkeeping.services.book_order import BOOK_AUTOMATICALLY_OFF
from dinero_bookkeeping.services.book_payment import register_payment
from dinero_bookkeeping.services.ledger_steps import LedgerSteps
from dinero_bookkeeping.services.order_steps import Outcome

# Read the invoice; create, read back and book the credit note; refund: DKK value, look up (a resumed attempt looks
# up both the credit note and the refund; the reservation adds one lookup), pay, read what remains.
CREDIT_NOTE_CALLS = 8
# Per invoice of a cancelled order: read it, then delete it or credit it (as above).
CANCELLATION_CALLS_PER_INVOICE = 8
NEVER_INVOICED = "The order was cancelled before it was invoiced: nothing to undo in Dinero"


@dataclass(frozen=True)
class _Credited:
    credit_note: DineroInvoice
    reasons: list[str]
    refund: PaymentSummary | None


@dataclass
class CreditOrderService:
    steps: LedgerSteps
    templates: PaymentTemplates

    def credit_return(
        self, integration: AccountingIntegration, event: OrderReturnedEvent, place: Place | None, *, final_attempt: bool
    ) -> Outcome:
        key = return_key(event.order_integration_id, event.sales_order.id, event.fulfillment_id)
        record = self.steps.new_record(
            integration, event, RecordKind.CREDIT_NOTE, key, fulfillment_id=event.fulfillment_id
        )

        def step(record: OrderRecord, api: DineroLedgerApi, look_up_first: bool) -> Outcome:
            documents = self._documents(integration, event)
            if not documents:
                raise PermanentError(
                    "The order has no invoice in Dinero to credit: a return of goods not yet invoiced cannot be "
                    "credited (retry once the order is invoiced)"
                )
            draft = build_return_credit_note(event, [doc for _, doc in documents], record.invoice_guid)
            invoice_record, document = next(pair for pair in documents if pair[1].guid == draft.credit_note_for)
            credited = self._credit(
                integration,
                api,
                draft,
                invoice_record,
                document,
                event,
                look_up_first=look_up_first,
                suffix=str(event.fulfillment_id),
            )
            return self._finish(record, credited, related=draft.credit_note_for)

        return self.steps.run(
            integration,
            record,
            event.model_dump_json(),
            CREDIT_NOTE_CALLS,
            step,
            place,
            final_attempt=final_attempt,
            skip=_inactive_reason(integration),
        )

    def cancel(
        self,
        integration: AccountingIntegration,
        event: OrderCancelledEvent,
        place: Place | None,
        *,
        final_attempt: bool,
    ) -> Outcome:
        key = cancellation_key(event.order_integration_id, event.sales_order.id)
        record = self.steps.new_record(integration, event, RecordKind.CANCELLATION, key, fulfillment_id=None)
        # Every invoice the order may have: one for the whole order or one per parcel (unused calls are given back).
        outbound = [f for f in event.sales_order.order_fulfillments if f.type == "outbound"]
        calls = CANCELLATION_CALLS_PER_INVOICE * (1 + len(outbound))

        def step(record: OrderRecord, api: DineroLedgerApi, look_up_first: bool) -> Outcome:
            documents = self._documents(integration, event)
            if not documents:
                self.steps.records.finish(record, OrderStatus.SKIPPED, reason=NEVER_INVOICED)
                return Outcome.SKIPPED
            done: list[str] = []
            reasons: list[str] = []
            credited_total = Decimal(0)
            currency = documents[0][1].draft.currency
            for invoice_record, document in documents:
                invoice = api.get_invoice(document.guid)
                name = f"invoice {invoice_record.invoice_number or document.guid}"
                if invoice is None:
                    done.append(f"draft {name} deleted")  # by an earlier attempt whose answer was lost, or by hand
                    continue
                if invoice.status is DineroInvoiceStatus.DRAFT:
                    api.delete_invoice(invoice.guid, invoice.timestamp)
                    done.append(f"draft {name} deleted")
                    continue
                guid = cancellation_credit_note_guid(integration.integration_id, invoice_record.order_key)
                draft = build_cancellation_credit_note(
                    event.sales_order, event.occurred_at, [doc for _, doc in documents], document, guid
                )
                if draft is None:
                    done.append(f"{name} was credited in full by its returns")
                    continue
                credited = self._credit(
                    integration,
                    api,
                    draft,
                    invoice_record,
                    document,
                    event,
                    look_up_first=look_up_first,
                    suffix="cancelled",
                )
                credited_total += credited.credit_note.total_incl_vat
                state = "booked" if credited.credit_note.status is DineroInvoiceStatus.BOOKED else "left as draft"
                done.append(f"{name} credited in full by credit note {credited.credit_note.number or guid} ({state})")
                reasons += credited.reasons
            status = OrderStatus.DRAFT if reasons else OrderStatus.BOOKED
            self.steps.records.finish(
                record,
                status,
                reason="; ".join([*done, *reasons]),
                total_incl_vat=credited_total if credited_total else None,
                currency=currency,
            )
            logger.info("order cancelled in Dinero", status=status.value)
            return Outcome.DRAFT if reasons else Outcome.BOOKED

        return self.steps.run(
            integration,
            record,
            event.model_dump_json(),
            calls,
            step,
            place,
            final_attempt=final_attempt,
            skip=_inactive_reason(integration),
        )

    def _documents(
        self, integration: AccountingIntegration, event: OrderEventBase
    ) -> list[tuple[OrderRecord, InvoicedDocument]]:
        return self.steps.invoiced_documents(integration, event.sales_order, event.order_integration_id)

    def _credit(
        self,
        integration: AccountingIntegration,
        api: DineroLedgerApi,
        draft: CreditNoteDraft,
        invoice_record: OrderRecord,
        document: InvoicedDocument,
        event: OrderEventBase,
        *,
        look_up_first: bool,
        suffix: str,
    ) -> _Credited:
        """The credit note in Dinero (created unless an earlier attempt did), booked if it may be, refund registered."""
        invoice = api.get_invoice(draft.credit_note_for)
        if invoice is None:
            raise PermanentError(
                f"Invoice {invoice_record.invoice_number or draft.credit_note_for} is no longer in Dinero"
            )
        if invoice.status is not DineroInvoiceStatus.BOOKED or invoice.contact_guid is None:
            raise PermanentError(
                f"The invoice {draft.credit_note_for} is still a draft in Dinero: book it (or delete it), then retry"
            )
        credit_note = api.get_credit_note(draft.guid) if look_up_first else None
        if credit_note is None:
            credit_note = _create_credit_note(api, draft, invoice.contact_guid)
        vat_lines = sum(1 for line in draft.lines if line.vat != 0)
        totals = compare_totals(
            credit_note, draft.expected_total_incl_vat, draft.expected_vat, vat_lines, draft.currency
        )
        reasons = [*totals.total_reasons, *totals.vat_reasons]
        if round_ore(document.draft.expected_total_incl_vat) != invoice.total_incl_vat:
            # The invoice was rebuilt from its event with today's templates; a changed account would show here.
            reasons.append("The invoice no longer comes out as it was made (templates changed?): check the lines")
        if credit_note.status is DineroInvoiceStatus.DRAFT and integration.book_automatically and not reasons:
            credit_note = api.book_credit_note(credit_note.guid, credit_note.timestamp)
        if credit_note.status is not DineroInvoiceStatus.BOOKED:
            reasons = reasons or [BOOK_AUTOMATICALLY_OFF]
        refund = self._refund(integration, api, credit_note, invoice, event, look_up_first, suffix, reasons)
        return _Credited(credit_note, reasons, refund)

    def _refund(
        self,
        integration: AccountingIntegration,
        api: DineroLedgerApi,
        credit_note: DineroInvoice,
        invoice: DineroInvoice,
        event: OrderEventBase,
        look_up_first: bool,
        suffix: str,
        reasons: list[str],
    ) -> PaymentSummary | None:
        """The refund on a booked credit note, when the order was refunded and payments are registered. Shipmondo
        gives no refunded amount, so the credit note's total is taken as refunded."""
        template = self.templates.get_payment_template(integration.integration_id)
        order = event.sales_order
        if not template.register_payments or not is_refunded(order):
            return None
        if credit_note.status is not DineroInvoiceStatus.BOOKED:
            reasons.append("The refund is registered once the credit note is booked: book it, then retry")
            return None
        instruction = _refund_instruction(api, template, credit_note, invoice, event, suffix)
        overview = register_payment(
            instruction,
            credit_note,
            look_up=api.list_credit_note_payments,
            create=api.create_credit_note_payment,
            look_up_first=look_up_first,
        )
        return PaymentSummary(
            amount=instruction.amount,
            currency=instruction.currency,
            deposit_account=instruction.deposit_account,
            payment_date=instruction.payment_date,
            remaining_amount=overview.remaining_amount,
        )

    def _finish(self, record: OrderRecord, credited: _Credited, related: UUID) -> Outcome:
        booked = credited.credit_note.status is DineroInvoiceStatus.BOOKED and not credited.reasons
        status = OrderStatus.BOOKED if booked else OrderStatus.DRAFT
        self.steps.records.finish(
            record,
            status,
            reason="; ".join(credited.reasons) or None,
            invoice_number=credited.credit_note.number,
            total_incl_vat=credited.credit_note.total_incl_vat,
            currency=credited.credit_note.currency,
            related_guid=related,
            payment=credited.refund,
        )
        logger.info("credit note made", status=status.value, credit_note_number=credited.credit_note.number)
        return Outcome.BOOKED if booked else Outcome.DRAFT


def _inactive_reason(integration: AccountingIntegration) -> str | None:
    return None if integration.active else f"Accounting integration for {integration.organization_name} is not active"


def _create_credit_note(api: DineroLedgerApi, draft: CreditNoteDraft, contact_guid: UUID) -> DineroInvoice:
    try:
        api.create_credit_note(draft.dinero_body(contact_guid))
    except DineroValidationError:
        # Refused as a second credit note with the Guid: a slow earlier attempt or another worker made it.
        existing = api.get_credit_note(draft.guid)
        if existing is None:
            raise
        return existing
    created = api.get_credit_note(draft.guid)
    if created is None:
        raise RetryableError("Dinero did not return the credit note it just created")
    return created


def _refund_instruction(
    api: DineroLedgerApi,
    template: PaymentTemplate,
    credit_note: DineroInvoice,
    invoice: DineroInvoice,
    event: OrderEventBase,
    suffix: str,
) -> PaymentInstruction:
    order = event.sales_order
    amount = credit_note.total_incl_vat
    amount_dkk = amount
    if credit_note.currency != "DKK":
        # The credited invoice's rate: the refund leaves no currency difference against it.
        in_dkk = api.invoice_total_in_dkk(invoice.guid, order.order_id)
        amount_dkk = dkk_amount(amount, credit_note.currency, invoice.total_incl_vat, in_dkk)
    return PaymentInstruction(
        amount=amount,
        amount_dkk=amount_dkk,
        currency=credit_note.currency,
        deposit_account=template.account_for(order.payment_details.payment_method if order.payment_details else None),
        payment_date=payment_date(event.occurred_at),
        external_reference=external_reference(order, f"refund-{suffix}"),
        description=f"Refund {format_amount(amount, credit_note.currency)}, order {order.order_id}",
    )
