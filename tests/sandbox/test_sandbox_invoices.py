"""Invoices in the sandbox: validation, totals, client Guids, booking with timestamps, listing, deleting drafts."""

import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import requests

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID, DineroSandbox
from infra.local.dinero_sandbox.spec_schemas import schema_errors
from sandbox.sandbox_support import api_session, create_contact, decimal_json, invoice_body, org_url, product_line

pytestmark = pytest.mark.integration


@pytest.fixture
def session(sandbox: DineroSandbox) -> requests.Session:
    return api_session(sandbox)


def _create(session: requests.Session, sandbox: DineroSandbox, body: dict[str, Any]) -> str:
    response = session.post(org_url(sandbox, "/invoices"), json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["Guid"])


def _get(session: requests.Session, sandbox: DineroSandbox, guid: str) -> Any:
    return decimal_json(session.get(org_url(sandbox, f"/invoices/{guid}")))


def _book(session: requests.Session, sandbox: DineroSandbox, guid: str, timestamp: str | None) -> requests.Response:
    return session.post(org_url(sandbox, f"/invoices/{guid}/book"), json={"Timestamp": timestamp, "Number": None})


def _draft_with_contact(session: requests.Session, sandbox: DineroSandbox, **overrides: Any) -> str:
    return _create(session, sandbox, invoice_body(ContactGuid=create_contact(session, sandbox), **overrides))


def _totals(invoice: Any) -> tuple[Decimal, Decimal, Decimal]:
    return invoice["TotalExclVat"], invoice["TotalVat"], invoice["TotalInclVat"]


def test_create_invoice_with_client_guid_stores_a_draft_under_that_guid(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given
    guid = str(uuid.uuid4())

    # When
    response = session.post(org_url(sandbox, "/invoices"), json=invoice_body(Guid=guid, ExternalReference="1042"))

    # Then
    assert response.json()["Guid"] == guid
    assert len(response.json()["TimeStamp"]) == 16
    invoice = _get(session, sandbox, guid)
    assert (invoice["Status"], invoice["Number"], invoice["ExternalReference"]) == ("Draft", 0, "1042")
    assert schema_errors("InvoiceReadModel", invoice, allow_unknown_properties=False) == {}


def test_create_invoice_with_existing_guid_is_400_saying_the_guid_exists(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given
    guid = _create(session, sandbox, invoice_body(Guid=str(uuid.uuid4())))

    # When
    response = session.post(org_url(sandbox, "/invoices"), json=invoice_body(Guid=guid))

    # Then
    assert response.status_code == 400
    assert response.json()["code"] == 42
    assert guid in response.json()["message"]
    assert len(sandbox.state.invoices(DEMO_PRO_ORG_ID)) == 1


def test_create_invoice_breaking_the_schema_is_400_naming_the_field(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given
    body = invoice_body(product_line(Quantity="two"))

    # When
    response = session.post(org_url(sandbox, "/invoices"), json=body)

    # Then
    assert response.status_code == 400
    assert response.json()["code"] == 42
    assert "ProductLines[0].Quantity" in response.json()["validationErrors"]


def test_create_invoice_with_unknown_properties_ignores_them(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given: a read-model-only property on the line and a made-up one on the invoice
    body = invoice_body(product_line(BaseAmountValueInclVat=999), DeliveryDate="2024-05-01")

    # When
    guid = _create(session, sandbox, body)

    # Then
    assert _get(session, sandbox, guid)["TotalExclVat"] == Decimal("100")


@pytest.mark.parametrize(("account", "reason"), [(9999, "does not exist"), (1090, "hidden")])
def test_create_invoice_with_unusable_account_is_400(
    sandbox: DineroSandbox, session: requests.Session, account: int, reason: str
) -> None:
    # Given / When
    response = session.post(org_url(sandbox, "/invoices"), json=invoice_body(product_line(AccountNumber=account)))

    # Then
    assert response.status_code == 400
    assert reason in response.json()["validationErrors"]["ProductLines[0].AccountNumber"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"Currency": "XYZ"}, "Currency"),
        ({"Language": "de-DE"}, "Language"),
        ({"PaymentConditionType": "Paid", "PaymentConditionNumberOfDays": 8}, "PaymentConditionNumberOfDays"),
        ({"InvoiceTemplateId": str(uuid.uuid4())}, "InvoiceTemplateId"),
        ({"ContactGuid": str(uuid.uuid4())}, "ContactGuid"),
        ({"ExternalReference": "x" * 129}, "ExternalReference"),
        ({"ProductLines": [product_line(Discount=101)]}, "ProductLines[0].Discount"),
        ({"ProductLines": [product_line(Unit="pieces")]}, "ProductLines[0].Unit"),
        ({"ProductLines": [product_line(Description=None)]}, "ProductLines[0].Description"),
        ({"ProductLines": []}, "ProductLines"),
    ],
)
def test_create_invoice_breaking_a_business_rule_is_400_naming_the_field(
    sandbox: DineroSandbox, session: requests.Session, overrides: dict[str, Any], field: str
) -> None:
    # Given / When
    response = session.post(org_url(sandbox, "/invoices"), json=invoice_body() | overrides)

    # Then
    assert response.status_code == 400
    assert field in response.json()["validationErrors"]


def test_invoice_excl_vat_totals_apply_discount_and_account_vat(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given: 2 at 100 with 10 % discount on a U25 account
    body = invoice_body(product_line(BaseAmountValue=100, Quantity=2, Discount=10))

    # When
    invoice = _get(session, sandbox, _create(session, sandbox, body))

    # Then
    assert _totals(invoice) == (Decimal("180"), Decimal("45"), Decimal("225"))
    assert invoice["ProductLines"][0]["TotalAmountInclVat"] == Decimal("225")


def test_invoice_incl_vat_totals_back_out_the_vat(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    body = invoice_body(product_line(BaseAmountValue=125), ShowLinesInclVat=True)

    # When
    invoice = _get(session, sandbox, _create(session, sandbox, body))

    # Then
    assert _totals(invoice) == (Decimal("100"), Decimal("25"), Decimal("125"))
    assert invoice["ProductLines"][0]["BaseAmountValue"] == Decimal("100")


def test_invoice_line_on_vat_free_account_adds_no_vat(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given: a domestic product and VAT-free freight (account 1300)
    body = invoice_body(
        product_line(BaseAmountValue=125),
        product_line(BaseAmountValue=49, AccountNumber=1300, Unit="shipment", Description="Fragt"),
        ShowLinesInclVat=True,
    )

    # When
    invoice = _get(session, sandbox, _create(session, sandbox, body))

    # Then
    assert _totals(invoice) == (Decimal("149"), Decimal("25"), Decimal("174"))
    assert invoice["TotalVatableAmount"] == Decimal("100")
    assert invoice["TotalNonVatableAmount"] == Decimal("49")


def test_invoice_line_on_an_account_without_vat_code_adds_no_vat(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given: an account whose VAT code was removed in Dinero, and a line on the OSS liability account ("none")
    organization = sandbox.state.organizations[DEMO_PRO_ORG_ID]
    organization.accounts[1010] = replace(organization.accounts[1010], vat_code=None)
    body = invoice_body(
        product_line(BaseAmountValue=125, AccountNumber=1010),
        product_line(BaseAmountValue=19, AccountNumber=63100, Description="VAT DE 19 % (OSS)"),
        ShowLinesInclVat=True,
    )

    # When
    invoice = _get(session, sandbox, _create(session, sandbox, body))
    accounts = decimal_json(
        session.get(org_url(sandbox, "/accounts/entry"), params={"fields": "AccountNumber,VatCode"})
    )

    # Then
    assert _totals(invoice) == (Decimal("144"), Decimal("0"), Decimal("144"))
    assert {"AccountNumber": 1010, "VatCode": None} in accounts


@pytest.mark.parametrize(
    ("incl_vat", "totals"),
    [
        (False, (Decimal("99.99"), Decimal("25.00"), Decimal("124.99"))),  # VAT 24.9975 rounds half up
        (True, (Decimal("79.99"), Decimal("20.00"), Decimal("99.99"))),  # VAT 19.998 rounds half up
    ],
)
def test_invoice_three_at_33_33_rounds_each_line_to_ore(
    sandbox: DineroSandbox, session: requests.Session, incl_vat: bool, totals: tuple[Decimal, ...]
) -> None:
    # Given
    body = invoice_body(product_line(BaseAmountValue=33.33, Quantity=3), ShowLinesInclVat=incl_vat)

    # When
    invoice = _get(session, sandbox, _create(session, sandbox, body))

    # Then
    assert _totals(invoice) == totals


def test_invoice_text_line_does_not_count_in_totals(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    body = invoice_body(product_line(), product_line(LineType="Text", Description="Tak for handlen", Unit=None))

    # When
    invoice = _get(session, sandbox, _create(session, sandbox, body))

    # Then
    assert _totals(invoice) == (Decimal("100"), Decimal("25"), Decimal("125"))


def test_fetch_invoice_returns_totals_without_saving(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    body = invoice_body(product_line(BaseAmountValue=80))

    # When
    preview = decimal_json(session.post(org_url(sandbox, "/invoices/fetch"), json=body))

    # Then
    assert _totals(preview) == (Decimal("80"), Decimal("20"), Decimal("100"))
    assert schema_errors("InvoiceFetchReadModel", preview, allow_unknown_properties=False) == {}
    assert sandbox.state.invoices(DEMO_PRO_ORG_ID) == []


def test_invoice_without_terms_takes_the_sales_settings_terms(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given / When
    invoice = _get(session, sandbox, _create(session, sandbox, invoice_body(Date="2024-02-25")))

    # Then: the demo organization's default is Netto 8 days
    assert (invoice["PaymentConditionType"], invoice["PaymentConditionNumberOfDays"]) == ("Netto", 8)
    assert invoice["PaymentDate"] == "2024-03-04"


def test_get_unknown_invoice_is_404_code_40(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given / When
    response = session.get(org_url(sandbox, f"/invoices/{uuid.uuid4()}"))

    # Then
    assert response.status_code == 404
    assert response.json()["code"] == 40


def test_book_with_current_timestamp_books_and_assigns_number_one(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given
    guid = _draft_with_contact(session, sandbox)
    timestamp = _get(session, sandbox, guid)["TimeStamp"]

    # When
    response = _book(session, sandbox, guid, timestamp)

    # Then
    booked = decimal_json(response)
    assert (booked["Status"], booked["PaymentStatus"], booked["Number"]) == ("Booked", "Booked", 1)
    assert booked["TimeStamp"] != timestamp
    assert schema_errors("InvoiceReadModel", booked, allow_unknown_properties=False) == {}


def test_book_two_invoices_numbers_them_one_and_two(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    first, second = _draft_with_contact(session, sandbox), _draft_with_contact(session, sandbox)

    # When
    numbers = [
        _book(session, sandbox, guid, _get(session, sandbox, guid)["TimeStamp"]).json()["Number"]
        for guid in (first, second)
    ]

    # Then
    assert numbers == [1, 2]


def test_book_with_stale_timestamp_is_400_code_58(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    guid = _draft_with_contact(session, sandbox)

    # When
    response = _book(session, sandbox, guid, "0000000000000001")

    # Then
    assert response.status_code == 400
    assert response.json()["code"] == 58
    assert _get(session, sandbox, guid)["Status"] == "Draft"


def test_book_without_timestamp_is_400_naming_timestamp(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    guid = _draft_with_contact(session, sandbox)

    # When
    response = session.post(org_url(sandbox, f"/invoices/{guid}/book"), json={})

    # Then
    assert response.status_code == 400
    assert "Timestamp" in response.json()["validationErrors"]


def test_book_invoice_without_contact_is_400(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    guid = _create(session, sandbox, invoice_body())

    # When
    response = _book(session, sandbox, guid, _get(session, sandbox, guid)["TimeStamp"])

    # Then
    assert response.status_code == 400
    assert "ContactGuid" in response.json()["validationErrors"]


def test_book_booked_invoice_again_is_400(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    guid = _draft_with_contact(session, sandbox)
    booked = _book(session, sandbox, guid, _get(session, sandbox, guid)["TimeStamp"]).json()

    # When
    response = _book(session, sandbox, guid, booked["TimeStamp"])

    # Then
    assert response.status_code == 400
    assert _get(session, sandbox, guid)["Number"] == 1


def test_list_invoices_by_external_reference_finds_only_that_order(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given
    wanted = _create(session, sandbox, invoice_body(ExternalReference="1042"))
    _create(session, sandbox, invoice_body(ExternalReference="1043"))

    # When
    response = session.get(
        org_url(sandbox, "/invoices"),
        params={"queryFilter": "ExternalReference eq '1042'", "fields": "Guid,ExternalReference,Status"},
    )

    # Then
    assert response.json()["Collection"] == [{"Guid": wanted, "ExternalReference": "1042", "Status": "Draft"}]


def test_list_invoices_with_status_filter_returns_matching_status(
    sandbox: DineroSandbox, session: requests.Session
) -> None:
    # Given: one booked and one draft invoice
    booked = _draft_with_contact(session, sandbox)
    _book(session, sandbox, booked, _get(session, sandbox, booked)["TimeStamp"])
    _create(session, sandbox, invoice_body())

    # When
    response = session.get(org_url(sandbox, "/invoices"), params={"statusFilter": "Booked", "fields": "Guid"})

    # Then
    assert response.json()["Collection"] == [{"Guid": booked}]


def test_delete_draft_removes_it(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    guid = _create(session, sandbox, invoice_body())

    # When
    response = session.delete(org_url(sandbox, f"/invoices/{guid}"))

    # Then
    assert response.status_code == 200
    assert session.get(org_url(sandbox, f"/invoices/{guid}")).status_code == 404


def test_delete_booked_invoice_is_400(sandbox: DineroSandbox, session: requests.Session) -> None:
    # Given
    guid = _draft_with_contact(session, sandbox)
    _book(session, sandbox, guid, _get(session, sandbox, guid)["TimeStamp"])

    # When
    response = session.delete(org_url(sandbox, f"/invoices/{guid}"))

    # Then
    assert response.status_code == 400
    assert _get(session, sandbox, guid)["Status"] == "Booked"
