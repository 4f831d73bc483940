"""Payments: the optional Payment template, when an order counts as paid or refunded, and the payment Dinero gets.

Dinero takes a payment's `Amount` in DKK; for a voucher in another currency `AmountInForeignCurrency` carries the
voucher-currency amount and the two together set the rate. The DKK amount uses the rate Dinero itself applied to
the voucher (its DKK total over its total), so a settled voucher leaves no currency difference behind.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dinero_bookkeeping.domain.errors import PermanentError
from dinero_bookkeeping.domain.invoice import DANISH_TIME
from dinero_bookkeeping.domain.money import decimal_to_json_number, format_amount, round_ore
from dinero_bookkeeping.domain.order_event import SalesOrder

PAID_STATUSES = frozenset({"paid", "marked_as_paid"})
REFUNDED_STATUSES = frozenset({"refunded", "partially_refunded"})
MAX_METHOD_ACCOUNTS = 20


class PaymentTemplate(BaseModel):
    """Whether payments are registered, and on which deposit account (by Shipmondo payment method if chosen).

    Acquirers pay out net of their fees, so accountants advise a clearing account per method rather than the bank.
    """

    model_config = ConfigDict(frozen=True)

    register_payments: bool = False
    deposit_account: int | None = Field(default=None, gt=0)
    method_accounts: dict[str, int] = Field(default_factory=dict, max_length=MAX_METHOD_ACCOUNTS)

    @model_validator(mode="after")
    def _complete(self) -> "PaymentTemplate":
        if self.register_payments and self.deposit_account is None:
            raise ValueError("Registering payments needs a deposit_account")
        for method, account in self.method_accounts.items():
            if not method.strip() or len(method) > 64 or method != method.strip().lower():
                raise ValueError(f"method_accounts: {method!r} must be a payment method in lower case (1-64 chars)")
            if account <= 0:
                raise ValueError(f"method_accounts: {method} needs a positive account number")
        return self

    @property
    def accounts(self) -> set[int]:
        return {account for account in (self.deposit_account, *self.method_accounts.values()) if account is not None}

    def account_for(self, payment_method: str | None) -> int:
        """The method's own deposit account if the merchant chose one, else the default."""
        if payment_method and payment_method.strip().lower() in self.method_accounts:
            return self.method_accounts[payment_method.strip().lower()]
        if self.deposit_account is None:
            raise PermanentError("The Payment template has no deposit account")
        return self.deposit_account


def is_paid(order: SalesOrder) -> bool:
    return (order.payment_status or "").lower() in PAID_STATUSES


def is_refunded(order: SalesOrder) -> bool:
    return (order.payment_status or "").lower() in REFUNDED_STATUSES


def invoice_payment_amount(order: SalesOrder, whole_order: bool, invoice_total: Decimal) -> Decimal:
    """What the customer paid for this invoice: a whole-order invoice gets the order's payment (never more than the
    invoice's total); a fulfilment's invoice its own total, since one payment covers the order's parcels."""
    paid = order.payment_details.amount_including_vat if order.payment_details else None
    if whole_order and paid is not None:
        return min(round_ore(paid), invoice_total)
    return invoice_total


def dkk_amount(amount: Decimal, currency: str, total: Decimal, total_in_dkk: Decimal | None) -> Decimal:
    """The DKK value of an amount in the voucher's currency, at the rate Dinero gave the voucher."""
    if currency == "DKK":
        return amount
    if total_in_dkk is None or total == 0:
        raise PermanentError(f"Dinero gave no DKK value for the {currency} voucher, so its payment cannot be set")
    return round_ore(amount * total_in_dkk / total)


def external_reference(order: SalesOrder, suffix: str | None = None) -> str:
    """The payment's transaction id (else the order number): how a payment is found again in Dinero."""
    details = order.payment_details
    reference = details.transaction_id if details and details.transaction_id else f"order-{order.order_id}"
    return f"{reference}/{suffix}"[:128] if suffix else reference[:128]


def payment_date(occurred_at: dt.datetime) -> dt.date:
    """The Danish calendar date of the event."""
    return occurred_at.astimezone(DANISH_TIME).date()


class PaymentInstruction(BaseModel):
    """One payment (or refund) for Dinero."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal  # in the voucher's currency
    amount_dkk: Decimal
    currency: str
    deposit_account: int
    payment_date: dt.date
    external_reference: str = Field(min_length=1, max_length=128)
    description: str = Field(min_length=1)

    def dinero_body(self, voucher_timestamp: str) -> dict[str, Any]:
        """A PaymentCreateModel. The remainder is never a fee: a short payment stays visible as still owed."""
        if self.amount == 0:
            raise PermanentError("A payment of 0 cannot be registered")
        body: dict[str, Any] = {
            "Timestamp": voucher_timestamp,
            "DepositAccountNumber": self.deposit_account,
            "Amount": decimal_to_json_number(self.amount_dkk),
            "ExternalReference": self.external_reference,
            "PaymentDate": self.payment_date.isoformat(),
            "Description": self.description,
            "RemainderIsFee": False,
        }
        if self.currency != "DKK":
            body["AmountInForeignCurrency"] = decimal_to_json_number(self.amount)
        return body

    def describe(self) -> str:
        return f"{format_amount(self.amount, self.currency)} on account {self.deposit_account}"


class PaymentsOverview(BaseModel):
    """Dinero's InvoicePaymentsModel, as much as we use: who paid, and what is still owed."""

    model_config = ConfigDict(frozen=True)

    external_references: list[str]
    remaining_amount: Decimal
    paid_amount: Decimal


class DepositAccountChoice(BaseModel):
    """A deposit account (bank, clearing) of the organization: where a payment can be registered."""

    model_config = ConfigDict(frozen=True)

    number: int
    name: str
    is_default: bool
    is_hidden: bool

    @staticmethod
    def from_dinero(item: dict[str, Any]) -> "DepositAccountChoice":
        """A DepositAccountReadModel."""
        return DepositAccountChoice(
            number=int(item["AccountNumber"]),
            name=str(item.get("Name") or ""),
            is_default=bool(item.get("IsDefault")),
            is_hidden=bool(item.get("IsHidden")),
        )


def unusable_accounts(template: PaymentTemplate, choices: list[DepositAccountChoice]) -> list[str]:
    """Why the template's accounts cannot take payments: each must be a visible deposit account of the organization."""
    known = {choice.number: choice for choice in choices}
    problems = []
    for account in sorted(template.accounts):
        choice = known.get(account)
        if choice is None:
            problems.append(f"account {account} is not a deposit account in Dinero")
        elif choice.is_hidden:
            problems.append(f"deposit account {account} is hidden in Dinero and must not be used")
    return problems
