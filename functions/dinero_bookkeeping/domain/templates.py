"""The 7 templates an active integration has: the invoice layout/terms, and revenue accounts by region."""

from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dinero_bookkeeping.domain.errors import TemplateIncompleteError
from dinero_bookkeeping.domain.regions import Region


class TemplateKind(StrEnum):
    INVOICE = "invoice"
    PRODUCT_DOMESTIC = "product_domestic"
    PRODUCT_EU = "product_eu"
    PRODUCT_OUTSIDE_EU = "product_outside_eu"
    SHIPPING_DOMESTIC = "shipping_domestic"
    SHIPPING_EU = "shipping_eu"
    SHIPPING_OUTSIDE_EU = "shipping_outside_eu"

    @property
    def label(self) -> str:
        """The name a merchant sees, for example "Product (EU)"."""
        if self is TemplateKind.INVOICE:
            return "Invoice"
        group, _, region = self.value.partition("_")
        return f"{group.capitalize()} ({Region(region).label})"

    @property
    def is_account(self) -> bool:
        return self is not TemplateKind.INVOICE

    @staticmethod
    def product(region: Region) -> "TemplateKind":
        return TemplateKind(f"product_{region.value}")

    @staticmethod
    def shipping(region: Region) -> "TemplateKind":
        return TemplateKind(f"shipping_{region.value}")


class PaymentConditionType(StrEnum):
    """Dinero's payment terms. NettoCash and Paid take no number of days."""

    NETTO = "Netto"
    NETTO_CASH = "NettoCash"
    CURRENT_MONTH_OUT = "CurrentMonthOut"
    PAID = "Paid"

    @property
    def takes_days(self) -> bool:
        return self in (PaymentConditionType.NETTO, PaymentConditionType.CURRENT_MONTH_OUT)


class AccountVat(BaseModel):
    """An account's VAT code in Dinero and its rate, recorded when the merchant chose the account, so the worker can
    check each line's rate against the account before calling Dinero (no extra call). None: not recorded (chosen
    before VAT codes were recorded, or a code Dinero's VAT types do not list)."""

    model_config = ConfigDict(frozen=True)

    vat_code: str | None = None
    vat_rate: Decimal | None = Field(default=None, ge=0, le=1)

    @property
    def vat_label(self) -> str:
        """ "U25 (25 %)", "none (0 %)"."""
        rate = f" ({percent(self.vat_rate)})" if self.vat_rate is not None else ""
        return f"{self.vat_code or 'none'}{rate}"


def percent(rate: Decimal) -> str:
    """A VAT fraction as people write it: 0.25 → "25 %", 0.055 → "5.5 %"."""
    return f"{format((rate * 100).normalize(), 'f')} %"


class Template(AccountVat):
    """One template. Account kinds use `account_number` (with its VAT code as recorded); the invoice kind uses layout
    and payment terms."""

    kind: TemplateKind
    account_number: int | None = Field(default=None, gt=0)
    layout_id: UUID | None = None
    payment_condition_type: PaymentConditionType | None = None
    payment_condition_days: int | None = Field(default=None, ge=0, le=365)

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> "Template":
        if self.kind.is_account and (self.layout_id or self.payment_condition_type or self.payment_condition_days):
            raise ValueError(f"{self.kind.label} only takes an account_number")
        if not self.kind.is_account and (self.account_number is not None or self.vat_code or self.vat_rate is not None):
            raise ValueError("Invoice takes layout_id and payment terms, not an account_number")
        if self.payment_condition_type and not self.payment_condition_type.takes_days and self.payment_condition_days:
            raise ValueError(f"{self.payment_condition_type.value} takes no payment_condition_days")
        return self

    @property
    def missing(self) -> list[str]:
        """What still has to be filled in before orders can use this template."""
        if self.kind.is_account:
            return [] if self.account_number else ["account_number"]
        missing = [] if self.layout_id else ["layout_id"]
        if self.payment_condition_type is None:
            missing.append("payment_condition_type")
        elif self.payment_condition_type.takes_days and self.payment_condition_days is None:
            missing.append("payment_condition_days")
        return missing


class TemplateSet(BaseModel):
    """All templates of one integration, keyed by kind."""

    model_config = ConfigDict(frozen=True)

    templates: dict[TemplateKind, Template]

    def require(self, kind: TemplateKind) -> Template:
        template = self.templates.get(kind)
        if template is None:
            raise TemplateIncompleteError(f"{kind.label} template does not exist: activate the integration")
        if template.missing:
            noun = "no account" if kind.is_account else f"no {', '.join(template.missing)}"
            raise TemplateIncompleteError(f"{kind.label} has {noun}")
        return template

    def account(self, kind: TemplateKind) -> int:
        number = self.require(kind).account_number
        assert number is not None  # require() guarantees it
        return number

    @property
    def incomplete(self) -> list[TemplateKind]:
        return [kind for kind in TemplateKind if kind not in self.templates or self.templates[kind].missing]

    @staticmethod
    def empty() -> "TemplateSet":
        """What activation creates: all 7 kinds, nothing chosen yet."""
        return TemplateSet(templates={kind: Template(kind=kind) for kind in TemplateKind})
