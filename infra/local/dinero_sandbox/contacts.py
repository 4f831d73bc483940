"""Contacts: list with queryFilter, create (client-chosen ContactGuid allowed), get."""

import uuid
from typing import Any

from infra.local.dinero_sandbox.api_context import ApiContext, parse_guid, utc_now_iso
from infra.local.dinero_sandbox.listing import collection
from infra.local.dinero_sandbox.messages import NOT_FOUND, ApiError, Json, Response, json_response, validation_error
from infra.local.dinero_sandbox.query_filter import QueryFilterError, matches_all, parse_query_filter

FILTERABLE = ("ExternalReference", "Name", "Email", "VatNumber", "EanNumber", "IsPerson", "Phone")
CONTACT_PAYMENT_CONDITIONS = ("Netto", "NettoCash", "CurrentMonthOut")

# Kept apart from the product's own region code on purpose: a simulator that shared it would share its bugs.
_EU_OUTSIDE_DENMARK = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)

# ContactReadModel's properties, in the spec's order.
CONTACT_FIELDS = (
    *("ContactGuid", "CreatedAt", "UpdatedAt", "DeletedAt", "IsDebitor", "IsCreditor", "CompanyStatus"),
    *("VatRegionKey", "ExternalReference", "Name", "Street", "ZipCode", "City", "CountryKey", "Phone", "Email"),
    *("Webpage", "AttPerson", "VatNumber", "EanNumber", "SENumber", "PNumber", "PaymentConditionType"),
    *("PaymentConditionNumberOfDays", "IsPerson", "IsMember", "MemberNumber", "UseCvr", "CompanyTypeKey"),
    *("InvoiceMailOutOptionKey", "PreferredInvoiceLanguageKey", "PreferredInvoiceCurrencyKey"),
)


def vat_region(country_key: str) -> str:
    """Dinero's VatRegionKey: DK, EU or World (Faroe Islands and Greenland are outside the EU VAT area)."""
    if country_key == "DK":
        return "DK"
    return "EU" if country_key in _EU_OUTSIDE_DENMARK else "World"


def _business_errors(context: ApiContext, body: Json) -> dict[str, str]:
    errors: dict[str, str] = {}
    country = str(body["CountryKey"])
    if len(country) != 2 or not country.isalpha():
        errors["CountryKey"] = "must be a two-letter country code"
    condition = body.get("PaymentConditionType")
    if condition is not None and condition not in CONTACT_PAYMENT_CONDITIONS:
        errors["PaymentConditionType"] = f"must be one of {', '.join(CONTACT_PAYMENT_CONDITIONS)}"
    if condition == "NettoCash" and body.get("PaymentConditionNumberOfDays") is not None:
        errors["PaymentConditionNumberOfDays"] = "must be null for NettoCash"
    guid = body.get("ContactGuid")
    if guid is not None and str(guid).lower() in context.organization.contacts:
        errors["ContactGuid"] = "a contact with this ContactGuid already exists"
    return errors


def _read_model(guid: str, body: Json, now: str) -> Json:
    country = str(body["CountryKey"]).upper()
    derived: dict[str, Any] = {
        "ContactGuid": guid,
        "CreatedAt": now,
        "UpdatedAt": now,
        "DeletedAt": None,
        "IsDebitor": True,
        "IsCreditor": False,
        "CompanyStatus": None,
        "VatRegionKey": vat_region(country),
        "CountryKey": country,
    }
    return {name: derived[name] if name in derived else body.get(name) for name in CONTACT_FIELDS}


def create_contact(context: ApiContext) -> Response:
    body = context.body("POST /v1/{organizationId}/contacts")
    errors = _business_errors(context, body)
    if errors:
        raise validation_error(errors)
    guid = parse_guid(str(body["ContactGuid"])) if body.get("ContactGuid") else str(uuid.uuid4())
    assert guid is not None  # the schema's uuid format was checked
    context.organization.contacts[guid] = _read_model(guid, body, utc_now_iso())
    context.state.count("contacts_created")
    return json_response(200, {"ContactGuid": guid})


def list_contacts(context: ApiContext) -> Response:
    try:
        conditions = parse_query_filter(context.request.query.get("queryFilter", ""), FILTERABLE)
    except QueryFilterError as error:
        raise validation_error({"queryFilter": str(error)}) from None
    found = [contact for contact in context.organization.contacts.values() if matches_all(contact, conditions)]
    found.sort(key=lambda contact: (str(contact["Name"]).lower(), contact["CreatedAt"]))
    return json_response(200, collection(found, context.request.query, "name,contactGuid", CONTACT_FIELDS))


def get_contact(context: ApiContext) -> Response:
    contact = context.organization.contacts.get(context.guid_param("contact"))
    if contact is None:
        raise ApiError(404, NOT_FOUND, "The contact was not found")
    return json_response(200, contact)
