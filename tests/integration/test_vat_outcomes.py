"""VAT follows the order, end to end: order events through SQS (moto server) into the Dinero sandbox over HTTP, which
computes VAT from each account's VAT code as Dinero does. The outcome (booked or draft) and the merchant's reasons."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from infra.local.dinero_sandbox import DEMO_PRO_ORG_ID
from infra.local.system import LocalSystem
from support.events import order_event
from support.merchant_client import MerchantClient
from support.seed import MERCHANT, connect_merchant, order_records

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


def outcome(system: LocalSystem, integration_id: str, name: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Send one sample order; its invoice in Dinero (None if none was made) and its record."""
    system.send_order(order_event(name))
    system.drain_orders()
    assert system.sandbox is not None
    (record,) = [
        r for r in order_records(integration_id) if r["order_number"] == order_event(name)["sales_order"]["order_id"]
    ]
    made = [i for i in system.sandbox.state.invoices(DEMO_PRO_ORG_ID) if i["Guid"] == record["invoice_guid"]]
    return (made[0] if made else None), record


def lines(invoice: dict[str, Any]) -> list[tuple[int, Decimal]]:
    return [(line["AccountNumber"], line["TotalAmountInclVat"]) for line in invoice["ProductLines"]]


def test_german_consumer_at_danish_vat_is_booked_on_the_accounts_that_carry_it(system: LocalSystem) -> None:
    # Given: Product (EU) is the VAT-free EU goods account (1100)
    integration_id = connect_merchant(system)
    # When
    invoice, record = outcome(system, integration_id, "eu_private_de")
    # Then
    assert invoice is not None and invoice["Status"] == "Booked"
    assert (invoice["TotalInclVat"], invoice["TotalVat"]) == (Decimal("844.00"), Decimal("168.80"))
    assert lines(invoice) == [(1000, Decimal("749.00")), (1350, Decimal("95.00"))]
    assert record["status"] == "booked"
    assert record["reason"] == (
        "Danish VAT on a delivery to DE (a distance sale below the EU threshold): booked on Product (Domestic) 1000, "
        "Shipping (Domestic) 1350"
    )


def test_business_with_vat_number_is_booked_with_reverse_charge_text_and_a_company_contact(system: LocalSystem) -> None:
    # Given
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    # When
    invoice, record = outcome(system, integration_id, "eu_business_de_reverse_charge")
    # Then
    assert invoice is not None and invoice["Status"] == "Booked"
    assert (invoice["TotalInclVat"], invoice["TotalVat"]) == (Decimal("7650.00"), Decimal("0.00"))
    assert lines(invoice) == [(1100, Decimal("7200.00")), (1110, Decimal("450.00"))]
    assert "Article 138 of Directive 2006/112/EC" in invoice["Comment"]
    assert invoice["Comment"].endswith("Buyer's VAT number: DE123456789.")
    (contact,) = system.sandbox.state.contacts(DEMO_PRO_ORG_ID)
    assert (contact["IsPerson"], contact["VatNumber"], contact["VatRegionKey"]) == (False, "DE123456789", "EU")
    assert record["status"] == "booked"


def test_zero_vat_to_a_business_without_vat_number_is_a_draft_with_the_reason(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system)
    # When
    invoice, record = outcome(system, integration_id, "eu_business_de_without_vat_number")
    # Then
    assert invoice is not None and invoice["Status"] == "Draft" and invoice["Comment"] is None
    assert record["status"] == "draft"
    assert record["reason"].startswith(
        "The order charges no VAT on a delivery to DE, but the buyer's VAT number (bill_to.vat_number) is missing: "
        "only a business with a VAT number from another EU country may buy VAT-free (ML § 34, stk. 1, nr. 1)"
    )


def test_oss_order_is_a_draft_until_oss_is_configured_then_booked_through_it(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system)
    client = MerchantClient(system, MERCHANT)
    # When: before OSS is configured
    _, unconfigured = outcome(system, integration_id, "eu_private_de_oss")
    # Then
    assert unconfigured["status"] == "draft"
    assert "The order charges DE VAT at 19 % (844,00 DKK incl. 134,76 DKK VAT)" in unconfigured["reason"]
    assert "configure OSS for DE (PUT /integrations/{id}/oss" in unconfigured["reason"]

    # When: the merchant configures OSS through the API, and the next German order arrives
    configured = client.put(
        f"/integrations/{integration_id}/oss", json={"liability_account_number": 63100, "countries": {"DE": 1160}}
    )
    assert configured.status_code == 200, configured.text
    system.send_order(order_event("eu_private_de_oss", event_id="evt-oss-2") | {"sales_order": _another_order()})
    system.drain_orders()
    # Then: net on the country's account, the VAT as lines on the liability account, nothing added by Dinero
    record = next(r for r in order_records(integration_id) if r["order_number"] == "10436")
    assert record["status"] == "booked"
    assert system.sandbox is not None
    invoice = next(i for i in system.sandbox.state.invoices(DEMO_PRO_ORG_ID) if i["Guid"] == record["invoice_guid"])
    assert (invoice["TotalInclVat"], invoice["TotalVat"]) == (Decimal("992.73"), Decimal("0.00"))
    assert lines(invoice) == [
        (1160, Decimal("629.41")),
        (1160, Decimal("139.00")),
        (1160, Decimal("79.83")),
        (63100, Decimal("9.73")),
        (63100, Decimal("134.76")),
    ]


def _another_order() -> dict[str, Any]:
    sales_order: dict[str, Any] = order_event("eu_private_de_oss")["sales_order"]
    return sales_order | {"id": 5123436, "order_id": "10436"}


def test_oss_configuration_with_an_account_that_carries_vat_is_refused(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system)
    client = MerchantClient(system, MERCHANT)
    # When
    response = client.put(
        f"/integrations/{integration_id}/oss", json={"liability_account_number": 63100, "countries": {"DE": 1010}}
    )
    # Then
    assert response.status_code == 422
    assert response.json()["message"] == (
        "countries.DE: account 1010 has VAT code U25 (25 %); OSS needs an account without VAT (VAT code none)"
    )


def test_sub_ore_line_vat_is_booked_with_the_rounding_recorded(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system)
    # When
    invoice, record = outcome(system, integration_id, "sub_ore_vat")
    # Then: the sandbox rounds each line's VAT (3 lines of 4,00 and 7,80), the order's VAT is 19,794
    assert invoice is not None and invoice["Status"] == "Booked"
    assert (invoice["TotalInclVat"], invoice["TotalVat"]) == (Decimal("98.97"), Decimal("19.80"))
    assert record["reason"] == (
        "Dinero's VAT 19,80 DKK differs from the order's 19,79 DKK by 0,01 DKK: rounding per line, booked as Dinero "
        "computed it"
    )


def test_canary_islands_delivery_is_booked_as_an_export(system: LocalSystem) -> None:
    # Given
    integration_id = connect_merchant(system)
    # When
    invoice, record = outcome(system, integration_id, "canary_islands_export")
    # Then
    assert invoice is not None and invoice["Status"] == "Booked"
    assert lines(invoice) == [(1255, Decimal("599.20")), (1255, Decimal("180.00"))]
    assert record["reason"] == "Canary Islands (ES) is outside the EU VAT area: booked as an export"


def test_a_line_whose_rate_the_account_does_not_carry_is_a_draft_naming_it(system: LocalSystem) -> None:
    # Given: Product (Domestic) on the VAT-free EU goods account
    integration_id = connect_merchant(system, product_domestic=1100)
    # When
    invoice, record = outcome(system, integration_id, "danish_private")
    # Then
    assert invoice is not None and invoice["Status"] == "Draft"
    assert record["status"] == "draft"
    assert record["reason"].startswith(
        'Line "T-Shirt" is charged 25 % VAT, but Product (Domestic) account 1100 has VAT code UEUV (0 %): Dinero '
        "would book 0 %; choose an account with 25 % VAT"
    )
    assert "Dinero's VAT" not in record["reason"]


def test_a_vat_code_changed_in_dinero_after_the_template_was_saved_is_caught_by_the_totals(
    system: LocalSystem,
) -> None:
    # Given: the merchant took the VAT code off account 1000 in Dinero after saving the templates
    assert system.sandbox is not None
    integration_id = connect_merchant(system)
    organization = system.sandbox.state.organizations[DEMO_PRO_ORG_ID]
    organization.accounts[1000] = replace(organization.accounts[1000], vat_code=None)
    # When
    invoice, record = outcome(system, integration_id, "danish_private")
    # Then: the sandbox, like Dinero, computes no VAT on an account without a VAT code
    assert invoice is not None and invoice["Status"] == "Draft" and invoice["TotalVat"] == Decimal("7.80")
    assert record["reason"] == (
        "Dinero's VAT 7,80 DKK differs from the order's 105,58 DKK by 97,78 DKK, more than rounding: the VAT code of "
        "an account may have changed in Dinero since its template was saved; save the template again"
    )
