"""ManageTemplatesService against in-memory fakes: validation against Dinero's choices, warnings, the choice cache."""

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from dinero_bookkeeping.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from dinero_bookkeeping.domain.integration import integration_id_for
from dinero_bookkeeping.domain.rate_window import WaitForBudget
from dinero_bookkeeping.domain.templates import PaymentConditionType, TemplateKind
from support.merchant_world import (
    MERCHANT,
    NON_PRO_ORG,
    OTHER_MERCHANT,
    PRO_ORG,
    STANDARD_LAYOUT,
    WEBSHOP_LAYOUT,
    MerchantWorld,
)


def test_account_that_exists_is_stored_without_warnings() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    saved = world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_EU, account_number=1100)
    # Then
    assert saved.warnings == []
    stored = world.integrations.get_templates(integration_id).templates[TemplateKind.PRODUCT_EU]
    assert stored.account_number == 1100 and stored.missing == []


def test_account_that_does_not_exist_is_refused_naming_the_field() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    with pytest.raises(InvalidRequestError) as raised:
        world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_DOMESTIC, account_number=9999)
    # Then
    assert str(raised.value) == "account_number: account 9999 does not exist in Dinero's chart of accounts"
    stored = world.integrations.get_templates(integration_id).templates[TemplateKind.PRODUCT_DOMESTIC]
    assert stored.account_number is None


def test_hidden_account_is_refused() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    with pytest.raises(InvalidRequestError) as raised:
        world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_DOMESTIC, account_number=1090)
    # Then
    assert "account 1090 is hidden" in str(raised.value)


def test_domestic_account_without_danish_vat_is_stored_with_a_warning() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    saved = world.templates.put_template(MERCHANT, integration_id, TemplateKind.SHIPPING_DOMESTIC, account_number=1300)
    # Then
    assert saved.warnings == [
        "Shipping (Domestic): account 1300 has VAT code none (0 %), but domestic sales normally carry Danish VAT "
        "(U25, 25 %)"
    ]
    assert saved.template.account_number == 1300
    assert (saved.template.vat_code, saved.template.vat_rate) == ("none", Decimal(0))


def test_eu_account_with_danish_vat_is_stored_without_a_warning_and_with_its_rate() -> None:
    # Given: EU consumer sales below the distance-selling threshold carry Danish VAT
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    saved = world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_EU, account_number=1010)
    # Then
    assert saved.warnings == []
    stored = world.templates.get_template(MERCHANT, integration_id, TemplateKind.PRODUCT_EU)
    assert (stored.vat_code, stored.vat_rate) == ("U25", Decimal("0.25"))


def test_filling_templates_reads_accounts_layouts_and_vat_types_once_a_minute() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    for kind, number in ((TemplateKind.PRODUCT_EU, 1100), (TemplateKind.SHIPPING_EU, 1110)):
        world.templates.put_template(MERCHANT, integration_id, kind, account_number=number)
    # Then
    assert dict(world.dinero.calls) == {"list_entry_accounts": 1, "list_invoice_layouts": 1, "list_vat_types": 1}


def test_oss_configuration_is_stored_with_vat_codes_and_can_be_turned_off() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    on = world.templates.put_oss(MERCHANT, integration_id, liability_account=63100, countries={"de": 1160})
    stored = world.templates.get_oss(MERCHANT, integration_id)
    off = world.templates.put_oss(MERCHANT, integration_id, liability_account=None, countries={})
    # Then
    assert stored == on
    assert on.account_for("DE") is not None and on.liability is not None
    assert (on.liability.account_number, on.liability.vat_code) == (63100, "none")
    assert off.countries == {} and world.templates.get_oss(MERCHANT, integration_id) == off


@pytest.mark.parametrize(
    ("liability", "countries", "message"),
    [
        (None, {"DE": 1160}, "OSS needs the liability account for the foreign VAT"),
        (63100, {"DK": 1160}, "OSS applies to EU countries other than Denmark, not DK"),
        (63100, {"NO": 1160}, "OSS applies to EU countries other than Denmark, not NO"),
        (1160, {"DE": 1160}, "The liability account cannot also be a country's sales account"),
        (
            1010,
            {"DE": 1160},
            "liability_account_number: account 1010 has VAT code U25 (25 %); OSS needs an account "
            "without VAT (VAT code none)",
        ),
        (63100, {"DE": 4242}, "countries.DE: account 4242 does not exist in Dinero's chart of accounts"),
    ],
)
def test_oss_configuration_that_cannot_work_is_refused(
    liability: int | None, countries: dict[str, int], message: str
) -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    with pytest.raises(InvalidRequestError) as raised:
        world.templates.put_oss(MERCHANT, integration_id, liability_account=liability, countries=countries)
    # Then
    assert str(raised.value) == message
    assert world.templates.get_oss(MERCHANT, integration_id).countries == {}


def test_invoice_template_with_a_real_layout_and_terms_is_complete() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    saved = world.templates.put_template(
        MERCHANT,
        integration_id,
        TemplateKind.INVOICE,
        layout_id=UUID(WEBSHOP_LAYOUT),
        payment_condition_type=PaymentConditionType.NETTO,
        payment_condition_days=14,
    )
    # Then
    assert saved.template.missing == [] and saved.warnings == []
    assert world.templates.get_template(MERCHANT, integration_id, TemplateKind.INVOICE) == saved.template


def test_invoice_template_with_an_unknown_layout_is_refused() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    unknown = UUID("00000000-0000-4000-8000-000000000000")
    # When
    with pytest.raises(InvalidRequestError) as raised:
        world.templates.put_template(MERCHANT, integration_id, TemplateKind.INVOICE, layout_id=unknown)
    # Then
    assert str(raised.value) == f"layout_id: layout {unknown} does not exist in Dinero"


def test_days_for_a_payment_type_without_days_are_refused_before_asking_dinero() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    with pytest.raises(InvalidRequestError) as raised:
        world.templates.put_template(
            MERCHANT,
            integration_id,
            TemplateKind.INVOICE,
            layout_id=UUID(STANDARD_LAYOUT),
            payment_condition_type=PaymentConditionType.NETTO_CASH,
            payment_condition_days=8,
        )
    # Then
    assert str(raised.value) == "NettoCash takes no payment_condition_days"
    assert sum(world.dinero.calls.values()) == 0


def test_account_number_on_the_invoice_template_is_refused() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    with pytest.raises(InvalidRequestError) as raised:
        world.templates.put_template(MERCHANT, integration_id, TemplateKind.INVOICE, account_number=1000)
    # Then
    assert "not an account_number" in str(raised.value)


def test_emptying_a_template_needs_no_dinero_call_and_leaves_it_incomplete() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_DOMESTIC, account_number=1000)
    calls_before = sum(world.dinero.calls.values())
    # When
    saved = world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_DOMESTIC)
    # Then
    assert saved.template.missing == ["account_number"]
    assert sum(world.dinero.calls.values()) == calls_before


def test_template_of_an_integration_never_activated_cannot_be_filled() -> None:
    # Given
    world = MerchantWorld()
    world.connected()
    integration_id = integration_id_for(MERCHANT, 1001)
    # When
    with pytest.raises(ConflictError) as raised:
        world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_DOMESTIC, account_number=1000)
    # Then
    assert "activate the integration first" in str(raised.value)
    assert world.templates.list_templates(MERCHANT, integration_id) == []


def test_get_template_of_an_integration_never_activated_is_not_found() -> None:
    # Given
    world = MerchantWorld()
    world.connected()
    # When
    with pytest.raises(NotFoundError) as raised:
        world.templates.get_template(MERCHANT, integration_id_for(MERCHANT, 1001), TemplateKind.INVOICE)
    # Then
    assert "Invoice template does not exist" in str(raised.value)


def test_list_templates_returns_the_seven_in_kind_order() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    templates = world.templates.list_templates(MERCHANT, integration_id)
    # Then
    assert [template.kind for template in templates] == list(TemplateKind)


def test_account_choices_leave_hidden_accounts_out() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    accounts = world.templates.account_choices(MERCHANT, integration_id)
    # Then
    assert [account.number for account, _ in accounts] == [1000, 1100, 1255, 1300, 1350, 1010, 1110, 1160, 63100]
    first, vat = accounts[0]
    assert first.name == "Salg af varer/ydelser m/moms" and first.vat_code == "U25" and vat.vat_rate == Decimal("0.25")


def test_layout_choices_name_the_default() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    layouts = world.templates.layout_choices(MERCHANT, integration_id)
    # Then
    assert [(str(layout.id), layout.name, layout.is_default) for layout in layouts] == [
        (STANDARD_LAYOUT, "Standard", True),
        (WEBSHOP_LAYOUT, "Webshop", False),
    ]


def test_payment_condition_choices_say_which_take_days() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    conditions = world.templates.payment_condition_choices(MERCHANT, integration_id)
    # Then
    assert {c.value: c.takes_days for c in conditions} == {
        "Netto": True,
        "NettoCash": False,
        "CurrentMonthOut": True,
        "Paid": False,
    }


def test_choices_are_read_from_dinero_once_a_minute() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.templates.account_choices(MERCHANT, integration_id)
    world.templates.put_template(MERCHANT, integration_id, TemplateKind.PRODUCT_DOMESTIC, account_number=1000)
    assert world.dinero.calls["list_entry_accounts"] == 1
    # When
    world.clock.advance(60)
    world.templates.account_choices(MERCHANT, integration_id)
    # Then
    assert world.dinero.calls["list_entry_accounts"] == 2


def test_an_account_added_in_dinero_is_accepted_once_the_cache_expired() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.templates.account_choices(MERCHANT, integration_id)
    world.dinero.accounts.append({"AccountNumber": 1360, "Name": "Fragt EU", "VatCode": "none", "IsHidden": False})
    # When
    world.clock.advance(61)
    saved = world.templates.put_template(MERCHANT, integration_id, TemplateKind.SHIPPING_EU, account_number=1360)
    # Then
    assert saved.template.account_number == 1360


def test_choices_of_a_non_pro_organization_are_refused_without_calling_dinero() -> None:
    # Given
    world = MerchantWorld()
    world.connected()
    # When
    with pytest.raises(ConflictError) as raised:
        world.templates.account_choices(MERCHANT, integration_id_for(MERCHANT, NON_PRO_ORG.id))
    # Then
    assert "no Dinero Pro subscription" in str(raised.value)
    assert sum(world.dinero.calls.values()) == 0


def test_choices_while_disconnected_are_refused() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    world.manage.disconnect(MERCHANT)
    # When
    with pytest.raises(ConflictError) as raised:
        world.templates.layout_choices(MERCHANT, integration_id)
    # Then
    assert str(raised.value) == "Dinero is disconnected: connect Dinero again"


def test_another_merchants_templates_and_choices_are_not_found() -> None:
    # Given
    world = MerchantWorld()
    theirs = world.activated(OTHER_MERCHANT)
    world.connected(MERCHANT)
    # When / Then
    with pytest.raises(NotFoundError):
        world.templates.list_templates(MERCHANT, theirs)
    with pytest.raises(NotFoundError):
        world.templates.put_template(MERCHANT, theirs, TemplateKind.PRODUCT_DOMESTIC, account_number=1000)
    with pytest.raises(NotFoundError):
        world.templates.account_choices(MERCHANT, theirs)
    assert world.integrations.get_templates(theirs).templates[TemplateKind.PRODUCT_DOMESTIC].account_number is None


def test_choices_count_against_the_organizations_shared_budget() -> None:
    # Given
    world = MerchantWorld()
    integration_id = world.activated()
    # When
    world.templates.account_choices(MERCHANT, integration_id)
    # Then: the three reads went through the budget of the integration's organization, settled at once
    (grant,) = world.limiter.windows[PRO_ORG.id].grants
    assert (grant.calls, grant.settled) == (3, True)


def test_choices_wait_a_moment_for_room_and_otherwise_ask_the_merchant_to_try_again() -> None:
    # Given: the organization's whole budget held by orders, freeing 3 s from now, then for another minute
    world = MerchantWorld()
    integration_id = world.activated()
    now = world.clock.now()
    soon = world.limiter.reserve_now(PRO_ORG.id, 93, now - timedelta(seconds=58))
    world.limiter.settle(soon, 93, now - timedelta(seconds=58))
    world.limiter.reserve_now(PRO_ORG.id, 2, now)
    # When
    world.templates.account_choices(MERCHANT, integration_id)
    world.clock.advance(120)
    world.limiter.reserve_now(PRO_ORG.id, 95, world.clock.now())
    with pytest.raises(WaitForBudget) as raised:
        world.templates.layout_choices(MERCHANT, integration_id)
    # Then: the first waited the 3 s; the second would wait a minute, so it answers 503 with Retry-After
    assert world.clock.now() == now + timedelta(seconds=3 + 120)
    assert raised.value.retry_after_seconds == pytest.approx(91)
    assert world.dinero.calls["list_invoice_layouts"] == 1
