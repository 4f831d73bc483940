"""Dinero's totals against the order's: compared to the øre, rounding per line booked and noted, more is a draft."""

from decimal import Decimal
from uuid import UUID

from dinero_bookkeeping.domain.dinero_invoice import DineroInvoice, DineroInvoiceStatus, compare_totals


def invoice(total: str, vat: str) -> DineroInvoice:
    return DineroInvoice(
        guid=UUID("3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"),
        timestamp="00000000020A5EA8",
        status=DineroInvoiceStatus.DRAFT,
        number=None,
        currency="DKK",
        total_incl_vat=Decimal(total),
        total_vat=Decimal(vat),
    )


def test_sub_ore_order_vat_equal_to_the_ore_agrees() -> None:
    # Given: 19,99 incl. 25 % holds 3,998 VAT; Dinero shows 4,00
    dinero = invoice("19.99", "4.00")
    # When
    check = compare_totals(dinero, Decimal("19.99"), Decimal("3.998"), 1, "DKK")
    # Then
    assert check.total_reasons == check.vat_reasons == check.notes == []


def test_vat_one_ore_a_line_off_is_rounding_booked_and_noted() -> None:
    # Given: three lines of 3,998 (11,994 → 11,99) that Dinero rounds one by one (three of 4,00)
    dinero = invoice("59.97", "12.00")
    # When
    check = compare_totals(dinero, Decimal("59.97"), Decimal("11.994"), 3, "DKK")
    # Then
    assert check.total_reasons == check.vat_reasons == []
    assert check.notes == [
        "Dinero's VAT 12,00 DKK differs from the order's 11,99 DKK by 0,01 DKK: rounding per line, booked as Dinero "
        "computed it"
    ]


def test_vat_more_than_an_ore_a_line_off_is_a_draft_showing_amounts_that_differ() -> None:
    # Given: one line whose VAT differs by 2 øre
    dinero = invoice("100.00", "20.02")
    # When
    check = compare_totals(dinero, Decimal("100.00"), Decimal("20.00"), 1, "DKK")
    # Then
    assert check.notes == check.total_reasons == []
    assert check.vat_reasons == [
        "Dinero's VAT 20,02 DKK differs from the order's 20,00 DKK by 0,02 DKK, more than rounding: the VAT code of an "
        "account may have changed in Dinero since its template was saved; save the template again"
    ]


def test_a_different_total_is_a_draft_and_no_vat_difference_is_excused_as_rounding() -> None:
    # Given
    dinero = invoice("527.89", "105.57")
    # When
    check = compare_totals(dinero, Decimal("527.90"), Decimal("105.58"), 3, "DKK")
    # Then
    assert check.total_reasons == [
        "Dinero's total 527,89 DKK differs from the order's 527,90 DKK: an account or amount in the invoice differs "
        "from the order"
    ]
    assert check.vat_reasons == [
        "Dinero's VAT 105,57 DKK differs from the order's 105,58 DKK by 0,01 DKK, more than rounding: the VAT code of "
        "an account may have changed in Dinero since its template was saved; save the template again"
    ]
