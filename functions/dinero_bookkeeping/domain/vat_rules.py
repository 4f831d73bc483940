"""Which account each invoiced line is booked on, decided from the VAT the customer was actually charged and where the
goods go (Danish VAT Act = ML; Council Directive 2006/112/EC = the directive):

- Denmark: Danish VAT (ML § 4), the Domestic accounts.
- An EU country at 25 %: a consumer sale below the EUR 10,000 distance-selling threshold is a Danish sale (directive
  art. 59c): the EU account when it carries Danish VAT, else the Domestic one.
- An EU country at 0 %: an exempt intra-EU supply to a business (ML § 34, stk. 1, nr. 1; directive art. 138), only
  with the buyer's VAT number: the EU accounts, a company contact and the exemption text on the invoice.
- An EU country at its own rate: OSS (directive art. 369a-369k), through the OSS configuration.
- Outside the EU, or a place outside the EU VAT area (directive art. 6): an export (ML § 34, stk. 1, nr. 5;
  directive art. 146), the Outside EU accounts.

Freight and fees follow their own line's rate, which is the goods' when the shop charges them like the goods (freight is
part of the supply's taxable amount: ML § 27, stk. 2, nr. 2; directive art. 78). A line of nothing (free shipping)
follows the goods. Before Dinero is called, each line's rate is checked against the VAT code recorded for its account.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from dinero_bookkeeping.domain.dinero_invoice_body import Language
from dinero_bookkeeping.domain.invoice_lines import InvoicedPart
from dinero_bookkeeping.domain.money import format_amount, round_ore
from dinero_bookkeeping.domain.oss_settings import OssSettings
from dinero_bookkeeping.domain.regions import EU_COUNTRIES_OUTSIDE_DENMARK, Region
from dinero_bookkeeping.domain.templates import AccountVat, TemplateKind, TemplateSet, percent

DANISH_RATE = Decimal("0.25")
# VAT number prefixes of the other member states: Greece writes EL, Northern Ireland's goods trade XI.
_FOREIGN_EU_VAT_PREFIXES = (EU_COUNTRIES_OUTSIDE_DENMARK - {"GR"}) | {"EL", "XI"}
CONFIGURE_OSS = "PUT /integrations/{id}/oss"


class VatTreatment(StrEnum):
    DANISH = "danish"
    INTRA_EU = "intra_eu"
    OSS = "oss"
    EXPORT = "export"


@dataclass(frozen=True)
class Delivery:
    """Where the goods go, and the buyer's VAT number if it is a business that gave one."""

    country_code: str
    region: Region
    territory: str | None = None
    vat_number: str | None = None

    @property
    def has_foreign_eu_vat_number(self) -> bool:
        return bool(self.vat_number) and str(self.vat_number)[:2] in _FOREIGN_EU_VAT_PREFIXES


@dataclass(frozen=True)
class PlannedLine:
    """A line and its account. An OSS line is booked net: its VAT goes on the liability account."""

    part: InvoicedPart
    account_number: int
    account_label: str  # the template it came from: "Product (EU)"
    treatment: VatTreatment
    booked_net: bool = False


@dataclass(frozen=True)
class OssVatLine:
    """The foreign VAT of one rate, as a line of its own on the OSS liability account."""

    country_code: str
    rate: Decimal
    vat: Decimal
    account_number: int


@dataclass
class VatPlan:
    lines: list[PlannedLine] = field(default_factory=list)
    oss_vat: list[OssVatLine] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exempt_intra_eu: bool = False

    @property
    def danish_vat_lines(self) -> list[PlannedLine]:
        return [line for line in self.lines if not line.booked_net]


def plan_vat(
    parts: Iterable[InvoicedPart],
    delivery: Delivery,
    templates: TemplateSet,
    oss: OssSettings | None,
    currency: str,
) -> VatPlan:
    """The account of every part (gift cards excepted: they are no revenue), with why the VAT cannot be booked as it
    is (reasons: a draft) and how it was booked (notes: the record says so)."""
    revenue = [part for part in parts if part.line.line_type != "gift_card"]
    charged_goods = [p for p in revenue if p.charged and p.line.line_type == "item"] or [
        p for p in revenue if p.charged
    ]
    goods_rate = charged_goods[0].line.vat_percent if charged_goods else None
    plan = VatPlan()
    for part in revenue:
        rate = part.line.vat_percent if part.charged or goods_rate is None else goods_rate
        plan.lines.append(_plan_line(part, rate, delivery, templates, oss, plan))
    _explain(plan, delivery, oss, currency)
    return plan


def exemption_text(vat_number: str, language: Language) -> str:
    """The invoice text an exempt intra-EU supply of goods needs (momsbekendtgørelsen § 62, stk. 2; § 58: the buyer's
    VAT number), in the invoice's language."""
    if language == "da-DK":
        return (
            "Momsfri levering af varer til en virksomhed i et andet EU-land (omvendt betalingspligt: køberen "
            "afregner momsen), jf. momslovens § 34, stk. 1, nr. 1 og momssystemdirektivets artikel 138. "
            f"Køberens momsnummer: {vat_number}."
        )
    return (
        "VAT-exempt intra-Community supply of goods (reverse charge: the buyer accounts for the VAT), "
        "Danish VAT Act section 34(1)(1) and Article 138 of Directive 2006/112/EC. "
        f"Buyer's VAT number: {vat_number}."
    )


def _treatment(rate: Decimal, delivery: Delivery, oss: OssSettings | None) -> VatTreatment:
    if delivery.region is Region.OUTSIDE_EU:
        return VatTreatment.EXPORT
    if delivery.region is Region.DOMESTIC:
        return VatTreatment.DANISH
    if rate == 0:
        return VatTreatment.INTRA_EU
    # An OSS-registered seller owes the buyer country's VAT on every EU consumer sale, 25 % to Sweden included.
    if oss is not None and oss.account_for(delivery.country_code) is not None:
        return VatTreatment.OSS
    return VatTreatment.DANISH if rate == DANISH_RATE else VatTreatment.OSS


def _kind(part: InvoicedPart, region: Region) -> TemplateKind:
    """Shipping goes to the Shipping account; goods, discounts and payment fees to the Product account."""
    return TemplateKind.shipping(region) if part.line.line_type == "shipping" else TemplateKind.product(region)


def _plan_line(
    part: InvoicedPart,
    rate: Decimal,
    delivery: Delivery,
    templates: TemplateSet,
    oss: OssSettings | None,
    plan: VatPlan,
) -> PlannedLine:
    treatment = _treatment(rate, delivery, oss)
    if treatment is VatTreatment.OSS:
        oss_account = oss.account_for(delivery.country_code) if oss else None
        if oss is not None and oss_account is not None and oss.liability is not None:
            if part.charged:
                name = f"OSS {delivery.country_code} account {oss_account.account_number}"
                _check_rate(part, Decimal(0), oss_account, name, plan)
            return PlannedLine(part, oss_account.account_number, f"OSS {delivery.country_code}", treatment, True)
        # Not configured: a draft (the reason says so) on the EU account, where the merchant will find it.
        eu = templates.templates.get(_kind(part, Region.EU))
        kind = _kind(part, Region.EU if eu and eu.account_number else Region.DOMESTIC)
        return PlannedLine(part, templates.account(kind), kind.label, treatment)
    if treatment is VatTreatment.EXPORT:
        kind = _kind(part, Region.OUTSIDE_EU)
    elif treatment is VatTreatment.INTRA_EU:
        kind = _kind(part, Region.EU)
    elif delivery.region is Region.EU:
        eu = templates.templates.get(_kind(part, Region.EU))
        carries = eu is not None and eu.account_number is not None and eu.vat_rate == rate
        kind = _kind(part, Region.EU if carries else Region.DOMESTIC)
    else:
        kind = _kind(part, Region.DOMESTIC)
    template = templates.require(kind)
    if part.charged:
        _check_rate(part, rate, template, f"{kind.label} account {template.account_number}", plan)
    return PlannedLine(part, templates.account(kind), kind.label, treatment)


def _check_rate(part: InvoicedPart, rate: Decimal, account: AccountVat, name: str, plan: VatPlan) -> None:
    """Dinero takes a line's VAT from its account, so the account must carry the rate the customer was charged."""
    if account.vat_rate is None or account.vat_rate == rate:
        return
    charged = percent(part.line.vat_percent)
    plan.reasons.append(
        f'Line "{_line_name(part)}" is charged {charged} VAT, but {name} has VAT code {account.vat_label}: '
        f"Dinero would book {percent(account.vat_rate)}; choose an account with {percent(rate)} VAT"
    )


def _line_name(part: InvoicedPart) -> str:
    return part.line.item_name or part.line.line_type.replace("_", " ")


def _explain(plan: VatPlan, delivery: Delivery, oss: OssSettings | None, currency: str) -> None:
    """The reasons that concern the order as a whole, and the notes for the record."""
    country = delivery.country_code
    charged = [line for line in plan.lines if line.part.charged]
    if delivery.territory and charged:
        plan.notes.append(f"{delivery.territory} ({country}) is outside the EU VAT area: booked as an export")

    intra = [line for line in charged if line.treatment is VatTreatment.INTRA_EU]
    if intra and not delivery.vat_number:
        plan.reasons.append(
            f"The order charges no VAT on a delivery to {country}, but the buyer's VAT number (bill_to.vat_number) is "
            "missing: only a business with a VAT number from another EU country may buy VAT-free (ML § 34, stk. 1, "
            "nr. 1). Add the buyer's VAT number to the invoice in Dinero, or correct the order's VAT"
        )
    elif intra and not delivery.has_foreign_eu_vat_number:
        plan.reasons.append(
            f"The order charges no VAT on a delivery to {country}, but the buyer's VAT number {delivery.vat_number} is "
            "not one of another EU country: a VAT-free intra-EU supply needs one (ML § 34, stk. 1, nr. 1)"
        )
    elif intra:
        plan.exempt_intra_eu = True
        plan.notes.append(
            f"VAT-exempt supply to a business in the EU ({delivery.vat_number}): booked on the EU accounts with the "
            "exemption text"
        )

    danish_eu = [line for line in charged if line.treatment is VatTreatment.DANISH and delivery.region is Region.EU]
    if danish_eu:
        used = dict.fromkeys(f"{line.account_label} {line.account_number}" for line in danish_eu)
        plan.notes.append(
            f"Danish VAT on a delivery to {country} (a distance sale below the EU threshold): booked on "
            f"{', '.join(used)}"
        )

    oss_lines = [line for line in charged if line.treatment is VatTreatment.OSS]
    for rate in sorted({line.part.line.vat_percent for line in oss_lines}):
        at_rate = [line for line in oss_lines if line.part.line.vat_percent == rate]
        gross = sum((line.part.gross for line in at_rate), Decimal(0))
        vat = sum((line.part.vat for line in at_rate), Decimal(0))
        # Net lines go to Dinero rounded to the øre; the VAT line takes the rest, so the invoice is what was paid.
        booked_vat = round_ore(gross) - sum((round_ore(line.part.net) for line in at_rate), Decimal(0))
        amounts = f"{format_amount(gross, currency)} incl. {format_amount(vat, currency)} VAT"
        if at_rate[0].booked_net:
            assert oss is not None and oss.liability is not None  # booked_net only with a full configuration
            liability = oss.liability.account_number
            plan.oss_vat.append(OssVatLine(country, rate, booked_vat, liability))
            plan.notes.append(
                f"{country} VAT {percent(rate)} under OSS ({amounts}): the net amount on account "
                f"{at_rate[0].account_number}, the VAT on liability account {liability} for the OSS return"
            )
        else:
            plan.reasons.append(
                f"The order charges {country} VAT at {percent(rate)} ({amounts}), another country's VAT, which "
                "Dinero cannot put on an invoice line: correct this draft in Dinero, and for the orders to come "
                f"configure OSS for {country} ({CONFIGURE_OSS}: a sales account without VAT for {country} and the "
                "OSS VAT liability account)"
            )
