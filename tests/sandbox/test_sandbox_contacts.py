"""Contacts in the sandbox: create with a client-chosen guid, VAT region, and the queryFilter grammar."""

import uuid

import pytest

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, DineroSandbox
from infra.local.dinero_sandbox.spec_schemas import schema_errors
from sandbox.sandbox_support import api_session, contact_body, create_contact, org_url

pytestmark = pytest.mark.integration


def _find(sandbox: DineroSandbox, query_filter: str) -> list[str]:
    response = api_session(sandbox).get(org_url(sandbox, "/contacts"), params={"queryFilter": query_filter})
    assert response.status_code == 200, response.text
    return [contact["name"] for contact in response.json()["Collection"]]


@pytest.fixture
def three_contacts(sandbox: DineroSandbox) -> None:
    session = api_session(sandbox)
    create_contact(session, sandbox, Name="Jens Hansen", Email="jens@example.dk")
    create_contact(session, sandbox, Name="Hansen & Søn ApS", IsPerson=False, VatNumber="12345674")
    create_contact(session, sandbox, Name="Anna Berg", Email="anna@example.se", CountryKey="SE")


def test_create_contact_with_client_guid_keeps_it_and_derives_vat_region(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)
    guid = str(uuid.uuid4())

    # When
    created = session.post(org_url(sandbox, "/contacts"), json=contact_body(ContactGuid=guid, CountryKey="DE"))
    contact = session.get(org_url(sandbox, f"/contacts/{guid}")).json()

    # Then
    assert created.json() == {"ContactGuid": guid}
    assert contact["VatRegionKey"] == "EU"
    assert schema_errors("ContactReadModel", contact, allow_unknown_properties=False) == {}


@pytest.mark.parametrize(("country", "region"), [("DK", "DK"), ("SE", "EU"), ("NO", "World"), ("GL", "World")])
def test_create_contact_in_country_gets_dineros_vat_region(sandbox: DineroSandbox, country: str, region: str) -> None:
    # Given / When
    create_contact(api_session(sandbox), sandbox, CountryKey=country)

    # Then
    assert sandbox.state.contacts(DEMO_PRO_ORG_ID)[0]["VatRegionKey"] == region


def test_create_contact_without_required_fields_is_400_naming_them(sandbox: DineroSandbox) -> None:
    # Given / When
    response = api_session(sandbox).post(org_url(sandbox, "/contacts"), json={"Name": "Jens"})

    # Then
    assert response.status_code == 400
    assert {"CountryKey", "IsPerson", "IsMember", "UseCvr"} <= response.json()["validationErrors"].keys()


def test_create_contact_with_existing_guid_is_400(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)
    guid = create_contact(session, sandbox)

    # When
    response = session.post(org_url(sandbox, "/contacts"), json=contact_body(ContactGuid=guid))

    # Then
    assert response.status_code == 400
    assert "ContactGuid" in response.json()["validationErrors"]


@pytest.mark.usefixtures("three_contacts")
def test_contact_filter_eq_matches_whole_value_case_insensitively(sandbox: DineroSandbox) -> None:
    # Given / When
    names = _find(sandbox, "Email eq 'JENS@example.dk'")

    # Then
    assert names == ["Jens Hansen"]


@pytest.mark.usefixtures("three_contacts")
def test_contact_filter_contains_matches_part_of_value(sandbox: DineroSandbox) -> None:
    # Given / When
    names = _find(sandbox, "Name contains 'hansen'")

    # Then
    assert names == ["Hansen & Søn ApS", "Jens Hansen"]


@pytest.mark.usefixtures("three_contacts")
def test_contact_filter_conditions_joined_by_semicolon_all_apply(sandbox: DineroSandbox) -> None:
    # Given / When
    names = _find(sandbox, "Name contains 'hansen';IsPerson eq 'false'")

    # Then
    assert names == ["Hansen & Søn ApS"]


@pytest.mark.parametrize("bad_filter", ["AMINO", "City eq 'Odense'", "Name eq Jens", "Name eq 'a';"])
def test_contact_filter_outside_the_grammar_is_400(sandbox: DineroSandbox, bad_filter: str) -> None:
    # Given / When
    response = api_session(sandbox).get(org_url(sandbox, "/contacts"), params={"queryFilter": bad_filter})

    # Then
    assert response.status_code == 400
    assert response.json()["code"] == 42
    assert "queryFilter" in response.json()["validationErrors"]


@pytest.mark.usefixtures("three_contacts")
def test_contact_list_pages_with_pagination_envelope(sandbox: DineroSandbox) -> None:
    # Given / When
    response = api_session(sandbox).get(org_url(sandbox, "/contacts"), params={"page": 1, "pageSize": 2})

    # Then
    assert response.json()["Pagination"] == {
        "MaxPageSizeAllowed": 1000,
        "PageSize": 2,
        "Result": 1,
        "ResultWithoutFilter": 3,
        "Page": 1,
    }
