"""What an organization can choose from in Dinero (accounts, layouts, payment terms), and whether a template fits.

A template may only name an account that exists and is not hidden, and a layout that exists. An account whose VAT
code does not suit the template's region is allowed (the merchant may know better) but earns a warning.
"""

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from dinero_bookkeeping.domain.errors import InvalidRequestError
from dinero_bookkeeping.domain.regions import Region
from dinero_bookkeeping.domain.templates import Template, TemplateKind

# Dinero's VAT code for Danish sales VAT at 25 %.
DANISH_SALES_VAT = "U25"


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

    @property
    def visible_accounts(self) -> list[AccountChoice]:
        """Dinero marks accounts that "should not be used" as hidden, so they are not offered."""
        return [account for account in self.accounts if not account.is_hidden]

    def check(self, template: Template) -> list[str]:
        """Raises InvalidRequestError for a value the organization does not have; returns warnings for poor fits."""
        if template.account_number is not None:
            return self._check_account(template.kind, template.account_number)
        if template.layout_id is not None and all(layout.id != template.layout_id for layout in self.layouts):
            raise InvalidRequestError(f"layout_id: layout {template.layout_id} does not exist in Dinero")
        return []

    def _check_account(self, kind: TemplateKind, number: int) -> list[str]:
        account = next((account for account in self.accounts if account.number == number), None)
        if account is None:
            raise InvalidRequestError(f"account_number: account {number} does not exist in Dinero's chart of accounts")
        if account.is_hidden:
            raise InvalidRequestError(f"account_number: account {number} is hidden in Dinero and must not be used")
        warning = vat_warning(kind, account)
        return [warning] if warning else []


def vat_warning(kind: TemplateKind, account: AccountChoice) -> str | None:
    """Domestic sales carry Danish VAT (U25); sales to the EU or outside it normally do not."""
    region = region_of(kind)
    code = account.vat_code or "none"
    if region is Region.DOMESTIC and code != DANISH_SALES_VAT:
        return (
            f"{kind.label}: account {account.number} has VAT code {code}, "
            f"but domestic sales normally carry Danish VAT ({DANISH_SALES_VAT})"
        )
    if region is not Region.DOMESTIC and code == DANISH_SALES_VAT:
        return (
            f"{kind.label}: account {account.number} carries Danish VAT ({DANISH_SALES_VAT}), "
            f"but sales to {region.label} normally do not"
        )
    return None


def region_of(kind: TemplateKind) -> Region:
    """The region an account template serves ("product_eu" → EU)."""
    if not kind.is_account:
        raise ValueError(f"{kind.label} is not an account template")
    return Region(kind.value.partition("_")[2])
