"""VAT regions. Goods are taxed where they are delivered, so the delivery place decides the region."""

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

# Places of EU countries outside the EU VAT area (Directive 2006/112/EC art. 6; skat.dk, "Særlige områder"): a
# delivery there is an export. Postcode prefixes from the ES provinces (35/38 Canary Islands, 51 Ceuta, 52 Melilla),
# Finland's Åland (22xxx), Germany's Heligoland and Büsingen, Greece's Mount Athos; Italian towns go by name because
# their postcodes are shared with neighbours.
_TERRITORY_POSTCODES: dict[str, tuple[tuple[str, str], ...]] = {
    "ES": (("35", "Canary Islands"), ("38", "Canary Islands"), ("51", "Ceuta"), ("52", "Melilla")),
    "FI": (("22", "Åland"),),
    "DE": (("27498", "Heligoland"), ("78266", "Büsingen")),
    "GR": (("63086", "Mount Athos"),),
}
_TERRITORY_TOWNS: dict[str, tuple[tuple[str, str], ...]] = {
    "IT": (("livigno", "Livigno"), ("campione", "Campione d'Italia")),
}
# Country codes of their own for such places (Åland is "AX"); they fall outside the EU list anyway, named here
# so the record can say why.
_TERRITORY_CODES = {"AX": "Åland", "IC": "Canary Islands", "EA": "Ceuta and Melilla"}


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


def special_territory(country_code: str, zipcode: str | None, city: str | None) -> str | None:
    """The name of the place outside the EU VAT area this address lies in (Canary Islands, Åland, ...), or None."""
    code = country_code.strip().upper()
    if code in _TERRITORY_CODES:
        return _TERRITORY_CODES[code]
    postcode = (zipcode or "").replace(" ", "")
    for prefix, name in _TERRITORY_POSTCODES.get(code, ()):
        if postcode.startswith(prefix):
            return name
    town = (city or "").strip().lower()
    for start, name in _TERRITORY_TOWNS.get(code, ()):
        if town.startswith(start):
            return name
    return None


def region_for_address(country_code: str, zipcode: str | None, city: str | None) -> Region:
    """The region of a delivery address: an EU country's place outside the EU VAT area is Outside EU (an export)."""
    if special_territory(country_code, zipcode, city) is not None:
        return Region.OUTSIDE_EU
    return region_for_country(country_code)
