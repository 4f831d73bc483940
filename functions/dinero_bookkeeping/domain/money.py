"""Money as Decimal: rounding to øre, Danish display, and the one place amounts become JSON numbers."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator

ORE = Decimal("0.01")

# A binary double holds any decimal of up to 15 significant digits so that its shortest repr reads back the same.
_MAX_EXACT_DIGITS = 15


def round_ore(value: Decimal) -> Decimal:
    """Half up to whole øre, as Danish invoices round (0.005 → 0.01), not banker's rounding."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def is_whole_ore(value: Decimal) -> bool:
    """True when the value has no fraction of an øre (33.33 and 2.500 are whole; 33.333 is not)."""
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2


def format_amount(value: Decimal, currency: str) -> str:
    """Danish style for merchant-facing text: "1.234,50 DKK", "-200,00 EUR"."""
    rounded = round_ore(value)
    digits = f"{abs(rounded):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    sign = "-" if rounded < 0 else ""
    return f"{sign}{digits} {currency}"


def decimal_to_json_number(value: Decimal) -> float:
    """Only for writing JSON, which has no decimal type.

    Exact for amounts to 2 decimals (and quantities) of up to 15 significant digits: the float nearest to such a
    decimal is unique, and `json.dumps` writes a float as its shortest round-tripping repr, so "199.95" is written as
    199.95, never 199.94999999999998863. Longer values could come out changed, so they are refused.
    """
    if not value.is_finite() or len(value.normalize().as_tuple().digits) > _MAX_EXACT_DIGITS:
        raise ValueError(f"{value} cannot be written as an exact JSON number")
    return float(value)


def _json_exact(value: Decimal) -> Decimal:
    decimal_to_json_number(value)
    return value


# A Decimal that will be written as a JSON number: refused when the model holding it is built, before any call.
JsonNumber = Annotated[Decimal, AfterValidator(_json_exact)]
