"""Crediting an order: a return fulfilment, or everything left when the order is cancelled, as a Dinero credit note.

A credit note credits lines of the invoice that billed them, with that invoice's accounts, prices and rounding: the
invoice is built again from the event it was made from (domain/invoice.py), and each credited line is taken from
it. What earlier returns credited (the order's return fulfilments with a lower id) is never credited again, so all
returns and a cancellation together credit at most what was invoiced, line by line and to the øre:

- q of a line was invoiced for gross G; after p were credited, r more carry round(G·(p+r)/q) - round(G·p/q), the
  running-total rounding of the invoice itself. A line priced per unit credits r at its unit price.
- An order discount (a negative line on the invoice) is credited in proportion to the goods credited, by the same
  running rounding; shipping and fees are credited only when the order is cancelled.
- An order invoiced per fulfilment: returned quantities are matched to its invoices oldest first. A credit note has
  one `CreditNoteFor`, so a return that spans two invoices is refused with a reason (credit it by hand).
- An OSS sale's invoice books its lines net and the foreign VAT as lines of their own: a cancellation credits all of
  its lines as they are; a partial return of it is refused with a reason (credit it by hand). An exempt intra-EU
  supply's exemption text is repeated on its credit note.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from dinero_bookkeeping.domain.dinero_invoice_body import InvoiceDraft, InvoiceLine, Language
from dinero_bookkeeping.domain.errors import MalformedEventError, PermanentError
from dinero_bookkeeping.domain.invoice import DANISH_TIME, TIMES
from dinero_bookkeeping.domain.money import round_ore
from dinero_bookkeeping.domain.order_event import (
    Fulfillment,
    OrderHandledEvent,
    OrderLine,
    OrderReturnedEvent,
    SalesOrder,
)

_WORDS: dict[Language, dict[str, str]] = {
    "da-DK": {"credit_note": "Kreditnota", "order": "ordre", "return": "retur", "cancelled": "annulleret"},
    "en-GB": {"credit_note": "Credit note", "order": "order", "return": "return", "cancelled": "cancelled"},
}


@dataclass(frozen=True)
class InvoicedDocument:
    """One invoice of the order, as built from its event: its lines and the quantity it billed of each order line."""

    guid: UUID
    fulfillment_id: int | None
    draft: InvoiceDraft
    order: SalesOrder
    quantities: dict[int, Decimal]

    @property
    def has_oss_vat(self) -> bool:
        return any(line.is_oss_vat for line in self.draft.lines)

    @staticmethod
    def from_draft(event: OrderHandledEvent, draft: InvoiceDraft) -> "InvoicedDocument":
        shipped = _fulfillment_quantities(event.sales_order, event.fulfillment_id) if event.fulfillment_id else {}
        lines = {line.id: line for line in event.sales_order.order_lines}
        quantities: dict[int, Decimal] = {}
        for invoice_line in draft.lines:
            if invoice_line.order_line_id is None:
                continue
            line = lines[invoice_line.order_line_id]
            billed_share = line.line_type == "item" and event.fulfillment_id is not None
            quantities[line.id] = shipped[line.id] if billed_share else line.quantity
        return InvoicedDocument(draft.guid, event.fulfillment_id, draft, event.sales_order, quantities)

    def invoice_line(self, order_line_id: int) -> InvoiceLine:
        return next(line for line in self.draft.lines if line.order_line_id == order_line_id)

    def gross(self, order_line_id: int) -> Decimal:
        line = self.invoice_line(order_line_id)
        return line.quantity * line.unit_price_incl_vat


class CreditNoteLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: InvoiceLine
    gross: Decimal
    vat: Decimal


class CreditNoteDraft(BaseModel):
    """What Dinero needs for the credit note, and what its totals must come to."""

    model_config = ConfigDict(frozen=True)

    guid: UUID
    credit_note_for: UUID
    currency: str
    language: Language
    date: dt.date
    external_reference: str
    description: str
    layout_id: UUID | None
    comment: str | None = None
    lines: list[CreditNoteLine]
    expected_total_incl_vat: Decimal
    expected_vat: Decimal

    def dinero_body(self, contact_guid: UUID) -> dict[str, Any]:
        """A SalesCreditNoteCreateModel: amounts positive, incl. VAT, like the invoice it credits."""
        body = {
            "Guid": str(self.guid),
            "CreditNoteFor": str(self.credit_note_for),
            "ContactGuid": str(contact_guid),
            "Date": self.date.isoformat(),
            "Currency": self.currency,
            "Language": self.language,
            "ExternalReference": self.external_reference,
            "Description": self.description,
            "ShowLinesInclVat": True,
            "InvoiceTemplateId": str(self.layout_id) if self.layout_id else None,
            "ProductLines": [credited.line.dinero_body() for credited in self.lines],
        }
        if self.comment:
            body["Comment"] = self.comment
        return body


def build_return_credit_note(
    event: OrderReturnedEvent, documents: list[InvoicedDocument], guid: UUID
) -> CreditNoteDraft:
    """The credit note for the event's return fulfilment. PermanentError when its lines were not (all) invoiced."""
    order = event.sales_order
    fulfillment = _return_fulfillment(order, event.fulfillment_id)
    returned = _fulfillment_quantities(order, fulfillment.id)
    before = _returned_before(order, fulfillment.id)
    allocations = {
        line_id: _allocate(documents, line_id, before.get(line_id, Decimal(0)), quantity, order)
        for line_id, quantity in returned.items()
    }
    targets = {doc.guid for parts in allocations.values() for doc, _, _ in parts}
    if not targets:
        raise PermanentError(f"Return {fulfillment.code or fulfillment.id} returns nothing")
    if len(targets) > 1:
        raise PermanentError(
            f"Return {fulfillment.code or fulfillment.id} returns goods billed on {len(targets)} invoices; "
            "a credit note credits one invoice: credit it by hand in Dinero"
        )
    document = next(doc for doc in documents if doc.guid in targets)
    if document.has_oss_vat:
        raise PermanentError(
            f"Return {fulfillment.code or fulfillment.id} returns part of an OSS sale, whose invoice books the foreign "
            "VAT on lines of its own: credit it by hand in Dinero"
        )
    credited_before = {
        line_id: sum((p for doc, p, _ in parts if doc is document), Decimal(0))
        for line_id, parts in allocations.items()
    }
    credited_before |= _credited_before_on(document, documents, before, order, exclude=set(allocations))
    now = {line_id: sum((r for _, _, r in parts), Decimal(0)) for line_id, parts in allocations.items()}
    lines = _credit_lines(document, credited_before, now, cancellation=False)
    words = _WORDS[document.draft.language]
    return _draft(
        event.occurred_at,
        document,
        guid,
        lines,
        f"{words['credit_note']} {DASH_TEXT} {words['order']} {order.order_id} {DASH_TEXT} "
        f"{words['return']} {fulfillment.code or fulfillment.id}",
    )


def build_cancellation_credit_note(
    order: SalesOrder,
    occurred_at: dt.datetime,
    documents: list[InvoicedDocument],
    document: InvoicedDocument,
    guid: UUID,
) -> CreditNoteDraft | None:
    """The credit note for what is left of one invoice when the order is cancelled; None when returns credited all."""
    words = _WORDS[document.draft.language]
    description = (
        f"{words['credit_note']} {DASH_TEXT} {words['order']} {order.order_id} {DASH_TEXT} {words['cancelled']}"
    )
    if document.has_oss_vat:
        # Its returns were refused, so all of it is left: every line as the invoice had it, the foreign VAT included.
        whole = [
            CreditNoteLine(line=line, gross=line.quantity * line.unit_price_incl_vat, vat=Decimal(0))
            for line in document.draft.lines
        ]
        return _draft(occurred_at, document, guid, whole, description, vat=document.draft.expected_vat)
    before = _returned_before(order, None)
    credited_before = _credited_before_on(document, documents, before, order, exclude=set())
    now = {
        line_id: quantity - credited_before.get(line_id, Decimal(0))
        for line_id, quantity in document.quantities.items()
    }
    lines = _credit_lines(document, credited_before, now, cancellation=True)
    if not lines:
        return None
    return _draft(occurred_at, document, guid, lines, description)


DASH_TEXT = "\N{EN DASH}"


def _draft(
    occurred_at: dt.datetime,
    document: InvoicedDocument,
    guid: UUID,
    lines: list[CreditNoteLine],
    description: str,
    *,
    vat: Decimal | None = None,
) -> CreditNoteDraft:
    draft = document.draft
    return CreditNoteDraft(
        guid=guid,
        credit_note_for=document.guid,
        currency=draft.currency,
        language=draft.language,
        date=occurred_at.astimezone(DANISH_TIME).date(),
        external_reference=draft.external_reference,
        description=description,
        layout_id=draft.layout_id,
        comment=draft.comment,
        lines=lines,
        expected_total_incl_vat=sum((line.gross for line in lines), Decimal(0)),
        expected_vat=sum((line.vat for line in lines), Decimal(0)) if vat is None else vat,
    )


def _return_fulfillment(order: SalesOrder, fulfillment_id: int) -> Fulfillment:
    fulfillment = next((f for f in order.order_fulfillments if f.id == fulfillment_id), None)
    if fulfillment is None:
        raise MalformedEventError(f"Fulfilment {fulfillment_id} is not a fulfilment of order {order.order_id}")
    if fulfillment.type != "return":
        raise MalformedEventError(f"Fulfilment {fulfillment_id} is not a return")
    if fulfillment.cancelled:
        raise PermanentError(f"Return {fulfillment.code or fulfillment.id} is cancelled")
    return fulfillment


def _fulfillment_quantities(order: SalesOrder, fulfillment_id: int) -> dict[int, Decimal]:
    """Quantity per order line of one fulfilment; several fulfilment lines for one order line add up."""
    fulfillment = next((f for f in order.order_fulfillments if f.id == fulfillment_id), None)
    if fulfillment is None:
        raise MalformedEventError(f"Fulfilment {fulfillment_id} is not a fulfilment of order {order.order_id}")
    known = {line.id for line in order.order_lines}
    quantities: dict[int, Decimal] = {}
    for fulfillment_line in fulfillment.fulfillment_lines:
        if fulfillment_line.order_line_id not in known:
            raise MalformedEventError(
                f"Fulfilment {fulfillment.id} names order line {fulfillment_line.order_line_id}, "
                f"which is not in order {order.order_id}"
            )
        line_id = fulfillment_line.order_line_id
        quantities[line_id] = quantities.get(line_id, Decimal(0)) + fulfillment_line.invoiced_quantity
    return {line_id: quantity for line_id, quantity in quantities.items() if quantity > 0}


def _returned_before(order: SalesOrder, fulfillment_id: int | None) -> dict[int, Decimal]:
    """What the order's earlier returns (all of them, for a cancellation) returned of each line."""
    before: dict[int, Decimal] = {}
    for earlier in order.order_fulfillments:
        if (
            earlier.type == "return"
            and not earlier.cancelled
            and (fulfillment_id is None or earlier.id < fulfillment_id)
        ):
            for line_id, quantity in _fulfillment_quantities(order, earlier.id).items():
                before[line_id] = before.get(line_id, Decimal(0)) + quantity
    return before


def _allocate(
    documents: list[InvoicedDocument], line_id: int, before: Decimal, quantity: Decimal, order: SalesOrder
) -> list[tuple[InvoicedDocument, Decimal, Decimal]]:
    """(invoice, credited on it before, credited now) for `quantity` returned after `before`, invoices oldest first."""
    parts = []
    skip, left = before, quantity
    for document in documents:
        capacity = document.quantities.get(line_id, Decimal(0))
        if _line(order, line_id).line_type != "item" or capacity <= 0:
            continue
        used_before = min(skip, capacity)
        skip -= used_before
        now = min(left, capacity - used_before)
        if now > 0:
            parts.append((document, used_before, now))
            left -= now
    if left > 0:
        line = _line(order, line_id)
        raise PermanentError(
            f"Order line {line_id} ({line.item_name or line.line_type}) is returned more often than it was invoiced: "
            "a return of goods not yet invoiced cannot be credited"
        )
    return parts


def _credited_before_on(
    document: InvoicedDocument,
    documents: list[InvoicedDocument],
    before: dict[int, Decimal],
    order: SalesOrder,
    exclude: set[int],
) -> dict[int, Decimal]:
    """What earlier returns credited on this invoice, per item line (the lines in `exclude` are known already)."""
    credited: dict[int, Decimal] = {}
    for line_id in document.quantities:
        if line_id in exclude or _line(order, line_id).line_type != "item":
            continue
        parts = _allocate(documents, line_id, Decimal(0), before.get(line_id, Decimal(0)), order)
        credited[line_id] = sum((now for doc, _, now in parts if doc is document), Decimal(0))
    return credited


def _credit_lines(
    document: InvoicedDocument, before: dict[int, Decimal], now: dict[int, Decimal], *, cancellation: bool
) -> list[CreditNoteLine]:
    order = document.order
    items_total = Decimal(0)
    items_before = Decimal(0)
    items_now = Decimal(0)
    lines: list[CreditNoteLine] = []
    for line_id, billed in document.quantities.items():
        line = _line(order, line_id)
        if line.line_type != "item":
            continue
        gross = document.gross(line_id)
        done, more = before.get(line_id, Decimal(0)), now.get(line_id, Decimal(0))
        items_total += gross
        items_before += round_ore(gross * done / billed)
        if more > 0:
            credited = _credited_share(document.invoice_line(line_id), line, billed, done, more)
            items_now += credited.gross
            lines.append(credited)
    for line_id in document.quantities:
        line = _line(order, line_id)
        invoice_line = document.invoice_line(line_id)
        if line.line_type == "discount" and items_total != 0:
            gross = document.gross(line_id)
            amount = round_ore(gross * (items_before + items_now) / items_total) - round_ore(
                gross * items_before / items_total
            )
            if amount != 0:
                lines.append(_priced_as_one(invoice_line, line, amount, invoice_line.description))
        elif cancellation and line.line_type in ("shipping", "payment_fee"):
            lines.append(
                CreditNoteLine(
                    line=invoice_line, gross=document.gross(line_id), vat=_vat(line, document.gross(line_id))
                )
            )
    return lines


def _credited_share(
    invoice_line: InvoiceLine, line: OrderLine, billed: Decimal, done: Decimal, more: Decimal
) -> CreditNoteLine:
    gross = invoice_line.quantity * invoice_line.unit_price_incl_vat
    amount = round_ore(gross * (done + more) / billed) - round_ore(gross * done / billed)
    if invoice_line.quantity == billed and invoice_line.unit_price_incl_vat * more == amount:
        return CreditNoteLine(
            line=invoice_line.model_copy(update={"quantity": more}), gross=amount, vat=_vat(line, amount)
        )
    base = invoice_line.description.removeprefix(f"{_plain(billed)} {TIMES} ")
    return _priced_as_one(invoice_line, line, amount, f"{_plain(more)} {TIMES} {base}")


def _priced_as_one(invoice_line: InvoiceLine, line: OrderLine, amount: Decimal, description: str) -> CreditNoteLine:
    """Quantity 1 at the amount, as the invoice sends a line whose unit price is not a whole øre."""
    credited = invoice_line.model_copy(
        update={"quantity": Decimal(1), "unit_price_incl_vat": amount, "description": description}
    )
    return CreditNoteLine(line=credited, gross=amount, vat=_vat(line, amount))


def _vat(line: OrderLine, gross: Decimal) -> Decimal:
    """The order line's VAT share of the credited amount."""
    if line.amount_including_vat == 0:
        return Decimal(0)
    return round_ore(gross * line.vat_amount / line.amount_including_vat)


def _line(order: SalesOrder, line_id: int) -> OrderLine:
    return next(line for line in order.order_lines if line.id == line_id)


def _plain(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f")
