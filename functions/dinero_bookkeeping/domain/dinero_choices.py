"""What an organization can choose from in Dinero (accounts, VAT types, layouts, payment terms), and whether a
template or the OSS configuration fits.

A template may only name an account that exists and is not hidden, and a layout that exists; the account's VAT code
and rate are recorded with it, so orders can be checked against them without asking Dinero. An account whose VAT does
not suit the template is allowed (the merchant may know better) but earns a warning. OSS accounts must carry no VAT.
"""

from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from dinero_bookkeeping.domain.errors import InvalidRequestError
from dinero_bookkeeping.domain.oss_settings import OssAccount
from dinero_bookkeeping.domain.regions import Region
from dinero_bookkeeping.domain.templates import AccountVat, Template, TemplateKind, TemplateSet, percent

# Dinero's VAT code for Danish sales VAT at 25 %.
DANISH_SALES_VAT = "U25"
NO_VAT = "none"


class AccountChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    name: str
    vat_code: str | None
    is_hidden: bool

    @staticmethod
    def from_dinero(item: dict[str, Any]) -> "AccountChoice":
        """An EntryAccountReadModel."""
        return AccountChoice(
            number=int(item["AccountNumber"]),
            name=str(item.get("Name") or ""),
            vat_code=item.get("VatCode"),
            is_hidden=bool(item.get("IsHidden")),
        )


class VatTypeChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    rate: Decimal

    @staticmethod
    def from_dinero(item: dict[str, Any]) -> "VatTypeChoice":
        """A VatTypeReadModel (VatRate is a fraction: 0.25)."""
        return VatTypeChoice(code=str(item["VatCode"]), name=str(item.get("Name") or ""), rate=Decimal(item["VatRate"]))


class LayoutChoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID
    name: str
    is_default: bool

    @staticmethod
    def from_dinero(item: dict[str, Any]) -> "LayoutChoice":
        """An InvoiceTemplateModel."""
        return LayoutChoice(id=item["Id"], name=str(item.get("Name") or ""), is_default=bool(item.get("IsDefault")))


class DineroChoices(BaseModel):
    model_config = ConfigDict(frozen=True)

    accounts: list[AccountChoice]
    layouts: list[LayoutChoice]
    vat_types: list[VatTypeChoice] = []

    @property
    def visible_accounts(self) -> list[AccountChoice]:
        """Dinero marks accounts that "should not be used" as hidden, so they are not offered."""
        return [account for account in self.accounts if not account.is_hidden]

    def vat_of(self, account: AccountChoice) -> AccountVat:
        """The account's VAT code and rate. No code (or "none") is no VAT; a code Dinero does not list has no rate."""
        code = account.vat_code or NO_VAT
        if code.lower() == NO_VAT:
            return AccountVat(vat_code=NO_VAT, vat_rate=Decimal(0))
        vat_type = next((vat_type for vat_type in self.vat_types if vat_type.code == code), None)
        return AccountVat(vat_code=code, vat_rate=vat_type.rate if vat_type else None)

    def check(self, template: Template, saved: TemplateSet) -> tuple[Template, list[str]]:
        """The template with its account's VAT recorded, and warnings for poor fits. Raises InvalidRequestError for a
        value the organization does not have."""
        if template.account_number is not None:
            account = self._usable_account(template.account_number, "account_number")
            vat = self.vat_of(account)
            recorded = template.model_copy(update={"vat_code": vat.vat_code, "vat_rate": vat.vat_rate})
            return recorded, vat_warnings(recorded, saved)
        if template.layout_id is not None and all(layout.id != template.layout_id for layout in self.layouts):
            raise InvalidRequestError(f"layout_id: layout {template.layout_id} does not exist in Dinero")
        return template, []

    def oss_account(self, number: int, field: str) -> OssAccount:
        """An account for the OSS configuration: it must exist, be visible and carry no VAT (Dinero would otherwise
        add Danish VAT to a sale taxed in another country)."""
        account = self._usable_account(number, field)
        vat = self.vat_of(account)
        if vat.vat_rate != 0:
            raise InvalidRequestError(
                f"{field}: account {number} has VAT code {vat.vat_label}; OSS needs an account without VAT "
                f"(VAT code {NO_VAT})"
            )
        return OssAccount(account_number=number, vat_code=vat.vat_code, vat_rate=vat.vat_rate)

    def _usable_account(self, number: int, field: str) -> AccountChoice:
        account = next((account for account in self.accounts if account.number == number), None)
        if account is None:
            raise InvalidRequestError(f"{field}: account {number} does not exist in Dinero's chart of accounts")
        if account.is_hidden:
            raise InvalidRequestError(f"{field}: account {number} is hidden in Dinero and must not be used")
        return account


def vat_warnings(template: Template, saved: TemplateSet) -> list[str]:
    """Domestic sales carry Danish VAT; exports carry none. Product (EU) may carry Danish VAT (consumer sales below
    the EU threshold are Danish sales) or none (VAT-exempt sales to businesses). Freight follows the goods, so an EU
    or Outside EU Shipping account should have its Product account's VAT code."""
    region = region_of(template.kind)
    label = f"{template.kind.label}: account {template.account_number} has VAT code {template.vat_label}"
    rate = template.vat_rate
    warnings = []
    if region is Region.DOMESTIC and rate is not None and rate != Decimal("0.25"):
        warnings.append(f"{label}, but domestic sales normally carry Danish VAT ({DANISH_SALES_VAT}, 25 %)")
    if region is Region.OUTSIDE_EU and rate:
        warnings.append(f"{label}, but exports are VAT-free (ML § 34, stk. 1, nr. 5): lines would get {percent(rate)}")
    if region is not Region.DOMESTIC:
        partner_kind = (
            TemplateKind.shipping(region) if template.kind.value.startswith("product") else TemplateKind.product(region)
        )
        partner = saved.templates.get(partner_kind)
        if (
            partner is not None
            and partner.account_number
            and partner.vat_code
            and partner.vat_code != template.vat_code
        ):
            warnings.append(
                f"{label}, but {partner_kind.label} account {partner.account_number} has {partner.vat_label}: "
                "freight follows the goods' VAT treatment (ML § 27, stk. 2, nr. 2), so both should have the same code"
            )
    return warnings


def region_of(kind: TemplateKind) -> Region:
    """The region an account template serves ("product_eu" → EU)."""
    if not kind.is_account:
        raise ValueError(f"{kind.label} is not an account template")
    return Region(kind.value.partition("_")[2])
