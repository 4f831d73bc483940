"""An organization's choices in Dinero and how a template or the OSS configuration is checked against them."""

from decimal import Decimal
from uuid import UUID

import pytest

from dinero_bookkeeping.domain.dinero_choices import (
    AccountChoice,
    DineroChoices,
    LayoutChoice,
    VatTypeChoice,
    region_of,
)
from dinero_bookkeeping.domain.errors import InvalidRequestError
from dinero_bookkeeping.domain.regions import Region
from dinero_bookkeeping.domain.templates import Template, TemplateKind, TemplateSet

LAYOUT = UUID("5b3f7c1e-2a4d-4e8f-9c0b-1d2e3f4a5b6c")
NOTHING_SAVED = TemplateSet(templates={})


def _account(number: int, name: str, vat_code: str | None, hidden: bool = False) -> AccountChoice:
    item = {"AccountNumber": number, "Name": name, "IsHidden": hidden} | ({"VatCode": vat_code} if vat_code else {})
    return AccountChoice.from_dinero(item)


def choices() -> DineroChoices:
    return DineroChoices(
        accounts=[
            _account(1000, "Salg", "U25"),
            _account(1010, "Salg til EU-forbrugere", "U25"),
            _account(1090, "Gammel", "U25", hidden=True),
            _account(1100, "EU-leverancer varer", "UEUV"),
            _account(1110, "EU-leverancer fragt", "UEUV"),
            _account(1160, "Salg til Tyskland (OSS)", "none"),
            _account(1255, "Eksport", "UVV"),
            _account(1300, "Fragt momsfri", "none"),
            _account(1400, "Gebyrer", None),
            _account(1500, "Ukendt kode", "XYZ"),
        ],
        layouts=[LayoutChoice.from_dinero({"Id": str(LAYOUT), "Name": "Standard", "IsDefault": True})],
        vat_types=[
            VatTypeChoice.from_dinero({"VatCode": "U25", "Name": "Salgsmoms", "VatRate": 0.25}),
            VatTypeChoice.from_dinero({"VatCode": "UEUV", "Name": "EU varer", "VatRate": 0}),
            VatTypeChoice.from_dinero({"VatCode": "UVV", "Name": "Eksport", "VatRate": 0}),
            VatTypeChoice.from_dinero({"VatCode": "none", "Name": "Ingen moms", "VatRate": 0}),
        ],
    )


def saved(**accounts: int) -> TemplateSet:
    """Templates already saved through check(), so their VAT codes are recorded."""
    result = NOTHING_SAVED
    for kind, number in accounts.items():
        template, _ = choices().check(Template(kind=TemplateKind(kind), account_number=number), result)
        result = TemplateSet(templates={**result.templates, template.kind: template})
    return result


def test_dinero_read_models_become_choices() -> None:
    # Given
    item = {"AccountNumber": 1100, "Name": "EU-leverancer", "VatCode": "UEUV", "IsHidden": False, "Category": "x"}
    vat_type = {"VatCode": "U25", "Name": "Dansk salgsmoms 25%", "VatRate": 0.25}
    # When
    account = AccountChoice.from_dinero(item)
    vat = VatTypeChoice.from_dinero(vat_type)
    # Then
    assert account == AccountChoice(number=1100, name="EU-leverancer", vat_code="UEUV", is_hidden=False)
    assert vat == VatTypeChoice(code="U25", name="Dansk salgsmoms 25%", rate=Decimal("0.25"))


def test_visible_accounts_leave_hidden_ones_out() -> None:
    # Given
    available = choices()
    # When
    visible = available.visible_accounts
    # Then
    assert 1090 not in [account.number for account in visible]
    assert len(visible) == 9


def test_a_saved_template_records_its_accounts_vat_code_and_rate() -> None:
    # Given: a 25 % account, an account without a VAT code, and one whose code Dinero's VAT types do not list
    templates = [
        Template(kind=TemplateKind.PRODUCT_EU, account_number=1010),
        Template(kind=TemplateKind.SHIPPING_DOMESTIC, account_number=1400),
        Template(kind=TemplateKind.PRODUCT_OUTSIDE_EU, account_number=1500),
    ]
    # When
    recorded = [choices().check(template, NOTHING_SAVED)[0] for template in templates]
    # Then
    assert [(t.vat_code, t.vat_rate) for t in recorded] == [
        ("U25", Decimal("0.25")),
        ("none", Decimal(0)),
        ("XYZ", None),
    ]


@pytest.mark.parametrize(
    ("kind", "account_number", "warnings"),
    [
        (TemplateKind.PRODUCT_DOMESTIC, 1000, []),
        (TemplateKind.PRODUCT_OUTSIDE_EU, 1255, []),
        # Consumer sales to the EU below the threshold carry Danish VAT: a 25 % EU account is right, so is a 0 % one.
        (TemplateKind.PRODUCT_EU, 1010, []),
        (TemplateKind.PRODUCT_EU, 1100, []),
        (
            TemplateKind.PRODUCT_DOMESTIC,
            1255,
            [
                "Product (Domestic): account 1255 has VAT code UVV (0 %), but domestic sales normally carry Danish "
                "VAT (U25, 25 %)"
            ],
        ),
        (
            TemplateKind.PRODUCT_OUTSIDE_EU,
            1000,
            [
                "Product (Outside EU): account 1000 has VAT code U25 (25 %), but exports are VAT-free "
                "(ML § 34, stk. 1, nr. 5): lines would get 25 %"
            ],
        ),
        (
            TemplateKind.SHIPPING_DOMESTIC,
            1400,
            [
                "Shipping (Domestic): account 1400 has VAT code none (0 %), but domestic sales normally carry Danish "
                "VAT (U25, 25 %)"
            ],
        ),
    ],
)
def test_account_vat_that_does_not_suit_the_region_is_warned_about(
    kind: TemplateKind, account_number: int, warnings: list[str]
) -> None:
    # Given
    template = Template(kind=kind, account_number=account_number)
    # When
    _, found = choices().check(template, NOTHING_SAVED)
    # Then
    assert found == warnings


def test_eu_shipping_with_another_vat_code_than_the_eu_goods_is_warned_about() -> None:
    # Given: EU goods on 1100 (UEUV, reported in box B)
    goods = saved(product_eu=1100)
    # When: EU freight on the VAT-free freight account (code none), then on an UEUV freight account
    _, mismatched = choices().check(Template(kind=TemplateKind.SHIPPING_EU, account_number=1300), goods)
    _, matching = choices().check(Template(kind=TemplateKind.SHIPPING_EU, account_number=1110), goods)
    # Then
    assert mismatched == [
        "Shipping (EU): account 1300 has VAT code none (0 %), but Product (EU) account 1100 has UEUV (0 %): freight "
        "follows the goods' VAT treatment (ML § 27, stk. 2, nr. 2), so both should have the same code"
    ]
    assert matching == []


def test_export_goods_saved_after_their_shipping_are_compared_too() -> None:
    # Given: export freight saved first on a 25 % account
    freight = saved(shipping_outside_eu=1000)
    # When
    _, warnings = choices().check(Template(kind=TemplateKind.PRODUCT_OUTSIDE_EU, account_number=1255), freight)
    # Then
    assert warnings == [
        "Product (Outside EU): account 1255 has VAT code UVV (0 %), but Shipping (Outside EU) account 1000 has U25 "
        "(25 %): freight follows the goods' VAT treatment (ML § 27, stk. 2, nr. 2), so both should have the same code"
    ]


def test_hidden_account_is_refused() -> None:
    # Given
    template = Template(kind=TemplateKind.PRODUCT_DOMESTIC, account_number=1090)
    # When
    with pytest.raises(InvalidRequestError) as raised:
        choices().check(template, NOTHING_SAVED)
    # Then
    assert str(raised.value).startswith("account_number: account 1090 is hidden")


def test_unknown_layout_is_refused_and_a_known_one_accepted() -> None:
    # Given
    unknown = Template(kind=TemplateKind.INVOICE, layout_id=UUID("00000000-0000-4000-8000-000000000001"))
    known = Template(kind=TemplateKind.INVOICE, layout_id=LAYOUT)
    # When
    with pytest.raises(InvalidRequestError) as raised:
        choices().check(unknown, NOTHING_SAVED)
    # Then
    assert str(raised.value).startswith("layout_id: layout 00000000-0000-4000-8000-000000000001")
    assert choices().check(known, NOTHING_SAVED) == (known, [])


def test_oss_accounts_must_exist_and_carry_no_vat() -> None:
    # Given
    available = choices()
    # When
    account = available.oss_account(1160, "countries.DE")
    with pytest.raises(InvalidRequestError) as with_vat:
        available.oss_account(1010, "countries.DE")
    with pytest.raises(InvalidRequestError) as missing:
        available.oss_account(9999, "liability_account_number")
    # Then
    assert (account.account_number, account.vat_code, account.vat_rate) == (1160, "none", Decimal(0))
    assert str(with_vat.value) == (
        "countries.DE: account 1010 has VAT code U25 (25 %); OSS needs an account without VAT (VAT code none)"
    )
    assert str(missing.value).startswith("liability_account_number: account 9999 does not exist")


def test_region_of_account_templates_follows_their_kind() -> None:
    # Given
    kinds = [TemplateKind.PRODUCT_EU, TemplateKind.SHIPPING_DOMESTIC, TemplateKind.SHIPPING_OUTSIDE_EU]
    # When
    regions = [region_of(kind) for kind in kinds]
    # Then
    assert regions == [Region.EU, Region.DOMESTIC, Region.OUTSIDE_EU]
    with pytest.raises(ValueError):
        region_of(TemplateKind.INVOICE)
