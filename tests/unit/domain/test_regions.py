"""VAT regions from the delivery country, and the places of EU countries outside the EU VAT area."""

import pytest

from dinero_bookkeeping.domain.regions import (
    EU_COUNTRIES_OUTSIDE_DENMARK,
    Region,
    region_for_address,
    region_for_country,
    special_territory,
)


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


@pytest.mark.parametrize(
    ("country_code", "zipcode", "city", "territory"),
    [
        ("ES", "35002", "Las Palmas de Gran Canaria", "Canary Islands"),
        ("ES", "38001", "Santa Cruz de Tenerife", "Canary Islands"),
        ("ES", "51001", "Ceuta", "Ceuta"),
        ("ES", "52006", "Melilla", "Melilla"),
        ("IT", "23041", "Livigno", "Livigno"),
        ("IT", "22061", "Campione d'Italia", "Campione d'Italia"),
        ("AX", "22100", "Mariehamn", "Åland"),
        ("FI", "22100", "Mariehamn", "Åland"),
        ("DE", "27498", "Helgoland", "Heligoland"),
        ("GR", "63086", "Karyes", "Mount Athos"),
    ],
)
def test_places_outside_the_eu_vat_area_are_exports(country_code: str, zipcode: str, city: str, territory: str) -> None:
    # Given an address in an EU country's place outside the EU VAT area
    # When
    found = special_territory(country_code, zipcode, city)
    region = region_for_address(country_code, zipcode, city)
    # Then
    assert found == territory
    assert region is Region.OUTSIDE_EU


@pytest.mark.parametrize(
    ("country_code", "zipcode", "city", "region"),
    [
        ("ES", "28001", "Madrid", Region.EU),
        ("ES", "07001", "Palma", Region.EU),
        ("IT", "20121", "Milano", Region.EU),
        ("IT", "23030", "Valdisotto", Region.EU),
        ("FI", "00100", "Helsinki", Region.EU),
        ("DE", "10115", "Berlin", Region.EU),
        ("DK", "5000", "Odense C", Region.DOMESTIC),
        ("NO", "0150", "Oslo", Region.OUTSIDE_EU),
    ],
)
def test_ordinary_places_keep_their_countrys_region(country_code: str, zipcode: str, city: str, region: Region) -> None:
    # Given an address in no special territory
    # When
    found = region_for_address(country_code, zipcode, city)
    # Then
    assert found is region
    assert special_territory(country_code, zipcode, city) is None
