"""Realistic "order handled" events from tests/data/orders, and the templates a typical merchant fills in."""

import copy
import json
from pathlib import Path
from typing import Any
from uuid import UUID

from dinero_bookkeeping.domain.oss_settings import OssAccount, OssSettings
from dinero_bookkeeping.domain.templates import AccountVat, PaymentConditionType, Template, TemplateKind, TemplateSet
from infra.local.dinero_sandbox.demo_data import STANDARD_CHART, STANDARD_VAT_TYPES, WEBSHOP_ACCOUNTS
from infra.local.seeding import STANDARD_ACCOUNTS

ORDERS = Path(__file__).resolve().parent.parent / "data" / "orders"

# Any layout id: unit tests do not look it up.
LAYOUT_ID = UUID("7d0c2a8e-5b0e-4a43-9d55-6f1b2f0a9c11")


def order_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of tests/data/orders/<name>.json with top-level fields replaced."""
    event: dict[str, Any] = json.loads((ORDERS / f"{name}.json").read_text())
    return {**copy.deepcopy(event), **overrides}


_RATES = {vat_type.code: vat_type.rate for vat_type in STANDARD_VAT_TYPES}
_CODES = {account.number: account.vat_code for account in (*STANDARD_CHART, *WEBSHOP_ACCOUNTS)}


def account_vat(number: int | None) -> AccountVat:
    """The VAT code and rate of a sandbox chart account, as the configuration API records them with a template."""
    code = _CODES.get(number) if number is not None else None
    return AccountVat(vat_code=code, vat_rate=_RATES.get(code) if code else None)


def standard_templates(layout_id: UUID = LAYOUT_ID, *, record_vat: bool = True, **accounts: int | None) -> TemplateSet:
    """All 7 templates filled like a merchant on Dinero's standard chart; override accounts by kind value. Without
    `record_vat` they are as templates saved before VAT codes were recorded."""
    chosen = {kind: accounts.get(kind.value, number) for kind, number in STANDARD_ACCOUNTS.items()}
    templates = {
        kind: Template(kind=kind, account_number=number, **(account_vat(number).model_dump() if record_vat else {}))
        for kind, number in chosen.items()
    }
    templates[TemplateKind.INVOICE] = Template(
        kind=TemplateKind.INVOICE,
        layout_id=layout_id,
        payment_condition_type=PaymentConditionType.NETTO,
        payment_condition_days=8,
    )
    return TemplateSet(templates=templates)


def oss_settings(countries: dict[str, int] | None = None, liability: int = 63100) -> OssSettings:
    """OSS configured as the API stores it: per country a sales account without VAT, one liability account."""
    return OssSettings(
        liability=OssAccount(account_number=liability, **account_vat(liability).model_dump()),
        countries={
            code: OssAccount(account_number=number, **account_vat(number).model_dump())
            for code, number in (countries or {"DE": 1160}).items()
        },
    )
