"""Invoice arithmetic: the one place where the sandbox rounds money.

ASSUMPTION: Dinero does not document its rounding. The sandbox rounds every line to whole øre (2 decimals)
with ROUND_HALF_UP, computes VAT per line, and makes the invoice totals plain sums of the rounded lines.
If real Dinero is seen to round differently, change `line_amounts` and nothing else.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineAmounts:
    unit_excl_vat: Decimal
    unit_incl_vat: Decimal
    total_excl_vat: Decimal
    total_incl_vat: Decimal
    vat: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    total_vatable_amount: Decimal
    total_non_vatable_amount: Decimal


def line_amounts(
    base_amount: Decimal, quantity: Decimal, discount_percent: Decimal, vat_rate: Decimal, amounts_incl_vat: bool
) -> LineAmounts:
    """Amounts of one product line. `amounts_incl_vat` is the invoice's ShowLinesInclVat: the unit price is gross."""

    def to_ore(amount: Decimal) -> Decimal:
        return amount.quantize(_CENT, rounding=ROUND_HALF_UP)

    amount = base_amount * quantity * (1 - discount_percent / HUNDRED)
    if amounts_incl_vat:
        total_incl = to_ore(amount)
        vat = to_ore(total_incl * vat_rate / (1 + vat_rate))
        return LineAmounts(
            unit_excl_vat=to_ore(base_amount / (1 + vat_rate)),
            unit_incl_vat=base_amount,
            total_excl_vat=total_incl - vat,
            total_incl_vat=total_incl,
            vat=vat,
            vat_rate=vat_rate,
        )
    total_excl = to_ore(amount)
    vat = to_ore(total_excl * vat_rate)
    return LineAmounts(
        unit_excl_vat=base_amount,
        unit_incl_vat=to_ore(base_amount * (1 + vat_rate)),
        total_excl_vat=total_excl,
        total_incl_vat=total_excl + vat,
        vat=vat,
        vat_rate=vat_rate,
    )


# A text line is purely visual: it carries no amounts and does not count in the totals.
TEXT_LINE = LineAmounts(ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)


def invoice_totals(lines: Iterable[LineAmounts]) -> InvoiceTotals:
    lines = list(lines)
    return InvoiceTotals(
        total_excl_vat=sum((line.total_excl_vat for line in lines), ZERO),
        total_vat=sum((line.vat for line in lines), ZERO),
        total_incl_vat=sum((line.total_incl_vat for line in lines), ZERO),
        total_vatable_amount=sum((line.total_excl_vat for line in lines if line.vat_rate > 0), ZERO),
        total_non_vatable_amount=sum((line.total_excl_vat for line in lines if line.vat_rate == 0), ZERO),
    )
