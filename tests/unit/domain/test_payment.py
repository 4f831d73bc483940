"""Payments: the Payment template, when an order counts as paid, and the amounts Dinero gets."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from dinero_bookkeeping.domain.errors import PermanentError
from dinero_bookkeeping.domain.order_event import SalesOrder
from dinero_bookkeeping.domain.payment import (
    DepositAccountChoice,
    PaymentInstruction,
    PaymentTemplate,
    dkk_amount,
    external_reference,
    invoice_payment_amount,
    is_paid,
    is_refunded,
    payment_date,
    unusable_accounts,
)

DataLoader = Callable[[str], dict[str, Any]]


def order(order_data: DataLoader, name: str, **changes: Any) -> SalesOrder:
    return SalesOrder.model_validate({**order_data(name)["sales_order"], **changes})


def test_a_whole_order_invoice_is_paid_the_order_payment(order_data: DataLoader) -> None:
    # Given an order paid 527.90 and its whole-order invoice of 527.90, When & Then
    assert invoice_payment_amount(order(order_data, "danish_private"), True, Decimal("527.90")) == Decimal("527.90")


def test_a_whole_order_payment_never_exceeds_the_invoice(order_data: DataLoader) -> None:
    # Given a payment that covered more than the invoice bills (939.00 paid, invoice 900.00), When & Then
    assert invoice_payment_amount(order(order_data, "with_gift_card"), True, Decimal("900.00")) == Decimal("900.00")


def test_a_parcel_invoice_is_paid_its_own_total(order_data: DataLoader) -> None:
    # Given an order paid 1,044.00 in one payment, invoiced per parcel; the first parcel's invoice is 800.00
    paid = order(order_data, "partial_fulfilment")

    # When & Then the parcel's invoice is paid for itself, not the order's whole payment
    assert invoice_payment_amount(paid, False, Decimal("800.00")) == Decimal("800.00")


@pytest.mark.parametrize(
    ("status", "paid", "refunded"),
    [
        ("paid", True, False),
        ("marked_as_paid", True, False),
        ("partially_paid", False, False),
        ("refunded", False, True),
        ("partially_refunded", False, True),
        (None, False, False),
    ],
)
def test_payment_status_decides_paid_and_refunded(
    order_data: DataLoader, status: str | None, paid: bool, refunded: bool
) -> None:
    # Given an order with the payment status, When & Then
    sales_order = order(order_data, "danish_private", payment_status=status)
    assert (is_paid(sales_order), is_refunded(sales_order)) == (paid, refunded)


def test_dkk_amount_uses_the_rate_dinero_gave_the_invoice() -> None:
    # Given an EUR invoice of 102.45 that Dinero valued at 764.28 DKK
    total, in_dkk = Decimal("102.45"), Decimal("764.28")

    # When & Then the whole payment is its DKK value, and a part is converted at the same rate
    assert dkk_amount(total, "EUR", total, in_dkk) == Decimal("764.28")
    assert dkk_amount(Decimal("50.00"), "EUR", total, in_dkk) == Decimal("373.00")
    assert dkk_amount(Decimal("50.00"), "DKK", total, None) == Decimal("50.00")


def test_dkk_amount_without_dinero_value_is_a_permanent_error() -> None:
    # When & Then
    with pytest.raises(PermanentError, match="DKK value"):
        dkk_amount(Decimal("10.00"), "EUR", Decimal("10.00"), None)


def instruction(currency: str, amount: str, amount_dkk: str) -> PaymentInstruction:
    return PaymentInstruction(
        amount=Decimal(amount),
        amount_dkk=Decimal(amount_dkk),
        currency=currency,
        deposit_account=55010,
        payment_date=dt.date(2026, 3, 3),
        external_reference="512340177",
        description="Order 10421",
    )


def test_a_dkk_payment_body_has_the_amount_and_no_foreign_amount() -> None:
    # When
    body = instruction("DKK", "527.90", "527.90").dinero_body("0000000002A5EAB")

    # Then
    assert body == {
        "Timestamp": "0000000002A5EAB",
        "DepositAccountNumber": 55010,
        "Amount": 527.9,
        "ExternalReference": "512340177",
        "PaymentDate": "2026-03-03",
        "Description": "Order 10421",
        "RemainderIsFee": False,
    }


def test_a_foreign_currency_payment_body_has_both_amounts() -> None:
    # When
    body = instruction("EUR", "102.45", "764.28").dinero_body("T")

    # Then Dinero gets DKK in Amount and the invoice currency in AmountInForeignCurrency
    assert (body["Amount"], body["AmountInForeignCurrency"]) == (764.28, 102.45)


def test_a_payment_of_nothing_is_refused() -> None:
    # When & Then
    with pytest.raises(PermanentError, match="0"):
        instruction("DKK", "0", "0").dinero_body("T")


def test_external_reference_is_the_transaction_id_else_the_order(order_data: DataLoader) -> None:
    # Given an order with a transaction id and one without
    paid = order(order_data, "danish_private")
    data = order_data("danish_private")["sales_order"]
    details = {**data["payment_details"], "transaction_id": None}
    without = SalesOrder.model_validate({**data, "payment_details": details})

    # When & Then
    assert external_reference(paid) == "512340177"
    assert external_reference(paid, "refund-88101") == "512340177/refund-88101"
    assert external_reference(without) == "order-10421"


def test_payment_date_is_the_danish_date() -> None:
    # Given 23:30 UTC on 31 December, which is New Year's Day in Denmark, When & Then
    assert payment_date(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2027, 1, 1)


def test_payment_template_uses_the_payment_methods_own_account() -> None:
    # Given a default bank account and a clearing account for MobilePay
    template = PaymentTemplate(register_payments=True, deposit_account=55000, method_accounts={"mobilepay": 55020})

    # When & Then
    assert template.account_for("MobilePay") == 55020
    assert template.account_for("quickpay") == 55000
    assert template.account_for(None) == 55000
    assert template.accounts == {55000, 55020}


def test_payment_template_registering_payments_needs_a_deposit_account() -> None:
    # When & Then
    with pytest.raises(ValidationError, match="deposit_account"):
        PaymentTemplate(register_payments=True)
    assert PaymentTemplate().register_payments is False


def test_payment_template_accounts_must_be_visible_deposit_accounts() -> None:
    # Given the organization's deposit accounts
    choices = [
        DepositAccountChoice(number=55000, name="Bank", is_default=True, is_hidden=False),
        DepositAccountChoice(number=55090, name="Old bank", is_default=False, is_hidden=True),
    ]
    template = PaymentTemplate(register_payments=True, deposit_account=55000, method_accounts={"card": 55090})

    # When & Then
    assert unusable_accounts(template, choices) == ["deposit account 55090 is hidden in Dinero and must not be used"]
    other = PaymentTemplate(register_payments=True, deposit_account=1000)
    assert unusable_accounts(other, choices) == ["account 1000 is not a deposit account in Dinero"]
