"""VAT regions from the delivery country."""

import pytest

from dinero_bookkeeping.domain.regions import EU_COUNTRIES_OUTSIDE_DENMARK, Region, region_for_country


@pytest.mark.parametrize(
    ("country_code", "region"),
    [
        ("DK", Region.DOMESTIC),
        ("DE", Region.EU),
        ("GR", Region.EU),
        ("SE", Region.EU),
        ("NO", Region.OUTSIDE_EU),
        ("GB", Region.OUTSIDE_EU),
        ("CH", Region.OUTSIDE_EU),
        ("FO", Region.OUTSIDE_EU),
        ("GL", Region.OUTSIDE_EU),
        ("US", Region.OUTSIDE_EU),
    ],
)
def test_region_for_country_known_country_maps_to_vat_region(country_code: str, region: Region) -> None:
    # Given a delivery country, When classified, Then
    assert region_for_country(country_code) is region


@pytest.mark.parametrize(
    ("country_code", "region"), [("dk", Region.DOMESTIC), (" de ", Region.EU), ("no", Region.OUTSIDE_EU)]
)
def test_region_for_country_lower_case_or_padded_input_is_normalised(country_code: str, region: Region) -> None:
    # Given a country code as a webshop might send it, When classified, Then
    assert region_for_country(country_code) is region


def test_eu_countries_outside_denmark_are_the_26_other_member_states() -> None:
    # Given the EU-27 list without Denmark, When & Then it holds 26 ISO codes, Greece as GR, not its VAT prefix EL
    assert len(EU_COUNTRIES_OUTSIDE_DENMARK) == 26
    assert "DK" not in EU_COUNTRIES_OUTSIDE_DENMARK
    assert "GR" in EU_COUNTRIES_OUTSIDE_DENMARK
    assert "EL" not in EU_COUNTRIES_OUTSIDE_DENMARK
    assert "GB" not in EU_COUNTRIES_OUTSIDE_DENMARK


@pytest.mark.parametrize(
    ("region", "label"), [(Region.DOMESTIC, "Domestic"), (Region.EU, "EU"), (Region.OUTSIDE_EU, "Outside EU")]
)
def test_region_label_is_merchant_facing_name(region: Region, label: str) -> None:
    # Given a region, When shown to a merchant, Then
    assert region.label == label
