"""An organization's choices in Dinero and how a template is checked against them."""

from uuid import UUID

import pytest

from dinero_bookkeeping.domain.dinero_choices import AccountChoice, DineroChoices, LayoutChoice, region_of, vat_warning
from dinero_bookkeeping.domain.errors import InvalidRequestError
from dinero_bookkeeping.domain.regions import Region
from dinero_bookkeeping.domain.templates import Template, TemplateKind

LAYOUT = UUID("5b3f7c1e-2a4d-4e8f-9c0b-1d2e3f4a5b6c")


def choices() -> DineroChoices:
    return DineroChoices(
        accounts=[
            AccountChoice.from_dinero({"AccountNumber": 1000, "Name": "Salg", "VatCode": "U25", "IsHidden": False}),
            AccountChoice.from_dinero({"AccountNumber": 1090, "Name": "Gammel", "VatCode": "U25", "IsHidden": True}),
            AccountChoice.from_dinero({"AccountNumber": 1255, "Name": "Eksport", "VatCode": "UVV", "IsHidden": False}),
            AccountChoice.from_dinero({"AccountNumber": 1400, "Name": "Gebyrer", "IsHidden": False}),
        ],
        layouts=[LayoutChoice.from_dinero({"Id": str(LAYOUT), "Name": "Standard", "IsDefault": True})],
    )


def test_dinero_read_models_become_choices() -> None:
    # Given
    item = {"AccountNumber": 1100, "Name": "EU-leverancer", "VatCode": "UEUV", "IsHidden": False, "Category": "x"}
    # When
    account = AccountChoice.from_dinero(item)
    # Then
    assert account == AccountChoice(number=1100, name="EU-leverancer", vat_code="UEUV", is_hidden=False)


def test_visible_accounts_leave_hidden_ones_out() -> None:
    # Given
    available = choices()
    # When
    visible = available.visible_accounts
    # Then
    assert [account.number for account in visible] == [1000, 1255, 1400]


@pytest.mark.parametrize(
    ("kind", "account_number", "warnings"),
    [
        (TemplateKind.PRODUCT_DOMESTIC, 1000, []),
        (TemplateKind.PRODUCT_OUTSIDE_EU, 1255, []),
        (
            TemplateKind.PRODUCT_DOMESTIC,
            1255,
            ["Product (Domestic): account 1255 has VAT code UVV, but domestic sales normally carry Danish VAT (U25)"],
        ),
        (
            TemplateKind.SHIPPING_OUTSIDE_EU,
            1000,
            ["Shipping (Outside EU): account 1000 carries Danish VAT (U25), but sales to Outside EU normally do not"],
        ),
        (
            TemplateKind.SHIPPING_DOMESTIC,
            1400,
            ["Shipping (Domestic): account 1400 has VAT code none, but domestic sales normally carry Danish VAT (U25)"],
        ),
    ],
)
def test_account_vat_code_that_does_not_suit_the_region_is_warned_about(
    kind: TemplateKind, account_number: int, warnings: list[str]
) -> None:
    # Given
    template = Template(kind=kind, account_number=account_number)
    # When
    found = choices().check(template)
    # Then
    assert found == warnings


def test_hidden_account_is_refused() -> None:
    # Given
    template = Template(kind=TemplateKind.PRODUCT_DOMESTIC, account_number=1090)
    # When
    with pytest.raises(InvalidRequestError) as raised:
        choices().check(template)
    # Then
    assert str(raised.value).startswith("account_number: account 1090 is hidden")


def test_unknown_layout_is_refused_and_a_known_one_accepted() -> None:
    # Given
    unknown = Template(kind=TemplateKind.INVOICE, layout_id=UUID("00000000-0000-4000-8000-000000000001"))
    known = Template(kind=TemplateKind.INVOICE, layout_id=LAYOUT)
    # When
    with pytest.raises(InvalidRequestError) as raised:
        choices().check(unknown)
    # Then
    assert str(raised.value).startswith("layout_id: layout 00000000-0000-4000-8000-000000000001")
    assert choices().check(known) == []


def test_region_of_account_templates_follows_their_kind() -> None:
    # Given
    kinds = [TemplateKind.PRODUCT_EU, TemplateKind.SHIPPING_DOMESTIC, TemplateKind.SHIPPING_OUTSIDE_EU]
    # When
    regions = [region_of(kind) for kind in kinds]
    # Then
    assert regions == [Region.EU, Region.DOMESTIC, Region.OUTSIDE_EU]
    with pytest.raises(ValueError):
        region_of(TemplateKind.INVOICE)


def test_account_without_vat_code_counts_as_none() -> None:
    # Given
    account = AccountChoice(number=1500, name="Andet", vat_code=None, is_hidden=False)
    # When
    warning = vat_warning(TemplateKind.PRODUCT_EU, account)
    # Then
    assert warning is None
