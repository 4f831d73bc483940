"""Templates: merchant-facing labels, what is missing, and which combinations are refused."""

from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from dinero_bookkeeping.domain.errors import TemplateIncompleteError
from dinero_bookkeeping.domain.regions import Region
from dinero_bookkeeping.domain.templates import PaymentConditionType, Template, TemplateKind, TemplateSet

LAYOUT_ID = UUID("0b7a1a36-5b4e-4d8e-9a53-6a2f3c1d9e01")


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (TemplateKind.INVOICE, "Invoice"),
        (TemplateKind.PRODUCT_DOMESTIC, "Product (Domestic)"),
        (TemplateKind.PRODUCT_EU, "Product (EU)"),
        (TemplateKind.PRODUCT_OUTSIDE_EU, "Product (Outside EU)"),
        (TemplateKind.SHIPPING_DOMESTIC, "Shipping (Domestic)"),
        (TemplateKind.SHIPPING_EU, "Shipping (EU)"),
        (TemplateKind.SHIPPING_OUTSIDE_EU, "Shipping (Outside EU)"),
    ],
)
def test_template_kind_label_is_merchant_facing_name(kind: TemplateKind, label: str) -> None:
    # Given a template kind, When shown to a merchant, Then
    assert kind.label == label


@pytest.mark.parametrize(
    ("region", "product", "shipping"),
    [
        (Region.DOMESTIC, TemplateKind.PRODUCT_DOMESTIC, TemplateKind.SHIPPING_DOMESTIC),
        (Region.EU, TemplateKind.PRODUCT_EU, TemplateKind.SHIPPING_EU),
        (Region.OUTSIDE_EU, TemplateKind.PRODUCT_OUTSIDE_EU, TemplateKind.SHIPPING_OUTSIDE_EU),
    ],
)
def test_template_kind_for_region_picks_that_regions_accounts(
    region: Region, product: TemplateKind, shipping: TemplateKind
) -> None:
    # Given a region, When its account kinds are looked up, Then
    assert TemplateKind.product(region) is product
    assert TemplateKind.shipping(region) is shipping


def test_template_account_without_number_is_missing_account() -> None:
    # Given an account template nobody has filled in, When & Then
    assert Template(kind=TemplateKind.SHIPPING_EU).missing == ["account_number"]


def test_template_invoice_empty_is_missing_layout_and_terms() -> None:
    # Given a fresh invoice template, When & Then
    assert Template(kind=TemplateKind.INVOICE).missing == ["layout_id", "payment_condition_type"]


def test_template_invoice_netto_without_days_is_missing_days() -> None:
    # Given net terms without a number of days
    template = Template(
        kind=TemplateKind.INVOICE, layout_id=LAYOUT_ID, payment_condition_type=PaymentConditionType.NETTO
    )

    # When & Then
    assert template.missing == ["payment_condition_days"]


def test_template_invoice_cash_terms_need_no_days() -> None:
    # Given cash terms, which take no number of days
    template = Template(
        kind=TemplateKind.INVOICE, layout_id=LAYOUT_ID, payment_condition_type=PaymentConditionType.NETTO_CASH
    )

    # When & Then
    assert template.missing == []


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": TemplateKind.PRODUCT_DOMESTIC, "layout_id": LAYOUT_ID},
        {"kind": TemplateKind.SHIPPING_EU, "payment_condition_type": PaymentConditionType.NETTO},
        {"kind": TemplateKind.INVOICE, "account_number": 1000},
        {
            "kind": TemplateKind.INVOICE,
            "payment_condition_type": PaymentConditionType.PAID,
            "payment_condition_days": 8,
        },
        {"kind": TemplateKind.PRODUCT_EU, "account_number": 0},
        {
            "kind": TemplateKind.INVOICE,
            "payment_condition_type": PaymentConditionType.NETTO,
            "payment_condition_days": 366,
        },
    ],
)
def test_template_fields_not_fitting_kind_raise_validation_error(fields: dict[str, Any]) -> None:
    # Given a combination the kind does not take, When & Then
    with pytest.raises(ValidationError):
        Template.model_validate(fields)


def test_template_set_require_account_without_number_raises_no_account() -> None:
    # Given a freshly activated integration
    templates = TemplateSet.empty()

    # When & Then the message names the template as the merchant sees it
    with pytest.raises(TemplateIncompleteError) as raised:
        templates.account(TemplateKind.PRODUCT_EU)
    assert raised.value.reason == "Product (EU) has no account"


def test_template_set_require_incomplete_invoice_names_missing_fields() -> None:
    # Given a freshly activated integration, When & Then
    with pytest.raises(TemplateIncompleteError) as raised:
        TemplateSet.empty().require(TemplateKind.INVOICE)
    assert raised.value.reason == "Invoice has no layout_id, payment_condition_type"


def test_template_set_require_absent_kind_asks_for_activation() -> None:
    # Given a set without the Invoice template
    templates = TemplateSet(templates={})

    # When & Then
    with pytest.raises(TemplateIncompleteError, match="Invoice template does not exist: activate the integration"):
        templates.require(TemplateKind.INVOICE)


def test_template_set_account_filled_in_returns_number() -> None:
    # Given a filled-in Shipping (Domestic) account
    templates = TemplateSet(
        templates={TemplateKind.SHIPPING_DOMESTIC: Template(kind=TemplateKind.SHIPPING_DOMESTIC, account_number=1350)}
    )

    # When & Then
    assert templates.account(TemplateKind.SHIPPING_DOMESTIC) == 1350


def test_template_set_empty_has_all_seven_kinds_incomplete() -> None:
    # Given what activation creates
    templates = TemplateSet.empty()

    # When & Then
    assert set(templates.templates) == set(TemplateKind)
    assert templates.incomplete == list(TemplateKind)


def test_template_set_incomplete_lists_only_unfilled_kinds() -> None:
    # Given a merchant who sells only in Denmark and filled in the Domestic templates and the invoice
    filled = {
        TemplateKind.INVOICE: Template(
            kind=TemplateKind.INVOICE,
            layout_id=LAYOUT_ID,
            payment_condition_type=PaymentConditionType.NETTO,
            payment_condition_days=14,
        ),
        TemplateKind.PRODUCT_DOMESTIC: Template(kind=TemplateKind.PRODUCT_DOMESTIC, account_number=1000),
        TemplateKind.SHIPPING_DOMESTIC: Template(kind=TemplateKind.SHIPPING_DOMESTIC, account_number=1350),
    }
    templates = TemplateSet(templates={**TemplateSet.empty().templates, **filled})

    # When & Then the EU and Outside EU accounts are still open
    assert templates.incomplete == [
        TemplateKind.PRODUCT_EU,
        TemplateKind.PRODUCT_OUTSIDE_EU,
        TemplateKind.SHIPPING_EU,
        TemplateKind.SHIPPING_OUTSIDE_EU,
    ]
