"""Money helpers: øre rounding, Danish display and exact JSON numbers."""

import json
from decimal import Decimal

import pytest

from dinero_bookkeeping.domain.money import ORE, decimal_to_json_number, format_amount, is_whole_ore, round_ore


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.025", "0.03"),  # banker's rounding would give 0.02
        ("-0.005", "-0.01"),
        ("33.334", "33.33"),
        ("199.95", "199.95"),
        ("7", "7.00"),
    ],
)
def test_round_ore_half_way_rounds_away_from_zero(value: str, expected: str) -> None:
    # Given an amount, When rounded to øre
    rounded = round_ore(Decimal(value))

    # Then half an øre goes up (away from zero) and the result has two decimals
    assert rounded == Decimal(expected)
    assert rounded.as_tuple().exponent == ORE.as_tuple().exponent


@pytest.mark.parametrize(("value", "expected"), [("33.33", True), ("2.500", True), ("100", True), ("33.333", False)])
def test_is_whole_ore_decimal_places_decide(value: str, expected: bool) -> None:
    # Given an amount, When checked, Then only fractions of an øre count against it
    assert is_whole_ore(Decimal(value)) is expected


def test_is_whole_ore_unit_price_of_100_for_3_is_not_whole() -> None:
    # Given the unit price of 3 items for 100.00
    unit_price = Decimal("100.00") / 3

    # When & Then
    assert not is_whole_ore(unit_price)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1234.5", "DKK", "1.234,50 DKK"),
        ("1234567.891", "DKK", "1.234.567,89 DKK"),
        ("-200", "EUR", "-200,00 EUR"),
        ("0", "DKK", "0,00 DKK"),
        ("-0.001", "DKK", "0,00 DKK"),
        ("0.005", "NOK", "0,01 NOK"),
    ],
)
def test_format_amount_danish_style(value: str, currency: str, expected: str) -> None:
    # Given an amount, When formatted for a merchant, Then "." groups thousands and "," marks the øre
    assert format_amount(Decimal(value), currency) == expected


@pytest.mark.parametrize("value", ["199.95", "0.1", "0.29", "-104.90", "1234567.89", "9999999999999.99", "2.5"])
def test_decimal_to_json_number_written_json_reads_back_exactly(value: str) -> None:
    # Given an amount with at most two decimals
    amount = Decimal(value)

    # When written as a JSON number
    text = json.dumps(decimal_to_json_number(amount))

    # Then the JSON text is that decimal, not a binary approximation of it
    assert Decimal(text) == amount


@pytest.mark.parametrize("value", ["12345678901234.567", "NaN", "Infinity"])
def test_decimal_to_json_number_inexact_value_raises_value_error(value: str) -> None:
    # Given a value a JSON double cannot carry exactly, When & Then
    with pytest.raises(ValueError, match="cannot be written as an exact JSON number"):
        decimal_to_json_number(Decimal(value))
