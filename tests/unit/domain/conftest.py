"""Realistic orders and a complete template set for the domain tests.

The orders are the "order handled" events in tests/data/orders/, shared with other suites as event fixtures.
"""

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from dinero_bookkeeping.domain.order_event import OrderHandledEvent
from dinero_bookkeeping.domain.oss_settings import OssAccount, OssSettings
from dinero_bookkeeping.domain.templates import PaymentConditionType, Template, TemplateKind, TemplateSet

ORDERS_DIR = Path(__file__).parents[2] / "data" / "orders"

LAYOUT_ID = UUID("0b7a1a36-5b4e-4d8e-9a53-6a2f3c1d9e01")

# Revenue accounts as in Dinero's standard chart where it has one (1000 domestic sales, 1100 EU goods, 1255 export of
# goods, 1350 taxable freight, 1300 VAT-free freight); 1360 stands for an EU freight account the merchant added.
# Their VAT codes and rates, as the configuration API records them with each template.
VAT = {
    1000: ("U25", Decimal("0.25")),
    1010: ("U25", Decimal("0.25")),
    1100: ("UEUV", Decimal(0)),
    1160: ("none", Decimal(0)),
    1165: ("none", Decimal(0)),
    1255: ("UVV", Decimal(0)),
    1300: ("none", Decimal(0)),
    1350: ("U25", Decimal("0.25")),
    1360: ("UEUV", Decimal(0)),
    63100: ("none", Decimal(0)),
}
ACCOUNTS = {
    TemplateKind.PRODUCT_DOMESTIC: 1000,
    TemplateKind.PRODUCT_EU: 1100,
    TemplateKind.PRODUCT_OUTSIDE_EU: 1255,
    TemplateKind.SHIPPING_DOMESTIC: 1350,
    TemplateKind.SHIPPING_EU: 1360,
    TemplateKind.SHIPPING_OUTSIDE_EU: 1300,
}

OrderData = dict[str, Any]


@pytest.fixture
def order_data() -> Callable[[str], OrderData]:
    """Reads tests/data/orders/<name>.json as a fresh dict, so a test can change it before parsing."""

    def load(name: str) -> OrderData:
        data: OrderData = json.loads((ORDERS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        return data

    return load


@pytest.fixture
def order_event(order_data: Callable[[str], OrderData]) -> Callable[[str], OrderHandledEvent]:
    """Parses tests/data/orders/<name>.json into an event, as the queue consumer would."""

    def load(name: str) -> OrderHandledEvent:
        return OrderHandledEvent.model_validate(order_data(name))

    return load


@pytest.fixture
def templates() -> TemplateSet:
    """An integration with every template filled in: layout, 8 days net, and an account per kind and region."""
    invoice = Template(
        kind=TemplateKind.INVOICE,
        layout_id=LAYOUT_ID,
        payment_condition_type=PaymentConditionType.NETTO,
        payment_condition_days=8,
    )
    return TemplateSet(
        templates={TemplateKind.INVOICE: invoice, **{kind: account(kind, n) for kind, n in ACCOUNTS.items()}}
    )


def account(kind: TemplateKind, number: int) -> Template:
    """An account template as the configuration API stores it: with the account's VAT code and rate."""
    code, rate = VAT[number]
    return Template(kind=kind, account_number=number, vat_code=code, vat_rate=rate)


AccountsChanger = Callable[..., TemplateSet]
OssFactory = Callable[..., OssSettings]


@pytest.fixture
def with_accounts(templates: TemplateSet) -> AccountsChanger:
    """The standard templates with some accounts changed by kind value, e.g. with_accounts(product_eu=1010)."""

    def change(**accounts: int) -> TemplateSet:
        changed = {TemplateKind(kind): account(TemplateKind(kind), number) for kind, number in accounts.items()}
        return TemplateSet(templates={**templates.templates, **changed})

    return change


@pytest.fixture
def oss() -> OssFactory:
    """OSS configured as the API stores it, with liability account 63100: oss(DE=1160)."""

    def held(number: int) -> OssAccount:
        code, rate = VAT[number]
        return OssAccount(account_number=number, vat_code=code, vat_rate=rate)

    def configure(**countries: int) -> OssSettings:
        return OssSettings(liability=held(63100), countries={code: held(n) for code, n in countries.items()})

    return configure
