"""Who may call what: bearer tokens, organization ownership, Dinero Pro; organizations and reference data."""

import pytest
import requests

from infra.local.dinero_sandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_NON_PRO_ORG_ID,
    DEMO_OTHER_ORG_ID,
    DEMO_PRO_ORG_ID,
    DEMO_USER,
    DineroSandbox,
)
from infra.local.dinero_sandbox.spec_schemas import schema_errors
from sandbox.sandbox_support import TIMEOUT_SECONDS, api_session, decimal_json, http_session, org_url

pytestmark = pytest.mark.integration


def test_api_without_token_is_401_code_41(sandbox: DineroSandbox) -> None:
    # Given / When
    response = http_session().get(org_url(sandbox, "/vatTypes"))

    # Then
    assert response.status_code == 401
    assert response.json()["code"] == 41


def test_api_with_expired_access_token_is_401_and_refreshed_token_continues(sandbox: DineroSandbox) -> None:
    # Given: a token pair whose access token has expired
    tokens = sandbox.state.issue_tokens(DEMO_USER, DEMO_CLIENT_ID)
    sandbox.state.expire_access_tokens()

    # When
    expired = http_session(tokens.access_token).get(org_url(sandbox, "/vatTypes"))
    refreshed = requests.post(
        sandbox.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
        timeout=TIMEOUT_SECONDS,
    ).json()

    # Then
    assert expired.status_code == 401
    assert http_session(refreshed["access_token"]).get(org_url(sandbox, "/vatTypes")).status_code == 200


def test_api_on_another_users_organization_is_403(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)

    # When
    response = session.get(org_url(sandbox, "/vatTypes", DEMO_OTHER_ORG_ID))

    # Then
    assert response.status_code == 403
    assert response.json()["code"] != 90


def test_api_on_non_pro_organization_is_403_code_90(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)

    # When
    response = session.get(org_url(sandbox, "/accounts/entry", DEMO_NON_PRO_ORG_ID))

    # Then
    assert response.status_code == 403
    assert response.json()["code"] == 90


def test_api_on_unknown_organization_is_404_code_40(sandbox: DineroSandbox) -> None:
    # Given / When
    response = api_session(sandbox).get(org_url(sandbox, "/vatTypes", 999999))

    # Then
    assert response.status_code == 404
    assert response.json()["code"] == 40


def test_organizations_with_fields_echo_the_callers_casing(sandbox: DineroSandbox) -> None:
    # Given / When
    response = api_session(sandbox).get(f"{sandbox.url}/v1/organizations", params={"fields": "id,Name,ISPRO"})

    # Then: both of the user's organizations, Pro or not, with exactly the requested keys
    assert response.json() == [
        {"id": DEMO_PRO_ORG_ID, "Name": "Nordlys Webshop ApS", "ISPRO": True},
        {"id": DEMO_NON_PRO_ORG_ID, "Name": "Hobbyværkstedet", "ISPRO": False},
    ]


def test_organizations_without_fields_default_to_id_name_is_pro(sandbox: DineroSandbox) -> None:
    # Given / When
    response = api_session(sandbox).get(f"{sandbox.url}/v1/organizations")

    # Then
    assert list(response.json()[0]) == ["id", "name", "isPro"]


def test_organizations_with_unknown_field_is_400(sandbox: DineroSandbox) -> None:
    # Given / When
    response = api_session(sandbox).get(f"{sandbox.url}/v1/organizations", params={"fields": "Id,Nmae"})

    # Then
    assert response.status_code == 400
    assert "Nmae" in response.json()["validationErrors"]["fields"]


def test_entry_accounts_carry_vat_codes_and_hidden_flags(sandbox: DineroSandbox) -> None:
    # Given / When
    response = api_session(sandbox).get(
        org_url(sandbox, "/accounts/entry"), params={"fields": "AccountNumber,VatCode,IsHidden"}
    )

    # Then
    accounts = {account["AccountNumber"]: account for account in response.json()}
    assert accounts[1000] == {"AccountNumber": 1000, "VatCode": "U25", "IsHidden": False}
    assert accounts[1300]["VatCode"] == "none"
    assert accounts[1100]["VatCode"] == "UEUV"
    assert accounts[1090]["IsHidden"] is True


def test_reference_data_responses_match_the_official_response_schemas(sandbox: DineroSandbox) -> None:
    # Given
    session = api_session(sandbox)
    all_account_fields = "AccountNumber,PublicStandardNumber,Name,VatCode,Category,CategoryName,IsHidden"

    # When
    responses = {
        "EntryAccountReadModel": session.get(
            org_url(sandbox, "/accounts/entry"), params={"fields": f"{all_account_fields},IsDefaultSalesAccount"}
        ),
        "VatTypeReadModel": session.get(org_url(sandbox, "/vatTypes")),
        "InvoiceTemplateModel": session.get(org_url(sandbox, "/invoices/templates")),
        "SalesVoucherSetttingsModel": session.get(org_url(sandbox, "/sales/settings")),
    }

    # Then: no missing required properties, no properties the spec does not know
    for schema, response in responses.items():
        body = decimal_json(response)
        for item in body if isinstance(body, list) else [body]:
            assert schema_errors(schema, item, allow_unknown_properties=False) == {}, schema


def test_layout_templates_have_exactly_one_default(sandbox: DineroSandbox) -> None:
    # Given / When
    templates = api_session(sandbox).get(org_url(sandbox, "/invoices/templates")).json()

    # Then
    assert len(templates) == 2
    assert [template["IsDefault"] for template in templates].count(True) == 1
