"""VAT regions. Goods are taxed where they are delivered, so the delivery country decides the region."""

from enum import StrEnum


class Region(StrEnum):
    DOMESTIC = "domestic"
    EU = "eu"
    OUTSIDE_EU = "outside_eu"

    @property
    def label(self) -> str:
        return {Region.DOMESTIC: "Domestic", Region.EU: "EU", Region.OUTSIDE_EU: "Outside EU"}[self]


# The 26 EU member states besides Denmark (EU-27). Greece is "GR" in ISO 3166 (its VAT prefix "EL" is not a country).
EU_COUNTRIES_OUTSIDE_DENMARK = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "EE", "FI", "FR", "DE", "GR", "HU", "IE"}
    | {"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)


def region_for_country(country_code: str) -> Region:
    """DK is Domestic, the rest of EU-27 is EU, everything else (NO, GB, CH, FO, GL, US, ...) is Outside EU.

    The Faroe Islands and Greenland are Danish but outside the EU VAT area, so they count as Outside EU.
    """
    code = country_code.strip().upper()
    if code == "DK":
        return Region.DOMESTIC
    if code in EU_COUNTRIES_OUTSIDE_DENMARK:
        return Region.EU
    return Region.OUTSIDE_EU
