"""The optional OSS configuration: how an integration books EU consumer sales taxed in the buyer's country.

Dinero has no OSS VAT codes, and an invoice line takes its VAT from its account. So an order charged another
country's VAT is booked as its net amount on a sales account of that country without Danish VAT, and the foreign VAT
as a line of its own on one OSS VAT liability account: the invoice equals what the customer paid, and the VAT waits
on the liability account for the quarterly OSS return (the union scheme, Directive 2006/112/EC art. 369a-369k).
"""

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dinero_bookkeeping.domain.regions import EU_COUNTRIES_OUTSIDE_DENMARK
from dinero_bookkeeping.domain.templates import AccountVat


class OssAccount(AccountVat):
    """An account of the OSS configuration, with its VAT code as recorded when it was chosen."""

    account_number: int = Field(gt=0)


class OssSettings(BaseModel):
    """Per EU country (not DK) a sales account; one liability account for all foreign VAT. No countries: OSS is off."""

    model_config = ConfigDict(frozen=True)

    liability: OssAccount | None = None
    countries: dict[str, OssAccount] = {}

    @model_validator(mode="after")
    def _consistent(self) -> "OssSettings":
        unknown = sorted(code for code in self.countries if code not in EU_COUNTRIES_OUTSIDE_DENMARK)
        if unknown:
            raise ValueError(f"OSS applies to EU countries other than Denmark, not {', '.join(unknown)}")
        if self.countries and self.liability is None:
            raise ValueError("OSS needs the liability account for the foreign VAT")
        if self.liability and any(a.account_number == self.liability.account_number for a in self.countries.values()):
            raise ValueError("The liability account cannot also be a country's sales account")
        return self

    def account_for(self, country_code: str) -> OssAccount | None:
        return self.countries.get(country_code.upper())
